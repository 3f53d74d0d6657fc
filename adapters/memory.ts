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
import type { Address, ConnectOptions, Listener, ListenOptions, NetCapabilities, Network, Socket } from "../src/net.ts";
import { type Clock, systemClock, type Timer } from "../src/clock.ts";
import { netError } from "./_errors.ts";
import { type Env, MemorySocket } from "./_memory_socket.ts";

export { MemorySocket };

/** Receive buffer per direction: the order of a Linux loopback socket's receive buffer. */
const DEFAULT_BUFFER_BYTES = 256 * 1024;
/** As Node's `writableHighWaterMark`. */
const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024;
/** As the read size of the runtimes' socket loops. */
const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;
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
    ["tlsClient", "tlsServer", "tlsSniMultiCert", "tlsServerClientAuth", "tlsServerUpgrade", "tlsPeerInfo"].map((
      k,
    ) => [k, NO_TLS]),
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
  a.transport === "unix"
    ? `unix:${a.path}`
    : isV6(a.hostname)
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;

/** Validates an address and copies it, without IPv6 brackets. */
function normalize(a: Address): Address {
  if (a.transport === "unix") {
    if (typeof a.path !== "string" || a.path === "") {
      throw new TypeError(`memory network: bad unix path ${JSON.stringify(a.path)}`);
    }
    return { transport: "unix", path: a.path };
  }
  if (a.transport !== "tcp") throw new TypeError(`memory network: unknown transport ${JSON.stringify(a)}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new RangeError(`memory network: port must be 0..65535, got ${a.port}`);
  }
  const hostname = a.hostname.startsWith("[") && a.hostname.endsWith("]") ? a.hostname.slice(1, -1) : a.hostname;
  return { transport: "tcp", hostname, port: a.port };
}

/** The map key of an address given by the caller. */
const keyFor = (a: Address): string => keyOf(normalize(a));

/** Two listeners on one port collide on the same host, or when one is a wildcard covering the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || a === "::" || b === "::" || (a === "0.0.0.0" && !isV6(b)) || (b === "0.0.0.0" && !isV6(a));
}

/** Checks a connect latency in milliseconds; `name` says where it came from in the error. */
function latencyMs(name: string, ms: number): number {
  if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`${name} must be >= 0, got ${ms}`);
  return ms;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`MemoryNetwork: ${name} must be an integer >= ${min}, got ${v}`);
  }
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
    this.#defaultLatency = latencyMs("MemoryNetwork: connectLatencyMs", options.connectLatencyMs ?? 0);
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
      const key = keyOf(address);
      const reusePort = options.reusePort ?? false;
      for (const [k, bound] of this.#listeners) {
        const b = bound[0]?.address;
        if (b === undefined) continue;
        // The same address clashes unless every listener on it uses reusePort; a wildcard
        // host also clashes with the other hosts on its port.
        const clash = k === key ||
          (b.transport === "tcp" && address.transport === "tcp" && b.port === address.port &&
            overlaps(b.hostname, address.hostname));
        const shared = k === key && reusePort && bound.every((l) => l.reusePort);
        if (clash && !shared) throw netError("EADDRINUSE", `memory network: ${show(address)} is already in use`);
      }
      const listener = new MemoryListener(address, options, (l) => this.#unbind(l));
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
    this.#faults.set(keyFor(address), "ECONNREFUSED");
  }

  /** Fault: connects to `address` never complete; only their `signal` ends them (`ECANCELED`). */
  blackhole(address: Address): void {
    this.#faults.set(keyFor(address), "blackhole");
  }

  /** Fault: connects to `address` fail with `code`, as when a router says there is no route. */
  unreachable(address: Address, code: "EHOSTUNREACH" | "ENETUNREACH" = "EHOSTUNREACH"): void {
    this.#faults.set(keyFor(address), code);
  }

  /**
   * Clears the fault set by {@link refuse}, {@link blackhole} or {@link unreachable} on exactly
   * this address (all of them without an address). Connects already swallowed by a blackhole
   * stay pending until their signal aborts them.
   */
  restore(address?: Address): void {
    if (address === undefined) this.#faults.clear();
    else this.#faults.delete(keyFor(address));
  }

  /**
   * Sets the connect latency to `address` in milliseconds (clock time); `undefined` goes back
   * to `connectLatencyMs`. A refusal or unreachable error also arrives after it.
   * @throws {RangeError} if `ms` is negative or not finite.
   */
  setLatency(address: Address, ms: number | undefined): void {
    const key = keyFor(address);
    if (ms === undefined) this.#latency.delete(key);
    else this.#latency.set(key, latencyMs("MemoryNetwork.setLatency: ms", ms));
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
    const key = keyFor(address);
    return [...this.#accepted].filter((s) =>
      (s.listenerAddress !== undefined && keyOf(s.listenerAddress) === key) ||
      (s.localAddress !== undefined && keyOf(s.localAddress) === key)
    );
  }

  /** Listeners bound on exactly `address` (more than one with `reusePort`), or in all. */
  listenerCount(address?: Address): number {
    if (address !== undefined) return this.#listeners.get(keyFor(address))?.length ?? 0;
    return [...this.#listeners.values()].reduce((n, bound) => n + bound.length, 0);
  }

  /**
   * Connects tried to exactly `address` (as given to `connect`), or in all; a connect whose
   * signal was aborted before the call is not counted.
   */
  connectAttempts(address?: Address): number {
    if (address !== undefined) return this.#attempts.get(keyFor(address)) ?? 0;
    return [...this.#attempts.values()].reduce((n, v) => n + v, 0);
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
