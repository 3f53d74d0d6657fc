/**
 * From a scanned head to its event: the strings decoded once, then the rules HAProxy applies
 * to a whole head (the end of `h1_headers_to_hdr_list()` in src/h1.c, `h1_postparse_req_hdrs()`
 * in src/h1_htx.c, `h1_handle_headers()`-time checks in src/mux_h1.c) and the body framing of
 * RFC 9112 6.3.
 *
 * @module
 */
import {
  F_CHNK,
  F_CLEN,
  F_CONN_CLO,
  F_CONN_KAL,
  F_CONN_UPG,
  F_TE_OTHER,
  F_UPG_WEBSOCKET,
  F_UPGRADE,
  F_WS_KEY,
  F_XFER_ENC,
} from "./_fields.ts";
import { ParsedRequestHead, ParsedResponseHead } from "./_parsed_head.ts";
import type { HeadScanner } from "./_scanner.ts";
import { checkTarget } from "./_target.ts";
import { H1Error, type H1ErrorReason, type H1ErrorStatus } from "./error.ts";
import type { H1BodyKind, H1HeadEvent } from "./events.ts";
import { deleteHeader, isVersion11, type RequestHead, type ResponseHead, setHeader } from "./head.ts";

/** What a response parser knows of the request it answers. */
export interface Expectation {
  /** The request method, case-sensitive (`head` is not HEAD, as `find_http_meth()`). */
  readonly method: string;
  /** The request asked for a protocol switch (`Connection: upgrade` and `Upgrade`). */
  readonly upgrade: boolean;
}

function fail(sc: HeadScanner, reason: H1ErrorReason, message: string, status?: H1ErrorStatus): H1Error {
  return new H1Error(sc.side, "head", reason, message, sc.streamBase, status);
}

function event<H extends RequestHead | ResponseHead>(
  sc: HeadScanner,
  head: H,
  body: H1BodyKind,
  contentLength: number,
  unsafeFraming: boolean,
  interim: boolean,
): H1HeadEvent<H> {
  const f = sc.fields.flags;
  const connClose = (f & F_CONN_CLO) !== 0;
  const persistent = isVersion11(head.version) ? !connClose : (f & F_CONN_KAL) !== 0 && !connClose;
  return {
    type: "head",
    head,
    body,
    contentLength: body === "length" ? contentLength : -1,
    keepAlive: persistent && !unsafeFraming && body !== "close" && body !== "tunnel",
    connClose,
    connKeepAlive: (f & F_CONN_KAL) !== 0,
    upgrade: (f & (F_CONN_UPG | F_UPGRADE)) === (F_CONN_UPG | F_UPGRADE),
    unsafeFraming,
    interim,
    headBytes: sc.skipped + sc.pos,
  };
}

/**
 * `Transfer-Encoding` with `Content-Length`: the length is removed and the message read as
 * chunked (RFC 9112 6.3 rule 3), and HAProxy closes after the transaction ("T-E + C-L: force
 * close and remove C-L", src/h1.c); the same close for `Transfer-Encoding` on HTTP/1.0. The
 * coding is forwarded as `chunked`: the body is re-chunked anyway, and a lowercase `chunked`
 * leaves no case variant (`ChUnKeD`) for the next hop to misread (HAProxy forwards the value
 * as received).
 */
function chunkedFraming(head: RequestHead | ResponseHead, flags: number): boolean {
  setHeader(head.headers, "transfer-encoding", "chunked");
  if (flags & F_CLEN) {
    deleteHeader(head.headers, "content-length");
    return true;
  }
  return !isVersion11(head.version);
}

