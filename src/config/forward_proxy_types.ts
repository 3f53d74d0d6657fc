/**
 * The typed configuration of proxy mode and of `retry-on` on a backend. `haproxy.cfg` writes
 * them with `option http_proxy`, `http-proxy-allow`, `http-proxy-auth` and `retry-on`
 * (`src/config/_cfg_fwdproxy.ts`).
 *
 * @module
 */
import type { RetryOnKeyword } from "../http/retry_on.ts";
import type { BasicAuthConfig } from "../http/basic_auth.ts";

export type { RetryOnKeyword };

/**
 * `option http_proxy` (`mode http` backends; HAProxy dropped it in 2.5, proxykit keeps it): the
 * backend has no servers, each request is sent where it says: `GET http://host:port/path`
 * goes to `host:port` (as `GET /path`, with `Host: host:port`), `CONNECT host:port` becomes a
 * tunnel once `HTTP/1.1 200 Connection established` is sent. Names are resolved through the
 * network adapter. Nothing is reachable unless {@link ForwardProxyConfig.allow} says so.
 *
 * @example A proxy for two public sites and a private network, with a password
 * ```ts
 * import type { ForwardProxyConfig } from "@proxykit/proxykit";
 *
 * const forwardProxy: ForwardProxyConfig = {
 *   allow: [".example.com:80,443", "10.1.0.0/16:8000-8099"],
 *   auth: { realm: "office", users: { alice: "s3cret" } },
 * };
 * ```
 */
export interface ForwardProxyConfig {
  /**
   * Destinations a client may reach (`http-proxy-allow`), each `<host>[:<ports>]`: `*` (any
   * name, and any public IP literal), `example.com`, `.example.com` (it and names under it),
   * `*.example.com` (only names under it), `10.0.0.0/8`, `[fd00::]/8`; ports `*`, `80,443`,
   * `8000-8100`, `80,443` when omitted. A name rule only reaches public addresses (never
   * loopback, private, link-local, multicast), even through a name that resolves there; an
   * address rule reaches exactly what it covers. A refused destination gets a 403.
   * @default [] (everything refused)
   */
  readonly allow?: readonly string[];
  /**
   * Basic proxy authentication (`http-proxy-auth`): a request without valid
   * `Proxy-Authorization` credentials gets a 407 with `Proxy-Authenticate: Basic realm="..."`.
   * @default undefined (no authentication)
   */
  readonly auth?: ForwardProxyAuthConfig;
}

/** Credentials of {@link ForwardProxyConfig.auth}; the realm defaults to `proxykit`. */
export type ForwardProxyAuthConfig = BasicAuthConfig;

/**
 * `retry-on` (configuration.txt 4.2): when an HTTP request is sent again, counting against
 * `retries` and following `option redispatch`: keywords (`none`, `conn-failure`,
 * `empty-response`, `junk-response`, `response-timeout`, `0rtt-rejected`,
 * `all-retryable-errors`) and statuses (401 403 404 408 425 500 501 502 503 504). Only
 * requests received whole before they were sent, 16 KiB at most, are replayed (see
 * `src/http/retry_on.ts`). Ignored in `mode tcp`, as HAProxy.
 */
export type RetryOnConfig = readonly (RetryOnKeyword | number)[];
