/**
 * An in-memory {@link Network}: listeners, connections, backpressure, half-close, resets and
 * connect faults, driven by an injectable {@link Clock} so that the core (stream interface,
 * retries, timeouts, queues, health checks) is tested deterministically with `FakeClock`,
 * without sockets or real time. It models TCP on loopback:
 *
 * - Each direction has the sender's queue (`bufferedAmount`, unbounded) and the receiver's
 *   buffer (at most `bufferBytes`). `write()` moves at once what fits into the receiver's
 *   buffer; a receiver that is paused or has no handlers yet stops taking bytes, so with buffer
 *   B and high-water mark H exactly B + H bytes are written with `write()` returning `true`,
 *   and the next byte returns `false`. `onDrain` follows once the queue is back to H or less.
 * - Chunk ownership: each byte is copied once, when it enters the receiver's buffer. Until then
 *   the queue holds views of the caller's chunks (the contract says the caller leaves them
 *   alone until written); a chunk given to `onData` is fresh memory that nothing writes again.
 *   Writes of one tick coalesce into chunks of at most `maxChunkBytes`, like TCP segments.
 * - Handlers run from microtasks, never inside a socket method; connect latency uses the
 *   clock's timers (latency 0 uses a microtask), so `await fakeClock.advance(0)` settles
 *   everything in flight.
 * - `close()` stops reading, flushes, sends EOF and closes. A socket that receives bytes after
 *   it closed answers with a reset, as a kernel does: the writer closes with `ECONNRESET`.
 *   `abort()` drops both queues and resets the peer. A socket closed by a reset still gets the
 *   bytes (and EOF) already in its buffer first, as on Linux, unless it is paused.
 *
 * Faults ({@link MemoryNetwork.refuse}, {@link MemoryNetwork.blackhole},
 * {@link MemoryNetwork.unreachable}, {@link MemoryNetwork.setLatency},
 * {@link MemoryNetwork.resetAll}) and probes ({@link MemoryNetwork.connections},
 * {@link MemoryNetwork.connectAttempts}, ...) let tests script servers that die, hang or reset.
 * There is no TLS.
 *
 * @example
 * ```ts
 * import { createNetwork } from "@proxykit/proxykit/memory";
 * import { FakeClock } from "@proxykit/proxykit";
 * const clock = new FakeClock();
 * const net = createNetwork({ clock });
 * const server = { transport: "tcp", hostname: "10.0.0.1", port: 80 } as const;
 * net.blackhole(server); // connects to it now time out, through the core's AbortSignal
 * ```
 *
 * @module
 */
import type {
  Address,
  ConnectOptions,
  Listener,
  ListenOptions,
  NetCapabilities,
  NetError,
  Network,
  Socket,
  SocketHandlers,
  TlsInfo,
} from "../src/net.ts";
import { type Clock, systemClock, type Timer } from "../src/clock.ts";
import { netError } from "./_errors.ts";

/** Receive buffer per direction: the order of a Linux loopback socket's receive buffer. */
const DEFAULT_BUFFER_BYTES = 256 * 1024;
/** As Node's `writableHighWaterMark`. */
const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024;
/** As the read size of the runtimes' socket loops. */
const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;
/** Smallest receive segment, so that small writes of one tick share one chunk. */
const MIN_SEGMENT_BYTES = 1024;
/** Linux `net.ipv4.ip_local_port_range`. */
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;

const NO_TLS = "the in-memory network has no TLS";
const CAPABILITIES: NetCapabilities = {
  unix: true,
  ipv6: true,
  tlsClient: false,
  tlsServer: false,
  tlsSniMultiCert: false,
  tlsServerClientAuth: false,
  tlsServerUpgrade: false,
  tlsPeerInfo: false,
  keepAliveDelay: true,
  reusePort: true,
  abortSendsReset: true,
  distinguishesUnreachable: true,
  notes: Object.fromEntries(
    ["tlsClient", "tlsServer", "tlsSniMultiCert", "tlsServerClientAuth", "tlsServerUpgrade", "tlsPeerInfo"].map((k) => [k, NO_TLS]),
  ),
};

