/**
 * A backend: its servers, their election, the backend queue, and the connect loop of the
 * seed (retry on the same server keeping the connection and its destination; redispatch by
 * clearing it), with HAProxy's rules (HAPROXY.md §1-3, backend.c `back_handle_st_cer()`,
 * stream.h `stream_choose_redispatch()`).
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { countIn, countOut, newStreamCounts, type StreamCounts } from "./_counters.ts";
import type { Network, Socket } from "./net.ts";
import { CO_FL, RAW } from "./connection.ts";
import type { StreamInterface } from "./stream_interface.ts";
import { type QueueEntry, Server, type ServerSettings } from "./server.ts";
import type { Balancer } from "./balance/types.ts";
import { createBalancer, isDynamicAlgorithm } from "./balance/mod.ts";
import type { BalanceAlgorithm } from "./config/types.ts";

/** Turn-around delay cap between two connects to the same server (HAProxy: one second). */
export const TURNAROUND_MAX_MS = 1000;

/** Backend settings with defaults applied (see `src/config/defaults.ts`). */
export interface BackendSettings {
  readonly name: string;
  readonly balance: BalanceAlgorithm;
  readonly retries: number;
  /** 0 off; -1 last retry; P > 0 every Pth retry; N < 0 the Nth before last. */
  readonly redispatch: number;
  readonly allBackups: boolean;
  readonly connectTimeoutMs: number | undefined;
  readonly queueTimeoutMs: number | undefined;
  readonly serverTimeoutMs: number | undefined;
  readonly tunnelTimeoutMs: number | undefined;
  readonly servers: readonly ServerSettings[];
}

/** Counters of one backend (HAProxy stats names in parentheses). */
export interface BackendCounters extends StreamCounts {
  // `current` includes queued streams (log `%bc`).
  /** Streams that failed to connect after all retries (`econ`). */
  connectErrors: number;
  retries: number;
  redispatches: number;
  /** Streams refused because no server was usable or a queue was full or timed out. */
  failed: number;
  /** Streams in the backend queue now (`qcur`), and the most seen (`qmax`). */
  queueCurrent: number;
  queueMax: number;
}

/**
 * What the connect loop reads and writes on a stream: its server-side interface, the chosen
 * server, retry bookkeeping for the log, and an abort signal raised when the client leaves.
 */
export interface ConnectTarget {
  readonly back: StreamInterface;
  /** Raised when the client goes away: the loop stops with a `C` termination. */
  readonly signal: AbortSignal;
  /** Source address key for `balance source`. */
  readonly sourceKey: string | undefined;
  server: Server | undefined;
  /** HAProxy's conn_retries (log `%rc`). */
  retries: number;
  /** Set once a redispatch moved the stream to another server (log `+` before `%rc`). */
  redispatched: boolean;
  /** Time spent in queues, ms (log `%Tw`). */
  queueMs: number;
  /** Whether the stream holds a slot on `server` (counted in its `served`). Managed here. */
  holdsSlot: boolean;
  /** Queue positions seen (log `%sq`/`%bq`). */
  serverQueuePos: number;
  backendQueuePos: number;
}

/**
 * How the connect loop ended when it did not establish: the two termination characters
 * of HAProxy's log (`SC`, `sC`, `SQ`, `sQ`, `CC`, `CQ`).
 */
export type ConnectFailure = "SC" | "sC" | "SQ" | "sQ" | "CC" | "CQ";

/** Observes layer-4 outcomes of real traffic (`observe layer4`), set by the health module. */
export type L4Observer = (server: Server, ok: boolean) => void;

/** A backend at run time. */
export class Backend {
  readonly name: string;
  readonly settings: BackendSettings;
  readonly servers: readonly Server[];
  /** Streams waiting for any server, oldest first. */
  readonly queue: QueueEntry[] = [];
  readonly counters: BackendCounters = {
    ...newStreamCounts(),
    connectErrors: 0,
    retries: 0,
    redispatches: 0,
    failed: 0,
    queueCurrent: 0,
    queueMax: 0,
  };
  /** Set by the health module for `observe layer4`. */
  observeL4: L4Observer | undefined;
  readonly #balancer: Balancer;
  /** Streams the backend queue gave a slot to so far (HAProxy `px->queue_idx`). */
  #queueHandedOut = 0;
  readonly #clock: Clock;
  readonly #net: Network;

