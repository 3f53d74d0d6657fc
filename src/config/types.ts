/**
 * The typed configuration of a proxy: what `haproxy.cfg` sections map onto, and what library
 * users write directly. Durations are milliseconds; `undefined` means "not set", which for
 * timeouts means infinite, as in HAProxy (configuration.txt 4.2 `timeout client`, `timeout
 * server`, `timeout connect`: unset means no timeout, with a warning at startup). Defaults are
 * applied in one place, {@link resolveConfig} in `src/config/defaults.ts`.
 *
 * @module
 */
import type { ResolversConfig, ServerResolveConfig } from "./dns_types.ts";
import type { Address } from "../net.ts";
import type { Balancer, BalancerOptions, LbServer } from "../balance/types.ts";
import type { HttpProxyConfig, UseBackendConfig } from "./http_types.ts";
import type { HttpConnectionMode, HttpReuse } from "../pool.ts";
import type { ForwardProxyConfig, RetryOnConfig } from "./forward_proxy_types.ts";
import type { BindConfig, SendProxyConfig, ServerTlsConfig, TcpRequestConfig } from "./tls_types.ts";
import type { StatsSocketConfig } from "./stats_socket.ts";
import type { ProcessConfig } from "./process_types.ts";

export type {
  BindConfig,
  BindTlsConfig,
  ProxyV2Option,
  SendProxyConfig,
  ServerTlsConfig,
  TcpConnectionRule,
  TcpContentRule,
  TcpRequestConfig,
} from "./tls_types.ts";

export type {
  ForwardProxyAuthConfig,
  ForwardProxyConfig,
  RetryOnConfig,
  RetryOnKeyword,
} from "./forward_proxy_types.ts";

export type {
  AclConfig,
  AllowRule,
  ConditionConfig,
  DelHeaderRule,
  DenyRule,
  ErrorFilesConfig,
  ForwardedConfig,
  ForwardedProtoConfig,
  ForwardForConfig,
  HttpProxyConfig,
  HttpRequestRuleConfig,
  HttpResponseRuleConfig,
  RedirectCode,
  RedirectRule,
  ReplaceHeaderRule,
  ReturnRule,
  RuleBase,
  SetHeaderRule,
  SetPathRule,
  UseBackendConfig,
  Words,
} from "./http_types.ts";

/**
 * Builds a user's own {@link Balancer} over one backend's servers (in declaration order, read
 * live at each pick), with the backend's {@link BalancerOptions}. Called once per backend
 * when the proxy is built.
 */
export type CustomBalancerFactory = (servers: readonly LbServer[], options: BalancerOptions) => Balancer;

/**
 * Load-balancing algorithms (the `balance` keyword, configuration.txt 4.2 `balance`):
 * `roundrobin`, `static-rr`, `leastconn`, `first`, `random(<draws>)` (keeps the least loaded
 * of `draws` weighted random draws), and the hash family, whose key goes through the
 * backend's `hashType`: `source` (the client address), `uri`, `url_param` and `hdr` (HTTP
 * backends only; without their key in a request, they fall back to round-robin as HAProxy).
 * `custom` is a program's own election (not expressible in `haproxy.cfg`), treated as a
 * dynamic algorithm: slowstart ramps its servers' weights.
 *
 * @example A balancer that always elects the first usable server
 * ```ts
 * import type { BalanceAlgorithm, Balancer, LbServer } from "@proxykit/proxykit";
 *
 * const firstUsable: BalanceAlgorithm = {
 *   kind: "custom",
 *   name: "first-usable",
 *   create: (servers: readonly LbServer[]): Balancer => ({
 *     pick: () => servers.find((s) => s.usable && !s.backup),
 *     update: () => {},
 *     hasUsableServer: () => servers.some((s) => s.usable),
 *   }),
 * };
 * ```
 */
export type BalanceAlgorithm =
  | { readonly kind: "roundrobin" }
  | { readonly kind: "static-rr" }
  | { readonly kind: "leastconn" }
  | { readonly kind: "first" }
  | { readonly kind: "source" }
  | UriBalance
  | UrlParamBalance
  | HdrBalance
  | { readonly kind: "random"; readonly draws: number }
  | {
    readonly kind: "custom";
    /** The algorithm's name in error messages and logs. @default "custom" */
    readonly name?: string;
    /** Builds the backend's balancer when the proxy is built. */
    readonly create: CustomBalancerFactory;
  };

