/**
 * A backend: its servers, their election, the backend queue, and the connect loop of
 * HAProxy's design note on server connection management
 * (doc/design-thoughts/connection-reuse.txt, 2013/10/17 part): a retry on the same server
 * keeps the connection and its destination, a redispatch clears it. The rules are HAProxy's:
 * `retries`, the turn-around delay and `option redispatch` (configuration.txt 4.2 `retries`,
 * `option redispatch`; src/backend.c `back_handle_st_cer()`, include/haproxy/stream.h
 * `stream_choose_redispatch()`), queueing and `timeout queue` (src/queue.c), and the
 * termination states of a connect that fails (configuration.txt 8.5).
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import {
  type AbortCounts,
  countIn,
  countOut,
  type HttpCounts,
  newHttpCounts,
  newStreamCounts,
  newTimeCounts,
  type StreamCounts,
  type TimeCounts,
} from "./_counters.ts";
import type { Address, ConnectCancel, NetErrorCode, Network, Socket } from "./net.ts";
import { CO_FL, type Connection, RAW, type Transport } from "./connection.ts";
import type { StreamInterface } from "./stream_interface.ts";
import { type AdminChange, Server, type ServerSettings, type ServerState } from "./server.ts";
import { Queue, Queues } from "./queue.ts";
import { Lease } from "./lease.ts";
import { LastEvent, StateAge } from "./_rates.ts";
import type { Balancer, PickContext } from "./balance/types.ts";
import { createBalancer, isDynamicAlgorithm, isHashAlgorithm } from "./balance/mod.ts";
import { DEFAULT_HASH_TYPE } from "./balance/hashed.ts";
import type { BalanceAlgorithm } from "./config/types.ts";
import type { ResolvedCookieConfig, ResolvedHashType } from "./config/resolved.ts";
import type { ServerStateEvent } from "./log.ts";
import { DEFAULT_POOL, type HttpConnectionMode, type HttpReuse, type PoolSettings, ServerPool } from "./pool.ts";
import type { RetryOn } from "./http/retry_on.ts";
import { ForwardProxy, type ForwardProxySettings } from "./http/forward_proxy.ts";
import { clientOf, proxyHash, streamProxyHeader } from "./send_proxy.ts";
import { isSniMismatch, TlsOrigin } from "./tls/origin.ts";
import type { ServerTlsConfig } from "./config/tls_types.ts";
import type { ConnectFailureHook } from "./connect_failure.ts";

/**
 * Turn-around delay cap between two connects to the same server after a connection error:
 * HAProxy waits min(`timeout connect`, one second) (configuration.txt 4.2 `retries`).
 */
export const TURNAROUND_MAX_MS = 1000;

/** Backend settings with defaults applied (see `src/config/defaults.ts`). */
export interface BackendSettings {
  /** `backend <name>`. */
  readonly name: string;
  /** `balance`. */
  readonly balance: BalanceAlgorithm;
  /** `hash-type` of the hash algorithms. @default map-based sdbm (as HAProxy) */
  readonly hashType?: ResolvedHashType;
  /** `retries`: attempts after the first failed connect. */
  readonly retries: number;
  /** `option redispatch`: 0 off; -1 last retry; P > 0 every Pth retry; N < 0 the Nth before last. */
  readonly redispatch: number;
  /** `option allbackups`. */
  readonly allBackups: boolean;
  /** `timeout connect`, ms; undefined = infinite. */
  readonly connectTimeoutMs: number | undefined;
  /** `timeout queue`, ms (already `timeout connect` when unset); undefined = infinite. */
  readonly queueTimeoutMs: number | undefined;
  /** `timeout server`, ms; undefined = infinite. */
  readonly serverTimeoutMs: number | undefined;
  /** `timeout tunnel`, ms; undefined = not used. */
  readonly tunnelTimeoutMs: number | undefined;
  /** The servers, in declaration order, with their pool settings in HTTP mode. */
  readonly servers: readonly (ServerSettings & {
    readonly pool?: PoolSettings;
    /** `ssl` and its options: connections to the server are TLS. */
    readonly tls?: ServerTlsConfig | undefined;
  })[];
  /**
   * HTTP mode (`mode http`): `http-reuse` and the backend's connection mode; every server then
   * gets a pool of idle connections. Undefined in TCP mode.
   */
  readonly http?: {
    readonly reuse: HttpReuse;
    readonly mode: HttpConnectionMode;
    /** `retry-on` (HTTP mode only, as HAProxy); undefined = `conn-failure`, the default. */
    readonly retryOn?: RetryOn;
    /** `option http_proxy`: the destination comes from each request (`src/http/forward_proxy.ts`). */
    readonly proxy?: ForwardProxySettings;
    /** `cookie`: persistence (`src/http/persist.ts`); undefined without. */
    readonly cookie?: ResolvedCookieConfig;
    /** `option persist`. */
    readonly persist?: boolean;
    /** `option abortonclose`. */
    readonly abortOnClose?: boolean;
    /** `option http-buffer-request`. */
    readonly bufferRequest?: boolean;
  };
}

