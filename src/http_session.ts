/**
 * The client side of HTTP mode: one {@link HttpSession} per accepted connection, HAProxy's H1
 * mux on the frontend (src/mux_h1.c). It parses the requests of its connection one after the
 * other and runs one {@link HttpTxn} per request, keeping the connection alive between them.
 *
 * Invariants:
 * - One transaction at a time (HAProxy's H1 mux does not pipeline toward the server either):
 *   pipelined requests wait in the parser, and the client is paused once the parser holds
 *   `PIPELINE_BUFFER_BYTES`, so nothing buffers without bound.
 * - Between transactions the session waits for the next request head under
 *   `timeout http-keep-alive` (nothing received yet: a silent close, no log line, as HAProxy)
 *   or `timeout http-request` (a head started: a canned 408 and a `cR--` log line); either
 *   defaults to the next one (`http-keep-alive` → `http-request` → `timeout client`).
 * - A request refused by the parser gets the canned error of its status (HAProxy's mux-level
 *   writer, `Connection: close`), a log line with the parser's termination flags and
 *   `<BADREQ>`, and the connection is closed: the process and other connections are untouched.
 * - The session owns the client connection; a transaction borrows it and tells the session when
 *   it is over and whether the connection may carry another request.
 * - The frontend's `tcp-request content` rules run on each request head before anything else
 *   reads it (HAProxy runs `tcp_inspect_request()` on each HTTP stream, configuration.txt 4.2
 *   "tcp-request content": "all tcp-request content rules are evaluated again"): a `reject`
 *   closes the connection without an answer, logged `PR--`, status -1, `<BADREQ>`, counted in
 *   `dreq` and `hrsp_other` but not in `req_tot`, as HAProxy 2.6.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { CO_FL, type Connection } from "./connection.ts";
import type { Address, NetError, Socket, SocketHandlers } from "./net.ts";
import type { Endpoint } from "./acl/sample.ts";
import { StreamInterface } from "./stream_interface.ts";
import type { Frontend } from "./frontend.ts";
import type { Backend } from "./backend.ts";
import type { HttpPolicy, RequestDecision } from "./http/policy.ts";
import type { HttpReply } from "./http/error_pages.ts";
import { H1RequestParser } from "./http/parser.ts";
import { isH1Error } from "./http/error.ts";
import { type H1Limits, HAPROXY_BUFSIZE } from "./http/limits.ts";
import { HttpTxn } from "./http_txn.ts";
import { TimerSlot } from "./timer_slot.ts";
import { countHttp } from "./_counters.ts";
import { DEFAULT_POOL, type HttpConnectionMode, ServerPool } from "./pool.ts";
import type { Server } from "./server.ts";
import { type ContentRule, runContentRules } from "./inspect_rules.ts";
import type { RequestHead } from "./http/head.ts";
import { sampleContext } from "./http/txn_sample.ts";

/** An address as the ACL fetches read it. */
function endpoint(a: Address | undefined): Endpoint | undefined {
  return a?.transport === "tcp" ? { address: a.hostname, port: a.port } : undefined;
}

/**
 * How long a draining session (the proxy stops or reloads) waits for the next request of a
 * connection on which nothing of one was received, ms, before closing it silently.
 */
export const DRAIN_IDLE_MS = 1000;

/** Pipelined request bytes held while a transaction runs before the client is paused (HAProxy's tune.bufsize). */
export const PIPELINE_BUFFER_BYTES: number = HAPROXY_BUFSIZE;

