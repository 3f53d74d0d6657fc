/**
 * The typed configuration of a proxy: what `haproxy.cfg` sections map onto, and what library
 * users write directly. Durations are milliseconds; `undefined` means "not set", which for
 * timeouts means infinite, as in HAProxy (HAPROXY.md §3). Defaults are applied in one place,
 * {@link resolveConfig} in `src/config/defaults.ts`.
 *
 * @module
 */
import type { Address } from "../net.ts";
import type { Balancer, BalancerOptions, LbServer } from "../balance/types.ts";

/**
 * Builds a user's own {@link Balancer} over one backend's servers (in declaration order, read
 * live at each pick). Called once per backend when the proxy is built.
 */
export type CustomBalancerFactory = (servers: readonly LbServer[], options: BalancerOptions) => Balancer;

/**
 * Load-balancing algorithms (`balance` keyword). `random` draws `draws` candidates; `custom`
 * is a program's own election (not expressible in `haproxy.cfg`), treated as a dynamic
 * algorithm: slowstart ramps its servers' weights.
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
  | { readonly kind: "random"; readonly draws: number }
  | {
    readonly kind: "custom";
    /** For error messages and logs. @default "custom" */
    readonly name?: string;
    readonly create: CustomBalancerFactory;
  };

/** What a server does on `observe layer4` errors (`on-error`). */
export type OnError = "fastinter" | "fail-check" | "sudden-death" | "mark-down";

/** Active health check settings of a server (`check` and friends). */
export interface CheckConfig {
  /** Interval between checks while UP. @default 2000 (as HAProxy) */
  readonly interMs?: number;
  /** Interval while transitioning or not yet checked. @default interMs */
  readonly fastinterMs?: number;
  /** Interval while DOWN. @default interMs */
  readonly downinterMs?: number;
  /** Consecutive successes to go UP. @default 2 */
  readonly rise?: number;
  /** Consecutive failures to go DOWN. @default 3 */
  readonly fall?: number;
  /** Check port when it differs from the server's. */
  readonly port?: number;
}

/** One `server` line. */
export interface ServerConfig {
  readonly name: string;
  /** Destination; a TCP hostname may be a DNS name resolved at load time. */
  readonly address: Address;
  /** @default 1; 0..256 */
  readonly weight?: number;
  /** Concurrent connections; 0 = unlimited. @default 0 */
  readonly maxconn?: number;
  /** Queue length; 0 = unlimited. @default 0 */
  readonly maxqueue?: number;
  /** Used only when every active server is down. @default false */
  readonly backup?: boolean;
  /** Starts in maintenance. @default false */
  readonly disabled?: boolean;
  /** Ramp-up time after coming back UP, ms. @default 0 (none) */
  readonly slowstartMs?: number;
  /** Active health checks; absent = no check, always considered UP. */
  readonly check?: CheckConfig;
  /** Passive health monitoring of real traffic. */
  readonly observe?: "layer4";
  /** Consecutive observed errors that trigger `onError`. @default 10 */
  readonly errorLimit?: number;
  /** @default "fail-check" */
  readonly onError?: OnError;
  /** Numeric id (ordering for `balance first`). @default position in the backend, from 1 */
  readonly id?: number;
}

/** Timeouts of a backend, ms; undefined or 0 = infinite, as HAProxy (which warns; so do we). */
export interface BackendTimeouts {
  readonly connectMs?: number;
  readonly serverMs?: number;
  /** @default connectMs (as HAProxy) */
  readonly queueMs?: number;
  /** Supersedes client/server once both sides are connected in TCP mode. */
  readonly tunnelMs?: number;
  /** Extra read timeout of a health check; see HAPROXY.md §6. */
  readonly checkMs?: number;
}

/** Health check protocol of a backend. */
export type HealthCheckKind =
  | { readonly kind: "tcp" }
  | {
    readonly kind: "http";
    /** @default "OPTIONS" */
    readonly method?: string;
    /** @default "/" */
    readonly uri?: string;
    /** @default "HTTP/1.0" */
    readonly version?: string;
    /** `http-check expect status N`; absent = any 2xx or 3xx. */
    readonly expectStatus?: readonly number[];
  };

/** A `backend` section (or the backend half of a `listen`). */
export interface BackendConfig {
  readonly name: string;
  /** @default "tcp" (only TCP mode exists so far) */
  readonly mode?: "tcp";
  /** @default { kind: "random", draws: 2 } (as HAProxy) */
  readonly balance?: BalanceAlgorithm;
  readonly servers: readonly ServerConfig[];
  /** Connect retries on the same server. @default 3 (as HAProxy) */
  readonly retries?: number;
  /**
   * `option redispatch [N]`: 0 = off; -1 = on the last retry; P > 0 = every Pth retry;
   * N < 0 = the Nth retry before the last. @default 0
   */
  readonly redispatch?: number;
  readonly timeouts?: BackendTimeouts;
  /** Protocol of active checks for servers with `check`. @default { kind: "tcp" } */
  readonly healthCheck?: HealthCheckKind;
  /** Use every backup server rather than only the first. @default false */
  readonly allBackups?: boolean;
}

/**
 * Where log lines go and how they look: one line per stream, at its end. In `haproxy.cfg`
 * this is `option tcplog` (or the proxykit-only `option tcplog json`) plus one
 * `log stdout|stderr format raw <facility>` target, given directly or through `log global`.
 */
export interface LogConfig {
  /** Stream the lines are written to. @default "stdout" */
  readonly target?: "stdout" | "stderr";
  /**
   * `"tcplog"`: HAProxy's TCP log format (HAPROXY.md §4); `"json"`: the same fields as one
   * JSON object per line.
   * @default "tcplog"
   */
  readonly format?: "tcplog" | "json";
}

/** A `frontend` section (or the frontend half of a `listen`). */
export interface FrontendConfig {
  readonly name: string;
  /** `bind` lines; at least one. Port 0 asks for a free port (the listener reports it). */
  readonly binds: readonly Address[];
  /** @default "tcp" */
  readonly mode?: "tcp";
  readonly defaultBackend: string;
  /** Client inactivity timeout, ms; undefined or 0 = infinite, as HAProxy. */
  readonly clientTimeoutMs?: number;
  /** Frontend maxconn; 0 = unlimited. @default 0 */
  readonly maxconn?: number;
  /** Emit one log line per stream (`option tcplog` + a `log` target). */
  readonly log?: LogConfig;
}

/** A whole proxy: what one `haproxy.cfg` describes. */
export interface ProxyConfig {
  readonly frontends: readonly FrontendConfig[];
  readonly backends: readonly BackendConfig[];
  /** Process-wide connection limit (`global maxconn`); 0 = unlimited. @default 0 */
  readonly maxconn?: number;
}
