/**
 * The load kit on Bun's native sockets (see {@link LoadKit}): `Bun.listen`/`Bun.connect`
 * handlers, `write()`'s partial counts resumed from the `drain` handler, `shutdown()` for the
 * half-close (Bun's `end()` closes both directions on TCP, docs/runtimes.md).
 *
 * @module
 */
import { type BenchServer, encodeHeader, HeaderReader, type LoadKit } from "./_proto.ts";

// A hand-written view of the few Bun APIs used, so that `tsc` (no Bun types) checks this file.
interface BunSocket<T> {
  data: T;
  write(data: Uint8Array | string, byteOffset?: number, byteLength?: number): number;
  shutdown(): void;
  end(): void;
  pause(): void;
  resume(): void;
}
interface Handlers<T> {
  open?(s: BunSocket<T>): void;
  data(s: BunSocket<T>, chunk: Uint8Array): void;
  drain?(s: BunSocket<T>): void;
  end?(s: BunSocket<T>): void;
  close?(s: BunSocket<T>, error?: Error): void;
  error?(s: BunSocket<T>, error: Error): void;
}
interface BunLike {
  listen<T>(
    o: { hostname: string; port: number; allowHalfOpen: boolean; socket: Handlers<T> },
  ): { port: number; stop(force?: boolean): void };
  connect<T>(o: { hostname: string; port: number; allowHalfOpen: boolean; socket: Handlers<T> }): Promise<BunSocket<T>>;
}
const B = (globalThis as unknown as { Bun: BunLike }).Bun;

/** What the server sends in `D` mode: one shared buffer, written again and again. */
const SOURCE = new Uint8Array(65536);

/**
 * Sends `left` more bytes of `buf` (repeated) from offset `off`; stops at a partial write
 * (call it again from `drain`). Returns the new `[left, off]`.
 */
function pump<T>(s: BunSocket<T>, buf: Uint8Array, left: number, off: number): [number, number] {
  while (left > 0) {
    const len = Math.min(left, buf.length - off);
    const n = s.write(buf, off, len);
    if (n <= 0) break;
    left -= n;
    off = (off + n) % buf.length;
    if (n < len) break;
  }
  return [left, off];
}

/** Per-connection state of the bench server. */
interface ServerState {
  hr: HeaderReader;
  mode: "H" | "U" | "D" | "E";
  received: number;
  left: number;
  off: number;
  /** Echo bytes the socket did not take yet. */
  tail: Uint8Array[];
  ended: boolean;
}

function echo(s: BunSocket<ServerState>, chunk: Uint8Array): void {
  const st = s.data;
  if (st.tail.length > 0) {
    st.tail.push(chunk);
    return;
  }
  const n = s.write(chunk);
  if (n < chunk.length) {
    st.tail.push(chunk.subarray(Math.max(n, 0)));
    s.pause();
  }
}

const SERVER: Handlers<ServerState> = {
  open(s) {
    s.data = { hr: new HeaderReader(), mode: "H", received: 0, left: 0, off: 0, tail: [], ended: false };
  },
  data(s, chunk) {
    const st = s.data;
    if (st.mode === "U") st.received += chunk.length;
    else if (st.mode === "E") echo(s, chunk);
    else if (st.mode === "H") {
      const got = st.hr.feed(chunk);
      if (got === undefined) return;
      st.mode = got.header.mode;
      if (st.mode === "U") st.received = got.rest.length;
      else if (st.mode === "E") {
        if (got.rest.length > 0) echo(s, got.rest);
      } else {
        [st.left, st.off] = pump(s, SOURCE, got.header.count, 0);
        if (st.left === 0) s.shutdown();
      }
    }
  },
  drain(s) {
    const st = s.data;
    if (st.mode === "D" && st.left > 0) {
      [st.left, st.off] = pump(s, SOURCE, st.left, st.off);
      if (st.left === 0) s.shutdown();
    } else if (st.mode === "E" && st.tail.length > 0) {
      while (st.tail.length > 0) {
        const c = st.tail[0]!;
        const n = s.write(c);
        if (n < c.length) {
          st.tail[0] = c.subarray(Math.max(n, 0));
          return;
        }
        st.tail.shift();
      }
      if (st.ended) s.end();
      else s.resume();
    }
  },
  end(s) {
    const st = s.data;
    st.ended = true;
    if (st.mode === "U") {
      s.write(String(st.received));
      s.end();
    } else if (st.mode !== "E" || st.tail.length === 0) {
      s.end();
    }
  },
};

/** Opens a client connection whose handlers settle one promise. */
function client<T>(
  port: number,
  state: T,
  h: Omit<Handlers<T>, "error" | "close">,
  check: (st: T) => string | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    B.connect<T>({
      hostname: "127.0.0.1",
      port,
      allowHalfOpen: true,
      socket: {
        ...h,
        open(s) {
          s.data = state;
          h.open?.(s);
        },
        error(_s, e) {
          reject(e);
        },
        close(s, e) {
          if (e !== undefined) return reject(e);
          const problem = check(s.data);
          if (problem === undefined) resolve();
          else reject(new Error(problem));
        },
      },
    }).catch(reject);
  });
}

/** The Bun load kit. */
export const kit: LoadKit = {
  server(): Promise<BenchServer> {
    const l = B.listen<ServerState>({ hostname: "127.0.0.1", port: 0, allowHalfOpen: true, socket: SERVER });
    return Promise.resolve({ port: l.port, close: () => l.stop(true) });
  },

  upload(port, bytes, chunk) {
    const st = { left: bytes, off: 0, answer: "" };
    const go = (s: BunSocket<typeof st>) => {
      [st.left, st.off] = pump(s, chunk, st.left, st.off);
      if (st.left === 0) s.shutdown();
    };
    return client(port, st, {
      open(s) {
        s.write(encodeHeader("U", bytes));
        go(s);
      },
      drain(s) {
        if (st.left > 0) go(s);
      },
      data(_s, c) {
        st.answer += new TextDecoder().decode(c);
      },
      end(s) {
        s.end();
      },
    }, () => (Number(st.answer) === bytes ? undefined : `bench: upload of ${bytes} bytes, server got '${st.answer}'`));
  },

  download(port, bytes) {
    const st = { got: 0 };
    return client(port, st, {
      open(s) {
        s.write(encodeHeader("D", bytes));
      },
      data(_s, c) {
        st.got += c.length;
      },
      end(s) {
        s.end();
      },
    }, () => (st.got === bytes ? undefined : `bench: download of ${bytes} bytes, got ${st.got}`));
  },

  pingPong(port, size, rounds) {
    const msg = new Uint8Array(size).fill(0x70);
    const st = { left: rounds, pending: size };
    return client(port, st, {
      open(s) {
        s.write(encodeHeader("E", size));
        s.write(msg);
      },
      data(s, c) {
        st.pending -= c.length;
        if (st.pending > 0) return;
        if (--st.left === 0) {
          s.shutdown();
          return;
        }
        st.pending = size;
        s.write(msg);
      },
      end(s) {
        s.end();
      },
    }, () => (st.left === 0 ? undefined : `bench: ping-pong closed with ${st.left} rounds left`));
  },
};