/**
 * `balance uri [whole] [len N] [depth N] [path-only]` (configuration.txt 4.2): hashes the
 * request target up to the `?` (all of it with `whole`), at most `len` characters and up to
 * `depth` directory levels (one per `/`). HTTP backends only.
 */
export interface UriBalance {
  /** The algorithm. */
  readonly kind: "uri";
  /** `whole`: hash the query string too. @default false */
  readonly whole?: boolean;
  /** `len N`: hash at most the first N characters, N ≥ 1. @default undefined (no limit) */
  readonly len?: number;
  /** `depth N`: hash at most N directory levels, N ≥ 1. @default undefined (no limit) */
  readonly depth?: number;
  /**
   * `path-only`: start at the first `/` of the path, ignoring the scheme and authority of an
   * absolute-form target. @default false
   */
  readonly pathOnly?: boolean;
}

/**
 * `balance url_param <param>` (configuration.txt 4.2): hashes the value of `param` in the
 * query string (`?a=1&param=value`); without it, round-robin. HTTP backends only. The
 * `check_post` variant (looking into a POST body) is not supported.
 */
export interface UrlParamBalance {
  /** The algorithm. */
  readonly kind: "url_param";
  /** The parameter name, compared case-sensitively, as HAProxy. */
  readonly param: string;
}

/**
 * `balance hdr(<name>) [use_domain_only]` (configuration.txt 4.2): hashes the first value of
 * the header `name` (any case); absent or empty, round-robin. With `useDomainOnly`, only the
 * domain label before the last dot is hashed (`haproxy.1wt.eu` hashes `1wt`). HTTP backends
 * only.
 */
export interface HdrBalance {
  /** The algorithm. */
  readonly kind: "hdr";
  /** The header name (any case). */
  readonly header: string;
  /** `use_domain_only`. @default false */
  readonly useDomainOnly?: boolean;
}

/** Hash functions of `hash-type` (configuration.txt 4.2 `hash-type`). */
export type HashFunction = "sdbm" | "djb2" | "wt6" | "crc32";

/**
 * `hash-type <method> [<function> [avalanche]]`: how the hash algorithms (`source`, `uri`,
 * `url_param`, `hdr`) map a key's hash onto a server.
 *
 * `map-based` (HAProxy's default) takes `hash % total weight` over the static server map:
 * smooth and weighted, but static (no slowstart) and most keys move when a server goes up or
 * down. `consistent` looks the hash up in a tree holding 16 points per unit of weight for each
 * server: dynamic (slowstart ramps), and a server going down or up only moves its own keys.
 */
export interface HashTypeConfig {
  /** The mapping method. @default "map-based" (as HAProxy) */
  readonly method?: "map-based" | "consistent";
  /** The hash function applied to the key (not to `source`, which XORs the address words). @default "sdbm" */
  readonly function?: HashFunction;
  /**
   * Mixes the hash with Bob Jenkins' 32-bit full avalanche before the lookup.
   * @default true for `consistent` without a `function`, else false (as HAProxy)
   */
  readonly avalanche?: boolean;
}

/**
 * Cookie-based persistence of an HTTP backend (the `cookie` keyword, configuration.txt 4.2):
 * a request carrying the cookie of a server goes to that server directly; responses insert,
 * rewrite or prefix the cookie (see `src/http/persist.ts`).
 */
export interface CookieConfig {
  /** `cookie <name>`: the cookie's name, an HTTP token. */
  readonly name: string;
  /**
   * `insert`: proxykit adds `Set-Cookie: NAME=<server cookie>` to responses when the client did
   * not already point at that server; `rewrite`: the server sets the cookie and its value is
   * replaced by the server's cookie; `prefix`: the server's own cookie of that name is prefixed
   * with `<server cookie>~`; `passive`: the cookie is only read (the application sets it).
   * @default "passive"
   */
  readonly mode?: "insert" | "rewrite" | "prefix" | "passive";
  /**
   * `indirect`: no cookie is emitted to a client that already has a valid one; in `insert`
   * mode the cookie is also removed from requests before they reach the server. Not with
   * `rewrite`. @default false
   */
  readonly indirect?: boolean;
  /** `nocache`: a response that gets an inserted cookie and is cacheable gets `Cache-control: private`. @default false */
  readonly nocache?: boolean;
  /** `postonly`: insert the cookie only in responses to POST requests. @default false */
  readonly postonly?: boolean;
  /** `preserve`: leave a cookie the server set itself untouched (needs `insert` or `indirect`). @default false */
  readonly preserve?: boolean;
  /** `httponly`: add the `HttpOnly` attribute to inserted cookies. @default false */
  readonly httponly?: boolean;
  /** `secure`: add the `Secure` attribute to inserted cookies. @default false */
  readonly secure?: boolean;
  /** `domain <d>` (repeatable): `domain=` attributes of inserted cookies. @default [] */
  readonly domains?: readonly string[];
  /**
   * `maxidle`: an inserted cookie whose last-seen date is older is ignored (flag `E`), ms,
   * counted in whole seconds; the cookie then carries its date. @default undefined (off)
   */
  readonly maxIdleMs?: number;
  /**
   * `maxlife`: an inserted cookie whose first-seen date is older is ignored (flag `O`), ms,
   * counted in whole seconds. @default undefined (off)
   */
  readonly maxLifeMs?: number;
  /** `attr <value>` (repeatable): extra attributes of inserted cookies. @default [] */
  readonly attrs?: readonly string[];
}

