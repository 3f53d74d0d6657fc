/**
 * One server of a backend: its address, weight, limits, administrative and health state,
 * its queue, and its counters.
 *
 * @module
 */
import type { Address } from "./net.ts";
import type { ResolvedServerConfig } from "./config/defaults.ts";
import type { Clock } from "./clock.ts";
import type { AbortCounts, HttpCounts, StreamCounts, TimeCounts } from "./_counters.ts";
import { countIn, newHttpCounts, newStreamCounts, newTimeCounts } from "./_counters.ts";
import { Queue } from "./queue.ts";
import { LastEvent, StateAge } from "./_rates.ts";
import type { CheckView } from "./health.ts";
import type { PoolView, ServerPool } from "./pool.ts";
import type { TlsOrigin } from "./tls/origin.ts";

/**
 * Server states as HAProxy's stats show them (management.txt 9.1, `show stat` field `status`):
 * - `UP`: takes new streams;
 * - `DOWN`: health checks failed; takes nothing;
 * - `MAINT`: administratively disabled (`disabled`); takes nothing, checks stop;
 * - `DRAIN`: out of load balancing (configured weight 0), still checked.
 */
export type ServerState = "UP" | "DOWN" | "MAINT" | "DRAIN";

/**
 * Counters of one server (HAProxy stats names in parentheses); `current` counts the streams
 * holding a slot (connecting or established).
 */
export interface ServerCounters extends StreamCounts, AbortCounts {
  /** When a stream last took a slot on it (`lastsess`: its `age`, -1 if never). */
  readonly lastSession: LastEvent;
  /** Streams that failed to connect after all retries (`econ`). */
  connectErrors: number;
  /** Connect attempts retried on this server (`wretr`). */
  retries: number;
  /** Streams that left this server for another one (`wredis`). */
  redispatches: number;
  /** Times the load balancer chose it (`lbtot`). */
  lbChosen: number;
  /** Highest queue length seen (`qmax`). */
  readonly queueMax: number;
  /** Transitions to DOWN (`chkdown`). */
  downTransitions: number;
  /** HTTP requests and responses by status class (`mode http`). */
  readonly http: HttpCounts;
  /** Queue, connect, response and total time averages of its streams (`qtime`...). */
  readonly times: TimeCounts;
}

/** What a server needs from its configuration (defaults already applied). */
export type ServerSettings =
  & Pick<
    ResolvedServerConfig,
    "name" | "address" | "id" | "weight" | "maxconn" | "maxqueue" | "backup" | "disabled" | "slowstartMs"
  >
  & Partial<Pick<ResolvedServerConfig, "cookie" | "sendProxy" | "transparent" | "mapPorts" | "resolve">>;

/** Whether a state counts in `downtime` (HAProxy's `SRV_ST_STOPPED`: DOWN, and MAINT). */
function isDown(state: ServerState): boolean {
  return state === "DOWN" || state === "MAINT";
}

/** The reason of a resolution MAINT before any answer, as HAProxy logs it. */
const NO_IP = "No IP for server ";

/**
 * What passive health monitoring (`observe layer4|layer7`, configuration.txt 5.2 `observe`)
 * is told about real traffic, HAProxy's `HANA_STATUS_*`: an HTTP status (100-499, 501 and 505
 * count as good, any other as an error), `"conn-ok"` / `"conn-error"` (a connect that succeeded
 * or failed), `"invalid-headers"` / `"invalid-response"` (a response that did not parse),
 * `"read-error"`, `"read-timeout"` (`timeout server` before the response) and
 * `"broken-pipe"` (the server closed before responding). `layer4` only counts the connect
 * outcomes; `layer7` counts everything but `"conn-ok"`.
 */
export type ObservedOutcome =
  | number
  | "conn-ok"
  | "conn-error"
  | "invalid-headers"
  | "invalid-response"
  | "read-error"
  | "read-timeout"
  | "broken-pipe";

