/**
 * What an HTTP transaction records for its log line (configuration.txt 8.2.3, `option
 * httplog`; 8.2.4, `log-format`) and for the counters of its frontend, backend and server:
 * the request line, the backend and server chosen, the timers, the byte counts, the status
 * and the termination state. {@link HttpTxn} fills it in as the exchange goes.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import type { Lease } from "../lease.ts";
import type { Server } from "../server.ts";
import type { SampleContext } from "../acl/sample.ts";
import type { HttpSession } from "../http_session.ts";
import { type AbortSide, countAbort, countHttp, countTimes, dataAbort } from "../_counters.ts";
import type { H1HeadEvent } from "./events.ts";
import { htxSize, NO_REQUEST, type RequestHead } from "./head.ts";
import { sampleContext } from "./txn_sample.ts";
import { RequestIdentity } from "./unique_id.ts";

/** The logged data of one request and its response. */
export class TxnRecord {
  /** The client connection it belongs to. */
  readonly session: HttpSession;
  /** The request head event; undefined for a request the parser refused (`<BADREQ>`). */
  readonly request: H1HeadEvent<RequestHead> | undefined;
  /** `%r`: the request line as received. */
  readonly requestLine: string | undefined;
  /** `%tr`: when the request's first byte arrived, clock ms. */
  readonly startAt: number;
  /** When the request head was complete, clock ms (`%TR` = headAt - startAt). */
  readonly headAt: number;
  /** `%b`: the backend chosen, or the frontend's name until one is. */
  backendName: string;
  /** The backend serving the request, once chosen. */
  backend: Backend | undefined;
  /** What the backend gave this transaction, once chosen. */
  lease: Lease | undefined;
  /** `%ST`: the status sent to the client, -1 while none was. */
  status = -1;
  /** `%Tw`, `%Tc`, `%Tr`: -1 until known. */
  queueMs = -1;
  /** `%Tc`: the time to connect, ms; -1 until known. */
  connectMs = -1;
  /** `%Tr`: the time the server took to send the response head, ms; -1 until known. */
  responseMs = -1;
  /** End time, clock ms (`%Ta` = endedAt - startAt). */
  endedAt = -1;
  /** Request bytes received (head and body). */
  bytesIn = 0;
  /** `%B`: response bytes sent to the client. */
  bytesOut = 0;
  /** The server connection came from the pool. */
  reused = false;
  /** A `monitor-uri` request: answered by the proxy, not logged (as HAProxy). */
  monitor = false;
  /** `%s` of a request a service answered: `<STATS>` or `<PROMEX>`. */
  applet: string | undefined;
  /** `%tsc`'s last two characters: the persistence cookie's flags on the request and the response. */
  cookieStatus = "--";
  /** First termination character (configuration.txt 8.5): who ended the transaction. */
  termCause = "-";
  /** Second termination character (configuration.txt 8.5): in which phase. */
  termPhase = "-";
  /**
   * An abort HAProxy's analysers count before the data phase (http_ana.c): the client leaving
   * with `option abortonclose` (`CH`), or cutting a buffered body short. Data-phase aborts
   * are read from the termination state ({@link dataAbort}).
   */
  abortBefore: AbortSide | undefined;
  /**
   * `%Ts`, `%rt` and the unique id (`unique-id-format`); undefined for a request the parser
   * refused, which HAProxy logs without a stream (`%ID` is `-`).
   */
  readonly identity: RequestIdentity | undefined;

  /**
   * The record of the request whose head `request` was parsed at `headAt` (clock ms; now, on
   * the session's clock, when not given).
   */
  constructor(
    session: HttpSession,
    request: H1HeadEvent<RequestHead> | undefined,
    startAt: number,
    headAt: number = session.ctx.clock.now(),
  ) {
    this.session = session;
    this.request = request;
    const h = request?.head;
    this.requestLine = h === undefined ? undefined : `${h.method} ${h.target} ${h.version}`;
    this.startAt = startAt;
    this.headAt = headAt;
    this.backendName = session.frontend.name;
    this.bytesIn = request === undefined ? 0 : htxSize(request.head);
    this.identity = request === undefined
      ? undefined
      : new RequestIdentity(session.frontend.settings.uniqueId, startAt, () => this.sampleContext());
  }

  /** What `log-format` samples read (an empty request for a refused one). */
  sampleContext(): SampleContext {
    return sampleContext(
      this.session,
      this.request?.head ?? NO_REQUEST,
      this.session.frontend.name,
      this.backendName,
      undefined,
      this.identity,
    );
  }

  /** `%tsc`'s first two characters. */
  get termination(): string {
    return this.termCause + this.termPhase;
  }

  /** The server the transaction was assigned to or last tried. */
  get server(): Server | undefined {
    return this.lease?.server;
  }

  /**
   * Internal, called once at the end (after {@link endedAt} is set): the status class counted
   * by the frontend, its backend and server, the timers (HAProxy's `stream_update_time_stats()`)
   * and an abort by the backend and server. A refused request counts nothing.
   */
  countEnd(): void {
    if (this.request === undefined) return;
    countHttp(this.session.frontend.counters.http, this.status);
    if (this.backend !== undefined) countHttp(this.backend.counters.http, this.status);
    const srv = this.lease?.server;
    if (srv !== undefined) countHttp(srv.counters.http, this.status);
    const total = this.endedAt - this.startAt;
    if (this.backend !== undefined) {
      countTimes(this.backend.counters.times, this.queueMs, this.connectMs, this.responseMs, total);
    }
    if (srv !== undefined) countTimes(srv.counters.times, this.queueMs, this.connectMs, this.responseMs, total);
    // `cli_abrt` / `srv_abrt`, once per transaction.
    const abort = this.abortBefore ?? dataAbort(this.termCause, this.termPhase);
    countAbort(abort, this.backend?.counters, srv?.counters);
  }
}
