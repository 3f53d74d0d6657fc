/**
 * The hand-written Bun pipe (the ceiling for Bun): `Bun.listen`/`Bun.connect` with one shared
 * handler set per side. `write()` may take part of a chunk (docs/runtimes.md): the rest waits in
 * the destination's queue, the source is paused, and the `drain` handler flushes the queue and
 * resumes the source. EOF is forwarded with `shutdown()` once the queue is empty.
 *
 * @module
 */

// A hand-written view of the few Bun APIs used, so that `tsc` (no Bun types) checks this file.
interface BunSocket {
  data: Side;
  write(data: Uint8Array): number;
  shutdown(): void;
  end(): void;
  pause(): void;
  resume(): void;
}
interface Handlers {
  open?(s: BunSocket): void;
  data(s: BunSocket, chunk: Uint8Array): void;
  drain(s: BunSocket): void;
  end(s: BunSocket): void;
  close(s: BunSocket, error?: Error): void;
  error(s: BunSocket, error: Error): void;
  connectError?(s: BunSocket, error: Error): void;
}
interface BunLike {
  listen(o: { hostname: string; port: number; allowHalfOpen: boolean; socket: Handlers }): { readonly port: number };
  connect(
    o: { hostname: string; port: number; allowHalfOpen: boolean; data: Side; socket: Handlers },
  ): Promise<BunSocket>;
}
const B = (globalThis as unknown as { Bun: BunLike }).Bun;

/** One side of a piped connection. */
interface Side {
  /** Undefined until the upstream connection opens. */
  sock: BunSocket | undefined;
  peer: Side;
  /** Bytes waiting to be written to this side. */
  out: Uint8Array[];
  /** Forward EOF (shutdown) once `out` is empty. */
  shutPending: boolean;
  /** Close once `out` is empty. */
  closePending: boolean;
  closed: boolean;
}

/** Writes to `to`, queueing what it does not take; returns whether it took everything. */
function deliver(to: Side, chunk: Uint8Array): boolean {
  if (to.sock === undefined || to.out.length > 0) {
    to.out.push(chunk);
    return false;
  }
  const n = to.sock.write(chunk);
  if (n >= chunk.length) return true;
  to.out.push(chunk.subarray(Math.max(n, 0)));
  return false;
}

/** Writes `to`'s queue; once empty, resumes its source and runs any pending shutdown/close. */
function flush(to: Side): void {
  const s = to.sock!;
  while (to.out.length > 0) {
    const c = to.out[0]!;
    const n = s.write(c);
    if (n < c.length) {
      to.out[0] = c.subarray(Math.max(n, 0));
      return;
    }
    to.out.shift();
  }
  if (to.closePending) return s.end();
  if (to.shutPending) {
    to.shutPending = false;
    s.shutdown();
  }
  if (!to.peer.closed) to.peer.sock?.resume();
}

const HANDLERS: Handlers = {
  data(s, chunk) {
    if (!deliver(s.data.peer, chunk)) s.pause();
  },
  drain(s) {
    flush(s.data);
  },
  end(s) {
    const to = s.data.peer;
    if (to.sock === undefined || to.out.length > 0) to.shutPending = true;
    else to.sock.shutdown();
  },
  close(s, error) {
    const side = s.data;
    side.closed = true;
    const to = side.peer;
    if (to.closed || to.sock === undefined) {
      to.closePending = true;
      return;
    }
    if (error !== undefined || to.out.length === 0) to.sock.end();
    else to.closePending = true;
  },
  error() {
    // `close` follows with the error.
  },
};

const UPSTREAM: Handlers = {
  ...HANDLERS,
  open(s) {
    const side = s.data;
    side.sock = s;
    if (side.peer.closed && side.out.length === 0) return s.end();
    flush(side);
  },
  connectError(s) {
    s.data.closed = true;
    s.data.peer.sock?.end();
  },
};

/** Listens on `host:port` and pipes each connection to `target`; resolves with the bound port. */
export function pipe(host: string, port: number, target: { host: string; port: number }): Promise<number> {
  const client: Handlers = {
    ...HANDLERS,
    open(s) {
      const side: Side = {
        sock: s,
        peer: undefined as unknown as Side,
        out: [],
        shutPending: false,
        closePending: false,
        closed: false,
      };
      const up: Side = { sock: undefined, peer: side, out: [], shutPending: false, closePending: false, closed: false };
      side.peer = up;
      s.data = side;
      B.connect({ hostname: target.host, port: target.port, allowHalfOpen: true, data: up, socket: UPSTREAM }).catch(
        () => {
          up.closed = true;
          side.sock?.end();
        },
      );
    },
  };
  const l = B.listen({ hostname: host, port, allowHalfOpen: true, socket: client });
  return Promise.resolve(l.port);
}
