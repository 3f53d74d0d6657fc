/**
 * One HTTP transaction (HAProxy's HTTP stream): a request of an {@link HttpSession}, the
 * decision the frontend's and backend's rules make about it, the server side (elected,
 * queued, connected with retries by the backend, or taken from the server's pool of idle
 * connections), the response, and the log line.
 *
 * Invariants:
 * - The request head is parsed once and serialized once (rules change it in place); bodies
 *   are forwarded as views of the chunks received, never copied; the chunked coding is
 *   re-framed on each side as HAProxy does.
 * - Backpressure both ways: a side whose write buffer is full pauses the other side's reads
 *   until it drains.
 * - The server connection outlives the transaction only when both its request and its
 *   response were complete, the response lets the connection carry another request and the
 *   backend keeps server connections alive: it is then detached from the transaction's stream
 *   interface and parked in its server's {@link ServerPool}, as the design note describes.
 * - An idempotent request without a body that fails on a reused connection before any byte of
 *   a response came back is sent again on a new connection: an idle connection the server
 *   closed never costs the client a failed idempotent request.
 * - The transaction ends once: lease released, log line out, then the session is told whether
 *   the client connection carries on.
 * - Proxy mode (`option http_proxy`, `src/http/forward_proxy.ts`): the destination is set on
 *   the server connection before the backend's connect loop runs, which then elects nothing.
 * - `retry-on` (`src/http/retry_on.ts`): a request read whole before its first send (16 KiB at
 *   most) is kept as sent; a listed failure before any response byte reached the client sends
 *   that copy again on a new connection, counted by the backend (`Backend.retryRequest()`).
 * - A tunnel (101, CONNECT) ends on `timeout tunnel` of inactivity both ways, on the client's
 *   close, or once the server's connection is closed.
 *
 * @module
 */
import { CO_FL } from "./connection.ts";
import type { NetError, Socket } from "./net.ts";
import { StreamInterface } from "./stream_interface.ts";
import { type CancelToken, type ConnectFailure, raiseCancel, type ReuseHook } from "./backend.ts";
import type { Server } from "./server.ts";
import type { TcpAddress } from "./net.ts";
import type { H1HeadEvent } from "./http/events.ts";
import { htxSize, type RequestHead } from "./http/head.ts";
import { TxnOutput } from "./http/txn_write.ts";
import { responseParserOf, ResponseSide } from "./http/txn_response.ts";
import { RequestSide } from "./http/txn_request.ts";
import { ServerSide } from "./http/txn_server_side.ts";
import { type TxnCore, TxnFlags } from "./http/txn_state.ts";
import { HeldRequest, takeExpectContinue } from "./http/txn_buffer.ts";
import { parkable, replyHeadOptions, requestHeadOptions, reuseHook, serverMode } from "./http/txn_conn_mode.ts";
import type { HttpConnectionMode } from "./pool.ts";
import { TxnRecord } from "./http/txn_record.ts";
import { type TimeoutSide, TxnTimer } from "./http/txn_timer.ts";
import { isH1Error } from "./http/error.ts";
import { serializeRequestHead, serializeResponseHead } from "./http/serialize.ts";
import { errorReply, type HttpReply } from "./http/error_pages.ts";
import { decideRequest, type HttpPolicy, type RequestDecision } from "./http/policy.ts";
import type { HttpSession } from "./http_session.ts";
import { CONNECT_ESTABLISHED, type ForwardProxy } from "./http/forward_proxy.ts";
import { persistRequest, type RequestPersistence } from "./http/persist.ts";
import { RequestReplay } from "./http/txn_replay.ts";

export { sampleContext } from "./http/txn_sample.ts";
export { COALESCE_BYTES } from "./http/txn_write.ts";
export { REQUEST_BUFFER_BYTES } from "./http/txn_buffer.ts";

/** The body of a reply to HEAD. */
const EMPTY = new Uint8Array(0);

/** Makes a transaction's {@link TxnCore}; set by the static block at the end of {@link HttpTxn}. */
let coreOf: (t: HttpTxn) => TxnCore;

