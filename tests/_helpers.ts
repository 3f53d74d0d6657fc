/**
 * Test helpers shared by every suite: which runtime runs the tests, its native adapter,
 * bounded waits on events, and byte helpers. Tests never sleep to wait for something:
 * they wait on an event with {@link within}.
 */
import { readFileSync } from "node:fs";
import type { Address, Listener, Network, Socket, SocketHandlers, TcpAddress } from "../src/net.ts";

/** The runtime executing the tests. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The adapter for the runtime running the tests. */
export async function nativeNetwork(): Promise<Network> {
  switch (runtime) {
    case "deno":
      return (await import("../adapters/deno.ts")).network;
    case "bun":
      return (await import("../adapters/bun.ts")).network;
    default:
      return (await import("../adapters/node.ts")).network;
  }
}

/** A TCP address literal. */
export function tcp(hostname: string, port: number): TcpAddress {
  return { transport: "tcp", hostname, port };
}

/** Port of a TCP address (throws for Unix addresses). */
export function portOf(a: Address | undefined): number {
  if (a === undefined || a.transport !== "tcp") throw new TypeError(`not a TCP address: ${JSON.stringify(a)}`);
  return a.port;
}

/** Rejects with a clear message if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolvers, for turning callbacks into awaitable events. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** UTF-8 encode. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** UTF-8 decode of concatenated chunks. */
export const dec = (chunks: readonly Uint8Array[]): string => new TextDecoder().decode(concat(chunks));

/** Concatenates chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Records everything a socket reports. `ended`/`closed` resolve on the events; `data` keeps
 * every chunk; `onDataHook` lets a test react to each chunk (echo, pause, ...).
 */
export class Recorder implements SocketHandlers {
  readonly chunks: Uint8Array[] = [];
  bytes = 0;
  readonly ended = deferred<void>();
  readonly closed = deferred<Error | undefined>();
  readonly drained = deferred<void>();
  endCount = 0;
  closeCount = 0;
  events: string[] = [];
  onDataHook: ((chunk: Uint8Array) => void) | undefined;
  keep = true;
  /** Fires when `bytes` reaches `waitBytes`. */
  #waits: { n: number; d: ReturnType<typeof deferred<void>> }[] = [];

  onData(chunk: Uint8Array): void {
    if (this.keep) this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.events[this.events.length - 1] !== "data") this.events.push("data");
    this.onDataHook?.(chunk);
    this.#waits = this.#waits.filter((w) => {
      if (this.bytes >= w.n) w.d.resolve();
      return this.bytes < w.n;
    });
  }
  onEnd(): void {
    this.endCount++;
    this.events.push("end");
    this.ended.resolve();
  }
  onDrain(): void {
    this.events.push("drain");
    this.drained.resolve();
  }
  onClose(error?: Error): void {
    this.closeCount++;
    this.events.push(error ? `close:${(error as { code?: string }).code}` : "close");
    this.closed.resolve(error);
  }
  /** Resolves once at least `n` bytes have arrived. */
  waitBytes(n: number): Promise<void> {
    if (this.bytes >= n) return Promise.resolve();
    const d = deferred<void>();
    this.#waits.push({ n, d });
    return d.promise;
  }
  text(): string {
    return dec(this.chunks);
  }
}

/**
 * Writes `total` bytes of `pattern` slices to `socket`, honouring backpressure (stops on a
 * `false` from `write()`, continues on drain). `rec` must be the socket's handlers.
 */
export async function pump(
  socket: Socket,
  rec: Recorder,
  pattern: Uint8Array,
  total: number,
  chunkSize = 65536,
): Promise<void> {
  let sent = 0;
  let drain = deferred<void>();
  const prevHook = rec.onDrain.bind(rec);
  rec.onDrain = () => {
    prevHook();
    drain.resolve();
  };
  while (sent < total) {
    const off = sent % pattern.length;
    const n = Math.min(chunkSize, total - sent, pattern.length - off);
    const ok = socket.write(pattern.subarray(off, off + n));
    sent += n;
    if (!ok) {
      await drain.promise;
      drain = deferred<void>();
    }
  }
}