  constructor(settings: BackendSettings, net: Network, clock: Clock, random?: () => number) {
    this.name = settings.name;
    this.settings = settings;
    this.#clock = clock;
    this.#net = net;
    const rampWeight = isDynamicAlgorithm(settings.balance.kind);
    this.servers = settings.servers.map((s) => new Server(s, clock, { rampWeight }));
    this.#balancer = createBalancer(settings.balance, this.servers, {
      allBackups: settings.allBackups,
      ...(random !== undefined ? { random } : {}),
    });
    for (const s of this.servers) {
      s.onStateChange((srv) => {
        this.#balancer.update();
        if (srv.state === "UP") this.#grabFromBackendQueue(srv);
      });
    }
  }

  /** Finds a server by name. */
  server(name: string): Server | undefined {
    return this.servers.find((s) => s.name === name);
  }

  /** Active (non-backup) servers that can take traffic (HAProxy's srv_act). */
  get activeServers(): number {
    let n = 0;
    for (const s of this.servers) if (!s.backup && s.usable) n++;
    return n;
  }

  /** Accounts a stream entering the backend (before election). */
  enter(): void {
    countIn(this.counters);
  }

  /** Accounts a stream leaving the backend, releasing its server slot if it holds one. */
  leave(t: ConnectTarget, bytesIn: number, bytesOut: number): void {
    countOut(this.counters, bytesIn, bytesOut);
    const srv = t.server;
    if (srv !== undefined) {
      srv.counters.bytesIn += bytesIn;
      srv.counters.bytesOut += bytesOut;
      if (t.holdsSlot) this.#releaseSlot(t);
    }
  }

  /**
   * Walks the server side from REQ to EST: election, queue, connect with retries and
   * redispatch. Resolves with the socket, or with the termination code when it gives up.
   */
  async connect(t: ConnectTarget): Promise<Socket | ConnectFailure> {
    const si = t.back;
    const s = this.settings;
    let avoid: Server | undefined;
    si.setState("REQ");
    for (;;) {
      if (t.signal.aborted) return this.#abandon(t, si.state === "QUE" ? "CQ" : "CC");
      if (si.state === "REQ") {
        const r = await this.#assign(t, avoid);
        if (r !== undefined) return r;
        continue;
      }
      // ASS: the seed's connect side. The connection is attached on first need and keeps its
      // destination across retries; it was cleared (not freed) if we came back from REQ.
      const srv = t.server!;
      const conn = si.ensureConn();
      if ((conn.flags & CO_FL.ADDR_TO_SET) === 0) {
        conn.setDst(srv.address);
        conn.prepareCtrl(this.#net);
        conn.prepareXprt(RAW);
      }
      si.setState("CON");
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      t.signal.addEventListener("abort", onAbort);
      let timedOut = false;
      const timer = s.connectTimeoutMs === undefined ? undefined : this.#clock.setTimer(() => {
        timedOut = true;
        ac.abort();
      }, s.connectTimeoutMs);
      try {
        const socket = await conn.connect(ac.signal);
        this.observeL4?.(srv, true);
        si.setState("EST");
        return socket;
      } catch {
        si.setState("CER");
      } finally {
        this.#clock.clearTimer(timer);
        t.signal.removeEventListener("abort", onAbort);
      }
      if (t.signal.aborted) return this.#abandon(t, "CC");
      this.observeL4?.(srv, false);
      // back_handle_st_cer(): give up once `retries` retries were made.
      if (t.retries >= s.retries) {
        srv.counters.connectErrors++;
        this.counters.connectErrors++;
        return this.#abandon(t, timedOut ? "sC" : "SC");
      }
      t.retries++;
      if (this.#shouldRedispatch(t, srv)) {
        // Redispatch: release the slot, forget the destination, elect again avoiding srv.
        this.#releaseSlot(t);
        conn.clear();
        avoid = srv;
        si.setState("REQ");
        continue;
      }
      srv.counters.retries++;
      this.counters.retries++;
      // Turn-around only after an asynchronous error (not a timeout), staying on this server.
      if (!timedOut) {
        si.setState("TAR");
        const delay = Math.min(s.connectTimeoutMs ?? TURNAROUND_MAX_MS, TURNAROUND_MAX_MS);
        if (!(await this.#sleep(delay, t.signal))) return this.#abandon(t, "CC");
      }
      si.setState("ASS");
    }
  }

  /** stream_choose_redispatch(): whether this retry goes to another server. */
  #shouldRedispatch(t: ConnectTarget, srv: Server): boolean {
    const every = this.settings.redispatch;
    if (every === 0) return false;
    if (!srv.usable) return true;
    if (every > 0 && t.retries % every === 0) return true;
    if (every < 0 && t.retries % (this.settings.retries + 1 + every) === 0) return true;
    // Not persistent and not hashed: "we don't care about this particular server".
    return this.activeServers > 1 && this.settings.balance.kind !== "source";
  }

  /**
   * REQ: elects a server and takes a slot on it (→ ASS), or queues (→ QUE, then ASS when a
   * slot is given), or fails. Returns a failure code, or undefined to go on with the loop.
   */
  async #assign(t: ConnectTarget, avoid: Server | undefined): Promise<ConnectFailure | undefined> {
    const si = t.back;
    const picked = this.#balancer.pick({
      ...(avoid !== undefined ? { avoid } : {}),
      ...(t.sourceKey !== undefined ? { sourceAddress: t.sourceKey } : {}),
      backendQueued: this.queue.length,
      backendConns: this.counters.current,
    }) as Server | undefined;
    if (picked === undefined && !this.#balancer.hasUsableServer()) {
      this.counters.failed++;
      return this.#abandon(t, "SC");
    }
    if (picked !== undefined && !picked.full) {
      picked.take();
      this.#bind(t, picked);
      si.setState("ASS");
      return undefined;
    }
    // Queue on the picked (hashed) server, or in the backend queue when none has a slot. A
    // stream queued on a server is assigned to it already (HAProxy SF_ASSIGNED): its log line
    // names that server even if the queue is full or times out.
    const queue = picked !== undefined ? picked.queue : this.queue;
    if (picked !== undefined) this.#target(t, picked);
    if (picked !== undefined && picked.maxqueue > 0 && picked.queue.length >= picked.maxqueue) {
      this.counters.failed++;
      return this.#abandon(t, "SQ");
    }
    si.setState("QUE");
    const since = this.#clock.now();
    const given = await this.#wait(queue, since, t, picked);
    t.queueMs += this.#clock.now() - since;
    if (given === "timeout") {
      this.counters.failed++;
      return this.#abandon(t, "sQ");
    }
    if (given === undefined) return this.#abandon(t, "CQ");
    given.claim();
    this.#bind(t, given);
    si.setState("ASS");
    return undefined;
  }

  /** Records the stream on `srv`, whose slot was already taken (by the caller or the dequeuer). */
  #bind(t: ConnectTarget, srv: Server): void {
    this.#target(t, srv);
    t.holdsSlot = true;
  }

  /** Makes `srv` the stream's server, counting the election and a redispatch away from another. */
  #target(t: ConnectTarget, srv: Server): void {
    const prev = t.server;
    if (prev !== undefined && prev !== srv) {
      prev.counters.redispatches++;
      this.counters.redispatches++;
      t.redispatched = true;
    }
    if (prev !== srv) srv.counters.lbChosen++;
    t.server = srv;
  }

  /**
   * Waits in `queue` (of `srv`, or the backend's) until a slot is given, the queue timeout
   * strikes or the client leaves. On leaving, the stream's `%sq`/`%bq` grows as HAProxy's
   * `__pendconn_unlink()` counts it: 1 + the streams this queue handed a slot to meanwhile.
   */
  #wait(
    queue: QueueEntry[],
    since: number,
    t: ConnectTarget,
    srv: Server | undefined,
  ): Promise<Server | undefined | "timeout"> {
    const signal = t.signal;
    const handedOut = () => (srv !== undefined ? srv.queueHandedOut : this.#queueHandedOut);
    // HAProxy's `queue_idx - 1`: "being at the first position in the queue reports 1".
    const idx0 = handedOut() - 1;
    return new Promise((resolve) => {
      let timer: ReturnType<Clock["setTimer"]> | undefined;
      const done = (v: Server | undefined | "timeout") => {
        if (srv !== undefined) t.serverQueuePos += handedOut() - idx0;
        else t.backendQueuePos += handedOut() - idx0;
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        if (queue === this.queue) this.counters.queueCurrent = queue.length;
        this.#clock.clearTimer(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const entry: QueueEntry = { since, wake: (s) => done(s) };
      const onAbort = () => done(undefined);
      const ms = this.settings.queueTimeoutMs;
      if (ms !== undefined) timer = this.#clock.setTimer(() => done("timeout"), ms);
      signal.addEventListener("abort", onAbort);
      queue.push(entry);
      if (queue === this.queue) {
        this.counters.queueCurrent = queue.length;
        if (queue.length > this.counters.queueMax) this.counters.queueMax = queue.length;
      } else if (srv !== undefined && queue.length > srv.counters.queueMax) {
        srv.counters.queueMax = queue.length;
      }
    });
  }

  /**
   * Frees the stream's slot on its server and gives it to the oldest waiter among that
   * server's queue and the backend queue (queue.c `pendconn_process_next_strm()`); the
   * backend queue is not served by a server that cannot take new streams.
   */
  #releaseSlot(t: ConnectTarget): void {
    const srv = t.server!;
    t.holdsSlot = false;
    srv.release();
    while (!srv.full) {
      const own = srv.queue[0];
      const shared = this.#servesBackendQueue(srv) ? this.queue[0] : undefined;
      const next = own === undefined ? shared : shared === undefined || own.since <= shared.since ? own : shared;
      if (next === undefined) return;
      (next === own ? srv.queue : this.queue).shift();
      this.#handSlot(srv, next);
      // Counted after the waiter's own position, as pendconn_process_next_strm() does.
      if (next === own) srv.queueHandedOut++;
      else this.#queueHandedOut++;
    }
  }

  /**
   * Whether `srv` may take streams from the backend queue (queue.c): it must be usable, and a
   * backup server only while no active server is, and only the first usable backup unless
   * `option allbackups`.
   */
  #servesBackendQueue(srv: Server): boolean {
    if (!srv.usable) return false;
    if (!srv.backup) return true;
    if (this.activeServers > 0) return false;
    return this.settings.allBackups || this.servers.find((s) => s.backup && s.usable) === srv;
  }

  /**
   * A server came UP: streams waiting in the backend queue take its free slots at once
   * (queue.c `pendconn_grab_from_px()`; unlike a freed slot, this does not advance `%bq`).
   */
  #grabFromBackendQueue(srv: Server): void {
    srv.requeued = 0;
    if (!this.#servesBackendQueue(srv)) return;
    while (!srv.full) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.#handSlot(srv, next);
      srv.requeued++;
    }
  }

  /** Gives a slot on `srv` to `entry`, already taken out of its queue; it claims it on resuming. */
  #handSlot(srv: Server, entry: QueueEntry): void {
    this.counters.queueCurrent = this.queue.length;
    srv.reserve();
    entry.wake(srv);
  }

  /** Ends the connect loop: releases the slot, closes the connection, enters CLO. */
  #abandon(t: ConnectTarget, code: ConnectFailure): ConnectFailure {
    if (t.holdsSlot) this.#releaseSlot(t);
    t.back.conn?.close(true);
    t.back.setState("CLO");
    return code;
  }

  /** Resolves true after `ms` of clock time, false if `signal` aborts first. */
  #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#clock.clearTimer(timer);
        resolve(false);
      };
      const timer = this.#clock.setTimer(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener("abort", onAbort);
    });
  }
}