/** One request and its response. */
export class HttpTxn extends TxnRecord implements CancelToken {
  /** The server side. */
  back: StreamInterface = new StreamInterface("server");
  /** CancelToken: the client left or the transaction was killed. */
  aborted = false;
  /** CancelToken: what the connect loop waits for. */
  onCancel: (() => void) | undefined;

  #server: Socket | undefined;
  /** What the persistence cookie of the request said (`cookie`), for the response's. */
  #persistence: RequestPersistence<Server> | undefined;
  /** `option abortonclose`: the client left while its server connection was under way. */
  #abortedOnClose = false;
  /** The body is being waited for before connecting. */
  #buffering = false;
  /** A POST to the stats page in admin mode, waiting for its body. */
  #adminPost: Extract<RequestDecision, { kind: "service" }> | undefined;
  /** Progress of both messages, read by the timer too. */
  readonly #f = new TxnFlags();
  /** The inactivity timer (and the last activity of each side). */
  readonly #timer: TxnTimer;
  /** Proxy mode: the destination the request named, resolved (set again on each retry). */
  #dst: TcpAddress | undefined;
  /** Proxy mode, CONNECT: the proxy answers {@link CONNECT_ESTABLISHED} once connected. */
  #connectTunnel = false;
  /** What the request and response sides, the output and the timer reach of the transaction (see {@link coreOf}). */
  readonly #core: TxnCore = coreOf(this);
  /** Bytes queued for each side during a pull, written at its end (see #flushOut). */
  readonly #out: TxnOutput = new TxnOutput(this.#f, this.session, this.#core);
  /** The request side (body forwarding once connected). */
  readonly #req: RequestSide = new RequestSide(this.#core);
  /** The response side (parser, final head, connection modes). */
  readonly #res: ResponseSide = new ResponseSide(this.#core);
  /** `retry-on`: the request as first sent, and whether a layer-7 retry is under way. */
  readonly #replay = new RequestReplay();

  /**
   * A transaction for the request whose head `request` was just parsed (at `headAt`, clock ms;
   * the clock's now when not given). Nothing runs before {@link start}.
   */
  constructor(session: HttpSession, request: H1HeadEvent<RequestHead> | undefined, startAt: number, headAt?: number) {
    super(session, request, startAt, headAt);
    this.#timer = new TxnTimer(session.ctx.clock, this.#f, this.headAt, this.#core, session.timerSlot);
  }

  /** A request the parser refused, or a wait for a head that timed out: logged, already over. */
  static refused(session: HttpSession, status: number, termination: string, startAt: number): HttpTxn {
    const t = new HttpTxn(session, undefined, startAt);
    t.status = status;
    t.termCause = termination[0]!;
    t.termPhase = termination[1]!;
    t.#f.ended = true;
    t.endedAt = session.ctx.clock.now();
    return t;
  }

  /** When the transaction's armed timer is due, clock ms (`show sess`'s `exp`); undefined if none is. */
  get expiresAt(): number | undefined {
    return this.#timer.at;
  }

  /** The request body is being forwarded (the session does not hold pipelined bytes back). */
  get readingRequest(): boolean {
    return this.#server !== undefined && !this.#f.reqDone;
  }