/**
 * What the owner of a server (its backend) does when the state changes: election tables and
 * queues are brought up to date, then observers are told, in that one order.
 */
export type ServerTransition = (srv: Server, from: ServerState, reason: string, admin?: AdminChange) => void;

/**
 * An administrative change (the runtime API's `set server ... state`, `enable|disable
 * server`), which HAProxy logs in words of its own: entering or leaving forced maintenance
 * (`maint`, `ready`) or forced drain (`drain`, `undrain`).
 */
export type AdminChange = "maint" | "ready" | "drain" | "undrain";

/** A server as a program sees it: identity, state, live load and counters. */
export interface ServerView {
  /** `server <name>`, unique in its backend. */
  readonly name: string;
  /** Numeric id (`id`), the order of `balance first`. */
  readonly id: number;
  /** A `backup` server: takes streams only when no active server is usable. */
  readonly backup: boolean;
  /** Where its streams are sent. */
  readonly address: Address;
  /** Its state now. */
  readonly state: ServerState;
  /** Effective weight now (0 unless UP; ramps during slowstart). */
  readonly weight: number;
  /** The weight configured or set at run time (HAProxy's uweight, 0..256), whatever the state. */
  readonly userWeight: number;
  /** Connection limit now (ramps during slowstart), 0 = unlimited. */
  readonly maxconn: number;
  /** Slots in use, including those handed to queued streams about to resume (HAProxy `served`). */
  readonly served: number;
  /** Streams waiting in this server's own queue. */
  readonly queued: number;
  /** Its counters. */
  readonly counters: Readonly<ServerCounters>;
  /** Whole seconds since its state last changed, or since it was created (HAProxy's `lastchg`). */
  readonly lastChange: number;
  /**
   * Whole seconds it spent DOWN or in MAINT since it was created, the current spell included
   * (HAProxy's `downtime`, `srv_downtime()`).
   */
  readonly downtime: number;
  /** Its active health check, when it has `check`. */
  readonly check: CheckView | undefined;
  /** Its pool of idle connections in `mode http` (reuse counters), undefined in `mode tcp`. */
  readonly pool: PoolView | undefined;
}

/** Options of {@link Server}. */
export interface ServerOptions {
  /**
   * Whether slowstart ramps the weight as well as maxconn; HAProxy does so only for dynamic
   * algorithms (static-rr and source keep the configured weight).
   * @default true
   */
  readonly rampWeight?: boolean;
  /** The owner's part of a state change (see {@link ServerTransition}). */
  readonly transition?: ServerTransition;
}

/**
 * A server. Implements the load balancer's view (`weight`, `usable`, `served`, `queued`,
 * `maxconn`, `maxqueue`) from its settings and live state.
 */