/**
 * Counters of one backend (HAProxy stats names in parentheses). Its `current` counts every
 * stream the backend admitted and has not released yet, queued ones included (log `%bc`).
 */
export interface BackendCounters extends StreamCounts, AbortCounts {
  /** When a stream was last admitted (`lastsess`: its `age`, -1 if never). */
  readonly lastSession: LastEvent;
  /** Streams that failed to connect after all retries (`econ`). */
  connectErrors: number;
  /** Connect attempts retried on the same server (`wretr`). */
  retries: number;
  /** Streams moved to another server by a redispatch (`wredis`). */
  redispatches: number;
  /** Streams refused because no server was usable or a queue was full or timed out. */
  failed: number;
  /** Times the backend lost its last usable server (`chkdown` of the `BACKEND` row). */
  downTransitions: number;
  /** HTTP requests and responses by status class (`mode http`). */
  readonly http: HttpCounts;
  /** Queue, connect, response and total time averages of its streams (`qtime`...). */
  readonly times: TimeCounts;
  /** Streams in the backend queue now (`qcur`). */
  readonly queueCurrent: number;
  /** The most streams seen in the backend queue at once (`qmax`). */
  readonly queueMax: number;
}

/**
 * How the connect loop ended when it did not establish: the two termination characters
 * of HAProxy's log (`SC`, `sC`, `SQ`, `sQ`, `CC`, `CQ`).
 */
export type ConnectFailure = "SC" | "sC" | "SQ" | "sQ" | "CC" | "CQ";

/**
 * How a stream abandons its connect loop without an `AbortController`: `aborted` once the
 * client left (or the stream was killed); meanwhile whatever the loop waits for (a queue, the
 * turn-around delay, the adapter's connect) leaves its canceller in `onCancel`, which the
 * stream calls once. A stream waits for one thing at a time, so one slot is enough.
 */
export interface CancelToken extends ConnectCancel {
  /** The client left before the server side was up, or the stream was killed. */
  readonly aborted: boolean;
}

/**
 * Raises a stream's cancel token, once: marks it aborted and runs (and clears) the canceller
 * whatever the connect loop waits for left in it. Streams and HTTP transactions share it.
 */
export function raiseCancel(token: { aborted: boolean; onCancel: (() => void) | undefined }): void {
  if (token.aborted) return;
  token.aborted = true;
  const f = token.onCancel;
  token.onCancel = undefined;
  f?.();
}

/**
 * In HTTP mode, an idle connection to `srv` the stream may take from that server's pool
 * instead of connecting (`http-reuse`), or undefined.
 */
export type ReuseHook = (srv: Server, hash: string | undefined) => Connection | undefined;

/**
 * What, beyond the server, decides whether an idle connection may serve a stream (HAProxy's
 * connection hash, `be_calculate_conn_hash()`): the destination when it depends on the
 * client (a transparent server), and the SNI sent to the server. `undefined` when nothing does.
 */
export function connectionHash(srv: Server, dst: Address | undefined, xprt: Transport | undefined): string | undefined {
  const to = srv.followsClient && dst?.transport === "tcp" ? `${dst.hostname}:${dst.port}` : undefined;
  const sni = xprt?.kind === "tls" ? xprt.options.serverName : undefined;
  if (sni === undefined) return to;
  return `${to ?? ""} sni=${sni}`;
}

/** One connect attempt's cancellation (see `Backend#attempt`). */
interface ConnectAttempt {
  /** Aborted by the connect timeout or the stream; undefined without `timeout connect`. */
  readonly signal: AbortSignal | undefined;
  /** The connect timeout struck (`sC` rather than `SC` when retries run out). */
  timedOut: boolean;
  /** Stops the timer and frees the stream's cancel slot. */
  done(): void;
}

/** The attempt of a backend without `timeout connect`: the stream's own cancel slot serves. */
const NO_TIMEOUT: ConnectAttempt = { signal: undefined, timedOut: false, done: () => {} };

/** Observes layer-4 outcomes of real traffic (`observe layer4`), set by the health module. */
export type L4Observer = (server: Server, ok: boolean) => void;