  #bePolicy(): HttpPolicy | undefined {
    return this.session.ctx.backendPolicies.get(this.backendName);
  }

  /** Runs the request rules, then replies or connects. */
  start(): void {
    const ctx = this.session.ctx;
    const req = this.request!;
    const conn = this.session.conn;
    const d = decideRequest(ctx.policy, ctx.backendPolicies, () => this.sampleContext(), this.identity);
    if (d.kind === "reply") {
      if (d.backend !== undefined) this.backendName = d.backend;
      this.#setTerm(d.termination[0]!, d.termination[1]!);
      this.queueMs = -1;
      if (d.monitor === true) {
        this.monitor = true;
        ctx.frontend.counters.intercepted++;
      }
      return this.#reply(d.reply, d.status);
    }
    if (d.kind === "service") {
      // The stats page and `use-service` answer without a server: HAProxy's applets, logged
      // `fe/<STATS>` or `fe/<PROMEX>` with `0/0/0` timers and `LR--`.
      if (d.backend !== undefined) this.backendName = d.backend;
      this.applet = d.service === "stats" ? "<STATS>" : "<PROMEX>";
      this.#setTerm("L", "R");
      this.queueMs = 0;
      this.connectMs = 0;
      this.responseMs = 0;
      ctx.frontend.counters.intercepted++;
      if (d.admin === true && req.head.method === "POST") {
        // The stats page's admin form: its body is read first (`stats admin`, HAProxy's STAT_HTTP_POST).
        this.#adminPost = d;
        return this.#bufferRequest();
      }
      return this.#serviceReply(d, EMPTY);
    }
    this.backendName = d.backend;
    const be = ctx.backends.get(d.backend)!;
    this.backend = be;
    const lease = be.admit(conn, this.headAt);
    this.lease = lease;
    lease.identity = this.identity;
    if (be.forwardProxy !== undefined) return void this.#proxy(be.forwardProxy);
    // `balance uri|url_param|hdr` hash the request; a persistence cookie names the server
    // (and is stripped from what the server sees as the mode says).
    lease.request = req.head;
    const hs = be.settings.http;
    if (hs?.cookie !== undefined) {
      const p = persistRequest(hs.cookie, be.servers, req.head, {
        persist: hs.persist ?? false,
        nowMs: ctx.clock.now(),
      });
      this.#persistence = p;
      lease.direct = p.server;
    }
    if ((ctx.bufferRequest || hs?.bufferRequest === true) && (req.body === "chunked" || req.contentLength > 0)) {
      return this.#bufferRequest();
    }
    this.#armTimer();
    // The head was read in this turn: its time serves as the connect's start.
    this.#connect(false, true, this.headAt);
  }

  /**
   * `option http-buffer-request`: the body is read (up to {@link REQUEST_BUFFER_BYTES}) before
   * any server is involved, as HAProxy's `http_wait_for_request_body()`. An HTTP/1.1 client
   * expecting `100-continue` gets it from the proxy, and the field is removed. The events read
   * are held and forwarded first once connected.
   */
  #bufferRequest(): void {
    const interim = takeExpectContinue(this.request!.head);
    if (interim !== undefined) {
      this.bytesOut += htxSize(interim);
      this.session.write(serializeResponseHead(interim));
    }
    this.#req.held = new HeldRequest();
    this.#buffering = true;
    this.#fillHeld();
  }

  /** Reads request events into the held list; connects once the body is in or the buffer full. */
  #fillHeld(): void {
    let r;
    try {
      r = this.#req.held!.fill(this.session.parser);
    } catch (e) {
      if (!isH1Error(e)) throw e;
      this.#buffering = false;
      if (e.termination === "CD--" || e.termination === "CR--") {
        // HAProxy forwards what it has, then its body analyser counts the client's abort.
        if (this.termCause === "-") this.abortBefore = "client";
        this.#setTerm("C", "R");
        return this.#abortBoth();
      }
      this.#setTerm("P", "R");
      return this.#reply(errorReply(400, this.#bePolicy()?.errors, this.session.ctx.policy.errors), 400, true);
    }
    if (r === "wait") return this.#armBufferWait();
    this.#buffering = false;
    this.#disarm();
    if (this.#adminPost !== undefined) return this.#serviceReply(this.#adminPost, this.#heldBody());
    this.#armTimer();
    this.#connect(false);
  }

  /** A service's reply to this request (`body`: what was read of it, undefined if it exceeded the buffer). */
  #serviceReply(d: Extract<RequestDecision, { kind: "service" }>, body: Uint8Array | undefined): void {
    const ctx = this.session.ctx;
    const req = this.request!;
    const reply = ctx.service?.(d, req.head.target, { method: req.head.method, body }) ??
      errorReply(503, this.#bePolicy()?.errors, ctx.policy.errors);
    this.#reply(reply, reply?.status ?? 503);
  }

  /** The held request's body, consumed (the request is then read to its end), or undefined if it did not fit. */
  #heldBody(): Uint8Array | undefined {
    const chunks: Uint8Array[] = [];
    let ended = false;
    for (let ev = this.#req.held!.next(); ev !== undefined; ev = this.#req.held!.next()) {
      if (ev.type === "body") {
        chunks.push(ev.data);
        this.bytesIn += ev.data.length;
      } else if (ev.type === "end") ended = true;
    }
    this.#req.held = undefined;
    if (!ended) return undefined;
    this.#f.reqDone = true;
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) (out.set(c, at), at += c.length);
    return out;
  }

  /** The wait for the body is bounded by `timeout http-request` (else `timeout client`): 408 `cR--`. */
  #armBufferWait(): void {
    const ctx = this.session.ctx;
    const to = this.session.waitTimeoutMs(false);
    if (to === undefined) return;
    this.#timer.once(this.startAt + to, () => {
      if (!this.#buffering || this.#f.ended) return;
      this.#buffering = false;
      this.#setTerm("c", "R");
      this.#reply(errorReply(408, this.#bePolicy()?.errors, ctx.policy.errors), 408, true);
    });
  }

  /**
   * Proxy mode (`src/http/forward_proxy.ts`): the request names the destination; a refusal is
   * answered here (400 and 403 `PR--`, 407 `LR--`; a name that does not resolve: 503 `SC--`),
   * else the destination goes on the server connection, where the backend connects without
   * electing a server.
   */
  async #proxy(fp: ForwardProxy): Promise<void> {
    const errors = [this.#bePolicy()?.errors, this.session.ctx.policy.errors] as const;
    const d = fp.decide(this.request!.head);
    if (d.kind === "refuse") {
      this.#setTerm(d.status === 407 ? "L" : "P", "R");
      return this.#reply(fp.reply(d.status, ...errors), d.status);
    }
    const addr = await fp.address(d.destination);
    if (this.#f.ended) return;
    if (typeof addr === "string") {
      this.#setTerm(addr === "denied" ? "P" : "S", addr === "denied" ? "R" : "C");
      const status = addr === "denied" ? 403 : 503;
      return this.#reply(fp.reply(status, ...errors), status);
    }
    this.#dst = addr;
    this.#connectTunnel = d.destination.tunnel;
    this.back.ensureConn().setDst(addr);
    this.#connect(false);
  }

  /** Idle connections this request may take (`http-reuse`), or undefined. */
  #reuseHook(): ReuseHook | undefined {
    if (this.#serverMode() !== "keep-alive") return undefined;
    return reuseHook(this.session, this.backend!.settings.http?.reuse ?? "never", () => this.reused = true);
  }

  /** The server side's connection mode: the most closing of the frontend's and the backend's. */
  #serverMode(): HttpConnectionMode {
    return serverMode(this.session.ctx.mode, this.backend?.settings.http?.mode ?? "keep-alive");
  }

  /**
   * Connects the server side (`fresh`: keep the slot held, no pool: a retry after a reused
   * connection failed; `pool`: idle connections may serve) from `t0` (clock ms, `%Tc`'s start).
   */
  #connect(fresh: boolean, pool = !fresh, t0: number = this.session.ctx.clock.now()): void {
    const r = this.backend!.connect(this.lease!, this.back, this, pool ? this.#reuseHook() : undefined, fresh);
    if (r instanceof Promise) void r.then((v) => this.#connected(v, t0));
    // A connection taken from the pool comes back at once, and the request goes out now: the
    // response can only come in a later event. A failure at once ends the transaction in a
    // microtask, as after a connect: ending now would start the next pipelined request inside
    // this one's start, and so on for each of a batch refused at once.
    else if (typeof r !== "string") this.#connected(r, t0);
    else queueMicrotask(() => this.#connected(r, t0));
  }

  /** The server side is established on `r` (or failed with that termination code) after `t0`. */
  #connected(r: Socket | ConnectFailure, t0: number): void {
    const clock = this.session.ctx.clock;
    const be = this.backend!;
    const lease = this.lease!;
    if (this.#f.ended) {
      if (typeof r !== "string") this.back.conn?.close(true);
      return;
    }
    if (this.#abortedOnClose) {
      // `option abortonclose` while connecting (#clientLeft): a 400 instead of the server.
      if (typeof r !== "string") this.back.conn?.close(true);
      return this.#reply(errorReply(400, this.#bePolicy()?.errors, this.session.ctx.policy.errors), 400, true);
    }
    if (typeof r === "string") {
      if (this.back.hasBeen("QUE") || this.back.hasBeen("ASS")) this.queueMs = lease.queueMs;
      this.#setTerm(r[0]!, r[1]!);
      if (r[0] === "C") return this.#end(false);
      return this.#reply(errorReply(503, this.#bePolicy()?.errors, this.session.ctx.policy.errors), 503);
    }
    if (this.queueMs < 0) this.queueMs = lease.queueMs;
    const now = clock.now();
    if (this.connectMs < 0) this.connectMs = this.reused ? 0 : now - t0 - lease.queueMs;
    const srvPool = lease.server?.pool;
    if (srvPool !== undefined && !this.reused) srvPool.counters.opened++;
    const bc = this.back.conn!;
    bc.requests++;
    this.#server = r;
    this.#res.estAt = now;
    this.#timer.srvAt = now;
    r.setHandlers(new ServerSide(this, bc));
    // Heads, chunk framing and small bodies go out as separate writes: Nagle would hold the
    // second one for the server's delayed ACK (40 ms) on every request of a reused connection.
    if (!this.reused) r.setNoDelay(true);
    r.resume();
    const rp = responseParserOf(bc, this.session.ctx.limits);
    rp.expect(this.request!);
    this.#res.rp = rp;
    const req = this.request!;
    if (this.#replay.replaying) {
      // A layer-7 retry: the request as first sent (it was read whole then).
      r.write(this.#replay.bytes!.slice());
      return this.#armTimer();
    }
    if (this.#connectTunnel) {
      // Proxy mode CONNECT: nothing is sent; the proxy's own 2xx opens the tunnel.
      this.pullRequest();
      this.#res.push(new TextEncoder().encode(CONNECT_ESTABLISHED), now);
      this.#res.pull();
      return this.#armTimer();
    }
    const head = serializeRequestHead(req.head, requestHeadOptions(this.#serverMode(), req));
    // `retry-on` beyond connect failures: what this first send forwards is kept, and the
    // request may be replayed only if it was all there now (HAProxy's copy of the buffer).
    this.#replay.begin(be.settings.http?.retryOn, req);
    this.#toServer(head);
    if (req.body === "chunked") this.#req.chunked();
    this.pullRequest();
    this.#replay.end(this.#f.reqDone);
    this.#armTimer(now);
  }

  /**
   * A layer-7 retry (`retry-on`) when `matched` (the failure is one it lists), the request
   * was kept whole and nothing of a response reached the client: the backend counts it and
   * applies the redispatch rules (`Backend.retryRequest()`), the server connection is
   * dropped, and the request goes again on a new one. False when no retry was started.
   */
  #retry(matched: boolean | undefined): boolean {
    const be = this.backend, lease = this.lease;
    if (matched !== true || this.#replay.bytes === undefined || this.bytesOut > 0 || this.#f.resHeadSent) return false;
    const how = be === undefined || lease === undefined ? undefined : be.retryRequest(lease);
    if (how === undefined) return false;
    this.#closeServer(true);
    this.reused = false;
    this.#server = undefined;
    this.#res.reset();
    if (this.#f.srvBlocked) {
      this.#f.srvBlocked = false;
      this.session.resume();
    }
    this.#replay.replaying = true;
    this.back = new StreamInterface("server");
    if (this.#dst !== undefined) this.back.ensureConn().setDst(this.#dst);
    this.#armTimer();
    this.#connect(how === "same", false);
    return true;
  }

  /** New client bytes or EOF (the session pushed them into its parser). */
  clientData(): void {
    this.#timer.cliAt = this.session.ctx.clock.now();
    if (this.#buffering) return this.#fillHeld();
    if (this.#server !== undefined) this.pullRequest();
    if (this.session.clientEof && !this.#f.resHeadSent && !this.#f.ended && !this.#f.tunnel) this.#clientLeft();
  }

  /**
   * The client shut its side before the response: with `option abortonclose` a request waiting
   * in a queue is abandoned (`CQ`, HAProxy's reg-test http_abortonclose) and one whose server
   * connection is under way gets a 400 `CH--` instead (http_ana.c); once the request was sent,
   * the response is still awaited and sent, as HAProxy 2.6 did in the differential test.
   * Without the option the request goes on in every case; the connection closes after the
   * response.
   */
  #clientLeft(): void {
    if (this.backend?.settings.http?.abortOnClose !== true || this.#server !== undefined) return;
    if (this.back.state === "QUE") return this.#cancel(); // the connect loop ends with CQ
    this.#abortedOnClose = true;
    // http_wait_for_response()'s "client abort with an abortonclose": a `cli_abrt`.
    if (this.termCause === "-") this.abortBefore = "client";
    this.#setTerm("C", "H");
    this.#cancel();
  }

  /** Forwards what the parser has of the request body, until it waits for bytes or the server is full. */
  pullRequest(): void {
    if (this.#server === undefined) return;
    this.#req.pull();
    this.#flushOut();
  }

  /**
   * Queues bytes for the server (written by {@link #flushOut}), keeping a copy while a replay
   * copy is being taken (`retry-on`).
   */
  #toServer(bytes: Uint8Array): void {
    this.#replay.add(bytes);
    this.#out.toServer(bytes);
  }

  /** Writes what a pull queued for each side (see {@link TxnOutput}). */
  #flushOut(): void {
    this.#out.flush();
  }

  /** Server bytes: to the response parser, then to the client. */
  serverData(chunk: Uint8Array): void {
    const now = this.session.ctx.clock.now();
    this.#timer.srvAt = now;
    this.#res.push(chunk, now);
    this.#res.pull();
  }

  /** Server EOF. */
  serverEnded(): void {
    this.#res.rp?.end();
    this.#res.pull();
  }

  /** The server can take more: the client is read again. */
  serverDrained(): void {
    if (!this.#f.srvBlocked) return;
    this.#f.srvBlocked = false;
    this.session.resume();
    this.pullRequest();
    this.#armTimer();
  }

  /** The client can take more: the server is read again. */
  clientDrained(): void {
    if (!this.#f.cliBlocked) return;
    this.#f.cliBlocked = false;
    this.#server?.resume();
    this.#res.pull();
    this.#armTimer();
  }

  /** Queues bytes for the client (written by {@link #flushOut}). */
  #toClient(bytes: Uint8Array): void {
    this.#out.toClient(bytes);
  }

  /** Sends the request again on a new connection to the same server (the slot is kept). */
  #resend(): void {
    this.#closeServer(true);
    this.reused = false;
    this.#server = undefined;
    this.#res.rp = undefined;
    this.#res.gotResponse = false;
    this.#f.srvBlocked = false;
    // A new stream interface walks the new connection (the old one is CLO); the request head
    // is serialized again from the parsed head, and it had no body (see canResend()).
    this.back = new StreamInterface("server");
    this.#connect(true);
  }

  /** The server connection is gone (its flags already say so). */
  serverClosed(): void {
    const back = this.back;
    if (back.state === "EST") back.setState("DIS");
    if (back.state !== "CLO" && back.state !== "INI") back.setState("CLO");
    if (this.#f.tunnel && !this.#f.ended) return this.#tunnelServerGone();
    if (this.#f.ended || this.#f.resDone) return this.#maybeDone();
    // An EOF ends a close-delimited body; a response cut short makes the parser throw, which
    // ResponseSide.bad() turns into a 502, a resend or an abort.
    this.#res.rp?.end();
    this.#res.pull();
    if (this.#f.ended || this.#f.resDone || this.back !== back) return;
    this.#res.bad(!this.#res.gotResponse);
  }

  /**
   * The server connection of a tunnel is closed: what it sent is flushed to the client, whose
   * side is then closed too (a tunnel has nowhere left to send the client's bytes). A reset
   * from the server is logged `SD--`; a close after its EOF is a normal end.
   */
  #tunnelServerGone(): void {
    const reset = ((this.back.conn?.flags ?? 0) & CO_FL.ERROR) !== 0;
    const eof = this.#f.resDone;
    if (!eof) {
      this.#res.rp?.end();
      this.#res.pull();
    }
    if (this.#f.ended) return;
    if (reset && !eof) this.#setTerm("S", "D");
    this.#end(false);
  }

  /** The client connection is gone: the transaction ends (a client abort unless it was over). */
  clientClosed(error?: NetError): void {
    if (this.#f.ended) return;
    void error;
    if (!(this.#f.resDone && this.#f.reqDone)) {
      const phase = this.#server === undefined
        ? (this.back.state === "QUE" ? "Q" : "C")
        : this.#f.resHeadSent
        ? "D"
        : "H";
      this.#setTerm("C", phase);
    }
    this.#cancel();
    this.#closeServer(true);
    this.#end(false);
  }

  /** The proxy stops now (`K`). */
  kill(): void {
    if (this.#f.ended) return;
    this.#setTerm("K", this.#server === undefined ? "C" : this.#f.resHeadSent ? "D" : "H");
    this.#cancel();
    this.#abortBoth();
  }

  /** Ends the transaction and resets both connections. */
  #abortBoth(): void {
    this.#cancel();
    this.#closeServer(true);
    this.session.close(true);
    this.#end(false);
  }

  #cancel(): void {
    raiseCancel(this);
  }

  /** Closes the server connection (not reusable any more). */
  #closeServer(abort: boolean): void {
    if (abort) this.#out.dropServer();
    else this.#flushOut();
    const bc = this.back.conn;
    if (bc === undefined || (bc.flags & CO_FL.CTRL_READY) === 0) return;
    bc.close(abort);
  }

  /** Both messages complete (or the tunnel over): park or close the server connection, and end. */
  #maybeDone(): void {
    if (this.#f.ended || !this.#f.resDone) return;
    if (this.#f.tunnel) {
      if (!this.#f.reqDone) return;
      this.#closeServer(false);
      return this.#end(false);
    }
    const keepClient = this.#res.keepClient && this.#f.reqDone;
    const bc = this.back.conn;
    const srv = this.lease?.server;
    // One reading of the clock serves the idle entry and the end.
    const now = this.session.ctx.clock.now();
    if (this.#res.keepServer && this.#f.reqDone && bc !== undefined && srv?.pool !== undefined && parkable(bc, srv)) {
      this.back.detach();
      this.back.setState("DIS");
      this.back.setState("CLO");
      // `http-reuse never` keeps every connection to its session, as does a response that
      // bound the connection to its client (NTLM): never shared with another client.
      if (this.#res.bound || this.backend?.settings.http?.reuse === "never") this.session.parkPrivate(srv, bc);
      else srv.pool.park(bc, bc.requests, srv.served - 1, now);
    } else {
      this.#closeServer(false);
    }
    this.#server = undefined;
    this.#end(keepClient, now);
  }

  /**
   * Sends the proxy's reply (`undefined`: an empty errorfile, nothing sent and the connection
   * closed). The client connection stays alive when the request was read to its end, as
   * HAProxy's HTX replies do; `close` forces the close (a request-body error).
   */
  #reply(reply: HttpReply | undefined, status: number, close = false): void {
    const req = this.request!;
    this.status = reply?.status ?? status;
    const reqDone = this.#f.reqDone || (this.#server === undefined && this.#req.skip());
    // `connection: close` says the mux will close; a client that already sent its FIN is
    // closed after the reply too, without saying so (as HAProxy's HTX replies).
    const sayClose = close || reply === undefined || reply.close || !reqDone || !req.keepAlive ||
      this.session.ctx.mode === "close" || this.session.draining;
    const keep = !sayClose && !this.session.clientEof;
    if (reply !== undefined && !this.#f.resHeadSent) {
      // The reply is HTTP/1.1: see replyHeadOptions() for the connection field.
      const opts = replyHeadOptions(sayClose, req.head);
      this.#f.resHeadSent = true;
      // A response to HEAD has no body (RFC 9110 9.3.2): HAProxy's mux drops it.
      const body = req.head.method === "HEAD" ? EMPTY : reply.body;
      this.bytesOut += htxSize(reply.head) + body.length;
      this.#toClient(serializeResponseHead(reply.head, opts));
      if (body.length > 0) this.#toClient(body);
    }
    this.#f.resDone = true;
    this.#end(keep);
  }

  /**
   * Once: timers off, lease released, log line, then the session goes on or closes. `now`:
   * the end time when the caller read the clock already.
   */
  #end(keepClient: boolean, now?: number): void {
    if (this.#f.ended) return;
    this.#flushOut();
    this.#f.ended = true;
    const ctx = this.session.ctx;
    this.#timer.disarm();
    this.endedAt = now ?? ctx.clock.now();
    this.lease?.release(this.bytesIn, this.bytesOut);
    // Per status class: the frontend counts every request, its backend and server theirs.
    this.countEnd();
    if (this.back.state !== "CLO" && this.back.state !== "INI" && this.back.conn === undefined) {
      this.back.setState("CLO");
    }
    ctx.onTxnEnd(this);
    this.session.txnDone(this, keepClient);
  }

  /** Records the first abnormal termination only. */
  #setTerm(cause: string, phase: string): void {
    if (this.termCause !== "-") return;
    this.termCause = cause;
    this.termPhase = phase;
  }

  /**
   * The inactivity timeouts of a transaction (see {@link TxnTimer}): `timeout server` while the
   * response is awaited or the server does not drain (504 `sH--` before the response head,
   * `sD--` after), `timeout client` while the request body is read or the client does not drain
   * (`cD--`), `timeout tunnel` for both once tunnelled.
   */
  /** Arms the timer for what is awaited now (`now`: the caller's reading of the clock, if any). */
  #armTimer(now?: number): void {
    const settings = this.#server === undefined ? undefined : this.backend?.settings;
    this.#timer.arm(settings, this.session.frontend.settings.clientTimeoutMs, now);
  }

  #disarm(): void {
    this.#timer.disarm();
  }

  /** A timeout struck on `side`: a 504 before the response head, else both connections reset. */
  #timedOut(side: TimeoutSide): void {
    if (side === "s" && !this.#f.resHeadSent && !this.#f.tunnel) {
      this.lease?.server?.observe("read-timeout");
      if (this.#retry(this.backend?.settings.http?.retryOn?.responseTimeout)) return;
      this.#setTerm("s", "H");
      this.#closeServer(true);
      return this.#reply(
        errorReply(504, this.#bePolicy()?.errors, this.session.ctx.policy.errors),
        504,
        !this.#f.reqDone,
      );
    }
    this.#setTerm(side, this.#f.resHeadSent || side === "c" ? "D" : "H");
    this.#abortBoth();
  }

  static {
    /**
     * The {@link TxnCore} of a transaction: one small object whose methods (on its prototype)
     * reach the transaction's private members, where an object literal of arrow functions cost
     * some twenty closures per request. Declared here because only code inside this class body
     * may use those members.
     */
    class Core implements TxnCore {
      readonly txn: HttpTxn;
      readonly flags: TxnFlags;
      constructor(t: HttpTxn) {
        this.txn = t;
        this.flags = t.#f;
      }
      persistence(): RequestPersistence<Server> | undefined {
        return this.txn.#persistence;
      }
      bePolicy(): HttpPolicy | undefined {
        return this.txn.#bePolicy();
      }
      serverMode(): HttpConnectionMode {
        return this.txn.#serverMode();
      }
      retry(matched: boolean | undefined): boolean {
        return this.txn.#retry(matched);
      }
      resend(): void {
        this.txn.#resend();
      }
      setTerm(cause: string, phase: string): void {
        this.txn.#setTerm(cause, phase);
      }
      closeServer(abort: boolean): void {
        this.txn.#closeServer(abort);
      }
      abortBoth(): void {
        this.txn.#abortBoth();
      }
      reply(reply: HttpReply | undefined, status: number, close?: boolean): void {
        this.txn.#reply(reply, status, close);
      }
      maybeDone(): void {
        this.txn.#maybeDone();
      }
      flushOut(): void {
        this.txn.#flushOut();
      }
      toClient(bytes: Uint8Array): void {
        this.txn.#toClient(bytes);
      }
      pullRequest(): void {
        this.txn.pullRequest();
      }
      tunnelRequest(): void {
        this.txn.#f.reqDone = false;
        this.txn.#req.tunnel();
      }
      toServer(bytes: Uint8Array): void {
        this.txn.#toServer(bytes);
      }
      armTimer(): void {
        this.txn.#armTimer();
      }
      timedOut(side: TimeoutSide): void {
        this.txn.#timedOut(side);
      }
      server(): Socket | undefined {
        return this.txn.#server;
      }
      shutServer(): void {
        this.txn.back.conn?.shutw();
      }
    }
    coreOf = (t) => new Core(t);
  }
}