export class Server implements ServerView {
  /** `server <name>`. */
  readonly name: string;
  /** Numeric id (`id`). */
  readonly id: number;
  /** A `backup` server. */
  readonly backup: boolean;
  /** What it was built from. */
  readonly settings: ServerSettings;
  /** Streams waiting for a slot on this server, oldest first (`srv->queue`). */
  readonly queue: Queue;
  /** Its counters (HAProxy stats names in {@link ServerCounters}). */
  readonly counters: ServerCounters;
  /** Its health checker, set by `createHealthCheckers()` (HAProxy's `srv->check`). */
  check: CheckView | undefined;
  /** Its idle connections in HTTP mode (set by its backend), undefined in TCP mode. */
  pool: ServerPool | undefined;
  /** TLS to the server (`ssl`, set by its backend): each connection's transport; undefined: plain. */
  tls: TlsOrigin | undefined;
  /**
   * Forced drain (`set server B/S state drain`, HAProxy's `SRV_ADMF_FDRAIN`): the server takes
   * no new streams from load balancing even once its checks bring it back up.
   */
  drained = false;
  /**
   * Forced maintenance (`disabled`, `set server B/S state maint`, HAProxy's `SRV_ADMF_FMAINT`),
   * apart from maintenance for lack of an address: the server stays in MAINT while either holds.
   */
  forcedMaint: boolean;
  /** Where {@link observe} reports, set by `createHealthCheckers()` for `observe layer4|layer7`. */
  observer: ((outcome: ObservedOutcome) => void) | undefined;
  #state: ServerState;
  /** Where new connections go; replaced by {@link setAddress}. */
  #address: Address;
  /** Connection limit set by the configuration or at run time (`set maxconn server`), 0 = none. */
  #maxconn: number;
  /**
   * Why the server is in maintenance for lack of an address (HAProxy's `SRV_ADMF_RMAINT`),
   * undefined while it has one; distinct from an administrative MAINT (`disabled`).
   */
  #noAddress: string | undefined;
  /** Weight set by the configuration or at run time (HAProxy's uweight), 0..256. */
  #userWeight: number;
  /** Slots handed to queued streams not yet resumed (HAProxy `served - cur_sess`). */
  #reserved = 0;
  /** When the server last came UP after being down, for slowstart; -1 = at start-up. */
  #upSince = -1;
  readonly #clock: Clock;
  /** When the state last changed, and the time spent DOWN or in MAINT. */
  readonly #age: StateAge;
  /** Slowstart ramps the weight too (dynamic algorithms only, see `isDynamicAlgorithm`). */
  readonly #rampWeight: boolean;
  readonly #transition: ServerTransition | undefined;

  /**
   * A server in its configured state: MAINT when `disabled`, else DRAIN with weight 0, else UP
   * (checks, if any, may take it DOWN later). `clock` times the slowstart ramp.
   */
  constructor(settings: ServerSettings, clock: Clock, options: ServerOptions = {}) {
    this.#rampWeight = options.rampWeight ?? true;
    this.#transition = options.transition;
    const queue = new Queue(this);
    this.queue = queue;
    this.counters = {
      ...newStreamCounts(clock),
      clientAborts: 0,
      serverAborts: 0,
      lastSession: new LastEvent(clock),
      connectErrors: 0,
      retries: 0,
      redispatches: 0,
      lbChosen: 0,
      get queueMax(): number {
        return queue.max;
      },
      downTransitions: 0,
      http: newHttpCounts(clock),
      times: newTimeCounts(),
    };
    this.settings = settings;
    this.name = settings.name;
    this.id = settings.id;
    this.backup = settings.backup;
    this.#address = settings.address;
    this.#maxconn = settings.maxconn;
    this.forcedMaint = settings.disabled;
    this.#userWeight = settings.weight;
    this.#clock = clock;
    // A server found through DNS has no address until its name resolves (`init-addr`).
    this.#noAddress = settings.resolve !== undefined ? NO_IP : undefined;
    this.#state = settings.disabled || this.#noAddress !== undefined ? "MAINT" : settings.weight === 0 ? "DRAIN" : "UP";
    this.#age = new StateAge(clock, isDown(this.#state));
  }

  /** Whole seconds since the state last changed (or since creation), HAProxy's `lastchg`. */
  get lastChange(): number {
    return this.#age.sinceChange;
  }

  /** Whole seconds spent DOWN or in MAINT, the current spell included (HAProxy's `downtime`). */
  get downtime(): number {
    return this.#age.downtime;
  }

  /** Where its streams are sent (see {@link setAddress}). */
  get address(): Address {
    return this.#address;
  }

  /**
   * Replaces the address new connections go to (HAProxy's `srv_update_addr()`: a DNS answer,
   * or `set server addr`): idle pooled connections to the old address are closed; streams in
   * progress keep their connection.
   */
  setAddress(address: Address): void {
    this.#address = address;
    this.pool?.clear();
  }

  /**
   * Why the server is in maintenance for lack of an address (`No IP for server`, `DNS timeout
   * status`...), or undefined while it has one.
   */
  get resolutionMaint(): string | undefined {
    return this.#noAddress;
  }

