/**
 * What an HTTP transaction keeps to send its request again on a new server connection:
 *
 * - `retry-on` (`./retry_on.ts`, HAProxy's layer-7 retries): the request bytes forwarded by
 *   the first send are copied, and kept only if the request was read whole by then and fits
 *   in {@link REPLAY_BUFFER_BYTES} (HAProxy's copy of the buffer);
 * - a reused idle connection the server had closed ({@link canResend}): an idempotent request
 *   without a body goes again, its head serialized anew (nothing to keep).
 *
 * @module
 */
import { concatBytes } from "../_bytes.ts";
import type { H1HeadEvent } from "./events.ts";
import type { RequestHead } from "./head.ts";
import { REPLAY_BUFFER_BYTES, replaysRequests, type RetryOn } from "./retry_on.ts";

/** Methods RFC 9110 9.2.2 calls idempotent: such a request may be sent again after a failure. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);

/**
 * A request may go again on a new connection: idempotent, complete (`reqDone`), nothing of
 * it lost (no body).
 */
export function canResend(req: H1HeadEvent<RequestHead>, reqDone: boolean): boolean {
  return IDEMPOTENT.has(req.head.method) && req.body === "none" && reqDone;
}

/** The copy of a request kept for `retry-on`, and whether a layer-7 retry is under way. */
export class RequestReplay {
  /** Copies of the request bytes sent while the first send lasts, within the limit. */
  #capture: Uint8Array[] | undefined;
  #captureBytes = 0;
  /** The whole request as first sent, when it may be replayed. */
  #bytes: Uint8Array | undefined;
  /** A layer-7 retry is under way: the next connection gets {@link bytes}. */
  replaying = false;

  /** The whole request as first sent, when it may be replayed. */
  get bytes(): Uint8Array | undefined {
    return this.#bytes;
  }

  /**
   * The first send of `req` starts: its bytes are copied when `retryOn` lists failures beyond
   * connect failures and the request is not an upgrade or a CONNECT (whose bytes after the
   * head are a tunnel's).
   */
  begin(retryOn: RetryOn | undefined, req: H1HeadEvent<RequestHead>): void {
    const replay = replaysRequests(retryOn) && !req.upgrade && req.head.method !== "CONNECT";
    this.#capture = replay ? [] : undefined;
    this.#captureBytes = 0;
  }

  /** Bytes of the first send: copied while the copy is taken and within the limit. */
  add(bytes: Uint8Array): void {
    const cap = this.#capture;
    if (cap !== undefined) {
      this.#captureBytes += bytes.length;
      if (this.#captureBytes > REPLAY_BUFFER_BYTES) this.#capture = undefined;
      else cap.push(bytes.slice());
    }
  }

  /** The first send is over: the copy is kept if the request was all there (`complete`). */
  end(complete: boolean): void {
    const cap = this.#capture;
    this.#capture = undefined;
    if (cap !== undefined && complete) this.#bytes = concatBytes(cap, this.#captureBytes);
  }
}
