/**
 * The configuration with every default applied: what `resolveConfig()` returns and what
 * the run-time objects read. Each type mirrors a user-facing one of `types.ts`, with nothing
 * optional left but what HAProxy itself leaves unset (timeouts, a check port).
 *
 * @module
 */
import type { ResolvedResolversConfig, ResolvedServerResolve } from "./dns_types.ts";
import type { Address, TlsServerOptions } from "../net.ts";
import type { SendProxyConfig, ServerTlsConfig, TcpConnectionRule, TcpContentRule } from "./tls_types.ts";
import type { BalanceAlgorithm, HashFunction, OnError } from "./types.ts";
import type { HttpConnectionMode, HttpReuse } from "../pool.ts";
import type { ForwardProxySettings } from "../http/forward_proxy.ts";
import type { RetryOn } from "../http/retry_on.ts";
import type { ResolvedStatsSocket } from "./stats_socket.ts";
import type {
  AclConfig,
  ErrorFilesConfig,
  ForwardedConfig,
  ForwardedProtoConfig,
  ForwardForConfig,
  HttpRequestRuleConfig,
  HttpResponseRuleConfig,
  MonitorConfig,
  StatsPageConfig,
  UseBackendConfig,
} from "./http_types.ts";

/**
 * The HTTP settings of a section, validated (every ACL, condition, rule, option and error
 * file compiled once by `resolveConfig()`, with HAProxy's messages) with their defaults. The
 * HTTP mux compiles them into what runs per request with `compileHttpPolicy()`
 * (`src/http/policy.ts`).
 */
export interface ResolvedHttpConfig {
  /** `acl` lines, in order. */
  readonly acls: readonly AclConfig[];
  /** `use_backend` rules, in order (always empty for a backend). */
  readonly useBackends: readonly UseBackendConfig[];
  /** `http-request` rules, in order. */
  readonly httpRequest: readonly HttpRequestRuleConfig[];
  /** `http-response` rules, in order. */
  readonly httpResponse: readonly HttpResponseRuleConfig[];
  /** `option forwardfor`, or `undefined` (off). */
  readonly forwardFor: ForwardForConfig | undefined;
  /** RFC 7239 `Forwarded`, or `undefined` (off). */
  readonly forwarded: ForwardedConfig | undefined;
  /** `x-forwarded-proto`, or `undefined` (off). */
  readonly forwardedProto: ForwardedProtoConfig | undefined;
  /** `errorfile` replacements by status. */
  readonly errorFiles: ErrorFilesConfig;
  /** The stats page, or `undefined` (off). */
  readonly stats?: StatsPageConfig & { readonly uri: string; readonly refreshMs: number } | undefined;
  /** `monitor-uri` and `monitor fail`, or `undefined` (none). */
  readonly monitor?: MonitorConfig | undefined;
}

/** Active check settings with every default applied (see `CheckConfig`). */
export interface ResolvedCheckConfig {
  /** `inter`: interval between checks of a server fully UP, ms. */
  readonly interMs: number;
  /** `fastinter`, ms; `inter` when not set. */
  readonly fastinterMs: number;
  /** `downinter`, ms; `inter` when not set. */
  readonly downinterMs: number;
  /** `rise`: consecutive passes that bring a DOWN server UP. */
  readonly rise: number;
  /** `fall`: consecutive failures that take an UP server DOWN. */
  readonly fall: number;
  /** `port` of the checks; `undefined`: the server's own port. */
  readonly port: number | undefined;
  /** `check-send-proxy`; absent means false. */
  readonly sendProxy?: boolean;
  /** Checks run over TLS (`check-ssl`, or a `ssl` server checked on its own port). @default false */
  readonly ssl?: boolean;
  /** `check-sni`. @default undefined (no SNI) */
  readonly sni?: string | undefined;
}

/** A server with every default applied (see {@link ServerConfig}). */
export interface ResolvedServerConfig {
  /** `server <name>`. */
  readonly name: string;
  /** Where streams are sent. */
  readonly address: Address;
  /** `weight`, 0..256. */
  readonly weight: number;
  /** `maxconn`, 0 = unlimited. */
  readonly maxconn: number;
  /** `maxqueue`, 0 = unlimited. */
  readonly maxqueue: number;
  /** `backup`. */
  readonly backup: boolean;
  /** `disabled`: starts in maintenance. */
  readonly disabled: boolean;
  /** `slowstart`, ms; 0 = no ramp. */
  readonly slowstartMs: number;
  /** `check` and its options; `undefined`: no active check (the server is always considered UP). */
  readonly check: ResolvedCheckConfig | undefined;
  /** `observe layer4|layer7`, or `undefined` (no passive monitoring). */
  readonly observe: "layer4" | "layer7" | undefined;
  /** `error-limit`: consecutive observed errors that trigger `onError`. */
  readonly errorLimit: number;
  /** `on-error`. */
  readonly onError: OnError;
  /** `pool-max-conn`. */
  readonly poolMaxConn: number;
  /** `pool-purge-delay`, ms. */
  readonly poolPurgeDelayMs: number;
  /** `max-reuse`. */
  readonly maxReuse: number;
  /** `ssl` and its options; `undefined`: plain. */
  readonly tls: ServerTlsConfig | undefined;
  /** `send-proxy` / `send-proxy-v2`; `undefined`: none. */
  readonly sendProxy: SendProxyConfig | undefined;
  /** `resolvers ...`: the address comes from DNS (absent: the configured one). */
  readonly resolve?: ResolvedServerResolve;
  /**
   * The address is `0.0.0.0` or `::`: connect to the client's destination (the seed's
   * transparent case), its port kept when the address's port is 0, plus `mapPorts`.
   */
  readonly transparent: boolean;
  /** `+N` / `-N` port offset applied to the client's destination port; `undefined`: none. */
  readonly mapPorts: number | undefined;
  /** `cookie <value>`; `undefined`: no persistence cookie designates this server. */
  readonly cookie: string | undefined;
  /** Explicit `id`, else the smallest unused id counting from the previous one, as HAProxy. */
  readonly id: number;
}