  /**
   * Enters (a reason) or leaves (`undefined`) maintenance for lack of an address, as HAProxy's
   * resolution MAINT (`SRV_ADMF_RMAINT`): leaving it brings the server back UP (DRAIN with
   * weight 0) unless it is also administratively in maintenance (`disabled`).
   */
  setResolutionMaint(reason: string | undefined): void {
    const was = this.#noAddress;
    this.#noAddress = reason;
    if (reason !== undefined) {
      if (was === undefined) this.setState("MAINT", reason);
      return;
    }
    if (was === undefined || this.#state !== "MAINT" || this.forcedMaint) return;
    this.setState(this.upState, "resolves again");
  }

  /**
   * Whether a connection made to `dst` may go back to this server's pool: not once
   * {@link setAddress} moved the server (compared by identity: {@link destination} hands out
   * the address object itself), always for a server that follows the client.
   */
  leadsTo(dst: Address | undefined): boolean {
    return this.followsClient || dst === this.#address;
  }

  /** The configured (or last set) connection limit, without the slowstart ramp; 0 = unlimited. */
  get maxconnLimit(): number {
    return this.#maxconn;
  }

  /** Sets the connection limit at run time (`set maxconn server`), 0 = unlimited. */
  setMaxconn(n: number): void {
    this.#maxconn = n;
  }

  /** The user weight (HAProxy's uweight, 0..256): configured, or set at run time. */
  get userWeight(): number {
    return this.#userWeight;
  }

  /**
   * Where a stream elected on this server connects (HAProxy's `alloc_dst_address()`): the
   * configured address; for a transparent server (`0.0.0.0` / `::`, the seed's second case)
   * the address the client connected to (from its PROXY header, a `set-dst` rule, or the
   * local address it was accepted on), with the server's port when it has one; with
   * `mapPorts`, the client's destination port plus the offset. `undefined` when the client's
   * destination is needed and is not a TCP address (a Unix socket client).
   */
  destination(client: { readonly dst: Address | undefined } | undefined): Address | undefined {
    const s = this.settings;
    if (s.transparent !== true && s.mapPorts === undefined) return this.address;
    const a = this.address;
    if (a.transport !== "tcp") return a;
    // Read only here: the client's local address costs a system call on some runtimes.
    const clientDst = client?.dst;
    if (clientDst?.transport !== "tcp") return undefined;
    const port = s.mapPorts !== undefined ? clientDst.port + s.mapPorts : a.port !== 0 ? a.port : clientDst.port;
    if (port <= 0 || port > 65535) return undefined;
    return { transport: "tcp", hostname: s.transparent === true ? clientDst.hostname : a.hostname, port };
  }

  /** Whether streams' destinations depend on the client (transparent, or mapped ports). */
  get followsClient(): boolean {
    return this.settings.transparent === true || this.settings.mapPorts !== undefined;
  }

  /** `cookie <value>`: what the backend's persistence cookie holds for this server, if any. */
  get cookie(): string | undefined {
    return this.settings.cookie;
  }

  /**
   * Reports one outcome of real traffic to passive health monitoring (HAProxy's
   * `health_adjust()`); nothing happens without `observe` and `check`. The HTTP mux calls it
   * with each response's status (`observe layer7`) and with `"conn-error"`, `"read-timeout"`,
   * `"broken-pipe"`... on failures; not for streams on a reused server connection, whose errors
   * HAProxy does not count.
   */
  observe(outcome: ObservedOutcome): void {
    this.observer?.(outcome);
  }

  /** The state this server takes when it is (or comes) up: DRAIN when drained or its weight is 0, else UP. */
  get upState(): ServerState {
    return this.drained || this.#userWeight === 0 ? "DRAIN" : "UP";
  }

  /** Current state. */
  get state(): ServerState {
    return this.#state;
  }

  /**
   * Changes state, with the reason worded as HAProxy logs it (or the administrative change
   * that made it); the owner (the backend) then updates election and queues and tells observers. Coming back UP starts the slowstart ramp
   * (not at start-up, as HAProxy).
   */
  setState(next: ServerState, reason = "", admin?: AdminChange): void {
    const from = this.#state;
    if (from === next) return;
    this.#state = next;
    this.#age.change(isDown(next));
    if (next === "UP") this.#upSince = this.#clock.now();
    if (next === "DOWN") this.counters.downTransitions++;
    this.#transition?.(this, from, reason, admin);
  }

  /** Sets the user weight (0..256) at run time. */
  setWeight(w: number): void {
    this.#userWeight = w;
  }

  /**
   * Where the slowstart ramp stands, in whole seconds as HAProxy counts it (`now.tv_sec -
   * last_change`, and `slowstart` rounded up to seconds); undefined when no ramp runs (at
   * start-up, without slowstart, or once it is over).
   */
  #ramp(): { elapsed: number; total: number } | undefined {
    const ss = this.settings.slowstartMs;
    if (ss <= 0 || this.#upSince < 0) return undefined;
    const total = Math.ceil(ss / 1000);
    const elapsed = Math.floor(this.#clock.now() / 1000) - Math.floor(this.#upSince / 1000);
    return elapsed < 0 || elapsed >= total ? undefined : { elapsed, total };
  }

  /**
   * Effective weight for load balancing: 0 unless UP. During slowstart (dynamic algorithms)
   * it climbs in 1/16ths of the user weight, from 1/16 when the server comes back UP, as
   * HAProxy's `server_recalc_eweight()`: factor `(16 × elapsed + slowstart) / slowstart`.
   */
  get weight(): number {
    if (this.#state !== "UP" || this.#userWeight === 0) return 0;
    const r = this.#rampWeight ? this.#ramp() : undefined;
    if (r === undefined) return this.#userWeight;
    return (this.#userWeight * Math.floor((16 * r.elapsed + r.total) / r.total)) / 16;
  }

  /** May receive new streams from the load balancer. */
  get usable(): boolean {
    return this.weight > 0;
  }

  /**
   * Streams holding a slot (HAProxy `served`): those counted in `counters.current` (HAProxy
   * `cur_sess`, what `%sc` logs) plus slots handed to queued streams that have not resumed
   * yet. The difference matters for the log: the stream whose end freed the slot logs before
   * its successor starts, as in HAProxy.
   */
  get served(): number {
    return this.counters.current + this.#reserved;
  }

  /** Streams in this server's own queue (HAProxy `queueslength`). */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Current connection limit, 0 = unlimited. During slowstart (every algorithm) it ramps as
   * HAProxy's `srv_dynamic_maxconn()`: `max(1, maxconn × ratio / 100)` with `ratio` the whole
   * percentage of the ramp done (configuration.txt 5.2 `slowstart`).
   */
  get maxconn(): number {
    const m = this.#maxconn;
    if (m === 0) return 0;
    const r = this.#ramp();
    if (r === undefined) return m;
    return Math.max(1, Math.floor((m * Math.floor((100 * r.elapsed) / r.total)) / 100));
  }

  /** Queue limit, 0 = unlimited. */
  get maxqueue(): number {
    return this.settings.maxqueue;
  }

  /** True when a new stream would exceed `maxconn`. */
  get full(): boolean {
    const m = this.maxconn;
    return m > 0 && this.served >= m;
  }

  /** Accounts a stream taking a slot on this server. */
  take(): void {
    const now = this.#clock.now();
    countIn(this.counters, now);
    this.counters.lastSession.mark(now);
  }

  /** Hands a freed slot to a queued stream, which {@link claim}s it when it resumes. */
  reserve(): void {
    this.#reserved++;
  }

  /** The queued stream given a slot by {@link reserve} now uses it. */
  claim(): void {
    this.#reserved--;
    this.take();
  }

  /** Accounts a stream leaving its slot. */
  release(): void {
    this.counters.current--;
  }
}
