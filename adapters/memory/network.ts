/**
 * The in-memory network itself: addresses as keys, listeners, faults and probes. The model is
 * described in `adapters/memory.ts`; one end of a connection is `socket.ts`.
 *
 * @module
 */
import { watchCancel } from "../_cancel.ts";
import type {
  Address,
  ConnectOptions,
  DatagramOptions,
  DatagramSocket,
  Listener,
  ListenOptions,
  NetCapabilities,
  Network,
  Socket,
} from "../../src/net.ts";
import { type Clock, systemClock, type Timer } from "../../src/clock.ts";
import { describeAddress } from "../_address.ts";
import { netError } from "../_errors.ts";
import { ipLiteral } from "../_resolve_literal.ts";
import { highWaterMarkBytes, integerOption } from "../_options.ts";
import { type Fault, isV6, keyFor, keyOf, latencyMs, MemoryListener, normalize, overlaps } from "./addresses.ts";
import {
  CAPABILITIES,
  DEFAULT_BUFFER_BYTES,
  DEFAULT_MAX_CHUNK_BYTES,
  type MemoryNetworkOptions,
  NO_TLS,
} from "./options.ts";
import { type Env, MemorySocket } from "./socket.ts";
import { MemoryDatagrams } from "./datagram.ts";

/** Linux `net.ipv4.ip_local_port_range`. */
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;

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
  /** Always `"memory"`. */
  readonly name = "memory";
  /** No TLS; everything else is modelled (`notes` says why TLS is missing). */
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
  /** The static name table of {@link resolve}, lowercase names. */
  #hosts = new Map<string, readonly string[]>();
  readonly #datagrams = new MemoryDatagrams();

  /**
   * A network of its own on `options.clock`.
   * @throws {RangeError} when a size or the latency is not a valid number.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#defaultLatency = latencyMs("MemoryNetwork: connectLatencyMs", options.connectLatencyMs ?? 0);
    this.#env = {
      bufferBytes: integerOption("bufferBytes", options.bufferBytes, DEFAULT_BUFFER_BYTES, 1),
      highWater: highWaterMarkBytes(options),
      maxChunk: integerOption("maxChunkBytes", options.maxChunkBytes, DEFAULT_MAX_CHUNK_BYTES, 1),
      released: (s) => {
        this.#open.delete(s);
        this.#accepted.delete(s);
        if (s.listenerAddress === undefined && s.localAddress?.transport === "tcp") this.#unref(s.localAddress.port);
      },
    };
    for (const [name, addrs] of Object.entries(options.hosts ?? {})) this.setHost(name, addrs);
  }

  /**
   * Adds (or replaces, or with an empty list removes) a name of the static table
   * {@link resolve} reads; names are matched in any case.
   * @throws {TypeError} when an entry is not an IP literal.
   */
  setHost(name: string, addresses: readonly string[]): void {
    for (const a of addresses) {
      if (ipLiteral(a) !== a) throw new TypeError(`MemoryNetwork.setHost: '${a}' is not an IP literal`);
    }
    if (addresses.length === 0) this.#hosts.delete(name.toLowerCase());
    else this.#hosts.set(name.toLowerCase(), [...addresses]);
  }

  /**
   * An IP literal resolves to itself; a name to its entry in the static table (`hosts`,
   * {@link setHost}); anything else rejects with `ENOTFOUND`. Never asks a real resolver.
   */
  resolve(hostname: string): Promise<string[]> {
    const literal = ipLiteral(hostname);
    if (literal !== undefined) return Promise.resolve([literal]);
    const found = this.#hosts.get(hostname.toLowerCase());
    if (found === undefined) {
      return Promise.reject(netError("ENOTFOUND", `memory network: no address for '${hostname}'`));
    }
    return Promise.resolve([...found]);
  }

  /**
   * A UDP socket of this network (`datagram.ts`): datagrams reach the socket bound to their
   * destination, or are dropped silently when none is.
   */
  openDatagram(options: DatagramOptions): Promise<DatagramSocket> {
    return this.#datagrams.open(options);
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
        if (clash && !shared) {
          throw netError("EADDRINUSE", `memory network: ${describeAddress(address)} is already in use`);
        }
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
   * Connects after the destination's latency. An aborted `signal` (or a call of the canceller
   * left in `cancel`) rejects with `ECANCELED` and, when the connect had not arrived yet, the
   * listener never hears of it.
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
    const canceled = () =>
      netError("ECANCELED", `memory network: connect to ${describeAddress(dest)} aborted`, signal?.reason);
    if (signal?.aborted) return Promise.reject(canceled());
    const key = keyOf(dest);
    this.#attempts.set(key, (this.#attempts.get(key) ?? 0) + 1);
    return new Promise<Socket>((resolve, reject) => {
      let timer: Timer | undefined;
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        unwatch();
        this.clock.clearTimer(timer);
        reject(canceled());
      };
      const arrive = () => {
        if (settled) return;
        const fault = this.#lookup(this.#faults, dest);
        if (fault === "blackhole") return; // only the signal ends it
        settled = true;
        unwatch();
        if (fault !== undefined) {
          return reject(netError(fault, `memory network: connect to ${describeAddress(dest)}: ${fault}`));
        }
        const listener = this.#route(dest);
        if (listener === undefined) {
          const code = dest.transport === "unix" ? "ENOENT" : "ECONNREFUSED";
          return reject(netError(code, `memory network: connect to ${describeAddress(dest)}: ${code}`));
        }
        let client: MemorySocket, server: MemorySocket;
        try {
          [client, server] = this.#establish(dest, listener);
        } catch (err) {
          return reject(err); // no free local port
        }
        if (options.noDelay !== undefined) client.setNoDelay(options.noDelay);
        // The preamble is the connection's first bytes, ahead of any write of the owner.
        if (options.preamble !== undefined) client.write(options.preamble);
        resolve(client);
        listener.onAccept(server);
      };
      const unwatch = watchCancel(options, onAbort);
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
