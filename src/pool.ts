/**
 * Idle server connections kept for reuse, one pool per server: HAProxy's idle and safe lists
 * (`http-reuse`, `pool-max-conn`, `pool-purge-delay`; configuration.txt 4.2 `http-reuse`,
 * 5.2 `pool-max-conn`, `pool-purge-delay`, and `doc/design-thoughts/connection-reuse.txt`).
 *
 * This is where the design note's point shows: a {@link Connection} outlives the stream
 * interface it served. At the end of a transaction whose server connection can carry another
 * request, the stream detaches it and parks it here, addresses and layers intact; the next
 * stream elected to the same server takes it and attaches it, skipping the connect.
 *
 * - An idle connection is watched: a byte or an EOF from the server while idle closes it and
 *   takes it out (a server closing an idle keep-alive connection is normal), so a taken
 *   connection was open and quiet when taken.
 * - `safe` connections (HAProxy's safe list) have already carried more than one request: they
 *   proved the server keeps connections alive. A connection enters the idle list first.
 * - Most recent first (LIFO), as HAProxy stacks them: recent connections are likelier alive.
 * - Every `pool-purge-delay`, the connections idle for longer than that are closed.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import { CO_FL, type Connection } from "./connection.ts";
import type { NetError, SocketHandlers } from "./net.ts";

/**
 * HAProxy's `http-reuse` modes (configuration.txt 4.2): which idle connections a request may
 * take.
 * - `never`: none, every request opens its own connection;
 * - `safe` (HAProxy's default): the first request of a client connection never takes one (it
 *   would risk a connection the server is closing, on a request the client cannot retry);
 *   later requests take any;
 * - `aggressive`: first requests take only `safe` connections, later ones any;
 * - `always`: any request takes any.
 */
export type HttpReuse = "never" | "safe" | "aggressive" | "always";

/**
 * How a side's connection is kept between transactions (HAProxy's `option http-keep-alive`,
 * the default, `option http-server-close` and `option httpclose`): the most closing of the
 * frontend's and the backend's applies to the server side; `close` closes the client side too.
 */
export type HttpConnectionMode = "keep-alive" | "server-close" | "close";

/** Pool settings of a server. */
export interface PoolSettings {
  /** `pool-max-conn`: idle connections kept at most; -1 = no limit, 0 = none kept. */
  readonly maxIdle: number;
  /** `pool-purge-delay`, ms: connections idle longer than this are closed. */
  readonly purgeDelayMs: number;
  /** `max-reuse`: requests a connection carries at most; -1 = no limit. */
  readonly maxReuse: number;
}

/** HAProxy's pool defaults: `pool-max-conn -1` (no limit), `pool-purge-delay 5s`, `max-reuse -1`. */
export const DEFAULT_POOL: PoolSettings = { maxIdle: -1, purgeDelayMs: 5000, maxReuse: -1 };

/** Counters of a server's pool (HAProxy stats `reuse`, `idle_conn_cur`...). */
export interface PoolCounters {
  /** Requests sent on a connection taken from the pool (`reuse`). */
  reused: number;
  /** New connections opened by HTTP transactions (`connect`): with `reused`, the reuse ratio. */
  opened: number;
  /** Connections parked after a transaction. */
  parked: number;
  /** Idle connections the server closed, or that sent something while idle. */
  closedByServer: number;
  /** Idle connections closed by the purge or because the pool was full. */
  purged: number;
}

/** One parked connection. */
class IdleEntry implements SocketHandlers {
  readonly conn: Connection;
  /** Clock time it was parked. */
  readonly since: number;
  /** It had carried more than one request (HAProxy's safe list). */
  readonly safe: boolean;
  readonly #pool: ServerPool;

  constructor(pool: ServerPool, conn: Connection, since: number, safe: boolean) {
    this.#pool = pool;
    this.conn = conn;
    this.since = since;
    this.safe = safe;
  }

  /** A byte from an idle server is a protocol error for the next request: drop the connection. */
  onData(_chunk: Uint8Array): void {
    this.#pool.lost(this);
  }

  /** The server closed its side while idle: the connection cannot serve another request. */
  onEnd(): void {
    this.#pool.lost(this);
  }

  /** Nothing is written to an idle connection. */
  onDrain(): void {}

  /** Gone (by us or by the peer): just forget it. */
  onClose(_error?: NetError): void {
    this.conn.closed();
    this.#pool.lost(this);
  }
}

/** What the pool of a server shows (`ProxyServer.backends[i].servers[j].pool`). */
export interface PoolView {
  /** Its settings. */
  readonly settings: PoolSettings;
  /** Its counters. */
  readonly counters: Readonly<PoolCounters>;
  /** Idle connections now (HAProxy `idle_conn_cur`). */
  readonly size: number;
  /** Idle connections that already carried more than one request (HAProxy's safe list). */
  readonly safeSize: number;
}

