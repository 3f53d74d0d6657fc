/**
 * The accept loop of the bench's Deno servers (load kit and hand-written pipe).
 *
 * `for await (const c of listener)` ends at the first error, and Deno's `accept()` throws
 * ENOTCONN for a connection reset while still in the accept queue (its peer-address lookup
 * fails): HAProxy's start-up probe through it did exactly that, and the bench server then
 * stopped accepting for good. This loop only stops once the listener is closed.
 *
 * @module
 */

/** The part of a Deno listener the loop needs. */
export interface Acceptor<C> {
  accept(): Promise<C>;
}

/** Calls `onConn` for every accepted connection until the listener is closed. */
export async function acceptEach<C>(listener: Acceptor<C>, onConn: (c: C) => void): Promise<void> {
  for (;;) {
    let c: C;
    try {
      c = await listener.accept();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === "BadResource" || name === "Interrupted") return;
      continue;
    }
    onConn(c);
  }
}