/** Backend timeouts, ms; `undefined` = infinite or not used (see `BackendTimeouts`). */
export interface ResolvedBackendTimeouts {
  /** `timeout connect`. */
  readonly connectMs: number | undefined;
  /** `timeout server`. */
  readonly serverMs: number | undefined;
  /** `timeout queue`; `connectMs` when not set (or 0), as HAProxy. */
  readonly queueMs: number | undefined;
  /** `timeout tunnel`. */
  readonly tunnelMs: number | undefined;
  /** `timeout check`. */
  readonly checkMs: number | undefined;
}

/** Health check protocol with its defaults (see {@link HealthCheckKind}). */
export type ResolvedHealthCheck =
  | { readonly kind: "tcp" }
  | {
    readonly kind: "http";
    /** Request method. */
    readonly method: string;
    /** Request URI. */
    readonly uri: string;
    /** Request HTTP version, e.g. `HTTP/1.0`. */
    readonly version: string;
    /** Statuses that pass; `undefined`: any 2xx or 3xx passes. */
    readonly expectStatus: readonly number[] | undefined;
    /** Request header fields, in order (`http-check send hdr`). */
    readonly headers: readonly (readonly [name: string, value: string])[];
    /** What the response must hold; `undefined`: a 2xx or 3xx status (or `expectStatus`). */
    readonly expect: ResolvedHttpExpect | undefined;
  };

/** `http-check expect` with its defaults (see `HttpCheckExpect`). */
export type ResolvedHttpExpect =
  | { readonly kind: "status"; readonly codes: readonly number[]; readonly negate: boolean }
  | { readonly kind: "rstatus"; readonly pattern: string; readonly negate: boolean }
  | { readonly kind: "string"; readonly text: string; readonly negate: boolean };

/** `hash-type` with its defaults (see `HashTypeConfig`). */
export interface ResolvedHashType {
  /** `map-based` or `consistent`. */
  readonly method: "map-based" | "consistent";
  /** The hash function of `uri`, `url_param` and `hdr` keys. */
  readonly function: HashFunction;
  /** The full avalanche is applied to every hash before the lookup. */
  readonly avalanche: boolean;
}

/** `cookie` with its defaults (see `CookieConfig`). */
export interface ResolvedCookieConfig {
  /** The cookie's name. */
  readonly name: string;
  /** `insert`, `rewrite`, `prefix`, or `passive` (none of them). */
  readonly mode: "insert" | "rewrite" | "prefix" | "passive";
  /** `indirect`. */
  readonly indirect: boolean;
  /** `nocache`. */
  readonly nocache: boolean;
  /** `postonly`. */
  readonly postonly: boolean;
  /** `preserve`. */
  readonly preserve: boolean;
  /** `httponly`. */
  readonly httponly: boolean;
  /** `secure`. */
  readonly secure: boolean;
  /** `domain` values, in order. */
  readonly domains: readonly string[];
  /** `maxidle` in whole seconds; 0 = off. */
  readonly maxIdleSec: number;
  /** `maxlife` in whole seconds; 0 = off. */
  readonly maxLifeSec: number;
  /** `attr` values, in order. */
  readonly attrs: readonly string[];
}