/** The request head of a completed scan of `b`, checked, with its framing. */
export function finishRequest(sc: HeadScanner, b: Uint8Array, maxBodyBytes: number): H1HeadEvent<RequestHead> {
  const head: RequestHead = new ParsedRequestHead(sc.part(b, 0), sc.part(b, 2), sc.part(b, 4), sc.rawFields(b));
  const targetProblem = checkTarget(head, sc.fields.hostField);
  if (targetProblem) throw fail(sc, targetProblem, `request target does not match Host or its form`);
  const f = sc.fields.flags;
  const m = head.method;
  if (m === "CONNECT") {
    // Any length or coding is ignored and not forwarded: the bytes after the head are tunnel
    // data once a 2xx comes back (h1_postparse_req_hdrs(), src/h1_htx.c).
    deleteHeader(head.headers, "content-length");
    deleteHeader(head.headers, "transfer-encoding");
    return event(sc, head, "none", 0, false, false);
  }
  let body: H1BodyKind = "none", unsafe = false;
  if (f & F_XFER_ENC) {
    // RFC 9112 6.3 rule 4: a request whose final coding is not chunked has no reliable length.
    if (!(f & F_CHNK)) throw fail(sc, "bad-transfer-encoding", "final transfer coding is not chunked");
    body = "chunked";
  } else if (f & F_CLEN) {
    body = "length";
    if (sc.fields.contentLength > maxBodyBytes || sc.fields.contentLength > Number.MAX_SAFE_INTEGER) {
      throw fail(sc, "body-too-large", `Content-Length ${sc.fields.contentLength} over the limit`, 413);
    }
  }
  const v11 = isVersion11(head.version);
  if (!v11 && (body === "chunked" || sc.fields.contentLength > 0) && (m === "GET" || m === "HEAD" || m === "DELETE")) {
    // mux_h1.c h1_handle_headers(): "HTTP/1.0 GET/HEAD/DELETE request with a payload forbidden".
    throw fail(sc, "body-not-allowed", `HTTP/1.0 ${m} with a body`, 413);
  }
  if (f & F_TE_OTHER) {
    // HAProxy answers 422 (mux_h1.c: "Unknown transfer-encoding"); RFC 9112 6.1 says 501.
    throw fail(sc, "unsupported-transfer-encoding", "transfer coding other than chunked", 501);
  }
  if (body === "chunked") unsafe = chunkedFraming(head, f);
  if ((f & (F_CONN_UPG | F_UPG_WEBSOCKET)) === (F_CONN_UPG | F_UPG_WEBSOCKET) && !(f & F_WS_KEY)) {
    throw fail(sc, "bad-upgrade", "WebSocket handshake without Sec-WebSocket-Key");
  }
  return event(sc, head, body, sc.fields.contentLength, unsafe, false);
}

/** The response head of a completed scan of `b`, answering `req`, checked, with its framing. */
export function finishResponse(
  sc: HeadScanner,
  b: Uint8Array,
  maxBodyBytes: number,
  req: Expectation,
): H1HeadEvent<ResponseHead> {
  const head: ResponseHead = new ParsedResponseHead(sc.part(b, 0), sc.status(b), sc.part(b, 4), sc.rawFields(b));
  const f = sc.fields.flags, s = head.status;
  let body: H1BodyKind = "close", unsafe = false;
  if (f & F_XFER_ENC) {
    // HAProxy refuses any coding but a final chunked in a response (502, mux_h1.c).
    if (!(f & F_CHNK) || f & F_TE_OTHER) throw fail(sc, "bad-transfer-encoding", "transfer coding is not chunked");
    body = "chunked";
  } else if (f & F_CLEN) body = "length";
  if ((f & (F_CONN_UPG | F_UPG_WEBSOCKET)) === (F_CONN_UPG | F_UPG_WEBSOCKET) && !(f & F_WS_KEY)) {
    throw fail(sc, "bad-upgrade", "WebSocket handshake without Sec-WebSocket-Accept");
  }
  if (s === 101) {
    // http_ana.c http_wait_for_response(): a 101 needs "Connection: upgrade" on both sides.
    if (!req.upgrade || !(f & F_CONN_UPG)) throw fail(sc, "bad-upgrade", "101 without an upgrade on both sides");
    stripFraming(head);
    return event(sc, head, "tunnel", -1, false, false);
  }
  if (s < 200 || s === 204) {
    // No body; mux_h1.c does not forward C-L or T-E with them.
    stripFraming(head);
    return event(sc, head, "none", 0, false, s < 200);
  }
  if (req.method === "CONNECT" && s < 300) {
    // RFC 9110 9.3.6: no C-L or T-E in a 2xx to CONNECT, and the client must ignore them: they
    // are dropped rather than forwarded with a tunnel they do not describe.
    stripFraming(head);
    return event(sc, head, "tunnel", -1, false, false);
  }
  if (body === "chunked") unsafe = chunkedFraming(head, f);
  if (req.method === "HEAD" || s === 304) return event(sc, head, "none", 0, unsafe, false);
  const cl = sc.fields.contentLength;
  if (body === "length" && (cl > maxBodyBytes || cl > Number.MAX_SAFE_INTEGER)) {
    throw fail(sc, "body-too-large", `Content-Length ${cl} over the limit`);
  }
  return event(sc, head, body, cl, unsafe, false);
}

function stripFraming(head: ResponseHead): void {
  deleteHeader(head.headers, "content-length");
  deleteHeader(head.headers, "transfer-encoding");
}