/** What the sessions of one HTTP frontend share, built once per frontend. */
export interface HttpSessionContext {
  /** Times the transactions and the timeouts. */
  readonly clock: Clock;
  /** The frontend the connections were accepted on. */
  readonly frontend: Frontend;
  /** The frontend's compiled HTTP settings (ACLs, rules, switching, error pages). */
  readonly policy: HttpPolicy;
  /** The compiled HTTP settings of the backends, by name. */
  readonly backendPolicies: ReadonlyMap<string, HttpPolicy>;
  /** The backends `use_backend` may name, by name. */
  readonly backends: ReadonlyMap<string, Backend>;
  /** Parser limits. */
  readonly limits: Partial<H1Limits>;
  /** `timeout http-request`, ms (falls back to `timeout client`). */
  readonly requestTimeoutMs: number | undefined;
  /** `timeout http-keep-alive`, ms (falls back to `timeout http-request`). */
  readonly keepAliveTimeoutMs: number | undefined;
  /** The frontend's connection mode. */
  readonly mode: HttpConnectionMode;
  /** The frontend's `option http-buffer-request`. */
  readonly bufferRequest: boolean;
  /**
   * The frontend's `tcp-request content` rules, run on each request head (see the module's
   * invariants). @default undefined (none)
   */
  readonly contentRules?: readonly ContentRule[];
  /** Called once per transaction, when it is over (its lease released): the log line. */
  readonly onTxnEnd: (txn: HttpTxn) => void;
  /** Called once when the session is over. */
  readonly onEnd: (session: HttpSession) => void;
  /**
   * Answers a request a service takes (`use-service prometheus-exporter`, the stats page)
   * with the proxy's own reply; `target` is the request's URI. @default undefined (503)
   */
  readonly service?: ServiceHandler;
}

/** What answers a request for a service (see {@link HttpSessionContext.service}). */
export type ServiceHandler = (
  decision: Extract<RequestDecision, { kind: "service" }>,
  target: string,
  request?: { readonly method: string; readonly body: Uint8Array | undefined },
) => HttpReply;

/** The client connection of an HTTP frontend and its sequence of transactions. */
export class HttpSession implements SocketHandlers {
  /** The client's connection (addresses, flags). */
  readonly conn: Connection;
  /** The client's socket. */
  readonly socket: Socket;
  /** The client side, EST from the start, CLO once the connection is closed. */
  readonly front: StreamInterface;
  /** The shared settings. */
  readonly ctx: HttpSessionContext;
  /** Accept time, clock ms. */
  readonly acceptedAt: number;
  /** Requests parsed on this connection so far (the first one is 1: `http-reuse safe` reads it). */
  requests = 0;
  /** Bytes received from and sent to the client over the whole connection (frontend counters). */
  bytesIn = 0;
  bytesOut = 0;
  /** The parser of the requests of this connection. */
  readonly parser: H1RequestParser;
  /** The runtime timer the session and its transactions take in turn, cleared at the end. */
  readonly timerSlot: TimerSlot;
  /** The transaction in progress. */
  #txn: HttpTxn | undefined;
  /** When the current request's first byte arrived (or the previous transaction ended), clock ms. */
  #startAt: number;
  /**
   * When bytes last arrived between transactions, clock ms: a head completes with the read
   * that brought its end (a pipelined head read earlier counts from {@link #startAt}).
   */
  #readAt = -1;
  /**
   * Idle server connections that belong to this client only (`http-reuse never`, or bound by
   * connection-based authentication): one pool per server, watched as the shared pools are,
   * closed with the session.
   */
  #private: Map<Server, ServerPool> | undefined;
  /** The endpoints, `null` until read. */
  #src: Endpoint | undefined | null = null;
  #dst: Endpoint | undefined | null = null;
  /** The proxy stops: close once the current transaction is over. */
  #draining = false;
  /** When {@link drain} was called, clock ms. */
  #drainAt = 0;
  #paused = false;
  #ended = false;

  /** A session for an accepted socket; nothing runs before {@link start}. */
  constructor(ctx: HttpSessionContext, socket: Socket, conn: Connection) {
    this.ctx = ctx;
    this.socket = socket;
    this.conn = conn;
    this.acceptedAt = ctx.clock.now();
    this.#startAt = this.acceptedAt;
    this.front = new StreamInterface("client");
    this.front.attachEstablished(conn);
    this.parser = new H1RequestParser(ctx.limits);
    this.timerSlot = new TimerSlot(ctx.clock);
  }