/**
 * What `observe layer4` does once a server reached its `error-limit` of consecutive errors
 * (the server keyword `on-error`, configuration.txt 5.2): `fastinter` only checks again at
 * `fastinter`; `fail-check` counts one failed check; `sudden-death` counts a pre-fatal failed
 * check, after which one more failure marks the server DOWN; `mark-down` marks it DOWN at
 * once. Every mode then runs the next check at `fastinter`.
 */
export type OnError = "fastinter" | "fail-check" | "sudden-death" | "mark-down";

/** Active health check settings of a server (the server keyword `check` and its options, configuration.txt 5.2). */
export interface CheckConfig {
  /** `inter`: interval between two checks of a server fully UP, ms. @default 2000 (as HAProxy) */
  readonly interMs?: number;
  /** `fastinter`: interval while the server is going up or down (between `rise`/`fall` edges), ms. @default interMs */
  readonly fastinterMs?: number;
  /** `downinter`: interval while the server is fully DOWN, ms. @default interMs */
  readonly downinterMs?: number;
  /** `rise`: consecutive successful checks that bring a DOWN server UP. @default 2 (as HAProxy) */
  readonly rise?: number;
  /** `fall`: consecutive failed checks that take an UP server DOWN. @default 3 (as HAProxy) */
  readonly fall?: number;
  /** `port`: the TCP port checks connect to. @default the server's own port */
  readonly port?: number;
  /**
   * `check-send-proxy`: checks start with a PROXY header (the server's `sendProxy` version,
   * else v1) even with a `port`. Without it they do when the server has `sendProxy` and the
   * checks no `port`, as HAProxy. @default false
   */
  readonly sendProxy?: boolean;
  /**
   * `check-ssl`: checks connect over TLS, with the server's `tls` settings (`verify`, CA,
   * client certificate). @default true for a server with `tls` and no `port`, as HAProxy
   */
  readonly ssl?: boolean;
  /** `check-sni`: the SNI checks send (the server's `sni` expression is not used). @default none */
  readonly sni?: string;
}

