/**
 * proxykit: HAProxy-grade connection management for Deno, Bun and Node.
 *
 * This entry point is the platform-free core: the {@link ProxyServer}, its typed configuration
 * and the `haproxy.cfg` loader, errors, the balancer and hook types a program implements,
 * counters and log records. Pair it with the network adapter of your runtime
 * (`@proxykit/proxykit/deno`, `/bun`, `/node`); tests use `/testing` (an in-memory network and
 * a fake clock).
 *
 * @example A round-robin TCP load balancer
 * ```ts
 * import { ProxyServer } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/node";
 *
 * const proxy = new ProxyServer({
 *   frontends: [{
 *     name: "fe",
 *     binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 8080 }],
 *     defaultBackend: "be",
 *     log: { format: "tcplog" },
 *   }],
 *   backends: [{
 *     name: "be",
 *     balance: { kind: "roundrobin" },
 *     retries: 3,
 *     servers: [
 *       { name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 9001 } },
 *       { name: "s2", address: { transport: "tcp", hostname: "127.0.0.1", port: 9002 } },
 *     ],
 *   }],
 * }, { network, log: (line) => console.log(line) });
 * await proxy.start();
 * ```
 *
 * @example From haproxy.cfg text (read it from a file with your runtime's API)
 * ```ts
 * import { parseHaproxyConfig, ProxyServer } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/node";
 *
 * const config = parseHaproxyConfig(
 *   `
 * frontend fe
 *   bind 127.0.0.1:8080
 *   option tcplog
 *   log stdout format raw local0
 *   default_backend be
 * backend be
 *   balance roundrobin
 *   server s1 127.0.0.1:9001 check
 *   server s2 127.0.0.1:9002 check
 * `,
 *   "haproxy.cfg",
 * );
 * await new ProxyServer(config, { network, log: (line) => console.log(line) }).start();
 * ```
 *
 * @module
 */

export { ProxyServer } from "./src/proxy.ts";
export type {
  AdminCommandOrigin,
  BackendView,
  DestinationInfo,
  FrontendView,
  LogTarget,
  ProxyCounters,
  ProxyHooks,
  ProxyServerOptions,
  StartOptions,
  StopOptions,
} from "./src/proxy.ts";
export type { ServerCounters, ServerState, ServerView } from "./src/server.ts";
export type { AdminServerState, ProxyAdmin } from "./src/admin.ts";
export {
  formatResolvers,
  type NameserverStats,
  RESOLVER_COUNTERS,
  type ResolverCounter,
  type ResolversSnapshot,
  type ResolversStats,
} from "./src/dns/show.ts";
export { type RuntimeApiLevel, RuntimeApiSession } from "./src/runtime_api.ts";
export type { ResolvedStatsSocket, StatsSocketConfig } from "./src/config/stats_socket.ts";
export type { ConnectFailureHook, ConnectFailureInfo } from "./src/connect_failure.ts";
export type { BackendCounters } from "./src/backend.ts";
export type { FrontendCounters } from "./src/frontend.ts";
export type { AbortCounts, HttpCounts, StreamCounts, TimeCounts } from "./src/_counters.ts";
export type { FreqCounter, LastEvent } from "./src/_rates.ts";
export type { CheckCounters, CheckResult, CheckView } from "./src/health.ts";
export type { HttpConnectionMode, HttpReuse, PoolCounters, PoolSettings, PoolView } from "./src/pool.ts";