/** Options of {@link createNetwork}. */
export interface MemoryNetworkOptions {
  /**
   * Drives connect latency (`FakeClock` in tests).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * Receive buffer of each socket, in bytes: how much a receiver that does not read holds
   * before its peer's writes queue up.
   * @default 262144
   */
  readonly bufferBytes?: number;
  /**
   * `write()` returns `false` once more than this many bytes wait in the sender's queue.
   * @default 65536
   */
  readonly highWaterMarkBytes?: number;
  /**
   * Largest chunk handed to one `onData`, in bytes; 1 splits every message byte by byte.
   * @default 65536
   */
  readonly maxChunkBytes?: number;
  /**
   * Connect latency in milliseconds for destinations without {@link MemoryNetwork.setLatency}.
   * @default 0
   */
  readonly connectLatencyMs?: number;
}

/** What a socket needs from its network. */
interface Env {
  readonly bufferBytes: number;
  readonly highWater: number;
  readonly maxChunk: number;
  released(socket: MemorySocket): void;
}

/** A first-in first-out queue with O(1) shift. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  first(): T | undefined {
    return this.#items[this.#head];
  }
  last(): T | undefined {
    return this.#items.length > this.#head ? this.#items[this.#items.length - 1] : undefined;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/** Part of a receive buffer; delivered whole (it is never larger than `maxChunkBytes`). */
interface Segment {
  readonly buf: Uint8Array;
  end: number;
}

function resetError(): NetError {
  return netError("ECONNRESET", "memory network: connection reset by peer");
}

/**
 * One end of an in-memory connection. Created by {@link MemoryNetwork}; tests reach server
 * ends through {@link MemoryNetwork.connections} and client ends through {@link peer}.
 */
export class MemorySocket implements Socket {
  readonly localAddress: Address | undefined;
  readonly remoteAddress: Address | undefined;
  readonly tls: TlsInfo | undefined = undefined;
  /** The bound address of the listener that accepted this socket; `undefined` client side. */
  readonly listenerAddress: Address | undefined;
  #env: Env;
  #peer: MemorySocket;
  #handlers: SocketHandlers | undefined;
  #scheduled = false;
  #paused = false;
  #noDelay = false;
  #keepAliveMs: number | undefined;
  // Receive side.
  #rx = new Fifo<Segment>();
  #rxBytes = 0;
  #rxFin = false;
  #ended = false;
  #readClosed = false;
  // Send side.
  #tx = new Fifo<Uint8Array>();
  #txHead = 0;
  #txBytes = 0;
  #shut = false;
  #finSent = false;
  #closing = false;
  #wantDrain = false;
  // Terminal state: closed (no more I/O), then onClose delivered.
  #closed = false;
  #closeError: NetError | undefined;
  #closeDelivered = false;

  /** @internal Made by {@link MemoryNetwork}; `peer` is the other end, made first. */
  constructor(env: Env, local: Address | undefined, remote: Address | undefined, listener?: Address, peer?: MemorySocket) {
    this.#env = env;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.listenerAddress = listener;
    this.#peer = peer ?? this;
    if (peer !== undefined) peer.#peer = this;
  }

  /** The other end of the connection. */
  get peer(): MemorySocket {
    return this.#peer;
  }
  /** Whether `pause()` is in effect: tests assert the core applies backpressure. */
  get isPaused(): boolean {
    return this.#paused;
  }
  /** Whether the socket is closed (its `onClose` may still wait for handlers). */
  get isClosed(): boolean {
    return this.#closed;
  }
  /** The last `setNoDelay()` value (or the connect option). */
  get noDelay(): boolean {
    return this.#noDelay;
  }
  /** Keep-alive delay in ms from `setKeepAlive()`: 0 when enabled without one, else `undefined`. */
  get keepAliveMs(): number | undefined {
    return this.#keepAliveMs;
  }
  get bufferedAmount(): number {
    return this.#txBytes;
  }

