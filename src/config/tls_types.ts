/**
 * Typed configuration of what issue 9 adds around a connection's layers: `bind` options (TLS
 * termination, `accept-proxy`), `server` TLS origination and PROXY-protocol sending, and the
 * `tcp-request` rules that run before a stream picks its backend.
 *
 * @module
 */
import type { Address, TlsServerOptions, TlsVersion } from "../net.ts";
import type { ConditionConfig } from "./http_types.ts";

/**
 * One address of a `bind` line with the line's options (configuration.txt 5.1). A frontend's
 * `binds` may hold plain {@link Address}es, which are binds without options.
 *
 * @example A TLS listener with two certificates, behind a load balancer speaking PROXY
 * ```ts
 * import type { BindConfig } from "@proxykit/proxykit";
 *
 * // PEM text, read with your runtime's file API.
 * declare const defaultPem: string, defaultKey: string, apiPem: string, apiKey: string;
 * const bind: BindConfig = {
 *   address: { transport: "tcp", hostname: "0.0.0.0", port: 443 },
 *   acceptProxy: true,
 *   tls: { certificates: [{ cert: defaultPem, key: defaultKey }, { cert: apiPem, key: apiKey }] },
 * };
 * ```
 */
export interface BindConfig {
  /** Where to listen. */
  readonly address: Address;
  /**
   * `ssl crt ...`: TLS termination with these settings. Certificates without `serverNames`
   * answer the names of their subject CN and SAN DNS entries, as HAProxy indexes them.
   * @default undefined (plain)
   */
  readonly tls?: BindTlsConfig;
  /**
   * `accept-proxy`: every connection starts with a PROXY protocol header (v1 or v2), whose
   * addresses become the connection's; one without a valid header is closed.
   * @default false
   */
  readonly acceptProxy?: boolean;
  /** `name`: how logs name this bind (`fe/NAME: SSL handshake failure`). @default its 1-based position */
  readonly name?: string;
}

/**
 * `bind ... ssl` settings: the adapter contract's server options (certificates, `alpn`,
 * `verify` + `ca-file` as `requestClientCert` / `requireClientCert` + `caCerts`,
 * `ssl-min-ver`, `ssl-max-ver`, `strict-sni`; a `crt-list` line's options as the
 * certificate's `options`).
 */
export type BindTlsConfig = TlsServerOptions;

/**
 * `server ... ssl` and its options (configuration.txt 5.2): TLS to the server.
 */
export interface ServerTlsConfig {
  /**
   * `verify required|none`: verify the server's certificate chain (and its name when `sni` or
   * `verifyHost` gives one). HAProxy refuses `required` without `ca-file`; so does proxykit
   * unless `systemCa`.
   * @default true
   */
  readonly verify?: boolean;
  /** `ca-file FILE`: PEM CAs the server certificate must chain to. */
  readonly caCerts?: readonly string[];
  /** `ca-file @system-ca`: trust the runtime's default store. @default false */
  readonly systemCa?: boolean;
  /**
   * `sni EXPR`: a sample expression evaluated per connection giving the SNI (and the name
   * verified), e.g. `req.hdr(host),field(1,:)`, `ssl_fc_sni`, `str(api.example)`. When the
   * fetch finds nothing, no SNI is sent. @default undefined (no SNI)
   */
  readonly sni?: string;
  /** `verifyhost NAME`: the name checked in the certificate when no `sni` gives one. */
  readonly verifyHost?: string;
  /** `alpn LIST`: protocols offered, most preferred first. */
  readonly alpnProtocols?: readonly string[];
  /** `crt FILE`: PEM client certificate, sent when the server asks for one. */
  readonly cert?: string;
  /** PEM private key of {@link ServerTlsConfig.cert}. */
  readonly key?: string;
  /** `ssl-min-ver`. @default "TLSv1.2" */
  readonly minVersion?: TlsVersion;
  /** `ssl-max-ver`. @default "TLSv1.3" */
  readonly maxVersion?: TlsVersion;
}

/** `proxy-v2-options` words proxykit sends as TLVs (doc/proxy-protocol.txt 2.2). */
export type ProxyV2Option = "ssl" | "cert-cn" | "ssl-cipher" | "authority" | "unique-id" | "crc32c";

/** `send-proxy` / `send-proxy-v2`: a PROXY header first on each connection to the server. */
export interface SendProxyConfig {
  /** 1 (`send-proxy`, text) or 2 (`send-proxy-v2`, binary). */
  readonly version: 1 | 2;
  /** `proxy-v2-options`: the TLVs added to a v2 header. @default [] (ALPN only, when negotiated) */
  readonly v2Options?: readonly ProxyV2Option[];
}

/** One `tcp-request connection` rule: runs on accept, before any handshake, on real addresses. */
export type TcpConnectionRule =
  | { readonly action: "accept" | "reject" | "expect-proxy"; readonly condition?: ConditionConfig }
  | { readonly action: "set-dst" | "set-dst-port"; readonly expr: string; readonly condition?: ConditionConfig };

/**
 * One `tcp-request content` rule: in `mode tcp`, runs on the buffered request under
 * `inspect-delay`; in `mode http`, on each request head, before the `http-request` rules.
 */
export type TcpContentRule =
  | { readonly action: "accept" | "reject"; readonly condition?: ConditionConfig }
  | { readonly action: "set-dst" | "set-dst-port"; readonly expr: string; readonly condition?: ConditionConfig };

/** `tcp-request ...` keywords of a frontend (configuration.txt 4.2). */
export interface TcpRequestConfig {
  /**
   * `tcp-request inspect-delay`: how long content rules and `use_backend` may wait for
   * request bytes (a ClientHello) before deciding on what arrived. Without it, they decide at
   * once on whatever is there, as HAProxy. @default undefined
   */
  readonly inspectDelayMs?: number;
  /** `tcp-request connection` rules, in order. @default [] */
  readonly connection?: readonly TcpConnectionRule[];
  /** `tcp-request content` rules, in order; none deciding means accept. @default [] */
  readonly content?: readonly TcpContentRule[];
}
