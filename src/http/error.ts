/**
 * The one error the HTTP/1.1 parser throws: what to answer the client and what to log.
 *
 * @module
 */

/** Which message the parser was reading: a request (from a client) or a response (from a server). */
export type H1Side = "request" | "response";

/** Where in the message the problem was found. */
export type H1Phase = "head" | "body" | "trailers";

/**
 * Why a message was refused, stable across versions: branch on it, never on `message`.
 *
 * - `bad-start-line`: the request line or status line breaks its grammar (method token,
 *   target bytes, separators, version `HTTP/x.y`, status digits; HTTP/0.9 has no version).
 * - `bad-line-end`: a CR not followed by LF.
 * - `bad-header-name`: a field name that is empty, not a token, followed by whitespace before
 *   its colon, or a field line without a colon or starting with whitespace (first line).
 * - `bad-header-value`: NUL in a field value (RFC 9110 5.5).
 * - `bad-content-length`: not a list of equal digit strings, or values that differ.
 * - `bad-transfer-encoding`: empty, an empty coding, `chunked` twice, or (request) a final
 *   coding that is not `chunked` (RFC 9112 6.3).
 * - `unsupported-transfer-encoding`: a coding other than `chunked` before it (501).
 * - `bad-host`: two different `Host` values, or a `Host` that does not match the target's
 *   authority.
 * - `bad-target`: a request target of no known form, or a CONNECT target that is not
 *   `host:port`.
 * - `request-line-too-long`, `head-too-large`, `too-many-headers`, `body-too-large`,
 *   `chunk-line-too-long`: over a limit of `H1Limits` (limits.ts).
 * - `body-not-allowed`: an HTTP/1.0 GET, HEAD or DELETE with a body (413, as HAProxy).
 * - `bad-chunk-size`, `bad-chunk-extension`, `bad-chunk-end`: chunked framing errors (size
 *   line, its extensions, the CRLF after the data).
 * - `bad-upgrade`: a WebSocket handshake without its key, or a 101 to a request that asked
 *   for no upgrade or without `Connection: upgrade`.
 * - `bad-status`: a status code that is not three digits from 100.
 * - `truncated`: the connection ended in the middle of a message.
 */
export type H1ErrorReason =
  | "bad-start-line"
  | "bad-line-end"
  | "bad-header-name"
  | "bad-header-value"
  | "bad-content-length"
  | "bad-transfer-encoding"
  | "unsupported-transfer-encoding"
  | "bad-host"
  | "bad-target"
  | "request-line-too-long"
  | "head-too-large"
  | "too-many-headers"
  | "body-too-large"
  | "body-not-allowed"
  | "chunk-line-too-long"
  | "bad-chunk-size"
  | "bad-chunk-extension"
  | "bad-chunk-end"
  | "bad-upgrade"
  | "bad-status"
  | "truncated";

/**
 * Status to answer: 400, 413, 414, 431 or 501 for a request; 502 (Bad Gateway) for the client
 * when a response is refused.
 */
export type H1ErrorStatus = 400 | 413 | 414 | 431 | 501 | 502;

/**
 * HAProxy's termination state for the log line (configuration.txt 8.5), as HAProxy 2.6 logs
 * the same failure: `PR--` an invalid request, `PH--` an invalid response head, `PD--` an
 * invalid response body (`http_response_forward_body()`: `SF_ERR_PRXCOND` + `SF_FINST_D`),
 * `CR--`/`CD--` a client gone in the head/body, `SH--`/`SD--` a server gone before/in the
 * body. An invalid request body found once the head was forwarded is logged `PH--` by
 * HAProxy (the stream waits for the response then): the caller knows that, not the parser.
 */
export type H1Termination = "PR--" | "PH--" | "PD--" | "CR--" | "CD--" | "SH--" | "SD--";

/** Status of each side, when the message is invalid. */
const STATUS: Record<H1Side, H1ErrorStatus> = { request: 400, response: 502 };

/** The message of each reason when the thrower gives none. */
const MESSAGES: Record<H1ErrorReason, string> = {
  "bad-start-line": "invalid start line",
  "bad-line-end": "CR not followed by LF",
  "bad-header-name": "invalid header field name or line",
  "bad-header-value": "NUL in a header field value",
  "bad-content-length": "invalid or conflicting Content-Length",
  "bad-transfer-encoding": "invalid Transfer-Encoding",
  "unsupported-transfer-encoding": "transfer coding other than chunked",
  "bad-host": "Host does not match the other Host or the target",
  "bad-target": "request target of no known form",
  "request-line-too-long": "request line too long",
  "head-too-large": "header section too large",
  "too-many-headers": "too many header fields",
  "body-too-large": "body over the size limit",
  "body-not-allowed": "HTTP/1.0 GET, HEAD or DELETE with a body",
  "chunk-line-too-long": "chunk-size line too long",
  "bad-chunk-size": "invalid chunk size",
  "bad-chunk-extension": "invalid chunk extension",
  "bad-chunk-end": "chunk data not followed by CRLF",
  "bad-upgrade": "invalid protocol upgrade",
  "bad-status": "status code is not 3 digits from 100",
  "truncated": "connection closed in the middle of the message",
};

/**
 * A message the parser refuses (or that ended too early). The parser is dead after throwing
 * it: every later call throws the same error.
 */
export class H1Error extends Error {
  /** Why, from a closed set: branch on it. */
  readonly reason: H1ErrorReason;
  /** The status for the client (for a response: what the client gets instead, 502). */
  readonly status: H1ErrorStatus;
  /** HAProxy's termination state for the log line. */
  readonly termination: H1Termination;
  /** Which message was being parsed. */
  readonly side: H1Side;
  /** Where in it. */
  readonly phase: H1Phase;
  /** Offset in the connection's byte stream where the problem was found, for captures. */
  readonly offset: number;

  /**
   * Creates the error; the default message is the reason's, the default status 400 for a
   * request and 502 for a response, the default termination `PR--`, `PH--` or `PD--` (see
   * {@link H1Termination}).
   */
  constructor(
    side: H1Side,
    phase: H1Phase,
    reason: H1ErrorReason,
    message: string | undefined,
    offset: number,
    status?: H1ErrorStatus,
    termination?: H1Termination,
  ) {
    super(`${side} ${phase}: ${message ?? MESSAGES[reason]}`);
    this.name = "H1Error";
    this.side = side;
    this.phase = phase;
    this.reason = reason;
    this.offset = offset;
    this.status = side === "response" ? 502 : status ?? STATUS[side];
    this.termination = termination ?? (side === "request" ? "PR--" : phase === "head" ? "PH--" : "PD--");
  }
}

/** True for an {@link H1Error}. */
export function isH1Error(e: unknown): e is H1Error {
  return e instanceof H1Error;
}
