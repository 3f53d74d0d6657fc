/**
 * `option http-buffer-request` (configuration.txt 4.2): the request body is read, up to
 * {@link REQUEST_BUFFER_BYTES}, before any server is involved (HAProxy's
 * `http_wait_for_request_body()`); the events read are held and forwarded first once
 * connected. An HTTP/1.1 client expecting `100-continue` gets it from the proxy.
 *
 * @module
 */
import type { H1Event } from "./events.ts";
import { deleteHeader, getHeader, isVersion11, type RequestHead, type ResponseHead } from "./head.ts";
import { HAPROXY_BUFSIZE } from "./limits.ts";
import type { H1Parser } from "./parser.ts";

/** `option http-buffer-request` waits for this much of a body at most (HAProxy's buffer). */
export const REQUEST_BUFFER_BYTES: number = HAPROXY_BUFSIZE;

/** The interim response the proxy sends itself under `option http-buffer-request`. */
const CONTINUE_HEAD: ResponseHead = Object.freeze({
  kind: "response",
  version: "HTTP/1.1",
  status: 100,
  reason: "Continue",
  headers: [],
}) as ResponseHead;

/**
 * The proxy answers an HTTP/1.1 request's `Expect: 100-continue` itself: the field is removed
 * from `req` and the interim head to send is returned; undefined when there is none to send.
 */
export function takeExpectContinue(req: RequestHead): ResponseHead | undefined {
  const expect = getHeader(req.headers, "expect");
  if (expect === undefined || expect.toLowerCase() !== "100-continue" || !isVersion11(req.version)) return undefined;
  deleteHeader(req.headers, "expect");
  return CONTINUE_HEAD;
}

/** The request events read ahead of the connection, and the body bytes among them. */
export class HeldRequest {
  readonly #events: H1Event<RequestHead>[] = [];
  #bytes = 0;

  /**
   * Reads `parser`'s events until the request's end or {@link REQUEST_BUFFER_BYTES} of body:
   * `ready` then, `wait` when the parser needs more bytes first. The parser's errors are
   * thrown.
   */
  fill(parser: H1Parser<RequestHead>): "ready" | "wait" {
    for (;;) {
      const ev = parser.read();
      if (ev === null) {
        if (this.#bytes < REQUEST_BUFFER_BYTES) return "wait";
        break;
      }
      this.#events.push(ev);
      if (ev.type === "body") this.#bytes += ev.data.length;
      if (ev.type === "end" || this.#bytes >= REQUEST_BUFFER_BYTES) break;
    }
    return "ready";
  }

  /** The next held event (first in, first out), undefined once all went. */
  next(): H1Event<RequestHead> | undefined {
    return this.#events.shift();
  }
}