export type {
  BackendConfig,
  BackendTimeouts,
  BalanceAlgorithm,
  CheckConfig,
  CookieConfig,
  CustomBalancerFactory,
  ForwardProxyAuthConfig,
  ForwardProxyConfig,
  FrontendConfig,
  HashFunction,
  HashTypeConfig,
  HdrBalance,
  HealthCheckKind,
  HttpCheckExpect,
  LogConfig,
  OnError,
  ProxyConfig,
  RetryOnConfig,
  RetryOnKeyword,
  ServerConfig,
  UriBalance,
  UrlParamBalance,
} from "./src/config/types.ts";
export type {
  BindConfig,
  BindTlsConfig,
  ProxyV2Option,
  SendProxyConfig,
  ServerTlsConfig,
  TcpConnectionRule,
  TcpContentRule,
  TcpRequestConfig,
} from "./src/config/tls_types.ts";
export { parseDestinationRule } from "./src/http/proxy_allow.ts";
export type { AddressNetwork, DestinationRule, PortRange } from "./src/http/proxy_allow.ts";
export type { ForwardProxySettings, ProxyAuthSettings } from "./src/http/forward_proxy.ts";
export type { RetryOn } from "./src/http/retry_on.ts";
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
  MonitorConfig,
  RedirectCode,
  RedirectRule,
  ReplaceHeaderRule,
  ReturnRule,
  RuleBase,
  SetHeaderRule,
  SetPathRule,
  StatsPageConfig,
  UseBackendConfig,
  UseServiceRule,
  Words,
} from "./src/config/http_types.ts";
export { showStat, STAT_HEADER } from "./src/stats/csv.ts";
export { showInfo } from "./src/stats/info.ts";
export type { ProcessCounts, ProcessInfo } from "./src/stats/info.ts";
export { PROMETHEUS_CONTENT_TYPE, prometheusMetrics, prometheusQuery } from "./src/stats/prometheus.ts";
export type { PrometheusOptions, PrometheusScope } from "./src/stats/prometheus.ts";
export { statsPage } from "./src/stats/page.ts";
export type { StatsPageOptions } from "./src/stats/page.ts";
export { StatsPeers, statsSnapshot } from "./src/stats/peers.ts";
export type { StatsSnapshot } from "./src/stats/peers.ts";
export type { StatFields, StatProxy, StatRow, StatValue } from "./src/stats/model.ts";
export type { BasicAuthConfig } from "./src/http/basic_auth.ts";
export { parseHaproxyConfig } from "./src/config/haproxy_cfg.ts";
export type { HaproxyConfigOptions } from "./src/config/haproxy_cfg.ts";
export { resolveConfig } from "./src/config/defaults.ts";
export type {
  ResolvedBackendConfig,
  ResolvedBackendTimeouts,
  ResolvedBind,
  ResolvedCheckConfig,
  ResolvedCookieConfig,
  ResolvedFrontendConfig,
  ResolvedHashType,
  ResolvedHealthCheck,
  ResolvedHttpConfig,
  ResolvedHttpExpect,
  ResolvedLogConfig,
  ResolvedProxyConfig,
  ResolvedServerConfig,
  ResolvedTcpRequest,
  ResolveOptions,
} from "./src/config/defaults.ts";
export {
  parseProxyHeader,
  PP1_MAX_LENGTH,
  PP2_AUTHORITY_MAX,
  PP2_CLIENT,
  PP2_MAX_LENGTH,
  PP2_SIGNATURE,
  PP2_TLV_MAX,
  PP2_TYPE,
  PP2_UNIQUE_ID_MAX,
  PROXY_ERROR_MESSAGES,
} from "./src/proxy_protocol.ts";
export type {
  ProxyHeader,
  ProxyHeaderError,
  ProxyHeaderErrorCode,
  ProxyHeaderIncomplete,
  ProxyHeaderResult,
  ProxyProtocolErrorCode,
  ProxySslTlv,
  ProxyTlv,
  ProxyTlvs,
} from "./src/proxy_protocol.ts";
export { buildProxyHeaderV1, buildProxyHeaderV2 } from "./src/proxy_protocol_build.ts";
export type { ProxyHeaderV2Options, ProxySslTlvInput } from "./src/proxy_protocol_build.ts";
export { formatAddress, parseAddress } from "./src/address.ts";
export { parseClientHello } from "./src/tls/client_hello.ts";
export type { ClientHello, ClientHelloResult } from "./src/tls/client_hello.ts";
export type { ParseAddressOptions } from "./src/address.ts";

export { createBalancer, isDynamicAlgorithm, isHashAlgorithm } from "./src/balance/mod.ts";
export type { Balancer, BalancerOptions, LbServer, PickContext } from "./src/balance/mod.ts";

// HTTP-aware balancing and persistence: the request head a pick reads, cookie persistence.
export type { HeaderField, HeaderList, RequestHead, ResponseHead } from "./src/http/head.ts";
export { persistRequest, persistResponse, requestCookieFlagAfter, responseCacheable } from "./src/http/persist.ts";
export type {
  PersistRequestOptions,
  PersistResponseContext,
  PersistServer,
  RequestCookieFlag,
  RequestPersistence,
  ResponseCookieFlag,
} from "./src/http/persist.ts";
export type { ObservedOutcome } from "./src/server.ts";

export { isProxyError, ProxyError } from "./src/errors.ts";
export { VERSION } from "./src/version.ts";
export type { ProxyErrorCode } from "./src/errors.ts";
export {
  escapeLogText,
  formatConnectionError,
  formatHttpJsonLog,
  formatHttpLog,
  formatJsonLog,
  formatLogDate,
  formatServerState,
  formatTcpLog,
} from "./src/log.ts";
export type { HttpLogRecord, ServerStateEvent, StreamLogRecord } from "./src/log.ts";
export type {
  InitAddrMethod,
  NameserverConfig,
  ResolvedResolversConfig,
  ResolvedServerResolve,
  ResolversConfig,
  ResolversHoldConfig,
  ServerResolveConfig,
} from "./src/config/dns_types.ts";
export { systemClock } from "./src/clock.ts";
export type { Clock, Timer } from "./src/clock.ts";
export type {
  Address,
  ConnectCancel,
  ConnectOptions,
  DatagramOptions,
  DatagramSocket,
  Listener,
  ListenOptions,
  NetCapabilities,
  NetError,
  NetErrorCode,
  Network,
  Socket,
  SocketHandlers,
  TcpAddress,
  TlsCertificate,
  TlsCertificateOptions,
  TlsClientOptions,
  TlsInfo,
  TlsServerOptions,
  TlsVersion,
  UnixAddress,
} from "./src/net.ts";
// Stop, reload and the server-state file (issue 10 item 3).
export { reloadProxy } from "./src/reload.ts";
export type { Reloaded, ReloadOptions } from "./src/reload.ts";
export { Handover, listenKey, listenSlot } from "./src/handover.ts";
export type { ListenerSlot } from "./src/handover.ts";
export { DEFAULT_HARD_STOP_AFTER_MS } from "./src/config/process_types.ts";
export type { ProcessConfig, ServerStateSource } from "./src/config/process_types.ts";