/** The election context one backend refills for every pick (elections are synchronous). */
type PickScratch = { -readonly [K in keyof PickContext]-?: PickContext[K] };

/** A backend at run time. */
export class Backend {
  /** `backend <name>`. */
  readonly name: string;
  /** What it was built from. */
  readonly settings: BackendSettings;
  /** Its servers, in declaration order. */
  readonly servers: readonly Server[];
  /** The backend queue and every server slot (`src/queue.ts`). */
  readonly queues: Queues;
  /** Its counters, also what `ProxyServer.backends` shows. */
  readonly counters: BackendCounters;
  /** Set by the health module for `observe layer4`. */
  observeL4: L4Observer | undefined;
  /** The program's `hooks.onConnectFailure` (set by the proxy, throws already caught). */
  onConnectFailure: ConnectFailureHook | undefined;
  /** `option http_proxy`: what finds each request's destination; undefined otherwise. */
  readonly forwardProxy: ForwardProxy | undefined;
  #balancer: Balancer;
  /** The same array as `servers`, which dynamic servers are added to and removed from. */
  readonly #servers: Server[];
  /** Builds a balancer over `#servers` (again after a server is added or removed). */
  readonly #createBalancer: () => Balancer;
  /** Slowstart ramps the weight (dynamic algorithms): also given to servers added at run time. */
  readonly #rampWeight: boolean;
  /** `balance source` (or a custom balancer): the elections that read the client's address. */
  readonly #hashed: boolean;
  /** `balance uri|url_param|hdr` (or a custom balancer): the elections that read the request. */
  readonly #readsRequest: boolean;
  /** The one election context, refilled at each pick (no object per election). */
  readonly #pick: PickScratch = {
    avoid: undefined,
    sourceAddress: undefined,
    request: undefined,
    backendQueued: 0,
    backendConns: 0,
  };
  readonly #observers: ((e: ServerStateEvent) => void)[] = [];
  readonly #clock: Clock;
  readonly #net: Network;
  /** When it last lost or regained a usable server, and the time it had none. */
  readonly #age: StateAge;

  /**
   * Builds the servers, the queues and the balancer. `net` creates the server connections,
   * `clock` times connects, queues and turn-around delays, `random` feeds `balance random`
   * (`Math.random` when omitted).
   */
  constructor(settings: BackendSettings, net: Network, clock: Clock, random?: () => number) {
    this.name = settings.name;
    this.settings = settings;
    this.#clock = clock;
    this.#net = net;
    const hashType = settings.hashType ?? DEFAULT_HASH_TYPE;
    const rampWeight = isDynamicAlgorithm(settings.balance.kind, hashType.method);
    this.#rampWeight = rampWeight;
    this.#servers = settings.servers.map((s) => this.#newServer(s));
    this.servers = this.#servers;
    this.queues = new Queues({
      clock,
      queueTimeoutMs: settings.queueTimeoutMs,
      allBackups: settings.allBackups,
      redispatch: settings.redispatch !== 0,
      servers: this.servers,
    });
    const q = this.queues.backend;
    this.counters = {
      ...newStreamCounts(clock),
      clientAborts: 0,
      serverAborts: 0,
      lastSession: new LastEvent(clock),
      connectErrors: 0,
      retries: 0,
      redispatches: 0,
      failed: 0,
      downTransitions: 0,
      http: newHttpCounts(clock),
      times: newTimeCounts(),
      get queueCurrent(): number {
        return q.length;
      },
      get queueMax(): number {
        return q.max;
      },
    };
    const kind = settings.balance.kind;
    this.#hashed = kind === "source" || kind === "custom";
    this.#readsRequest = kind === "uri" || kind === "url_param" || kind === "hdr" || kind === "custom";
    const proxy = settings.http?.proxy;
    this.forwardProxy = proxy === undefined ? undefined : new ForwardProxy(proxy, net);
    this.#createBalancer = () =>
      createBalancer(settings.balance, this.servers, {
        allBackups: settings.allBackups,
        hashType,
        ...(random !== undefined ? { random } : {}),
      });
    this.#balancer = this.#createBalancer();
    this.#age = new StateAge(clock, !this.#anyUsable());
  }

  /** Whether some server takes streams from the load balancer (HAProxy's `srv_act + srv_bck > 0`). */
  #anyUsable(): boolean {
    return this.#servers.some((s) => s.usable);
  }

  /**
   * Records the backend going down (its last usable server went) or up again, as HAProxy's
   * `set_backend_down()` and `srv_update_status()` do.
   */
  #checkUsable(): void {
    const down = !this.#anyUsable();
    if (down === this.#age.down) return;
    this.#age.change(down);
    if (down) this.counters.downTransitions++;
  }

  /** Whole seconds since it last lost or regained a usable server, or since it started (`lastchg`). */
  get lastChange(): number {
    return this.#age.sinceChange;
  }

  /**
   * Whole seconds it had no usable server, the current spell included (`downtime`,
   * HAProxy's `be_downtime()`).
   */
  get downtime(): number {
    return this.#age.downtime;
  }

  /** A server of this backend with its pool (HTTP mode) and TLS, not yet in `servers`. */
  #newServer(s: BackendSettings["servers"][number]): Server {
    const srv = new Server(s, this.#clock, { rampWeight: this.#rampWeight, transition: this.#transition });
    if (this.settings.http !== undefined) srv.pool = new ServerPool(s.pool ?? DEFAULT_POOL, this.#clock);
    if (s.tls !== undefined) srv.tls = new TlsOrigin(s.tls);
    return srv;
  }

  /**
   * Whether servers may be added and removed while it runs: HAProxy allows it only with a
   * dynamic algorithm (management.txt 9.3 `add server`; `roundrobin`, `leastconn`, `first`,
   * `random`, or a hash with `hash-type consistent`).
   */
  get dynamic(): boolean {
    return isDynamicAlgorithm(this.settings.balance.kind, (this.settings.hashType ?? DEFAULT_HASH_TYPE).method);
  }

  /**
   * Adds a server at run time (`add server`), last in declaration order; election starts over
   * with it (a new balancer over the servers), queues see it at once. The caller checked the
   * name and the algorithm ({@link dynamic}).
   */
  addServer(settings: BackendSettings["servers"][number]): Server {
    const srv = this.#newServer(settings);
    this.#servers.push(srv);
    this.#balancer = this.#createBalancer();
    this.#checkUsable();
    return srv;
  }

  /**
   * Removes a server at run time (`del server`): the caller checked it is in maintenance and
   * holds no stream and no queued one. Its idle connections are closed.
   */
  removeServer(srv: Server): void {
    const i = this.#servers.indexOf(srv);
    if (i < 0) return;
    this.#servers.splice(i, 1);
    srv.pool?.clear();
    this.#balancer = this.#createBalancer();
    this.#checkUsable();
  }

  /**
   * A server's weight or connection limit changed at run time: election tables are rebuilt
   * and slots it now has free go to waiting streams (HAProxy's `process_srv_queue()`).
   */
  serverChanged(srv: Server): void {
    this.#balancer.update();
    this.#checkUsable();
    this.queues.process(srv);
  }

  /**
   * A server changed state (HAProxy's `srv_update_status()`): the election tables first, then
   * the queues (a server that can take streams again grabs waiters from the backend queue; one
   * that went DOWN or into maintenance sends its own waiters back to election with `option
   * redispatch`), and only then the observers, with what the queues did: the state line's
   * counts never depend on who registered first.
   */
  readonly #transition = (srv: Server, from: ServerState, reason: string, admin?: AdminChange): void => {
    this.#balancer.update();
    this.#checkUsable();
    let requeued = 0;
    if (srv.state === "UP") requeued = this.queues.grab(srv);
    else if (srv.state === "DOWN" || srv.state === "MAINT") requeued = this.queues.redistribute(srv);
    if (this.#observers.length === 0) return;
    let active = 0;
    let backup = 0;
    for (const s of this.servers) if (s.usable) s.backup ? backup++ : active++;
    const e: ServerStateEvent = {
      backend: this.name,
      server: srv.name,
      backup: srv.backup,
      from,
      to: srv.state,
      reason,
      activeServers: active,
      backupServers: backup,
      sessions: srv.counters.current,
      queued: srv.queue.length,
      requeued,
      ...(admin !== undefined ? { admin } : {}),
      ...(srv.settings.resolve !== undefined ? { fqdn: srv.settings.resolve.fqdn } : {}),
    };
    for (const o of this.#observers) o(e);
  };

  /** Registers an observer of server state changes, told after election and queues were updated. */
  onServerStateChange(fn: (e: ServerStateEvent) => void): void {
    this.#observers.push(fn);
  }

  /** Finds a server by name. */
  server(name: string): Server | undefined {
    return this.servers.find((s) => s.name === name);
  }

  /**
   * Counts a new stream in the backend and returns its lease, which the stream releases once,
   * when it ends. `client` is the client's connection (`balance source` hashes its address);
   * `now` when the stream came (clock ms), when the caller read the clock already.
   */
  admit(client: Connection | undefined, now: number = this.#clock.now()): Lease {
    countIn(this.counters, now);
    this.counters.lastSession.mark(now);
    return new Lease(client, this.#leave);
  }

  /** A lease released: its slot is given back (the next waiter gets it), its stream counted out. */
  readonly #leave = (lease: Lease, bytesIn: number, bytesOut: number): void => {
    countOut(this.counters, bytesIn, bytesOut);
    const srv = lease.server;
    if (srv !== undefined) {
      srv.counters.bytesIn += bytesIn;
      srv.counters.bytesOut += bytesOut;
    }
    this.queues.release(lease);
  };

  /**
   * Walks the server side `si` from REQ to EST for the stream holding `lease`: election, queue,
   * connect with retries and redispatch. Gives the socket, or the termination code when it
   * gives up: at once when nothing had to be waited for (an idle connection taken, a failure
   * decided by the election), else through a promise; `cancel` is raised when the client leaves (`CC`/`CQ`), and whatever
   * the loop waits for (a queue, the turn-around delay, a connect) leaves its canceller in it.
   * `reuse` (HTTP mode) may hand over an idle connection to the elected server instead of a
   * connect; `assigned` skips the election for a lease that still holds its slot (a request
   * sent again after a reused connection failed).
   *
   * Two more ways in:
   * - Proxy mode (the design note's third case): a stream that set the destination on `si`'s
   *   connection before calling, its lease naming no server, connects there: no election, no
   *   server, no slot (HAProxy makes the backend itself the target: `<NOSRV>` in the log);
   *   connect retries and the turn-around delay apply to that destination, a redispatch never.
   * - A lease that names a server but holds no slot (given back by {@link retryRequest}) is
   *   elected again, avoiding that server.
   *
   * In HTTP mode, a `retry-on` without `conn-failure` makes the first failed connect final.
   */
  connect(
    lease: Lease,
    si: StreamInterface,
    cancel: CancelToken,
    reuse?: ReuseHook,
    assigned = false,
  ): Socket | ConnectFailure | Promise<Socket | ConnectFailure> {
    const avoid: Server | undefined = !assigned && !lease.holdsSlot ? lease.server : undefined;
    si.setState("REQ");
    // A request sent again on a new connection keeps the server and slot it holds.
    if (assigned && lease.holdsSlot) si.setState("ASS");
    if (lease.server === undefined && si.conn !== undefined && (si.conn.flags & CO_FL.ADDR_TO_SET) !== 0) {
      si.setState("ASS");
    }
    // The common case settles here, without a promise: elected, then an idle connection (HTTP
    // mode's keep-alive), or a failure. Queues and connects go on in the loop.
    if (cancel.aborted) return this.#abandon(lease, si, "CC");
    let queue: Queue | undefined;
    if (si.state === "REQ") {
      const r = this.#assign(lease, si, avoid);
      if (r instanceof Queue) queue = r;
      else if (r !== undefined) return r;
    }
    if (queue === undefined) {
      const ready = this.#prepare(lease, si, reuse);
      if (ready !== undefined) return ready;
    }
    return this.#connectLoop(lease, si, cancel, reuse, avoid, queue);
  }

  /**
   * The rest of {@link connect}, once it must wait: in `queue` (QUE), else for the connect of
   * the connection {@link #prepare} made ready (CON), then through retries and redispatches.
   */
  async #connectLoop(
    lease: Lease,
    si: StreamInterface,
    cancel: CancelToken,
    reuse: ReuseHook | undefined,
    avoid: Server | undefined,
    queue: Queue | undefined,
  ): Promise<Socket | ConnectFailure> {
    const s = this.settings;
    // HAProxy's back_handle_st_cer(): without PR_RE_CONN_FAILED a connect failure is final.
    const maxRetries = s.http?.retryOn?.connFailure === false ? 0 : s.retries;
    let prepared = queue === undefined;
    if (queue !== undefined) {
      const q = await this.#queued(queue, lease, si, cancel);
      if (q !== undefined) return q;
    }
    for (;;) {
      if (cancel.aborted) return this.#abandon(lease, si, si.state === "QUE" ? "CQ" : "CC");
      if (si.state === "REQ") {
        // The election is synchronous; only a stream that queues waits (and pays a promise).
        const r = this.#assign(lease, si, avoid);
        if (r instanceof Queue) {
          const q = await this.#queued(r, lease, si, cancel);
          if (q !== undefined) return q;
        } else if (r !== undefined) return r;
        continue;
      }
      if (!prepared) {
        const ready = this.#prepare(lease, si, reuse);
        if (ready !== undefined) return ready;
      }
      prepared = false;
      const srv = lease.server;
      const conn = si.conn!;
      si.setState("CON");
      const attempt = this.#attempt(cancel);
      let sniMismatch = false;
      let code: NetErrorCode | undefined;
      try {
        const socket = await conn.connect(attempt.signal, attempt.signal === undefined ? cancel : undefined);
        if (srv !== undefined) this.observeL4?.(srv, true);
        si.setState("EST");
        return socket;
      } catch (e) {
        sniMismatch = isSniMismatch(e, conn.xprt);
        code = (e as { code?: NetErrorCode } | undefined)?.code;
        si.setState("CER");
      } finally {
        attempt.done();
      }
      if (cancel.aborted) return this.#abandon(lease, si, "CC");
      if (srv !== undefined) this.observeL4?.(srv, false);
      // back_handle_st_cer(): a certificate not matching the SNI sent is final, logged with
      // the retries at their maximum; otherwise give up once `retries` retries were made.
      if (sniMismatch) lease.retries = Math.max(lease.retries, maxRetries);
      const final = lease.retries >= maxRetries;
      const wish = this.onConnectFailure?.({
        backend: this.name,
        server: srv?.name,
        address: conn.dst,
        attempt: lease.retries + 1,
        timedOut: attempt.timedOut,
        code,
        final,
      });
      if (final) {
        if (srv !== undefined) srv.counters.connectErrors++;
        this.counters.connectErrors++;
        return this.#abandon(lease, si, attempt.timedOut ? "sC" : "SC");
      }
      lease.retries++;
      if (srv !== undefined && (wish === "redispatch" || this.#shouldRedispatch(lease, srv))) {
        // Redispatch: give the slot back, forget the destination, elect again avoiding srv.
        this.queues.release(lease);
        conn.clear();
        avoid = srv;
        si.setState("REQ");
        continue;
      }
      if (srv !== undefined) srv.counters.retries++;
      this.counters.retries++;
      // Turn-around only after an asynchronous error (not a timeout), staying on this server.
      if (!attempt.timedOut) {
        si.setState("TAR");
        const delay = Math.min(s.connectTimeoutMs ?? TURNAROUND_MAX_MS, TURNAROUND_MAX_MS);
        if (!(await this.#sleep(delay, cancel))) return this.#abandon(lease, si, "CC");
      }
      si.setState("ASS");
    }
  }

  /**
   * ASS: the connect side of HAProxy's 2013 design note. The connection is attached on first
   * need and keeps its destination across retries; it was cleared (not freed) if we came back
   * from REQ. In HTTP mode an idle connection to the elected server may serve instead (the
   * pool), attached as it is: no connect. Returns that idle connection's socket (EST), a
   * failure, or undefined once the connection is ready to connect.
   */
  #prepare(lease: Lease, si: StreamInterface, reuse: ReuseHook | undefined): Socket | ConnectFailure | undefined {
    const srv = lease.server;
    // A transparent server's destination is the client's (kept across retries once set).
    let dst: Address | undefined;
    if (srv !== undefined && (si.conn === undefined || (si.conn.flags & CO_FL.ADDR_TO_SET) === 0)) {
      dst = srv.destination(lease.client);
      if (dst === undefined) {
        srv.counters.connectErrors++;
        this.counters.connectErrors++;
        return this.#abandon(lease, si, "SC");
      }
    }
    // send-proxy: the header (built once per connection and server; clear() forgets it on a
    // redispatch) is part of the connection hash, as in HAProxy's be_calculate_conn_hash():
    // an idle connection only serves a stream that would send the same header.
    const pp = srv?.settings.sendProxy;
    let header = si.conn?.proxyHeader;
    if (pp !== undefined && header === undefined) {
      header = streamProxyHeader(pp, clientOf(lease.client), lease.identity);
    }
    // The server's TLS, its SNI evaluated once for this stream: the hash and the connect.
    const xprt = srv?.tls !== undefined && si.conn?.ctrl === undefined ? srv.tls.transport(lease) : undefined;
    if (si.conn === undefined && reuse !== undefined && srv !== undefined) {
      const idle = reuse(srv, proxyHash(connectionHash(srv, dst, xprt), header));
      if (idle !== undefined && idle.socket !== undefined) {
        si.attach(idle);
        si.setState("CON");
        si.setState("EST");
        return idle.socket;
      }
    }
    const conn = si.ensureConn();
    if ((conn.flags & CO_FL.ADDR_TO_SET) === 0) {
      conn.setDst(dst!);
      conn.hash = connectionHash(srv!, dst, xprt);
    }
    if (conn.ctrl === undefined) {
      conn.prepareCtrl(this.#net);
      conn.prepareXprt(xprt ?? RAW);
    }
    if (header !== undefined && conn.proxyHeader === undefined) {
      conn.proxyHeader = header;
      conn.hash = proxyHash(conn.hash, header);
    }
    return undefined;
  }

  /**
   * A layer-7 retry (`retry-on`; HAProxy's `do_l7_retry()`): the transaction got a response it
   * may replay its request for. It counts against the same `retries` budget as connect retries
   * (`%rc`, and the server's and backend's `retries` counters), then follows the redispatch
   * rules: `"redispatch"` gave the slot back (call {@link connect} again without `assigned`: it
   * elects another server), `"same"` kept it (call it with `assigned`: same server, or same
   * destination in proxy mode). `undefined`: no retry left, the failure stands.
   */
  retryRequest(lease: Lease): "same" | "redispatch" | undefined {
    if (lease.retries >= this.settings.retries) return undefined;
    lease.retries++;
    const srv = lease.server;
    if (srv !== undefined) srv.counters.retries++;
    this.counters.retries++;
    if (srv === undefined || !this.#shouldRedispatch(lease, srv)) return "same";
    this.queues.release(lease);
    return "redispatch";
  }

  /**
   * What abandons one connect attempt. Without `timeout connect` that is the stream's cancel
   * slot alone, handed to the adapter as is (no object per attempt); with one, the attempt gets
   * an `AbortController` that the timer and the stream's slot both abort.
   */
  #attempt(cancel: CancelToken): ConnectAttempt {
    const ms = this.settings.connectTimeoutMs;
    if (ms === undefined) return NO_TIMEOUT;
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    cancel.onCancel = abort;
    const a: ConnectAttempt = {
      signal: ac.signal,
      timedOut: false,
      done: () => {
        this.#clock.clearTimer(timer);
        if (cancel.onCancel === abort) cancel.onCancel = undefined;
      },
    };
    const timer = this.#clock.setTimer(() => {
      a.timedOut = true;
      ac.abort();
    }, ms);
    return a;
  }

  /**
   * stream_choose_redispatch(): whether this retry goes to another server. A server that is no
   * longer running (DOWN, MAINT) is left at once; otherwise the interval rule decides, and a
   * stream that is neither persistent (a cookie's direct server) nor hashed leaves at once when
   * other active servers exist.
   */
  #shouldRedispatch(lease: Lease, srv: Server): boolean {
    const every = this.settings.redispatch;
    if (every === 0) return false;
    if (srv.state === "DOWN" || srv.state === "MAINT") return true;
    if (every > 0 && lease.retries % every === 0) return true;
    if (every < 0 && lease.retries % (this.settings.retries + 1 + every) === 0) return true;
    // Not persistent and not hashed: "we don't care about this particular server".
    return lease.direct === undefined && this.queues.activeServers > 1 && !isHashAlgorithm(this.settings.balance.kind);
  }

  /**
   * REQ: elects a server and takes a slot on it (→ ASS, returns undefined), or fails (returns
   * the termination code), or enters QUE and returns the queue to wait in (the picked, hashed
   * server's own queue, or the backend's when no server has a slot).
   */
  #assign(lease: Lease, si: StreamInterface, avoid: Server | undefined): ConnectFailure | Queue | undefined {
    const queues = this.queues;
    // Persistence first (HAProxy SF_DIRECT | SF_ASSIGNED): the cookie's server, without load
    // balancing, unless this is a redispatch away from it or its queue is full.
    let left: Server | undefined;
    const direct = lease.direct;
    if (direct !== undefined && direct === avoid) {
      lease.direct = undefined;
      left = direct;
    } else if (direct !== undefined) {
      const r = this.#assignDirect(lease, si, direct);
      if (r !== "redispatch") return r;
      left = direct;
    }
    const ctx = this.#pick;
    ctx.avoid = avoid;
    ctx.sourceAddress = this.#hashed ? lease.sourceKey : undefined;
    ctx.request = this.#readsRequest ? lease.request : undefined;
    ctx.backendQueued = queues.backend.length;
    ctx.backendConns = this.counters.current;
    const picked = this.#balancer.pick(ctx) as Server | undefined;
    ctx.avoid = undefined;
    ctx.request = undefined;
    if (left !== undefined && picked !== left) lease.directLost = true;
    this.#elected(lease, picked);
    if (picked === undefined && !this.#balancer.hasUsableServer()) {
      this.counters.failed++;
      return this.#abandon(lease, si, "SC");
    }
    if (picked !== undefined && !picked.full) {
      queues.take(lease, picked);
      si.setState("ASS");
      return undefined;
    }
    // Queue on the picked (hashed) server, or in the backend queue when none has a slot. A
    // stream queued on a server is assigned to it already (HAProxy SF_ASSIGNED): its log line
    // names that server even if the queue is full or times out.
    if (picked !== undefined && picked.maxqueue > 0 && picked.queue.length >= picked.maxqueue) {
      this.counters.failed++;
      return this.#abandon(lease, si, "SQ");
    }
    si.setState("QUE");
    return picked?.queue ?? queues.backend;
  }

  /**
   * A persistent stream's server (HAProxy `assign_server_and_queue()` with SF_ASSIGNED): its
   * slot if it has one (→ ASS), else its queue (→ QUE). When that queue is full, `option
   * redispatch` drops the persistence and load-balances (`"redispatch"`,
   * `srv_redispatch_connect()`), otherwise the stream ends with `SQ`. The server is taken even
   * DOWN (`option persist`): the connect then fails and the retries decide.
   */
  #assignDirect(lease: Lease, si: StreamInterface, srv: Server): ConnectFailure | Queue | "redispatch" | undefined {
    lease.server = srv;
    if (!srv.full) {
      this.queues.take(lease, srv);
      si.setState("ASS");
      return undefined;
    }
    if (srv.maxqueue > 0 && srv.queue.length >= srv.maxqueue) {
      if (this.settings.redispatch !== 0) {
        lease.direct = undefined;
        return "redispatch";
      }
      this.counters.failed++;
      return this.#abandon(lease, si, "SQ");
    }
    si.setState("QUE");
    return srv.queue;
  }

  /**
   * QUE: waits in `queue` until a slot is handed over (→ ASS), the server is redistributed
   * (→ REQ: elect again), `timeout queue` strikes (`sQ`) or the client leaves (`CQ`). Returns a
   * failure code, or undefined to go on with the loop.
   */
  async #queued(
    queue: Queue,
    lease: Lease,
    si: StreamInterface,
    cancel: CancelToken,
  ): Promise<ConnectFailure | undefined> {
    const since = this.#clock.now();
    const outcome = await this.queues.wait(queue, lease, cancel);
    lease.queueMs += this.#clock.now() - since;
    if (outcome === "timeout") {
      this.counters.failed++;
      return this.#abandon(lease, si, "sQ");
    }
    if (outcome === "aborted") return this.#abandon(lease, si, "CQ");
    if (outcome === "redistributed") {
      // back_handle_st_que(): no longer assigned (nor persistent), load-balance again.
      if (lease.direct !== undefined) {
        lease.direct = undefined;
        lease.directLost = true;
      }
      si.setState("REQ");
      return undefined;
    }
    // A slot handed over from a queue assigns its server without an election.
    lease.server = outcome;
    this.queues.claim(lease, outcome);
    si.setState("ASS");
    return undefined;
  }

  /**
   * Records an election's outcome as HAProxy's assign_server_and_queue() does: the target is
   * the elected server, or none (backend queue, no usable server: `<NOSRV>` in the log). A
   * stream that had a server before counts a redispatch when the target changed (`+` before
   * `%rc`), a retry when it did not; a server counts an election (`lbtot`) when it is a new
   * target.
   */
  #elected(lease: Lease, picked: Server | undefined): void {
    const prev = lease.server;
    lease.server = picked;
    if (picked !== undefined && picked !== prev) picked.counters.lbChosen++;
    if (prev === undefined) return;
    if (prev !== picked) {
      prev.counters.redispatches++;
      this.counters.redispatches++;
      lease.redispatched = true;
    } else {
      prev.counters.retries++;
      this.counters.retries++;
    }
  }

  /** Ends the connect loop: gives the slot back, closes the connection, enters CLO. */
  #abandon(lease: Lease, si: StreamInterface, code: ConnectFailure): ConnectFailure {
    this.queues.release(lease);
    si.conn?.close(true);
    si.setState("CLO");
    return code;
  }

  /** Resolves true after `ms` of clock time, false if the stream is cancelled first. */
  #sleep(ms: number, cancel: CancelToken): Promise<boolean> {
    return new Promise((resolve) => {
      const onCancel = () => {
        this.#clock.clearTimer(timer);
        resolve(false);
      };
      const timer = this.#clock.setTimer(() => {
        if (cancel.onCancel === onCancel) cancel.onCancel = undefined;
        resolve(true);
      }, ms);
      cancel.onCancel = onCancel;
    });
  }
}