/** The idle connections of one server. */
export class ServerPool implements PoolView {
  readonly settings: PoolSettings;
  readonly counters: PoolCounters = { reused: 0, opened: 0, parked: 0, closedByServer: 0, purged: 0 };
  readonly #clock: Clock;
  /** Parked connections, oldest first (taken from the end). */
  readonly #idle: IdleEntry[] = [];
  #purge: Timer | undefined;
  /** The most connections in use at once seen since the last purge (HAProxy `max_used_conns`). */
  #maxUsed = 0;
  /** The estimated need: in use at once recently, smoothed over purges (`est_need_conns`). */
  #estNeed = 0;

  constructor(settings: PoolSettings, clock: Clock) {
    this.settings = settings;
    this.#clock = clock;
  }

  /** Idle connections now (HAProxy `idle_conn_cur`). */
  get size(): number {
    return this.#idle.length;
  }

  /** Idle connections that are safe (carried more than one request). */
  get safeSize(): number {
    let n = 0;
    for (const e of this.#idle) if (e.safe) n++;
    return n;
  }

  /**
   * Parks a connection detached from its stream, its socket open and quiet, or closes it when
   * the pool keeps none. `uses` is how many requests it carried, `inUse` how many other
   * connections to the server are in use now. Returns whether it was kept.
   *
   * As HAProxy's `srv_add_to_idle_list()`, a connection is kept only while the connections in
   * use and idle do not exceed what the server needed at once recently (the estimated need,
   * re-estimated at each purge): a burst of new client connections, each with its own server
   * connection under `http-reuse safe`, does not leave thousands idle. `now` is the caller's
   * reading of the clock, when it has one.
   */
  park(conn: Connection, uses: number, inUse = 0, now: number = this.#clock.now()): boolean {
    const max = this.settings.maxIdle;
    const socket = conn.socket;
    if (socket === undefined || (conn.flags & (CO_FL.SOCK_RD_SH | CO_FL.SOCK_WR_SH)) !== 0) {
      conn.close(true);
      return false;
    }
    if (inUse + 1 > this.#maxUsed) this.#maxUsed = inUse + 1;
    const need = Math.max(this.#estNeed, this.#maxUsed);
    if (max === 0 || (max > 0 && this.#idle.length >= max) || inUse + this.#idle.length + 1 > need) {
      this.counters.purged++;
      conn.close();
      return false;
    }
    const entry = new IdleEntry(this, conn, now, uses > 1);
    this.#idle.push(entry);
    this.counters.parked++;
    socket.setHandlers(entry);
    socket.resume();
    this.#armPurge();
    return true;
  }

  /**
   * Takes the most recent idle connection (only a safe one when `safeOnly`), or undefined;
   * `inUse` other connections to the server are in use (for the estimated need). With `xprt`,
   * only a connection with that very transport qualifies (TLS: the same SNI, which HAProxy
   * hashes into a connection's identity). The caller attaches it and sets its socket's
   * handlers.
   */
  take(safeOnly: boolean, inUse = 0, hash?: string): Connection | undefined {
    if (inUse + 1 > this.#maxUsed) this.#maxUsed = inUse + 1;
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const e = this.#idle[i]!;
      if ((safeOnly && !e.safe) || e.conn.hash !== hash) continue;
      this.#idle.splice(i, 1);
      this.counters.reused++;
      return e.conn;
    }
    return undefined;
  }

  /** Closes every idle connection (the proxy stops). */
  clear(): void {
    for (const e of this.#idle.splice(0)) e.conn.close();
    this.#clock.clearTimer(this.#purge);
    this.#purge = undefined;
  }

  /** An idle connection the server closed or spoke on: out of the pool, closed. */
  lost(e: IdleEntry): void {
    const i = this.#idle.indexOf(e);
    if (i < 0) return;
    this.#idle.splice(i, 1);
    this.counters.closedByServer++;
    e.conn.close(true);
  }

  #armPurge(): void {
    if (this.#purge !== undefined) return;
    this.#purge = this.#clock.setTimer(this.#runPurge, this.settings.purgeDelayMs);
  }

  /** Closes what stayed idle for a whole purge delay; runs again while any is left. */
  readonly #runPurge = (): void => {
    this.#purge = undefined;
    // srv_cleanup_idle_conns(): the need is the peak of the last period, decaying by halves.
    this.#estNeed = Math.max(Math.ceil((this.#estNeed + this.#maxUsed) / 2), this.#maxUsed);
    this.#maxUsed = 0;
    const limit = this.#clock.now() - this.settings.purgeDelayMs;
    while (this.#idle.length > 0 && this.#idle[0]!.since <= limit) {
      const e = this.#idle.shift()!;
      this.counters.purged++;
      e.conn.close();
    }
    if (this.#idle.length > 0) this.#armPurge();
  };
}
