/**
 * The one error class of proxykit, with a closed set of stable codes. Tests and callers branch
 * on `code`, never on message text.
 *
 * @module
 */

/** Every code a {@link ProxyError} can carry. */
export type ProxyErrorCode =
  /** A configuration value or option is invalid; the message names the key (and file:line). */
  | "ERR_CONFIG_INVALID"
  /** A configuration asks for something the adapter cannot do (see its capabilities). */
  | "ERR_CAPABILITY_MISSING"
  /** Connecting to a server failed: refused, reset or unreachable. */
  | "ERR_CONNECT_REFUSED"
  /** Connecting to a server took longer than `timeout connect`. */
  | "ERR_CONNECT_TIMEOUT"
  /** No server can take the stream (all down, or none configured). */
  | "ERR_NO_SERVER"
  /** The queue was full or its timeout struck. */
  | "ERR_QUEUE"
  /** A listener could not bind. */
  | "ERR_LISTEN"
  /** A PROXY protocol header was malformed. */
  | "ERR_PROXY_HEADER_INVALID"
  /** The proxy was stopped. */
  | "ERR_STOPPED";

/** Marker so that {@link isProxyError} recognises errors from another loaded copy of the library. */
const BRAND = "proxykit.ProxyError";

/**
 * An error raised by proxykit.
 *
 * @example
 * ```ts
 * import { isProxyError } from "@proxykit/proxykit";
 * try { await loadConfig(text, "haproxy.cfg"); }
 * catch (e) { if (isProxyError(e) && e.code === "ERR_CONFIG_INVALID") console.error(e.message); }
 * ```
 */
export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  readonly brand: typeof BRAND = BRAND;

  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProxyError";
    this.code = code;
  }
}

/** True for any {@link ProxyError}, even one created by another copy of the library. */
export function isProxyError(e: unknown): e is ProxyError {
  return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === BRAND;
}
