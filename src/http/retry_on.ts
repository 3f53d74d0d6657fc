/**
 * `retry-on` (configuration.txt 4.2, HAProxy 2.6): the failures after which an HTTP request is
 * sent again, each retry counting against the backend's `retries` and following `option
 * redispatch` (HAProxy's layer-7 retries, `do_l7_retry()` in src/http_ana.c).
 *
 * What is matched, as HAProxy 2.6:
 * - `conn-failure` (the default): the connect failed (the backend's connect loop retries it);
 * - `empty-response`: the server closed (or reset) the connection after the request was sent,
 *   without a byte of response;
 * - `junk-response`: what came back is not a complete, valid response head (an invalid head,
 *   or one cut short by the server's close);
 * - `response-timeout`: `timeout server` struck before the response head;
 * - `0rtt-rejected`: the server refused TLS early data. Accepted and kept for compatibility,
 *   it never triggers here: proxykit sends no early data (no TLS 0-RTT toward servers);
 * - a status among 401 403 404 408 425 500 501 502 503 504: the response head had it (before
 *   any `http-response` rule runs);
 * - `all-retryable-errors`: `conn-failure empty-response junk-response response-timeout
 *   0rtt-rejected 500 502 503 504`; `none`: never retry, not even a failed connect.
 * A `retry-on` line replaces the previous one (not cumulative).
 *
 * Which requests may go again: only one whose whole message (head and body) was received
 * before it was first sent, and whose bytes fit in {@link REPLAY_BUFFER_BYTES} (HAProxy keeps
 * a copy of the request buffer, `tune.bufsize`, and retries nothing that did not fit in it;
 * the method does not matter, as in HAProxy), and only while nothing of a response reached the
 * client. Upgrade and CONNECT requests are never replayed.
 *
 * @module
 */
import { HAPROXY_BUFSIZE } from "./limits.ts";

/** The keywords of `retry-on` besides status codes. */
export type RetryOnKeyword =
  | "none"
  | "conn-failure"
  | "empty-response"
  | "junk-response"
  | "response-timeout"
  | "0rtt-rejected"
  | "all-retryable-errors";

/** The statuses `retry-on` accepts in HAProxy 2.6. */
export const RETRY_STATUSES: readonly number[] = [401, 403, 404, 408, 425, 500, 501, 502, 503, 504];

/** The keywords of {@link RetryOnKeyword}, in the documentation's order. */
export const RETRY_ON_KEYWORDS: readonly RetryOnKeyword[] = [
  "none",
  "conn-failure",
  "empty-response",
  "junk-response",
  "response-timeout",
  "0rtt-rejected",
  "all-retryable-errors",
];

/**
 * The largest request (head and body as sent to the server) kept for a replay: HAProxy's
 * default `tune.bufsize`, 16 KiB. A longer request is never retried.
 */
export const REPLAY_BUFFER_BYTES: number = HAPROXY_BUFSIZE;

/** The conditions of one backend's `retry-on`, compiled. */
export interface RetryOn {
  /** A failed connect is retried (`conn-failure`). */
  readonly connFailure: boolean;
  /** `empty-response`. */
  readonly emptyResponse: boolean;
  /** `junk-response`. */
  readonly junkResponse: boolean;
  /** `response-timeout`. */
  readonly responseTimeout: boolean;
  /** `0rtt-rejected` (never triggers: no early data is sent). */
  readonly zeroRttRejected: boolean;
  /** Statuses that trigger a retry. */
  readonly statuses: ReadonlySet<number>;
}

/** HAProxy's default: `retry-on conn-failure`. */
export const DEFAULT_RETRY_ON: RetryOn = {
  connFailure: true,
  emptyResponse: false,
  junkResponse: false,
  responseTimeout: false,
  zeroRttRejected: false,
  statuses: new Set(),
};

/**
 * Compiles a `retry-on` list. Returns the compiled conditions, or the reason the list is
 * invalid (an unknown keyword or status, `none` with anything else, an empty list).
 */
export function compileRetryOn(list: readonly (RetryOnKeyword | number)[]): RetryOn | string {
  if (list.length === 0) return "expects at least one keyword or status";
  const on = { ...DEFAULT_RETRY_ON, connFailure: false, statuses: new Set<number>() };
  for (const k of list) {
    if (typeof k === "number") {
      if (!RETRY_STATUSES.includes(k)) return `status ${k} is not retryable (${RETRY_STATUSES.join(" ")})`;
      on.statuses.add(k);
      continue;
    }
    switch (k) {
      case "none":
        if (list.length > 1) return "'none' cannot be combined with other keywords";
        break;
      case "conn-failure":
        on.connFailure = true;
        break;
      case "empty-response":
        on.emptyResponse = true;
        break;
      case "junk-response":
        on.junkResponse = true;
        break;
      case "response-timeout":
        on.responseTimeout = true;
        break;
      case "0rtt-rejected":
        on.zeroRttRejected = true;
        break;
      case "all-retryable-errors":
        on.connFailure =
          on.emptyResponse =
          on.junkResponse =
          on.responseTimeout =
          on.zeroRttRejected =
            true;
        for (const st of [500, 502, 503, 504]) on.statuses.add(st);
        break;
      default:
        return `unknown keyword '${String(k)}'`;
    }
  }
  return on;
}

/** Whether anything but connect failures is retried: only then is a request kept for a replay. */
export function replaysRequests(on: RetryOn | undefined): boolean {
  return on !== undefined &&
    (on.emptyResponse || on.junkResponse || on.responseTimeout || on.zeroRttRejected || on.statuses.size > 0);
}
