/**
 * What the HTTP/1.1 parser reports: a head once, then the body as views of the input, then
 * the trailers if any, then the end of the message.
 *
 * @module
 */
import type { HeaderList, MessageHead, RequestHead, ResponseHead } from "./head.ts";

/**
 * How the body of a message is delimited (RFC 9112 6.3), as decided from its head:
 * - `none`: no body (a request without `Content-Length` or `Transfer-Encoding`; a CONNECT
 *   request; a response to HEAD; 1xx but 101, 204, 304);
 * - `length`: `Content-Length` bytes (possibly 0);
 * - `chunked`: the chunked coding, decoded: the body events carry the chunk data only, the
 *   framing is validated and dropped, to be re-framed when forwarded (as HAProxy does);
 * - `close`: a response read until the server closes (no length given);
 * - `tunnel`: bytes both ways until either side closes, not HTTP any more (a 2xx to CONNECT,
 *   a 101 to an upgrade request).
 */
export type H1BodyKind = "none" | "length" | "chunked" | "close" | "tunnel";

/** The head of a message and what it says about its body and its connection. */
export interface H1HeadEvent<H extends MessageHead = MessageHead> {
  /** Discriminates the events. */
  readonly type: "head";
  /**
   * The parsed head, normalized as HAProxy forwards it: names lowercase, values trimmed and
   * unfolded, one `Content-Length` (none with `Transfer-Encoding`), `Transfer-Encoding` set to
   * `chunked`, `close`/`keep-alive` removed from `Connection`, a repeated equal `Host` merged.
   * The caller may change it before serializing it.
   */
  readonly head: H;
  /** How the body is delimited. */
  readonly body: H1BodyKind;
  /** The body length for `length`, else -1. */
  readonly contentLength: number;
  /**
   * Whether this message lets its connection carry another message after it (RFC 9112 9.3):
   * HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`; never
   * with unsafe framing, a close-delimited body or a tunnel. The connection mode itself
   * (options like `http-server-close`) is the caller's decision.
   */
  readonly keepAlive: boolean;
  /** `Connection` had `close` (removed from the head, as HAProxy does). */
  readonly connClose: boolean;
  /** `Connection` had `keep-alive` (removed from the head). */
  readonly connKeepAlive: boolean;
  /** `Connection` has `upgrade` and an `Upgrade` field is present: a protocol switch is asked or done. */
  readonly upgrade: boolean;
  /**
   * `Transfer-Encoding` came with `Content-Length` (which was removed) or on HTTP/1.0: HAProxy
   * then closes the connection after the transaction (RFC 9112 6.1: "ought to" close after a
   * request with both, since it may have been smuggled past a 1.0 intermediary).
   */
  readonly unsafeFraming: boolean;
  /** A 1xx response other than 101: the final response to the same request follows. */
  readonly interim: boolean;
  /** Bytes the head took on the wire, empty lines before it included. */
  readonly headBytes: number;
}

/** Part of a body: a view (`subarray`) of a chunk given to the parser, never a copy. */
export interface H1BodyEvent {
  /** Discriminates the events. */
  readonly type: "body";
  /** Body bytes (for `chunked`, chunk data only), sharing the memory of the input chunk. */
  readonly data: Uint8Array;
}

/** The trailer section of a chunked body, when it has fields (names lowercase, as HAProxy forwards them). */
export interface H1TrailersEvent {
  /** Discriminates the events. */
  readonly type: "trailers";
  /** The trailer fields, in order. */
  readonly trailers: HeaderList;
}

/** The message is complete; bytes after it belong to the next message. */
export interface H1EndEvent {
  /** Discriminates the events. */
  readonly type: "end";
}

/** Anything a parser's `read()` returns. */
export type H1Event<H extends MessageHead = MessageHead> =
  | H1HeadEvent<H>
  | H1BodyEvent
  | H1TrailersEvent
  | H1EndEvent;

/** The events of a request parser. */
export type H1RequestEvent = H1Event<RequestHead>;
/** The events of a response parser. */
export type H1ResponseEvent = H1Event<ResponseHead>;