/** One `server` line of a backend (configuration.txt 5.2 lists the keywords). */
export interface ServerConfig {
  /** `server <name>`: unique in its backend; letters, digits, `_`, `.`, `:` and `-`. */
  readonly name: string;
  /**
   * `server <name> <address>`: where streams are sent. A TCP hostname may be a DNS name, which
   * the runtime resolves when connecting (HAProxy resolves it once, at load time).
   */
  readonly address: Address;
  /**
   * `weight`: the server's share of load balancing, 0..256; 0 takes it out of load balancing
   * (state DRAIN).
   * @default 1 (as HAProxy)
   */
  readonly weight?: number;
  /** `maxconn`: concurrent streams on the server, 0 = unlimited; the others queue. @default 0 */
  readonly maxconn?: number;
  /**
   * `maxqueue`: streams waiting in the server's own queue, 0 = unlimited; a stream that would
   * wait beyond it ends at once (termination `SQ`). @default 0
   */
  readonly maxqueue?: number;
  /**
   * `backup`: takes streams only when no active server is usable (only the first usable
   * backup, unless the backend has `allBackups`).
   * @default false
   */
  readonly backup?: boolean;
  /** `disabled`: starts in maintenance (MAINT): no traffic, no health checks. @default false */
  readonly disabled?: boolean;
  /**
   * `slowstart`: after the server comes back UP (not at start-up), its `maxconn` ramps from 1,
   * and under dynamic algorithms its weight from 1/16, to full over this time, ms, in whole
   * seconds as HAProxy counts them. @default 0 (no ramp)
   */
  readonly slowstartMs?: number;
  /** `check` and its options: active health checks. @default undefined (no check: always considered UP) */
  readonly check?: CheckConfig;
  /**
   * `observe layer4|layer7`: passive health monitoring of real traffic (needs `check`).
   * `layer4` counts connect outcomes; `layer7` (HTTP backends) counts failed connects and
   * HTTP responses, 5xx other than 501 and 505 (and invalid responses, read errors) as
   * errors (HAProxy's `analyze_statuses`). @default undefined (off)
   */
  readonly observe?: "layer4" | "layer7";
  /** `error-limit`: consecutive observed errors that trigger `onError`. @default 10 (as HAProxy) */
  readonly errorLimit?: number;
  /** `on-error`: what reaching `errorLimit` does. @default "fail-check" (as HAProxy) */
  readonly onError?: OnError;
  /**
   * `cookie <value>`: the value of the backend's persistence cookie that designates this
   * server. @default undefined (no cookie: no persistence to this server, as HAProxy)
   */
  readonly cookie?: string;
  /**
   * `id`: the server's numeric id, unique in its backend; the order of `balance first`.
   * @default the smallest id not yet used, counting on from the previous server's (without
   * explicit ids: the position in the backend, from 1)
   */
  readonly id?: number;
  /**
   * `resolvers NAME` and its options: the server's address comes from DNS and follows its
   * records while the proxy runs (docs/dns.md). `address` then holds the name and port as
   * written (`app.internal:8080`; port 0 for an SRV name). @default none (a fixed address)
   */
  readonly resolve?: ServerResolveConfig;
  /**
   * `pool-max-conn`: idle connections to this server kept for reuse (`mode http`); -1 = no
   * limit, 0 = none. @default -1
   */
  readonly poolMaxConn?: number;
  /** `pool-purge-delay`: idle connections unused for this long are closed, ms. @default 5000 */
  readonly poolPurgeDelayMs?: number;
  /** `max-reuse`: requests one server connection carries at most; -1 = no limit. @default -1 */
  readonly maxReuse?: number;
  /** `ssl` and its options: TLS to this server. @default undefined (plain) */
  readonly tls?: ServerTlsConfig;
  /** `send-proxy` / `send-proxy-v2`: a PROXY header first on every connection. @default undefined */
  readonly sendProxy?: SendProxyConfig;
  /**
   * The seed's transparent case: the server's address is `0.0.0.0` (or `::`), so the stream
   * connects to the destination the client connected to (from its PROXY header, a `set-dst`
   * rule, or the local address it was accepted on). Set by `server NAME 0.0.0.0[:PORT]`.
   * With `port` 0 the client's destination port is kept; `mapPorts` adds an offset to it
   * (`server NAME 0.0.0.0:+1000`). @default undefined (no offset)
   */
  readonly mapPorts?: number;
}

/**
 * Timeouts of a backend (`timeout ...`, configuration.txt 4.2), ms; undefined or 0 = infinite,
 * as HAProxy, which warns about a missing `timeout connect` or `timeout server`
 * ({@link resolveConfig} does too, through its `onWarning`).
 */
export interface BackendTimeouts {
  /**
   * `timeout connect`: the longest one connect attempt may take; when it strikes, the attempt
   * is retried at once (no turn-around delay), and once retries are exhausted the stream ends
   * with `sC`. @default undefined (infinite)
   */
  readonly connectMs?: number;
  /**
   * `timeout server`: inactivity of the server side once connected (the server neither sends
   * nor drains what it is sent); a timeout logs `s` as the termination cause (e.g. `sD`).
   * @default undefined (infinite)
   */
  readonly serverMs?: number;
  /**
   * `timeout queue`: the longest a stream waits in a queue for a slot; ends it with `sQ`.
   * @default connectMs (as HAProxy)
   */
  readonly queueMs?: number;
  /**
   * `timeout tunnel`: replaces both `timeout client` and `timeout server` once the server side
   * is connected, as HAProxy does in TCP mode. @default undefined (not used)
   */
  readonly tunnelMs?: number;
  /**
   * `timeout check`: with it, a health check's connect may take min(`timeout connect`, `inter`)
   * and its response this long; without it, `inter` bounds the whole check.
   * @default undefined (not used)
   */
  readonly checkMs?: number;
}

