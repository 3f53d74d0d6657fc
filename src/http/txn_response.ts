/**
 * The response side of an HTTP transaction: the server's bytes through the response parser to
 * the client, 1xx interim responses forwarded ahead, the final head through the
 * `http-response` rules, `retry-on <status>`, persistence cookies and the connection modes,
 * the body re-framed, and a refused or truncated response turned into a 502, a resend or an
 * abort. The switch to a tunnel (101, 2xx to CONNECT) happens on the final head.
 *
 * @module
 */
import type { H1HeadEvent } from "./events.ts";
import { htxSize, htxTrailersSize, type ResponseHead } from "./head.ts";
import { H1ResponseParser } from "./parser.ts";
import { type H1Limits, resolveH1Limits } from "./limits.ts";
import type { Connection } from "../connection.ts";
import { isH1Error } from "./error.ts";
import { ChunkedEncoder, serializeResponseHead } from "./serialize.ts";
import { errorReply } from "./error_pages.ts";
import { decideResponse } from "./policy.ts";
import { persistResponse, requestCookieFlagAfter } from "./persist.ts";
import { canResend } from "./txn_replay.ts";
import { sampleContext } from "./txn_sample.ts";
import { bindsConnection, responseHeadOptions } from "./txn_conn_mode.ts";
import { writeBatch } from "./txn_write.ts";
import type { TxnCore } from "./txn_state.ts";

/**
 * The parser of `conn`'s responses: the one its previous transaction used when that one is
 * between messages (nothing expected, nothing buffered, no EOF) and has the same limits (the
 * same resolved object, as a frontend holds them), else
 * a new one, kept on the connection for the next transaction. A reused server connection then
 * costs no parser (a tenth of the bytes a proxied request allocated).
 */
export function responseParserOf(conn: Connection, limits: Partial<H1Limits>): H1ResponseParser {
  const kept = conn.mux;
  if (
    kept instanceof H1ResponseParser && kept.pending === 0 && kept.buffered === 0 && !kept.ended &&
    kept.state === "idle" && kept.limits === resolveH1Limits(limits)
  ) return kept;
  const rp = new H1ResponseParser(limits);
  conn.mux = rp;
  return rp;
}

/** The response of one transaction, on its current server connection. */
export class ResponseSide {
  readonly #c: TxnCore;
  /** The parser of the current server connection's response; undefined before connecting. */
  rp: H1ResponseParser | undefined;
  /** When the current server connection was established, clock ms (`%Tr` counts from it). */
  estAt = -1;
  /** Something came back from the server on this connection. */
  gotResponse = false;
  /**
   * When the server's last bytes were read, clock ms: a head completes with the read that
   * brought its end (`%Tr` ends there, even when the client's backpressure delays the pull).
   */
  #readAt = -1;
  #resEnc: ChunkedEncoder | undefined;
  #resTrailers: [string, string][] | undefined;
  /** The last head read was an interim (1xx) response. */
  #interim = false;
  /**
   * The response bound the server connection to this client (`WWW-Authenticate: NTLM` or
   * `Negotiate`: connection-based authentication): it becomes the session's private one.
   */
  #private = false;
  /** The client connection carries another request after this one. */
  #clientKeepAlive = false;
  /** The server connection may be parked after this response. */
  #serverKeepAlive = false;
  /** Body views read in the current pull, not written yet. */
  readonly #batch: Uint8Array[] = [];

  /** The response side of the transaction `core` gives access to. */
  constructor(core: TxnCore) {
    this.#c = core;
  }

  /** The server connection is bound to the client (NTLM): parked as the session's own. */
  get bound(): boolean {
    return this.#private;
  }

  /** The client connection carries another request after this one. */
  get keepClient(): boolean {
    return this.#clientKeepAlive;
  }

  /** The server connection may be parked after this response. */
  get keepServer(): boolean {
    return this.#serverKeepAlive;
  }

  /** A new server connection comes (a retry or a resend): nothing of a response yet. */
  reset(): void {
    this.rp = undefined;
    this.gotResponse = false;
    this.#interim = false;
    this.#resEnc = undefined;
    this.#resTrailers = undefined;
  }

  /** Server bytes for the response parser, read at `now` (clock ms). */
  push(chunk: Uint8Array, now: number): void {
    this.gotResponse = true;
    this.#readAt = now;
    this.rp!.push(chunk);
  }

  /** Forwards what the response parser has, until it waits for bytes or the client is full. */
  pull(): void {
    this.#pullEvents();
    this.#c.flushOut();
  }

