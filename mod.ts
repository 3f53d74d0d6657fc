/**
 * proxykit: HAProxy-grade connection management for Deno, Bun and Node.
 *
 * This entry point is the platform-free core. Pair it with the adapter of your runtime
 * (`@proxykit/proxykit/deno`, `/bun`, `/node`), or with `/memory` in tests.
 *
 * @example A round-robin TCP load balancer
 * ```ts
 * import { Proxy } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/node";
 *
 * const proxy = new Proxy({
 *   frontends: [{ name: "fe", binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 8080 }], defaultBackend: "be" }],
 *   backends: [{
 *     name: "be",
 *     balance: { kind: "roundrobin" },
 *     retries: 3,
 *     servers: [
 *       { name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 9001 } },
 *       { name: "s2", address: { transport: "tcp", hostname: "127.0.0.1", port: 9002 } },
 *     ],
 *   }],
 * }, { network, log: console.log });
 * await proxy.start();
 * ```
 *
 * @example Loading a haproxy.cfg
 * ```ts
 * import { parseHaproxyConfig, Proxy } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/deno";
 * const text = await fetch(new URL("./haproxy.cfg", import.meta.url)).then((r) => r.text());
 * const config = parseHaproxyConfig(text, "haproxy.cfg");
 * await new Proxy(config, { network, log: console.log }).start();
 * ```
 *
 * @module
 */

export { Proxy } from "./src/proxy.ts";
export type { ProxyCounters, ProxyOptions } from "./src/proxy.ts";
export type {
  BackendConfig,
  BackendTimeouts,
  BalanceAlgorithm,
  CheckConfig,
  FrontendConfig,
  HealthCheckKind,
  OnError,
  ProxyConfig,
  ServerConfig,
} from "./src/config/types.ts";
export { parseHaproxyConfig } from "./src/config/haproxy_cfg.ts";
export { resolveConfig } from "./src/config/defaults.ts";
export type { ResolvedProxyConfig } from "./src/config/defaults.ts";
export { formatAddress, parseAddress } from "./src/address.ts";
export type { ParseAddressOptions } from "./src/address.ts";

export { CO_FL, Connection, flagNames, RAW } from "./src/connection.ts";
export type { Transport } from "./src/connection.ts";
export { SI_STATES, StreamInterface } from "./src/stream_interface.ts";
export type { SiState } from "./src/stream_interface.ts";
export { Stream } from "./src/stream.ts";
export { Backend } from "./src/backend.ts";
export type { BackendCounters, ConnectFailure } from "./src/backend.ts";
export { Server } from "./src/server.ts";
export type { ServerCounters, ServerState } from "./src/server.ts";
export { Frontend } from "./src/frontend.ts";
export type { FrontendCounters } from "./src/frontend.ts";
export { createBalancer } from "./src/balance/mod.ts";
export type { Balancer, LbServer, PickContext } from "./src/balance/mod.ts";

export { FakeClock, systemClock } from "./src/clock.ts";
export type { Clock, Timer } from "./src/clock.ts";
export { isProxyError, ProxyError } from "./src/errors.ts";
export type { ProxyErrorCode } from "./src/errors.ts";
export { formatJsonLog, formatLogDate, formatTcpLog } from "./src/log.ts";
export type { StreamLogRecord } from "./src/log.ts";
export type {
  Address,
  ConnectOptions,
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
  TlsClientOptions,
  TlsInfo,
  TlsServerOptions,
  UnixAddress,
} from "./src/net.ts";