/**
 * Health check protocol of a backend: `tcp` (`option tcp-check` without rules, the default: a
 * check passes once the TCP connection is established) or `http` (`option httpchk`: the check
 * sends a request line and reads the status of the response).
 */
export type HealthCheckKind =
  | { readonly kind: "tcp" }
  | {
    readonly kind: "http";
    /** `option httpchk <method>`: the request method. @default "OPTIONS" (as HAProxy) */
    readonly method?: string;
    /** `option httpchk <method> <uri>`: the request URI. @default "/" (as HAProxy) */
    readonly uri?: string;
    /** `option httpchk <method> <uri> <version>`: the request's HTTP version. @default "HTTP/1.0" (as HAProxy) */
    readonly version?: string;
    /**
     * `http-check send hdr <name> <value>` (repeatable): header fields of the request, in
     * order. @default []
     */
    readonly headers?: readonly (readonly [name: string, value: string])[];
    /**
     * `http-check expect status <codes>`: the statuses that pass (a shorthand of
     * `expect: { kind: "status", codes }`; `expect` wins when both are set).
     * @default undefined (any 2xx or 3xx passes, as HAProxy)
     */
    readonly expectStatus?: readonly number[];
    /** `http-check expect [!] status|rstatus|string`: what the response must hold. @default status 200..399 */
    readonly expect?: HttpCheckExpect;
  };

/**
 * `http-check expect [!] <match> <pattern>` (configuration.txt 4.2): `status` lists the codes
 * that pass, `rstatus` is a regular expression on the 3-digit status code, `string` a text the
 * body must contain. `negate` (`!`) passes when the match fails. A wrong status fails as
 * `Layer7 wrong status`, a body mismatch as `Layer7 invalid response`.
 */
export type HttpCheckExpect =
  | { readonly kind: "status"; readonly codes: readonly number[]; readonly negate?: boolean }
  | { readonly kind: "rstatus"; readonly pattern: string; readonly negate?: boolean }
  | { readonly kind: "string"; readonly text: string; readonly negate?: boolean };

/**
 * A `backend` section (or the backend half of a `listen`). Its HTTP settings (rules,
 * forwarding options, error files) apply in `mode http` to the requests routed to it.
 */
export interface BackendConfig extends HttpProxyConfig {
  /** `backend <name>`: unique among backends; letters, digits, `_`, `.`, `:` and `-`. */
  readonly name: string;
  /**
   * `mode`: `tcp` forwards bytes; `http` parses requests, keeps server connections for reuse
   * and applies the HTTP settings (a `mode tcp` frontend cannot use it yet).
   * @default "tcp"
   */
  readonly mode?: "tcp" | "http";
  /** `balance`: how a server is elected. @default { kind: "random", draws: 2 } (as HAProxy) */
  readonly balance?: BalanceAlgorithm;
  /**
   * `hash-type`: how `source`, `uri`, `url_param` and `hdr` map hashes to servers.
   * @default { method: "map-based", function: "sdbm" } (as HAProxy)
   */
  readonly hashType?: HashTypeConfig;
  /** `cookie`: cookie-based persistence (HTTP backends only). @default undefined (none) */
  readonly cookie?: CookieConfig;
  /**
   * `option persist`: a cookie designating a DOWN server still sends the request there (and,
   * with `redispatch`, elsewhere once its connect fails). @default false (redispatched at once)
   */
  readonly persist?: boolean;
  /** `server` lines, in declaration order (which breaks ties in every algorithm). */
  readonly servers: readonly ServerConfig[];
  /**
   * `retries`: connect attempts made after the first one fails, so 1 + `retries` in all. A
   * retry on the same server after a connection error (refused, reset) first waits
   * min(`timeout connect`, 1 s), the turn-around delay; after a connect timeout, or to another
   * server, it starts at once. @default 3 (as HAProxy)
   */
  readonly retries?: number;
  /**
   * `option redispatch [N]`: when a retry may go to another server. 0 = never (`no option
   * redispatch`); -1 = on the last retry (`option redispatch` alone); P > 0 = every Pth retry;
   * N < 0 = the Nth retry before the last. When it is on, a retry also goes elsewhere whenever
   * the server is no longer usable or, with a non-hash algorithm and more than one active
   * server, at once (configuration.txt 4.2 `option redispatch`; HAProxy's
   * `stream_choose_redispatch()`). @default 0
   */
  readonly redispatch?: number;
  /** `timeout connect|server|queue|tunnel|check`. @default {} (all infinite or not used) */
  readonly timeouts?: BackendTimeouts;
  /**
   * `option tcp-check` or `option httpchk`: the protocol of active checks for servers with
   * `check`. @default { kind: "tcp" }
   */
  readonly healthCheck?: HealthCheckKind;
  /**
   * `option allbackups`: when no active server is usable, balance over every usable backup
   * server rather than only the first one. @default false
   */
  readonly allBackups?: boolean;
  /**
   * `option abortonclose` (`mode http`): a client that closes its side while its request
   * waits in a queue abandons it (`CQ`); while its server connection is under way, a 400
   * `CH--` answers it; once sent, the response is still sent, as HAProxy 2.6 does. Without it
   * the request is served anyway. @default false
   */
  readonly abortOnClose?: boolean;
  /**
   * `http-reuse` (`mode http`): which idle server connections a request may take. `safe`
   * (HAProxy's default): a client connection's first request never takes one.
   * @default "safe"
   */
  readonly httpReuse?: HttpReuse;
  /** See {@link FrontendConfig.httpConnectionMode}. @default "keep-alive" */
  readonly httpConnectionMode?: HttpConnectionMode;
  /** See {@link FrontendConfig.httpBufferRequest}. @default false */
  readonly httpBufferRequest?: boolean;
  /**
   * `option http_proxy` (`mode http`, no servers): each request names its destination.
   * @default undefined (the servers serve)
   */
  readonly forwardProxy?: ForwardProxyConfig;
  /** `retry-on` (`mode http`). @default ["conn-failure"] (as HAProxy) */
  readonly retryOn?: RetryOnConfig;
}