  #pullEvents(): void {
    const c = this.#c, f = c.flags, t = c.txn;
    const rp = this.rp;
    if (rp === undefined) return;
    while (!f.resDone && !f.cliBlocked && !f.ended) {
      let ev;
      try {
        ev = rp.read();
      } catch (e) {
        this.#batch.length = 0;
        if (!isH1Error(e)) throw e;
        return this.bad(e.reason === "truncated" && !f.resHeadSent && rp.buffered === 0);
      }
      if (ev !== null && ev.type === "body") {
        this.#batch.push(ev.data);
        continue;
      }
      if (this.#batch.length > 0) {
        t.bytesOut += writeBatch(this.#batch, this.#resEnc, c, false);
        if (f.ended) return;
      }
      if (ev === null) return;
      if (ev.type === "head") {
        if (ev.interim) {
          // A 1xx (100-continue, 103) goes ahead; its `end` event is not the response's.
          this.#interim = true;
          t.bytesOut += htxSize(ev.head);
          c.toClient(serializeResponseHead(ev.head));
          continue;
        }
        if (!this.#head(ev)) return;
      } else if (ev.type === "trailers") {
        this.#resTrailers = ev.trailers;
        t.bytesOut += htxTrailersSize(ev.trailers);
      } else if (this.#interim) {
        this.#interim = false;
      } else {
        if (this.#resEnc !== undefined) c.toClient(this.#resEnc.end(this.#resTrailers));
        f.resDone = true;
        if (f.tunnel) {
          c.flushOut();
          t.session.conn.shutw();
        }
        c.maybeDone();
      }
    }
  }

  /** A final response head: rules, connection modes, then to the client. False when replaced by an error. */
  #head(ev: H1HeadEvent<ResponseHead>): boolean {
    const c = this.#c, f = c.flags, t = c.txn;
    // `retry-on <status>`: matched on the status line, before any rule (l7_status_match()).
    if (c.retry(t.backend?.settings.http?.retryOn?.statuses.has(ev.head.status))) return false;
    const session = t.session;
    const ctx = session.ctx;
    const req = t.request!;
    t.responseMs = this.#readAt - this.estAt;
    const res = ev.head;
    const d = decideResponse(
      ctx.policy,
      c.bePolicy(),
      () => sampleContext(session, req.head, ctx.frontend.name, t.backendName, res, t.identity),
    );
    if (d.kind === "reply") {
      c.setTerm(d.termination[0]!, d.termination[1]!);
      c.closeServer(true);
      c.reply(d.reply, 500);
      return false;
    }
    t.status = res.status;
    f.tunnel = ev.body === "tunnel";
    const lease = t.lease!;
    // `observe layer7`: every status counts (5xx as errors); connection errors below.
    lease.server?.observe(res.status);
    const cookie = t.backend?.settings.http?.cookie;
    if (cookie !== undefined) {
      const p = c.persistence();
      const cs = persistResponse(cookie, res, {
        server: lease.server,
        direct: lease.direct !== undefined,
        method: req.head.method,
        request: p,
        nowMs: ctx.clock.now(),
      });
      t.cookieStatus = requestCookieFlagAfter(p?.flag ?? "-", lease.directLost) + cs;
    }
    if (!this.#private && bindsConnection(res)) this.#private = true;
    const mode = c.serverMode();
    const feMode = ctx.mode;
    const beMode = t.backend?.settings.http?.mode ?? "keep-alive";
    this.#serverKeepAlive = ev.keepAlive && mode === "keep-alive" && !f.tunnel;
    this.#clientKeepAlive = req.keepAlive && ev.body !== "close" && !f.tunnel && feMode !== "close" &&
      beMode !== "close" && !session.draining && !session.clientEof;
    // HAProxy's h1_update_res_conn_value().
    const opts = responseHeadOptions(f.tunnel, this.#clientKeepAlive, res, req.head);
    let bytes: Uint8Array;
    try {
      bytes = serializeResponseHead(res, opts);
    } catch {
      // A rule wrote something unserializable: HAProxy's failed rewrite.
      c.setTerm("P", "H");
      c.closeServer(true);
      c.reply(errorReply(500, c.bePolicy()?.errors, ctx.policy.errors), 500);
      return false;
    }
    if (f.tunnel) {
      if (session.parser.state !== "paused") {
        // The request is not over yet (a body on an upgrade request): no switch possible.
        c.setTerm("P", "H");
        c.closeServer(true);
        c.reply(errorReply(502, c.bePolicy()?.errors, ctx.policy.errors), 502, true);
        return false;
      }
      // From now on the client's bytes are the tunnel's: the request side runs again.
      session.parser.tunnel();
      c.tunnelRequest();
    } else if (req.upgrade || req.head.method === "CONNECT") session.parser.resume();
    f.resHeadSent = true;
    if (ev.body === "chunked") this.#resEnc = new ChunkedEncoder();
    t.bytesOut += htxSize(res);
    c.toClient(bytes);
    if (f.tunnel) c.pullRequest();
    return true;
  }

  /**
   * The response was refused by the parser or cut short. Before its head reached the client:
   * 502 (`SH--` when the server closed without a byte, `PH--` for an invalid response), or,
   * on a reused connection, the request sent again on a new one when that is safe. After:
   * the client connection is closed on the truncated response (`SD--`/`PD--`).
   */
  bad(empty: boolean): void {
    const c = this.#c, f = c.flags, t = c.txn;
    if (empty && !this.gotResponse && t.reused && canResend(t.request!, f.reqDone)) {
      return void c.resend();
    }
    // `observe layer7` (not on a reused connection, whose failure HAProxy does not count).
    const serverEnded = empty || this.rp?.ended === true;
    if (!t.reused) t.lease?.server?.observe(serverEnded ? "read-error" : "invalid-headers");
    const on = t.backend?.settings.http?.retryOn;
    if (c.retry(!this.gotResponse ? on?.emptyResponse : on?.junkResponse)) return;
    if (f.resHeadSent) {
      c.setTerm(empty || this.rp?.ended ? "S" : "P", "D");
      return c.abortBoth();
    }
    c.setTerm(empty || this.rp?.ended ? "S" : "P", "H");
    c.closeServer(true);
    c.reply(errorReply(502, c.bePolicy()?.errors, t.session.ctx.policy.errors), 502);
  }
}
