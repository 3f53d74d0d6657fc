/**
 * `stats socket` (configuration.txt 3.1 `stats socket`, 5.1 `level`): where the runtime API
 * listens, typed and validated. A TCP stats socket must be on a loopback address: the runtime
 * API has no authentication, so it is reachable only from this machine (or through a Unix
 * socket's file permissions).
 *
 * @module
 */
import type { Address } from "../net.ts";
import { ProxyError } from "../errors.ts";
import { addressProblem, formatAddress } from "../address.ts";
import type { RuntimeApiLevel } from "../runtime_api.ts";

/** One `stats socket` line of the `global` section. */
export interface StatsSocketConfig {
  /** Where it listens: a Unix socket path, or a TCP loopback address (port 0 = a free port). */
  readonly address: Address;
  /**
   * What its sessions may do: `user` reads stats, `operator` reads everything, `admin`
   * changes servers too.
   * @default "operator" (as HAProxy)
   */
  readonly level?: RuntimeApiLevel;
}

/** A `stats socket` with its defaults applied. */
export interface ResolvedStatsSocket {
  /** Where it listens. */
  readonly address: Address;
  /** Its level. */
  readonly level: RuntimeApiLevel;
}

/** HAProxy's default level of a stats socket (configuration.txt 5.1 `level`). */
export const DEFAULT_STATS_LEVEL: RuntimeApiLevel = "operator";

const LEVELS: readonly RuntimeApiLevel[] = ["user", "operator", "admin"];

/** Whether `host` is a loopback IP literal (127.0.0.0/8, `::1`, `::ffff:127.x.y.z`) or `localhost`. */
export function isLoopback(host: string): boolean {
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || host === "::1" || host === "localhost";
}

/**
 * Checks the stats sockets of a configuration (`statsSockets`).
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming the key: an invalid address, a TCP address
 *   off loopback, an unknown level.
 */
export function resolveStatsSockets(v: unknown): ResolvedStatsSocket[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ProxyError("ERR_CONFIG_INVALID", "statsSockets: must be an array");
  return v.map((s: Partial<StatsSocketConfig>, i) => {
    const where = `statsSockets[${i}]`;
    const problem = addressProblem(s?.address, { allowPortZero: true });
    if (problem !== undefined) throw new ProxyError("ERR_CONFIG_INVALID", `${where}.address: ${problem}`);
    const address = s.address!;
    if (address.transport === "tcp" && !isLoopback(address.hostname)) {
      throw new ProxyError(
        "ERR_CONFIG_INVALID",
        `${where}.address: a TCP stats socket must be on a loopback address (127.0.0.0/8 or ::1), got ${
          formatAddress(address)
        }: the runtime API has no authentication`,
      );
    }
    const level = s.level ?? DEFAULT_STATS_LEVEL;
    if (!LEVELS.includes(level)) {
      throw new ProxyError(
        "ERR_CONFIG_INVALID",
        `${where}.level: must be "user", "operator" or "admin", got ${JSON.stringify(level)}`,
      );
    }
    return { address, level };
  });
}
