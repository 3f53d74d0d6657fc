/**
 * Configuration of DNS service discovery (configuration.txt 5.3): `resolvers` sections and the
 * server keywords `resolvers`, `resolve-prefer`, `resolve-opts`, `init-addr`, with
 * `server-template` expanding to servers that share one resolution. Typed input
 * ({@link ResolversConfig}, {@link ServerResolveConfig}) and the resolved shapes.
 *
 * @module
 */
import type { TcpAddress } from "../net.ts";

/** `nameserver <name> <ip>:<port>` (UDP). */
export interface NameserverConfig {
  /** Its name in the section, as logs print it (`by dns/ns1`). */
  readonly name: string;
  /** An IP literal and a port. */
  readonly address: TcpAddress;
}

/**
 * `hold <status> <period>` (configuration.txt 5.3.2): how long the last valid answer is kept
 * after a resolution ended with that status, ms; once it runs out, the servers relying on it
 * go into maintenance (MAINT, resolution).
 */
export interface ResolversHoldConfig {
  /**
   * `hold valid`: accepted and checked; in HAProxy 2.6 it only matters to `do-resolve`, which
   * proxykit does not have (names are resolved every `timeout resolve`). @default 10000 (as HAProxy)
   */
  readonly validMs?: number;
  /** `hold nx`: after NXDOMAIN answers. @default 30000 (as HAProxy) */
  readonly nxMs?: number;
  /** `hold timeout`: after no answer at all (the DNS servers are down). @default 30000 (as HAProxy) */
  readonly timeoutMs?: number;
  /** `hold refused`: after REFUSED answers. @default 30000 (as HAProxy) */
  readonly refusedMs?: number;
  /** `hold other`: after any other error. @default 30000 (as HAProxy) */
  readonly otherMs?: number;
  /**
   * `hold obsolete`: how long a server keeps an address (or SRV target) that is no longer in
   * the answers. @default 0 (as HAProxy: at once)
   */
  readonly obsoleteMs?: number;
}

/** A `resolvers <name>` section (configuration.txt 5.3.2). */
export interface ResolversConfig {
  /** `resolvers <name>`, unique. */
  readonly name: string;
  /** `nameserver` lines; at least one. */
  readonly nameservers: readonly NameserverConfig[];
  /** `resolve_retries`: queries sent before giving up on a resolution. @default 3 (as HAProxy) */
  readonly resolveRetries?: number;
  /** `timeout resolve`: the interval between two resolutions of a name, ms. @default 1000 (as HAProxy) */
  readonly resolveMs?: number;
  /** `timeout retry`: the wait for an answer before sending the query again, ms. @default 1000 (as HAProxy) */
  readonly retryMs?: number;
  /** `hold ...`. */
  readonly hold?: ResolversHoldConfig;
  /** `accepted_payload_size`, 512..65535, advertised with EDNS0 above 512. @default 512 (as HAProxy) */
  readonly acceptedPayloadSize?: number;
}

/** What `init-addr` may list, tried in order at start-up (configuration.txt 5.2 `init-addr`). */
export type InitAddrMethod = "last" | "libc" | "none" | { readonly ip: string };

/**
 * A server found through DNS: `server NAME FQDN:PORT resolvers R ...`, or one of the servers a
 * `server-template` line makes.
 */
export interface ServerResolveConfig {
  /** `resolvers <id>`: the section whose nameservers are asked. */
  readonly resolvers: string;
  /**
   * The name to resolve: a host name (A/AAAA records), or an SRV name (`_http._tcp.svc`,
   * starting with `_`) whose targets give each server its host name, port and weight.
   */
  readonly fqdn: string;
  /** `resolve-prefer`: the family asked first (the other one only when it has no record). @default "ipv6" (as HAProxy) */
  readonly prefer?: "ipv4" | "ipv6";
  /** `resolve-opts ignore-weight`: SRV weights do not change the servers' weights. @default false */
  readonly ignoreWeight?: boolean;
  /**
   * `init-addr`: how the address is found at start-up; `last` (a server-state file) is
   * skipped, `none` starts the server in maintenance until DNS answers.
   * @default ["last", "libc", "none"] (as HAProxy with `resolvers`)
   */
  readonly initAddr?: readonly InitAddrMethod[];
  /**
   * Servers of one backend with the same `group` share one resolution and take distinct
   * addresses (or SRV targets) from its answers: the servers of one `server-template` line.
   * @default the server's own name (a resolution of its own)
   */
  readonly group?: string;
}

/** A `resolvers` section with every default applied. */
export interface ResolvedResolversConfig {
  /** `resolvers <name>`. */
  readonly name: string;
  /** `nameserver` lines. */
  readonly nameservers: readonly NameserverConfig[];
  /** `resolve_retries`. */
  readonly resolveRetries: number;
  /** `timeout resolve`, ms. */
  readonly resolveMs: number;
  /** `timeout retry`, ms. */
  readonly retryMs: number;
  /** `hold ...`, ms. */
  readonly hold: Required<ResolversHoldConfig>;
  /** `accepted_payload_size`. */
  readonly acceptedPayloadSize: number;
}

/** A server's DNS settings with every default applied. */
export interface ResolvedServerResolve {
  /** `resolvers <id>` (an existing section). */
  readonly resolvers: string;
  /** Host name or SRV name. */
  readonly fqdn: string;
  /** `resolve-prefer`. */
  readonly prefer: "ipv4" | "ipv6";
  /** `resolve-opts ignore-weight`. */
  readonly ignoreWeight: boolean;
  /** `init-addr`. */
  readonly initAddr: readonly InitAddrMethod[];
  /** The resolution it shares with the other servers of its group. */
  readonly group: string;
}
