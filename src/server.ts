/**
 * One server of a backend: its address, weight, limits, administrative and health state,
 * its queue, and its counters.
 *
 * @module
 */
import type { Address } from "./net.ts";
import type { ResolvedServerConfig } from "./config/defaults.ts";
import type { Clock } from "./clock.ts";
import { countIn, newStreamCounts, type StreamCounts } from "./_counters.ts";

/**
 * Server states as HAProxy's stats show them (management.txt §9.1):
 * - `UP`: takes new streams;
 * - `DOWN`: health checks failed; takes nothing;
 * - `MAINT`: administratively disabled (`disabled`); takes nothing, checks stop;
 * - `DRAIN`: out of load balancing (weight 0 or admin drain), still checked.
 */
export type ServerState = "UP" | "DOWN" | "MAINT" | "DRAIN";

/**
 * Counters of one server (HAProxy stats names in parentheses); `current` counts the streams
 * holding a slot (connecting or established).
 */
export interface ServerCounters extends StreamCounts {
  /** Streams that failed to connect after all retries (`econ`). */
  connectErrors: number;
  /** Connect attempts retried on this server (`wretr`). */
  retries: number;
  /** Streams that left this server for another one (`wredis`). */
  redispatches: number;
  /** Times the load balancer chose it (`lbtot`). */
  lbChosen: number;
  /** Highest queue length seen (`qmax`). */
  queueMax: number;
  /** Transitions to DOWN (`chkdown`). */
  downTransitions: number;
}

/** What a server needs from its configuration (defaults already applied). */
export type ServerSettings = Pick<
  ResolvedServerConfig,
  "name" | "address" | "id" | "weight" | "maxconn" | "maxqueue" | "backup" | "disabled" | "slowstartMs"
>;

/** A waiter in a queue: resolved with `true` when given a slot, `false` when removed. */
export interface QueueEntry {
  /** Clock time the stream entered the queue. */
  readonly since: number;
  /** Called once, with the server that gives the slot, or `undefined` when the wait ends otherwise. */
  readonly wake: (server: Server | undefined) => void;
}

/**
 * A server. Implements the load balancer's view (`weight`, `usable`, `served`, `queued`,
 * `maxconn`, `maxqueue`) from its settings and live state.
 */
export class Server {
  readonly name: string;
  readonly id: number;
  readonly backup: boolean;
  readonly address: Address;
  readonly settings: ServerSettings;
  /** Streams waiting for a slot on this server, oldest first. */
  readonly queue: QueueEntry[] = [];
  /**
   * Streams this server's queue gave a slot to so far (HAProxy `srv->queue_idx`): the
   * backend counts queue positions for the log with it.
   */
  queueHandedOut = 0;
  /**
   * Streams this server took from the backend queue when it last came UP (HAProxy's
   * `xferred`, "N sessions requeued" in its state line).
   */
  requeued = 0;
  readonly counters: ServerCounters = {
    ...newStreamCounts(),
    connectErrors: 0,
    retries: 0,
    redispatches: 0,
    lbChosen: 0,
    queueMax: 0,
    downTransitions: 0,
  };
  #state: ServerState;
  /** Weight set by the configuration or at run time (HAProxy's uweight), 0..256. */
  #userWeight: number;
  /** Slots handed to queued streams not yet resumed (HAProxy `served - cur_sess`). */
  #reserved = 0;
  /** When the server last came UP after being down, for slowstart; -1 = at start-up. */
  #upSince = -1;
  readonly #clock: Clock;
  /** Slowstart ramps the weight too (dynamic algorithms only, see `isDynamicAlgorithm`). */
  readonly #rampWeight: boolean;
  /** Observers of state changes (health module, logs). */
  readonly #listeners: ((srv: Server, from: ServerState, reason: string) => void)[] = [];

  /**
   * `rampWeight`: whether slowstart ramps the weight as well as maxconn; HAProxy does so only
   * for dynamic algorithms (static-rr and source keep the configured weight). @default true
   */
  constructor(settings: ServerSettings, clock: Clock, options: { rampWeight?: boolean } = {}) {
    this.#rampWeight = options.rampWeight ?? true;
    this.settings = settings;
    this.name = settings.name;
    this.id = settings.id;
    this.backup = settings.backup;
    this.address = settings.address;
    this.#userWeight = settings.weight;
    this.#clock = clock;
    this.#state = settings.disabled ? "MAINT" : settings.weight === 0 ? "DRAIN" : "UP";
  }

  /** Current state. */
  get state(): ServerState {
    return this.#state;
  }

  /**
   * Changes state and notifies observers with the reason (worded as HAProxy logs it). Coming
   * back UP starts the slowstart ramp (not at start-up, as HAProxy).
   */
  setState(next: ServerState, reason = ""): void {
    const from = this.#state;
    if (from === next) return;
    this.#state = next;
    if (next === "UP") this.#upSince = this.#clock.now();
    if (next === "DOWN") this.counters.downTransitions++;
    for (const l of this.#listeners) l(this, from, reason);
  }

  /** Registers a state-change observer. */
  onStateChange(fn: (srv: Server, from: ServerState, reason: string) => void): void {
    this.#listeners.push(fn);
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

  /** Streams in this server's own queue. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Current connection limit, 0 = unlimited. During slowstart (every algorithm) it ramps as
   * HAProxy's `srv_dynamic_maxconn()`: `max(1, maxconn × ratio / 100)` with `ratio` the whole
   * percentage of the ramp done (HAPROXY.md §2).
   */
  get maxconn(): number {
    const m = this.settings.maxconn;
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
    countIn(this.counters);
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
