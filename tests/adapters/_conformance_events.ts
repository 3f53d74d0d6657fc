/**
 * Conformance cases for when handlers run: never synchronously inside a socket method, and
 * never `onData`/`onEnd` between `pause()` and `resume()`. Each runs over plain TCP and, where
 * the adapter has TLS, over TLS (whose records a runtime may decrypt several at a time).
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Network, Socket } from "../../src/net.ts";
import { enc, patternBuffer, PatternChecker, pump, Recorder, within } from "../_helpers.ts";
import { pair, skipUnless, WAIT_MS } from "./_conformance_kit.ts";

/** The socket methods that must never run a handler before they return. */
type Method = "write" | "pause" | "resume" | "shutdownWrite" | "close" | "abort";

/** Runs socket methods through {@link Guard.call}; handlers that run meanwhile are listed. */
class Guard {
  #inside: string | undefined;
  readonly violations: string[] = [];

  /** Calls `socket[method]`, noting which socket and method are running. */
  call<M extends Method>(
    socket: Socket,
    label: string,
    method: M,
    ...args: Parameters<Socket[M]>
  ): ReturnType<Socket[M]> {
    this.#inside = `${label}.${method}()`;
    try {
      return (socket[method] as (...a: Parameters<Socket[M]>) => ReturnType<Socket[M]>)(...args);
    } finally {
      this.#inside = undefined;
    }
  }

  /** A recorder that notes each event it receives while a guarded method is running. */
  recorder(label: string): Recorder {
    const r = new Recorder();
    const note = (event: string): void => {
      if (this.#inside !== undefined) this.violations.push(`${label}.${event} inside ${this.#inside}`);
    };
    const { onData, onEnd, onDrain, onClose } = r;
    r.onData = (chunk) => (note("onData"), onData.call(r, chunk));
    r.onEnd = () => (note("onEnd"), onEnd.call(r));
    r.onDrain = () => (note("onDrain"), onDrain.call(r));
    r.onClose = (error) => (note("onClose"), onClose.call(r, error));
    return r;
  }
}

/** Registers the event-timing cases for `net` (inside the adapter's `describe`). */
export function eventCases(net: Network): void {
  for (const tls of [false, true]) {
    const over = tls ? "TLS" : "TCP";
    const skip = tls && skipUnless(net, "tlsServer", "tlsClient");

    it(`runs no handler inside write(), pause(), resume(), shutdownWrite(), close() or abort() (${over})`, {
      skip,
    }, async () => {
      const g = new Guard();
      // Backpressure: writes until refused, then the drain; data held over pause/resume; EOF
      // and the close that shutdownWrite() completes.
      const p = await pair(net, { tls, recorders: [g.recorder("client"), g.recorder("server")] });
      g.call(p.server, "server", "pause");
      const big = new Uint8Array(1 << 20);
      let written = 0;
      while (written < 256 << 20) {
        written += big.length;
        if (!g.call(p.client, "client", "write", big)) break;
      }
      g.call(p.server, "server", "resume");
      await within(p.c.drained.promise, WAIT_MS, "drain");
      await within(p.s.waitBytes(written), WAIT_MS, "every byte");
      g.call(p.client, "client", "pause");
      g.call(p.server, "server", "write", enc("held"));
      g.call(p.server, "server", "shutdownWrite");
      // Only strengthens the check: what arrived meanwhile is held, and resume() must not
      // deliver it before returning.
      await new Promise((r) => setTimeout(r, 20));
      g.call(p.client, "client", "resume");
      await within(p.c.ended.promise, WAIT_MS, "client EOF");
      g.call(p.client, "client", "shutdownWrite");
      await within(Promise.all([p.c.closed.promise, p.s.closed.promise]), WAIT_MS, "both closed");
      assert.equal(g.call(p.client, "client", "write", enc("late")), false);
      await p.listener.close();

      // close() with bytes queued, then abort() and close() again on the closing socket.
      const q = await pair(net, { tls, recorders: [g.recorder("client2"), g.recorder("server2")] });
      g.call(q.client, "client2", "write", big);
      g.call(q.client, "client2", "close");
      g.call(q.client, "client2", "abort");
      g.call(q.client, "client2", "close");
      await within(q.c.closed.promise, WAIT_MS, "client2 close");
      await within(Promise.race([q.s.ended.promise, q.s.closed.promise]), WAIT_MS, "server2 EOF or reset");
      g.call(q.server, "server2", "close");
      await within(q.s.closed.promise, WAIT_MS, "server2 close");
      await q.listener.close();

      // abort(), and every method on its peer as the FIN or reset reaches it.
      const r = await pair(net, { tls, recorders: [g.recorder("client3"), g.recorder("server3")] });
      g.call(r.client, "client3", "write", enc("x"));
      await within(r.s.waitBytes(1), WAIT_MS, "data");
      g.call(r.client, "client3", "abort");
      await within(r.c.closed.promise, WAIT_MS, "client3 close");
      for (const m of ["pause", "resume", "shutdownWrite", "close", "abort"] as const) g.call(r.server, "server3", m);
      g.call(r.server, "server3", "write", enc("y"));
      await within(r.s.closed.promise, WAIT_MS, "server3 close");
      await r.listener.close();

      // The same methods called from inside a handler, where a runtime may hold back its own
      // callbacks for that socket until the handler returns.
      for (const method of ["close", "abort"] as const) {
        const label = `server4(${method} in onData)`;
        const t = await pair(net, { tls, recorders: [g.recorder("client4"), g.recorder(label)] });
        t.s.onDataHook = () => {
          g.call(t.server, label, "pause");
          g.call(t.server, label, "resume");
          g.call(t.server, label, "write", enc("bye"));
          g.call(t.server, label, method);
        };
        g.call(t.client, "client4", "write", enc("x"));
        await within(t.s.closed.promise, WAIT_MS, `${label} close`);
        g.call(t.client, "client4", "abort");
        await within(t.c.closed.promise, WAIT_MS, "client4 close");
        await t.listener.close();
      }

      assert.deepEqual(g.violations, []);
    });

    it(`delivers no onData or onEnd between pause() and resume() (${over})`, { skip }, async () => {
      // The reader pauses in every onData (as the core does when its write is refused) and
      // resumes from a timer or a microtask, so that chunks a runtime read or decrypted
      // before the pause are due while it is paused.
      const total = 4 << 20;
      const pattern = patternBuffer(1 << 16, 13);
      const p = await pair(net, { tls });
      const check = new PatternChecker(pattern);
      const late: string[] = [];
      let paused = false;
      let n = 0;
      p.c.keep = false;
      p.c.onDataHook = (chunk) => {
        if (paused) late.push(`onData(${chunk.length}) at byte ${check.offset}`);
        check.feed(chunk);
        p.client.pause();
        paused = true;
        const resume = (): void => {
          paused = false;
          p.client.resume();
        };
        if (++n % 2 === 0) setTimeout(resume, 0);
        else queueMicrotask(resume);
      };
      const onEnd = p.c.onEnd.bind(p.c);
      p.c.onEnd = () => {
        if (paused) late.push("onEnd");
        onEnd();
      };
      await within(
        pump(p.server, p.s, pattern, total, 4096).then(() => p.server.shutdownWrite()),
        30_000,
        "writes",
      );
      await within(p.c.ended.promise, 30_000, "EOF");
      assert.deepEqual(late, [], "delivered while paused");
      assert.ok(check.ok(total), `mismatch at ${check.mismatchAt} of ${check.offset}`);
      await p.done();
    });
  }
}
