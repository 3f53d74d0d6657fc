/**
 * The one error class of proxykit, with a closed set of stable codes. Tests and callers branch
 * on `code`, never on message text.
 *
 * @module
 */

/**
 * Every code a {@link ProxyError} can carry. The set is closed and lists only codes something
 * throws: a new failure gets its code when the code that throws it is written.
 */
export type ProxyErrorCode =
  /**
   * A configuration value or option is invalid: thrown by `parseHaproxyConfig()` (the message
   * starts with `file:line:`), `resolveConfig()` and the `ProxyServer` constructor (the message
   * starts with the key path, e.g. `backends[0].servers[1].weight`) and `parseAddress()`.
   */
  | "ERR_CONFIG_INVALID"
  /**
   * The configuration needs something the network adapter cannot do (see its
   * `capabilities`, e.g. a Unix socket or IPv6 address): refused when the `ProxyServer` is
   * built, never at run time. The message names the key and the adapter's reason.
   */
  | "ERR_CAPABILITY_MISSING"
  /**
   * `ProxyServer.start()` could not bind a listener: the message names the frontend, the
   * address and the adapter's error code (`EADDRINUSE`, `EACCES`...), `cause` keeps its error.
   */
  | "ERR_LISTEN"
  /**
   * The admin API or the runtime API named a backend, server or bind that does not exist; the
   * message is HAProxy's reply (`No such backend.`, `No such server.`). Nothing changed.
   */
  | "ERR_NO_SUCH_OBJECT"
  /**
   * The admin API or the runtime API refused an operation: an invalid value, or one the
   * object's state forbids (`Only servers in maintenance mode can be deleted.`); the message
   * is HAProxy's reply. Nothing changed.
   */
  | "ERR_INVALID_OPERATION";

/** Marker so that {@link isProxyError} recognises errors from another loaded copy of the library. */
const BRAND = "proxykit.ProxyError";

/**
 * An error raised by proxykit: a plain `Error` with a stable {@link ProxyErrorCode} and, when
 * another error caused it, that error as `cause`. Recognise it with {@link isProxyError}
 * rather than `instanceof`, which fails when two copies of the library are loaded.
 *
 * @example Telling a configuration error from any other failure
 * ```ts
 * import { isProxyError, parseHaproxyConfig } from "@proxykit/proxykit";
 *
 * try {
 *   parseHaproxyConfig("backend be\n  retries many\n", "haproxy.cfg");
 * } catch (e) {
 *   // "haproxy.cfg:2: 'retries' in section 'backend be': expects an integer, got 'many'"
 *   if (isProxyError(e) && e.code === "ERR_CONFIG_INVALID") console.error(e.message);
 *   else throw e;
 * }
 * ```
 */
export class ProxyError extends Error {
  /** What went wrong, stable across versions: branch on it, never on `message`. */
  readonly code: ProxyErrorCode;
  /**
   * Always `"proxykit.ProxyError"`, in every copy of the library: {@link isProxyError} looks
   * for it, so that an error thrown by another copy (where `instanceof` fails) is recognised.
   */
  readonly brand: "proxykit.ProxyError" = BRAND;

  /**
   * Creates an error with `code` and a message saying what and where (the key, `file:line`,
   * the address). `options.cause` keeps the underlying error, e.g. the adapter's.
   */
  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProxyError";
    this.code = code;
  }
}

/**
 * True for any {@link ProxyError}, even one created by another loaded copy of the library
 * (it checks the `brand` property, not the prototype chain).
 *
 * @example
 * ```ts
 * import { isProxyError, resolveConfig } from "@proxykit/proxykit";
 *
 * try {
 *   resolveConfig({ frontends: [], backends: [{ name: "be", servers: [], retries: -1 }] });
 * } catch (e) {
 *   if (!isProxyError(e)) throw e;
 *   // ERR_CONFIG_INVALID backends[0].retries: must be an integer 0..2147483647, got -1
 *   console.error(e.code, e.message);
 * }
 * ```
 */
export function isProxyError(e: unknown): e is ProxyError {
  return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === BRAND;
}