/**
 * Where log lines go and how they look: one line per stream, at its end. In `haproxy.cfg`
 * this is `option tcplog` (or the proxykit-only `option tcplog json`) plus one
 * `log stdout|stderr format raw <facility>` target, given directly or through `log global`.
 */
export interface LogConfig {
  /** `log stdout|stderr`: the standard stream the lines are written to. @default "stdout" */
  readonly target?: "stdout" | "stderr";
  /**
   * `"tcplog"`: HAProxy's TCP log format (`option tcplog`, configuration.txt 8.2.2);
   * `"json"`: the same fields as one JSON object per line (`option tcplog json`), with the HTTP
   * fields in `mode http`;
   * `"httplog"`: HAProxy's HTTP log format (`option httplog`, configuration.txt 8.2.3), one line
   * per request (`mode http` only; a TCP frontend writes tcplog lines).
   * @default "tcplog"
   */
  readonly format?: "tcplog" | "json" | "httplog";
  /**
   * `log-format`: a custom line instead of `format` (configuration.txt 8.2.4): text with
   * variables (`%ci`, `%b`, `%s`, `%TR/%Tw/%Tc/%Tr/%Ta`, `%Tt`, `%ST`, `%B`, `%U`, `%tsc`,
   * `%ac/%fc/%bc/%sc/%rc`, `%sq/%bq`, `%{+Q}r`, `%HM`, `%HU`...) and `%[sample]` expressions
   * (empty in `mode tcp`). @default undefined
   */
  readonly logFormat?: string;
}

/**
 * A `frontend` section (or the frontend half of a `listen`). A frontend and a backend of the
 * same name are taken for one `listen` section: in `mode http` their rules run once.
 */