/** A backend with every default applied (see {@link BackendConfig}). */
export interface ResolvedBackendConfig {
  /** `backend <name>`. */
  readonly name: string;
  /** `mode`. */
  readonly mode: "tcp" | "http";
  /** HTTP settings; `undefined` for a `mode tcp` section that sets none. */
  readonly http: ResolvedHttpConfig | undefined;
  /** `balance`. */
  readonly balance: BalanceAlgorithm;
  /** `hash-type`. */
  readonly hashType: ResolvedHashType;
  /** `cookie`; `undefined`: no cookie persistence. */
  readonly cookie: ResolvedCookieConfig | undefined;
  /** `option persist`. */
  readonly persist: boolean;
  /** `server` lines, in declaration order, with their ids assigned. */
  readonly servers: readonly ResolvedServerConfig[];
  /** `retries`: attempts after the first failed connect. */
  readonly retries: number;
  /** `option redispatch` interval: 0 off, -1 last retry, P > 0 every Pth, N < 0 the Nth before last. */
  readonly redispatch: number;
  /** `timeout connect|server|queue|tunnel|check`. */
  readonly timeouts: ResolvedBackendTimeouts;
  /** Protocol of active checks. */
  readonly healthCheck: ResolvedHealthCheck;
  /** `option allbackups`. */
  readonly allBackups: boolean;
  /** `option abortonclose`. */
  readonly abortOnClose: boolean;
  /** `http-reuse`. */
  readonly httpReuse: HttpReuse;
  /** `option http-keep-alive | http-server-close | httpclose`. */
  readonly httpConnectionMode: HttpConnectionMode;
  /** `option http-buffer-request`. */
  readonly httpBufferRequest: boolean;
  /** `option http_proxy` compiled, or undefined (the servers serve). */
  readonly forwardProxy: ForwardProxySettings | undefined;
  /** `retry-on` compiled (`conn-failure` by default). */
  readonly retryOn: RetryOn;
}

/** Log settings with defaults applied (see `LogConfig`). */
export interface ResolvedLogConfig {
  /** Standard stream the lines go to. */
  readonly target: "stdout" | "stderr";
  /** `tcplog` line or JSON object. */
  readonly format: "tcplog" | "json" | "httplog";
  /** `log-format`, validated. */
  readonly logFormat: string | undefined;
}

/** A `bind` with every default applied (see {@link BindConfig}). */
export interface ResolvedBind {
  /** Where to listen. */
  readonly address: Address;
  /** TLS termination, `undefined` for a plain bind. */
  readonly tls: TlsServerOptions | undefined;
  /** `accept-proxy`. */
  readonly acceptProxy: boolean;
  /** `name`, else the 1-based position among the frontend's binds. */
  readonly name: string;
}

/** `tcp-request` settings with defaults applied (see {@link TcpRequestConfig}). */
export interface ResolvedTcpRequest {
  /** `inspect-delay`, ms; 0 = decide at once. */
  readonly inspectDelayMs: number;
  /** `tcp-request connection` rules. */
  readonly connection: readonly TcpConnectionRule[];
  /** `tcp-request content` rules. */
  readonly content: readonly TcpContentRule[];
}

/** A frontend with every default applied (see {@link FrontendConfig}). */
export interface ResolvedFrontendConfig {
  /** `frontend <name>`. */
  readonly name: string;
  /** `bind` addresses with their options, at least one. */
  readonly binds: readonly ResolvedBind[];
  /** `tcp-request` rules. */
  readonly tcpRequest: ResolvedTcpRequest;
  /** `mode`. */
  readonly mode: "tcp" | "http";
  /** `default_backend`: an existing backend's name; always set in `mode tcp`. */
  readonly defaultBackend: string | undefined;
  /** HTTP settings (`use_backend` rules among them); `undefined` for a `mode tcp` frontend that sets none. */
  readonly http: ResolvedHttpConfig | undefined;
  /** `timeout client`, ms; `undefined` = infinite. */
  readonly clientTimeoutMs: number | undefined;
  /** `maxconn`, 0 = unlimited. */
  readonly maxconn: number;
  /** `rate-limit sessions`, new sessions per second, 0 = unlimited. */
  readonly rateLimitSessions: number;
  /** `undefined`: streams are not logged. */
  readonly log: ResolvedLogConfig | undefined;
  /** `timeout http-request`, ms. */
  readonly httpRequestTimeoutMs: number | undefined;
  /** `timeout http-keep-alive`, ms. */
  readonly httpKeepAliveTimeoutMs: number | undefined;
  /** `option http-keep-alive | http-server-close | httpclose`. */
  readonly httpConnectionMode: HttpConnectionMode;
  /** `option http-buffer-request`. */
  readonly httpBufferRequest: boolean;
  /** `unique-id-format`, checked. */
  readonly uniqueIdFormat: string | undefined;
  /** `unique-id-header`, lowercase. */
  readonly uniqueIdHeader: string | undefined;
}

/** A whole proxy configuration, validated, with every default applied. */
export interface ResolvedProxyConfig {
  /** Frontends in configuration order. */
  readonly frontends: readonly ResolvedFrontendConfig[];
  /** Backends in configuration order. */
  readonly backends: readonly ResolvedBackendConfig[];
  /** `global maxconn`, 0 = unlimited. */
  readonly maxconn: number;
  /** `stats socket` lines: where the runtime API listens. */
  readonly statsSockets: readonly ResolvedStatsSocket[];
  /** `resolvers` sections (DNS service discovery, configuration.txt 5.3). */
  readonly resolvers: readonly ResolvedResolversConfig[];
}