  /** The client's address as ACL fetches read it (read from the connection once). */
  get srcEndpoint(): Endpoint | undefined {
    if (this.#src === null) this.#src = endpoint(this.conn.src);
    return this.#src;
  }

  /** The address the client connected to, as ACL fetches read it (read once). */
  get dstEndpoint(): Endpoint | undefined {
    if (this.#dst === null) this.#dst = endpoint(this.conn.dst);
    return this.#dst;
  }

  /** The frontend the connection was accepted on. */
  get frontend(): Frontend {
    return this.ctx.frontend;
  }

  /** The client connection is closed (or closing): nothing more can be sent to it. */
  get clientGone(): boolean {
    return (this.conn.flags & CO_FL.CTRL_READY) === 0;
  }

  /** The client sent its EOF. */
  get clientEof(): boolean {
    return (this.conn.flags & CO_FL.SOCK_RD_SH) !== 0;
  }

  /**
   * Starts reading requests. `head`: client bytes an earlier stage read (after a PROXY
   * header, during inspection), parsed first as if just received.
   */
  start(head?: Uint8Array): void {
    this.socket.setNoDelay(true);
    this.socket.setHandlers(this);
    this.#armWait();
    if (head !== undefined && head.length > 0) this.onData(head);
  }

  /** Client bytes: to the parser; a request head starts a transaction. */
  onData(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    if (this.#txn === undefined) {
      this.#readAt = this.ctx.clock.now();
      if (this.#idle) this.#startAt = this.#readAt;
    }
    this.parser.push(chunk);
    const txn = this.#txn;
    if (txn !== undefined) {
      txn.clientData();
      if (this.#txn === txn && !txn.readingRequest && this.parser.buffered >= PIPELINE_BUFFER_BYTES) this.pause();
      return;
    }
    this.#next();
  }

  /** Client EOF. */
  onEnd(): void {
    this.conn.read0();
    this.parser.end();
    if (this.#txn !== undefined) this.#txn.clientData();
    else this.#next();
  }

  /** The client can take more: a transaction waiting on it goes on. */
  onDrain(): void {
    this.#txn?.clientDrained();
  }

  /** The client connection is gone. */
  onClose(error?: NetError): void {
    this.conn.closed(error);
    this.front.setState("CLO");
    this.timerSlot.release(this);
    if (this.#txn !== undefined) this.#txn.clientClosed(error);
    else this.#finish();
  }

  /** Stops reading the client (backpressure or pipelined bytes held). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  /** Reads the client again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  /** Writes to the client; false when its buffer is full (wait for `clientDrained`). */
  write(bytes: Uint8Array): boolean {
    if (this.clientGone) return true;
    this.bytesOut += bytes.length;
    return this.socket.write(bytes);
  }

  /** Closes the client connection (what was written is flushed first); `abort` resets it. */
  close(abort = false): void {
    if (this.clientGone) return;
    this.conn.close(abort);
  }

  /**
   * The proxy stops (or a reload drains it): a connection in a transaction closes once the
   * transaction is over (its response says `connection: close`); one waiting with nothing of a
   * request received gets {@link DRAIN_IDLE_MS} more for its next request, which is served
   * the same way, and is closed silently after that. Closing such a connection at once would
   * race with a request the client is sending on it, lost to a client that does not retry
   * (HAProxy's `idle-close-on-response` behaviour, its default before 2.4).
   */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drainAt = this.ctx.clock.now();
    if (this.#txn === undefined) this.#armWait();
  }

  /** Whether the next response must close the connection (the proxy stops). */
  get draining(): boolean {
    return this.#draining;
  }

  /** The transaction in progress, if any (the runtime API looks for the server it uses). */
  get txn(): HttpTxn | undefined {
    return this.#txn;
  }

  /**
   * When the next timeout of the connection is due, clock ms (`show sess`'s `exp`): its
   * transaction's, or the wait for a request; undefined if no timer is armed.
   */
  get expiresAt(): number | undefined {
    return this.#txn?.expiresAt ?? this.timerSlot.dueFor(this);
  }

  /** Ends the session at once (HAProxy's `K`): the transaction is killed, both sides reset. */
  kill(): void {
    if (this.#txn !== undefined) this.#txn.kill();
    else this.close(true);
  }

  /**
   * The transaction is over (its log line is out). With `keepAlive`, the next request is read
   * (it may be buffered already: pipelining); otherwise the connection is closed.
   */
  txnDone(txn: HttpTxn, keepAlive: boolean): void {
    if (this.#txn !== txn) return;
    this.#txn = undefined;
    this.#startAt = txn.endedAt;
    if (this.front.state === "CLO") return this.#finish();
    if (this.clientGone) return; // closing: onClose ends the session
    if (!keepAlive || this.#draining) {
      this.close();
      return;
    }
    this.resume();
    this.#next();
  }

  /** Reads the next request head, starting its transaction, or arms the wait timer. */
  #next(): void {
    if (this.#ended || this.#txn !== undefined || this.clientGone) return;
    let ev;
    try {
      ev = this.parser.read();
    } catch (e) {
      if (!isH1Error(e)) throw e;
      return this.#refuse(e.status, e.termination);
    }
    if (ev === null) {
      if (this.clientEof) {
        // EOF between requests: normal after a request, a probe (400 CR--) before any.
        if (this.requests === 0 && this.parser.buffered === 0) return this.#refuse(400, "CR--");
        this.close();
        return;
      }
      this.#armWait();
      return;
    }
    if (ev.type !== "head") throw new Error(`http session: unexpected ${ev.type} event between requests`);
    this.requests++;
    if (this.ctx.contentRules !== undefined && this.#inspect(this.ctx.contentRules, ev.head) === "reject") {
      return this.#reject();
    }
    const txn = new HttpTxn(this, ev, this.#startAt, Math.max(this.#startAt, this.#readAt));
    // `req_rate` counts requests as they arrive, as HAProxy's (the totals count them at their end).
    this.ctx.frontend.counters.http.rate.add(1, txn.headAt);
    this.#txn = txn;
    txn.start();
  }

  /**
   * A request refused before a transaction exists: the canned error (mux level), a log line
   * with `<BADREQ>`, and the connection closed.
   */
  #refuse(status: number, termination: string): void {
    this.timerSlot.release(this);
    const raw = this.ctx.policy.errors.raw(status);
    if (raw !== undefined) this.socket.write(raw);
    this.requests++;
    this.ctx.frontend.counters.http.rate.add();
    const txn = HttpTxn.refused(this, status, termination, this.#startAt);
    countHttp(this.ctx.frontend.counters.http, status);
    this.ctx.onTxnEnd(txn);
    this.close();
  }

  /**
   * The `tcp-request content` rules on the parsed head `head`, one final pass (HAProxy has
   * the whole head in its HTX buffer when they run; the layer 6 fetches then read it as
   * `req.len` does, `req.payload` and the `req.ssl_*` fetches find nothing). No rule
   * deciding, or one waiting for bytes no pass will bring, means accept.
   */
  #inspect(rules: readonly ContentRule[], head: RequestHead): "accept" | "reject" {
    const fe = this.ctx.frontend.name;
    // `set-dst` changes the connection's destination: later rules and the request read it again.
    const moves = rules.some((r) => r.expr !== undefined);
    const ctx = () => {
      if (moves) this.#dst = null;
      return sampleContext(this, head, fe, fe);
    };
    const verdict = runContentRules(rules, ctx, this.conn);
    if (moves) this.#dst = null;
    return verdict === "reject" ? "reject" : "accept";
  }

  /**
   * `tcp-request content reject` on a request: no answer, the connection closed, a log line
   * `-1/-1/-1/-1/Tt -1 ... PR-- "<BADREQ>"`; counted in `dreq` and `hrsp_other` (status -1),
   * not in `req_tot` nor `req_rate` (HAProxy counts those once the rules passed).
   */
  #reject(): void {
    this.timerSlot.release(this);
    const c = this.ctx.frontend.counters;
    c.denied++;
    c.http.responses[5]++;
    this.ctx.onTxnEnd(HttpTxn.refused(this, -1, "PR--", this.#startAt));
    this.close();
  }

  /** Arms the wait for the next request head: keep-alive timeout when nothing came yet, else http-request. */
  #armWait(): void {
    const at = this.#deadline();
    if (at === undefined) return this.timerSlot.release(this);
    // A timer due no later stays (it re-checks when it fires): one timer for many requests.
    this.timerSlot.take(this, at, this.ctx.clock.now(), this.#onTimer);
  }

  /**
   * How long the session waits for a request: `timeout http-keep-alive` while nothing of it
   * came (`idle`), else `timeout http-request`, each falling back to the next, then to
   * `timeout client`; undefined: no limit.
   */
  waitTimeoutMs(idle: boolean): number | undefined {
    const reqTo = this.ctx.requestTimeoutMs ?? this.ctx.frontend.settings.clientTimeoutMs;
    return idle ? this.ctx.keepAliveTimeoutMs ?? reqTo : reqTo;
  }

  /** Nothing of a request received since the last one ended (or since the accept). */
  get #empty(): boolean {
    return this.parser.buffered === 0 && this.parser.state === "idle";
  }

  /** Nothing of a next request received yet (the keep-alive wait). */
  get #idle(): boolean {
    return this.requests > 0 && this.#empty;
  }

  /** When the wait for a request ends, clock ms (undefined: no limit); sooner once draining. */
  #deadline(): number | undefined {
    const to = this.waitTimeoutMs(this.#idle);
    const at = to === undefined ? Infinity : this.#startAt + to;
    const drained = this.#draining && this.#empty ? this.#drainAt + DRAIN_IDLE_MS : Infinity;
    const end = Math.min(at, drained);
    return end === Infinity ? undefined : end;
  }

  readonly #onTimer = (): void => {
    // A transaction runs: its own timers apply; the wait is armed again when it ends.
    if (this.#txn !== undefined || this.clientGone || this.#ended) return;
    const at = this.#deadline();
    if (at === undefined || this.ctx.clock.now() < at) return this.#armWait();
    // Nothing of a next request: a silent close (HAProxy's WAIT_NEXT_REQ, or the end of a
    // drain); else 408.
    if (this.#idle || (this.#draining && this.#empty)) this.close();
    else this.#refuse(408, "cR--");
  };

  /** Whether the session holds private server connections. */
  get hasPrivate(): boolean {
    return this.#private !== undefined;
  }

  /**
   * The session's idle connection to `srv` with connection hash `hash`, if it has one (taken:
   * the caller attaches it).
   */
  takePrivate(srv: Server, hash?: string): Connection | undefined {
    return this.#private?.get(srv)?.take(false, 0, hash);
  }

  /** Keeps a server connection for this session's next requests to `srv` (one per server). */
  parkPrivate(srv: Server, conn: Connection): void {
    let pool = this.#private?.get(srv);
    if (pool === undefined) {
      const s = srv.pool?.settings ?? DEFAULT_POOL;
      pool = new ServerPool({ maxIdle: 1, purgeDelayMs: s.purgeDelayMs, maxReuse: s.maxReuse }, this.ctx.clock);
      (this.#private ??= new Map()).set(srv, pool);
    }
    pool.park(conn, conn.requests);
  }

  /** Once: the connection is over (the transaction, if any, logged first). */
  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#private !== undefined) { for (const p of this.#private.values()) p.clear(); }
    this.timerSlot.clear();
    this.ctx.onEnd(this);
  }
}