export interface FrontendConfig extends HttpProxyConfig {
  /** `frontend <name>`: unique among frontends; letters, digits, `_`, `.`, `:` and `-`. */
  readonly name: string;
  /**
   * `bind` addresses; at least one, none bound twice. Port 0 asks for a free port (the
   * listener reports the real one).
   */
  readonly binds: readonly (Address | BindConfig)[];
  /** `tcp-request` rules and `inspect-delay`. @default undefined (none) */
  readonly tcpRequest?: TcpRequestConfig;
  /**
   * `mode`: `tcp` forwards bytes; `http` runs HTTP/1.1 (one session per connection, one
   * transaction per request) and needs `http` backends. @default "tcp"
   */
  readonly mode?: "tcp" | "http";
  /**
   * `default_backend`: the backend that serves the streams no `use_backend` rule took;
   * required in `mode tcp`. In `mode http` without it, such requests get a 503.
   */
  readonly defaultBackend?: string;
  /**
   * `use_backend` rules, in order, the first whose condition holds choosing the backend. In
   * `mode tcp` they run once, on the bytes `tcpRequest` content inspection buffered (see
   * `docs/sni_routing.md`); a `mode http` backend turns the stream into HTTP (as HAProxy).
   * @default []
   */
  readonly useBackends?: readonly UseBackendConfig[];
  /**
   * `timeout client`: inactivity of the client side (it neither sends nor drains what it is
   * sent), ms; a timeout logs `c` as the termination cause (e.g. `cD`). Undefined or 0 =
   * infinite, as HAProxy (which warns). @default undefined
   */
  readonly clientTimeoutMs?: number;
  /**
   * `maxconn`: concurrent streams of this frontend, 0 = unlimited; a connection beyond it is
   * aborted as soon as it is accepted and counted as denied. @default 0
   */
  readonly maxconn?: number;
  /**
   * `rate-limit sessions <rate>` (configuration.txt 4.2): at most this many new sessions per
   * second (HAProxy's sliding one-second window); the connections beyond wait, accepted but
   * not read, until the rate allows them. 0 = no limit. @default 0
   */
  readonly rateLimitSessions?: number;
  /** `option tcplog` and a `log` target: one log line per stream. @default undefined (no log lines) */
  readonly log?: LogConfig;
  /**
   * `timeout http-request`: the longest wait for a complete request head, from its first byte
   * (from the accept for a connection's first request), ms; on expiry a 408 and `cR--`.
   * Undefined = `timeout client`. @default undefined
   */
  readonly httpRequestTimeoutMs?: number;
  /**
   * `timeout http-keep-alive`: the longest wait for the first byte of the next request on a
   * kept-alive connection, ms; on expiry the connection is closed silently (no log line).
   * Undefined = `timeout http-request`. @default undefined
   */
  readonly httpKeepAliveTimeoutMs?: number;
  /**
   * `option http-keep-alive` (the default), `option http-server-close` (a new server connection
   * per request, the client kept alive) or `option httpclose` (both sides closed after each
   * response). The most closing of the frontend's and the backend's applies.
   * @default "keep-alive"
   */
  readonly httpConnectionMode?: HttpConnectionMode;
  /**
   * `option http-buffer-request`: wait for the whole request body (or 16 KiB of it) before
   * connecting to a server, answering `Expect: 100-continue` from an HTTP/1.1 client itself
   * (the field is then removed); the wait is bounded by `timeout http-request` (408 `cR--`).
   * Set on the frontend or the backend. @default false
   */
  readonly httpBufferRequest?: boolean;
  /**
   * `unique-id-format`: a log-format string each HTTP request's id is rendered from, once
   * (`%ID` in `log-format`, the `unique-id` fetch), e.g. `%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid`
   * or `%[uuid]`; cut at 127 chars. @default undefined (no ids: `%ID` is `-`)
   */
  readonly uniqueIdFormat?: string;
  /**
   * `unique-id-header`: the request field the id is sent to the server in (appended after the
   * `http-request` rules, before `option forwardfor`'s). Needs `uniqueIdFormat`.
   * @default undefined (not sent)
   */
  readonly uniqueIdHeader?: string;
}

/** A whole proxy: what one `haproxy.cfg` describes. */
export interface ProxyConfig {
  /** `frontend` sections (and `listen` sections with a `bind`), in configuration order. */
  readonly frontends: readonly FrontendConfig[];
  /** `backend` sections (and every `listen` section), in configuration order. */
  readonly backends: readonly BackendConfig[];
  /**
   * `global maxconn`: concurrent streams of the whole process, 0 = unlimited; a connection
   * beyond it is aborted as soon as it is accepted and counted as denied. @default 0
   */
  readonly maxconn?: number;
  /**
   * `global` `stats socket` lines: where the runtime API listens (Unix sockets, or TCP on
   * loopback only). @default [] (none)
   */
  readonly statsSockets?: readonly StatsSocketConfig[];
  /** `resolvers` sections: DNS service discovery (configuration.txt 5.3, docs/dns.md). @default none */
  readonly resolvers?: readonly ResolversConfig[];
  /**
   * What `global` sets for the program running the proxy (stop grace, workers, server-state
   * file): read by the command line, not by the proxy.
   */
  readonly process?: ProcessConfig;
}