/** A deterministic pseudo-random buffer (xorshift32), so failures are reproducible. */
export function patternBuffer(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Verifies, chunk by chunk, that a stream is `pattern` repeated from offset 0. */
export class PatternChecker {
  offset = 0;
  mismatchAt = -1;
  readonly #pattern: Uint8Array;
  constructor(pattern: Uint8Array) {
    this.#pattern = pattern;
  }
  feed(chunk: Uint8Array): void {
    const p = this.#pattern;
    if (this.mismatchAt < 0) {
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== p[(this.offset + i) % p.length]) {
          this.mismatchAt = this.offset + i;
          break;
        }
      }
    }
    this.offset += chunk.length;
  }
  /** True when exactly `total` matching bytes were fed. */
  ok(total: number): boolean {
    return this.mismatchAt < 0 && this.offset === total;
  }
}

/** Reads a TLS fixture (PEM text) from `tests/fixtures/tls/`. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8");
}

/**
 * Waits until `cond()` holds, checking every 10 ms, for state owned by another process
 * (a child's output) where no event can be awaited; fails after `ms` naming `what`.
 */
export function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  // The poll stops with the wait: a condition that never holds must not keep polling (and
  // keep the runner's event loop alive) after the timeout has failed the test.
  let waiting = true;
  return within(
    (async () => {
      while (waiting && !cond()) await new Promise((r) => setTimeout(r, 10));
    })(),
    ms,
    what,
  ).finally(() => (waiting = false));
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then released). */
export async function freePort(net: Network): Promise<number> {
  return (await freePorts(net, 1))[0]!;
}

/**
 * `n` distinct TCP ports on 127.0.0.1 that were free a moment ago. They are bound together
 * before any is released: two successive `freePort()` calls may get the same port back, and
 * HAProxy (SO_REUSEPORT) would then bind both sections to it and split the connections.
 */
export async function freePorts(net: Network, n: number): Promise<number[]> {
  const ls: Listener[] = [];
  for (let i = 0; i < n; i++) ls.push(await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.abort() }));
  for (const l of ls) await l.close();
  return ls.map((l) => portOf(l.address));
}

/**
 * The handlers of an echo server on `socket`: each chunk is written back, and the peer's EOF
 * is answered with ours. Echoed chunks are given up to `write()` (src/net.ts), so the
 * recorder counts them without keeping them; `onChunk` sees each one before it is echoed.
 */
export function echoRecorder(socket: Socket, onChunk?: (chunk: Uint8Array, rec: Recorder) => void): Recorder {
  const r = new Recorder();
  r.keep = false;
  r.onDataHook = (c) => {
    onChunk?.(c, r);
    socket.write(c);
  };
  const end = r.onEnd.bind(r);
  r.onEnd = () => {
    end();
    socket.shutdownWrite();
  };
  return r;
}

/**
 * A TCP server on 127.0.0.1 that writes `name:` (nothing when `name` is empty), then echoes and
 * answers the client's EOF with its own: which server a proxied connection reached.
 */
export function namedEchoServer(net: Network, name: string): Promise<Listener> {
  return net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept(s) {
      s.setHandlers({ onData: (c) => s.write(c), onEnd: () => s.shutdownWrite(), onDrain() {}, onClose() {} });
      if (name !== "") s.write(enc(`${name}:`));
    },
  });
}

/** Connects to 127.0.0.1:`port`, sends `text` and EOF, returns all received until the peer's EOF. */
export async function exchangeOnce(net: Network, port: number, text = "x"): Promise<string> {
  const c = await net.connect({ address: tcp("127.0.0.1", port) });
  const r = new Recorder();
  c.setHandlers(r);
  c.write(enc(text));
  c.shutdownWrite();
  await within(r.ended.promise, 10_000, "EOF from the peer");
  c.close();
  return r.text();
}