  setHandlers(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    this.#kick();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#shut) return false;
    if (chunk.length > 0) {
      this.#tx.push(chunk);
      this.#txBytes += chunk.length;
      this.#flush();
      if (this.#closed) return false;
    }
    if (this.#txBytes <= this.#env.highWater) return true;
    this.#wantDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#kick();
  }

  shutdownWrite(): void {
    if (this.#closed || this.#shut) return;
    this.#shut = true;
    this.#flush();
  }

  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#shut = true;
    this.#readClosed = true;
    this.#dropReceived();
    this.#peer.#flush(); // what the peer queued for us now goes nowhere
    this.#flush();
    this.#maybeClose();
  }

  abort(): void {
    if (this.#closed) return;
    this.#terminate(undefined, false);
    if (!this.#peer.#closed) this.#peer.#terminate(resetError(), true);
  }

  /**
   * Fault injection: a reset on the wire (a crashed host, a middlebox). Both ends close with
   * `ECONNRESET`, each after the bytes already in its buffer. Compare `abort()`, after which
   * only the peer sees the reset.
   */
  reset(): void {
    const peer = this.#peer;
    if (!this.#closed) this.#terminate(resetError(), true);
    if (!peer.#closed) peer.#terminate(resetError(), true);
  }

  setNoDelay(enable: boolean): boolean {
    this.#noDelay = enable;
    return true;
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    this.#keepAliveMs = enable ? initialDelayMs ?? 0 : undefined;
    return true;
  }

  #dropReceived(): void {
    this.#rx.clear();
    this.#rxBytes = 0;
    this.#rxFin = false;
  }

  /** Closes for good; `keepReceived` lets bytes already here be delivered before `onClose`. */
  #terminate(error: NetError | undefined, keepReceived: boolean): void {
    this.#closed = true;
    this.#closeError = error;
    this.#readClosed = true;
    this.#tx.clear();
    this.#txHead = 0;
    this.#txBytes = 0;
    this.#wantDrain = false;
    if (!keepReceived) this.#dropReceived();
    this.#env.released(this);
    this.#kick();
  }

  /** Orderly close: our EOF is out, and either we asked to close or the peer's EOF was read. */
  #maybeClose(): void {
    if (!this.#closed && this.#finSent && (this.#closing || this.#ended)) this.#terminate(undefined, true);
  }

  /** Moves queued bytes (then EOF) into the peer's buffer as far as it has room. */
  #flush(): void {
    const r = this.#peer;
    if (this.#closed) return;
    if (this.#txBytes > 0) {
      // A kernel answers bytes for a socket that no longer exists with a reset.
      if (r.#closed) return this.#terminate(resetError(), true);
      const n = r.#readClosed ? this.#txBytes : Math.min(this.#txBytes, this.#env.bufferBytes - r.#rxBytes);
      if (n > 0) this.#send(n, r.#readClosed ? undefined : r);
    }
    if (this.#shut && !this.#finSent && this.#txBytes === 0) {
      this.#finSent = true;
      if (!r.#readClosed) {
        r.#rxFin = true;
        r.#kick();
      }
      this.#maybeClose();
    }
    if (this.#wantDrain && this.#txBytes <= this.#env.highWater) this.#kick();
  }

  /** Takes `n` bytes off the queue and copies them into `into`'s buffer (or drops them). */
  #send(n: number, into: MemorySocket | undefined): void {
    let left = n;
    while (left > 0) {
      const head = this.#tx.first() as Uint8Array;
      const take = Math.min(left, head.length - this.#txHead);
      if (into !== undefined) into.#append(head.subarray(this.#txHead, this.#txHead + take), left);
      this.#txHead += take;
      left -= take;
      if (this.#txHead === head.length) {
        this.#tx.shift();
        this.#txHead = 0;
      }
    }
    this.#txBytes -= n;
    if (into !== undefined) into.#kick();
  }

  /** Copies `src` into the receive buffer; `hint` is what this move brings in all. */
  #append(src: Uint8Array, hint: number): void {
    let off = 0;
    while (off < src.length) {
      let seg = this.#rx.last();
      if (seg === undefined || seg.end === seg.buf.length) {
        const size = Math.min(this.#env.maxChunk, Math.max(MIN_SEGMENT_BYTES, hint - off));
        seg = { buf: new Uint8Array(size), end: 0 };
        this.#rx.push(seg);
      }
      const k = Math.min(src.length - off, seg.buf.length - seg.end);
      seg.buf.set(src.subarray(off, off + k), seg.end);
      seg.end += k;
      off += k;
    }
    this.#rxBytes += src.length;
  }

  #kick(): void {
    if (this.#scheduled || this.#closeDelivered) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#run());
  }

  /** Delivers what is due, in contract order: data, EOF, drain, close. */
  #run(): void {
    this.#scheduled = false;
    if (this.#handlers === undefined || this.#closeDelivered) return;
    try {
      while (!this.#paused && this.#rxBytes > 0 && this.#handlers !== undefined) {
        const seg = this.#rx.shift() as Segment;
        this.#rxBytes -= seg.end;
        // A delivered segment leaves the buffer, so nothing is ever appended to its memory.
        const chunk = seg.end === seg.buf.length ? seg.buf : seg.buf.subarray(0, seg.end);
        this.#peer.#flush();
        this.#handlers.onData(chunk);
      }
      if (this.#rxFin && !this.#ended && this.#rxBytes === 0 && !this.#paused) {
        this.#ended = true;
        this.#handlers.onEnd();
        this.#maybeClose();
      }
      if (this.#wantDrain && !this.#closed && this.#txBytes <= this.#env.highWater) {
        this.#wantDrain = false;
        this.#handlers.onDrain();
      }
      if (this.#closed && !this.#closeDelivered) {
        // A paused reader notices a reset at once; its unread bytes are lost.
        if (this.#closeError !== undefined && this.#paused) this.#dropReceived();
        if (this.#rxBytes === 0 && (!this.#rxFin || this.#ended)) {
          this.#closeDelivered = true;
          this.#handlers.onClose(this.#closeError);
        }
      }
    } catch (err) {
      this.#kick(); // what a throwing handler left undelivered still goes out
      throw err;
    }
  }
}

/** A bound in-memory listener. */
class MemoryListener implements Listener {
  readonly address: Address;
  readonly onAccept: (socket: Socket) => void;
  readonly reusePort: boolean;
  #unbind: ((l: MemoryListener) => void) | undefined;
  constructor(address: Address, options: ListenOptions, unbind: (l: MemoryListener) => void) {
    this.address = address;
    this.onAccept = options.onAccept;
    this.reusePort = options.reusePort ?? false;
    this.#unbind = unbind;
  }
  close(): Promise<void> {
    this.#unbind?.(this);
    this.#unbind = undefined;
    return Promise.resolve();
  }
}

type Fault = "ECONNREFUSED" | "EHOSTUNREACH" | "ENETUNREACH" | "blackhole";

const isV6 = (hostname: string): boolean => hostname.includes(":");
const keyOf = (a: Address): string => (a.transport === "tcp" ? `tcp ${a.hostname} ${a.port}` : `unix ${a.path}`);
const show = (a: Address): string =>
  a.transport === "unix" ? `unix:${a.path}` : isV6(a.hostname) ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;

/** Validates an address and copies it, without IPv6 brackets. */
function normalize(a: Address): Address {
  if (a.transport === "unix") {
    if (typeof a.path !== "string" || a.path === "") throw new TypeError(`memory network: bad unix path ${JSON.stringify(a.path)}`);
    return { transport: "unix", path: a.path };
  }
  if (a.transport !== "tcp") throw new TypeError(`memory network: unknown transport ${JSON.stringify(a)}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new RangeError(`memory network: port must be 0..65535, got ${a.port}`);
  const hostname = a.hostname.startsWith("[") && a.hostname.endsWith("]") ? a.hostname.slice(1, -1) : a.hostname;
  return { transport: "tcp", hostname, port: a.port };
}

/** Two listeners on one port collide on the same host, or when one is a wildcard covering the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || a === "::" || b === "::" || (a === "0.0.0.0" && !isV6(b)) || (b === "0.0.0.0" && !isV6(a));
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`MemoryNetwork: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * A complete network in memory. Addresses are keys: any TCP hostname works (`10.0.0.1`,
 * `::1`, `db.internal`), a listener on `0.0.0.0` or `::` takes connects to every host on its
 * port, port 0 picks a free port from 32768; Unix paths are names (no file is created).
 * Connecting where nothing listens fails with `ECONNREFUSED` (TCP) or `ENOENT` (Unix).
 *
 * Fault addresses are matched as connects are: a TCP fault address with port 0 covers every
 * port of its host. Faults and listeners are looked at when the connect arrives, i.e. after
 * its latency.
 */
export class MemoryNetwork implements Network {
  readonly name = "memory";
  readonly capabilities: NetCapabilities = CAPABILITIES;
  /** The clock driving connect latency. */
  readonly clock: Clock;
  #env: Env;
  #defaultLatency: number;
  #listeners = new Map<string, MemoryListener[]>();
  #turn = new Map<string, number>();
  #faults = new Map<string, Fault>();
  #latency = new Map<string, number>();
  #attempts = new Map<string, number>();
  #open = new Set<MemorySocket>();
  #accepted = new Set<MemorySocket>();
  #ports = new Map<number, number>();
  #nextPort = EPHEMERAL_FIRST;

  /** @throws {RangeError} when a size or the latency is not a valid number. */
  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const latency = options.connectLatencyMs ?? 0;
    if (!(latency >= 0 && Number.isFinite(latency))) throw new RangeError(`MemoryNetwork: connectLatencyMs must be >= 0, got ${latency}`);
    this.#defaultLatency = latency;
    this.#env = {
      bufferBytes: count("bufferBytes", options.bufferBytes, DEFAULT_BUFFER_BYTES, 1),
      highWater: count("highWaterMarkBytes", options.highWaterMarkBytes, DEFAULT_HIGH_WATER_MARK_BYTES, 0),
      maxChunk: count("maxChunkBytes", options.maxChunkBytes, DEFAULT_MAX_CHUNK_BYTES, 1),
      released: (s) => {
        this.#open.delete(s);
        this.#accepted.delete(s);
        if (s.listenerAddress === undefined && s.localAddress?.transport === "tcp") this.#unref(s.localAddress.port);
      },
    };
  }

  listen(options: ListenOptions): Promise<Listener> {
    try {
      if (options.tls !== undefined) throw netError("EUNKNOWN", `memory network: cannot listen with TLS: ${NO_TLS}`);
      let address = normalize(options.address);
      if (address.transport === "tcp" && address.port === 0) address = { ...address, port: this.#freePort() };
      const reusePort = options.reusePort ?? false;
      for (const [key, bound] of this.#listeners) {
        const b = bound[0]?.address;
        if (b === undefined || b.transport !== address.transport) continue;
        const clash = b.transport === "unix"
          ? address.transport === "unix" && b.path === address.path
          : address.transport === "tcp" && b.port === address.port && overlaps(b.hostname, address.hostname);
        const shared = key === keyOf(address) && reusePort && bound.every((l) => l.reusePort);
        if (clash && !shared) throw netError("EADDRINUSE", `memory network: ${show(address)} is already in use`);
      }
      const listener = new MemoryListener(address, options, (l) => this.#unbind(l));
      const key = keyOf(address);
      this.#listeners.set(key, [...(this.#listeners.get(key) ?? []), listener]);
      if (address.transport === "tcp") this.#ref(address.port);
      return Promise.resolve(listener);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Connects after the destination's latency. An aborted `signal` rejects with `ECANCELED`
   * and, when the connect had not arrived yet, the listener never hears of it.
   */
  connect(options: ConnectOptions): Promise<Socket> {
    let dest: Address;
    try {
      if (options.tls !== undefined) throw netError("EUNKNOWN", `memory network: cannot connect with TLS: ${NO_TLS}`);
      dest = normalize(options.address);
    } catch (err) {
      return Promise.reject(err);
    }
    const { signal } = options;
    const canceled = () => netError("ECANCELED", `memory network: connect to ${show(dest)} aborted`, signal?.reason);
    if (signal?.aborted) return Promise.reject(canceled());
    const key = keyOf(dest);
    this.#attempts.set(key, (this.#attempts.get(key) ?? 0) + 1);
    return new Promise<Socket>((resolve, reject) => {
      let timer: Timer | undefined;
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        this.clock.clearTimer(timer);
        reject(canceled());
      };
      const arrive = () => {
        if (settled) return;
        const fault = this.#lookup(this.#faults, dest);
        if (fault === "blackhole") return; // only the signal ends it
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (fault !== undefined) return reject(netError(fault, `memory network: connect to ${show(dest)}: ${fault}`));
        const listener = this.#route(dest);
        if (listener === undefined) {
          const code = dest.transport === "unix" ? "ENOENT" : "ECONNREFUSED";
          return reject(netError(code, `memory network: connect to ${show(dest)}: ${code}`));
        }
        let client: MemorySocket, server: MemorySocket;
        try {
          [client, server] = this.#establish(dest, listener);
        } catch (err) {
          return reject(err); // no free local port
        }
        if (options.noDelay !== undefined) client.setNoDelay(options.noDelay);
        resolve(client);
        listener.onAccept(server);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const latency = this.#lookup(this.#latency, dest) ?? this.#defaultLatency;
      if (latency > 0) timer = this.clock.setTimer(arrive, latency);
      else queueMicrotask(arrive);
    });
  }

  /** Fault: connects to `address` fail with `ECONNREFUSED`, even with a listener there. */
  refuse(address: Address): void {
    this.#faults.set(keyOf(normalize(address)), "ECONNREFUSED");
  }

  /** Fault: connects to `address` never complete; only their `signal` ends them (`ECANCELED`). */
  blackhole(address: Address): void {
    this.#faults.set(keyOf(normalize(address)), "blackhole");
  }

  /** Fault: connects to `address` fail with `code`, as when a router says there is no route. */
  unreachable(address: Address, code: "EHOSTUNREACH" | "ENETUNREACH" = "EHOSTUNREACH"): void {
    this.#faults.set(keyOf(normalize(address)), code);
  }

  /**
   * Clears the fault set by {@link refuse}, {@link blackhole} or {@link unreachable} on exactly
   * this address (all of them without an address). Connects already swallowed by a blackhole
   * stay pending until their signal aborts them.
   */
  restore(address?: Address): void {
    if (address === undefined) this.#faults.clear();
    else this.#faults.delete(keyOf(normalize(address)));
  }

  /**
   * Sets the connect latency to `address` in milliseconds (clock time); `undefined` goes back
   * to `connectLatencyMs`. A refusal or unreachable error also arrives after it.
   * @throws {RangeError} if `ms` is negative or not finite.
   */
  setLatency(address: Address, ms: number | undefined): void {
    const key = keyOf(normalize(address));
    if (ms === undefined) {
      this.#latency.delete(key);
      return;
    }
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`MemoryNetwork.setLatency: ms must be >= 0, got ${ms}`);
    this.#latency.set(key, ms);
  }

  /**
   * Fault: resets every open connection accepted on `address` (a listener's address or the
   * address clients connected to) as {@link MemorySocket.reset} does. Returns how many.
   */
  resetAll(address: Address): number {
    const sockets = this.connections(address);
    for (const s of sockets) s.reset();
    return sockets.length;
  }

  /** Server ends of the open connections accepted on `address`, oldest first. */
  connections(address: Address): MemorySocket[] {
    const key = keyOf(normalize(address));
    return [...this.#accepted].filter((s) =>
      (s.listenerAddress !== undefined && keyOf(s.listenerAddress) === key) ||
      (s.localAddress !== undefined && keyOf(s.localAddress) === key)
    );
  }

  /** Listeners bound on exactly `address` (more than one with `reusePort`), or in all. */
  listenerCount(address?: Address): number {
    if (address !== undefined) return this.#listeners.get(keyOf(normalize(address)))?.length ?? 0;
    let n = 0;
    for (const bound of this.#listeners.values()) n += bound.length;
    return n;
  }

  /**
   * Connects tried to exactly `address` (as given to `connect`), or in all; a connect whose
   * signal was aborted before the call is not counted.
   */
  connectAttempts(address?: Address): number {
    if (address !== undefined) return this.#attempts.get(keyOf(normalize(address))) ?? 0;
    let n = 0;
    for (const v of this.#attempts.values()) n += v;
    return n;
  }

  /** Sockets (both ends) not closed yet: 0 once a test has cleaned up, else a leak. */
  get openSockets(): number {
    return this.#open.size;
  }

  /** Exact address first, then the port-0 (whole host) entry. */
  #lookup<T>(map: Map<string, T>, a: Address): T | undefined {
    return map.get(keyOf(a)) ?? (a.transport === "tcp" ? map.get(keyOf({ ...a, port: 0 })) : undefined);
  }

  #route(dest: Address): MemoryListener | undefined {
    const keys = [keyOf(dest)];
    if (dest.transport === "tcp") {
      if (!isV6(dest.hostname)) keys.push(keyOf({ ...dest, hostname: "0.0.0.0" }));
      keys.push(keyOf({ ...dest, hostname: "::" }));
    }
    for (const key of keys) {
      const bound = this.#listeners.get(key);
      if (bound === undefined || bound.length === 0) continue;
      const turn = this.#turn.get(key) ?? 0;
      this.#turn.set(key, turn + 1);
      return bound[turn % bound.length];
    }
    return undefined;
  }

  #establish(dest: Address, listener: MemoryListener): [MemorySocket, MemorySocket] {
    let local: Address | undefined;
    if (dest.transport === "tcp") {
      const port = this.#freePort();
      this.#ref(port);
      local = { transport: "tcp", hostname: isV6(dest.hostname) ? "::1" : "127.0.0.1", port };
    }
    // Unix peers have no address on any runtime (net.ts); the server knows its own path.
    const client = new MemorySocket(this.#env, local, dest.transport === "tcp" ? dest : undefined);
    const server = new MemorySocket(this.#env, dest, local, listener.address, client);
    this.#open.add(client).add(server);
    this.#accepted.add(server);
    return [client, server];
  }

  #unbind(listener: MemoryListener): void {
    const key = keyOf(listener.address);
    const rest = (this.#listeners.get(key) ?? []).filter((l) => l !== listener);
    if (rest.length > 0) this.#listeners.set(key, rest);
    else this.#listeners.delete(key);
    if (listener.address.transport === "tcp") this.#unref(listener.address.port);
  }

  #freePort(): number {
    for (let i = 0; i <= EPHEMERAL_LAST - EPHEMERAL_FIRST; i++) {
      const port = this.#nextPort;
      this.#nextPort = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (!this.#ports.has(port)) return port;
    }
    throw netError("EADDRNOTAVAIL", "memory network: no free ephemeral port");
  }

  #ref(port: number): void {
    this.#ports.set(port, (this.#ports.get(port) ?? 0) + 1);
  }

  #unref(port: number): void {
    const n = (this.#ports.get(port) ?? 1) - 1;
    if (n > 0) this.#ports.set(port, n);
    else this.#ports.delete(port);
  }
}

/** A network of its own: the way tests get one on a `FakeClock` or with small buffers. */
export function createNetwork(options?: MemoryNetworkOptions): MemoryNetwork {
  return new MemoryNetwork(options);
}

/** A shared in-memory network on the system clock; tests usually want {@link createNetwork}. */
export const network: MemoryNetwork = new MemoryNetwork();
