/**
 * Server election: one {@link Balancer} per backend, created from its `balance` setting.
 * Pure logic, no I/O; the core reads servers through {@link LbServer}.
 *
 * @module
 */
import type { BalanceAlgorithm } from "../config/types.ts";
import { FirstAvailable } from "./first.ts";
import { LeastConn } from "./leastconn.ts";
import { RandomDraws } from "./random.ts";
import { RoundRobin } from "./roundrobin.ts";
import {
  DEFAULT_HASH_TYPE,
  HashedBalancer,
  hdrKeySource,
  SOURCE_KEY,
  uriKeySource,
  urlParamKeySource,
} from "./hashed.ts";
import { StaticRoundRobin } from "./static_rr.ts";
import type { Balancer, BalancerOptions, LbServer } from "./types.ts";

export type { Balancer, BalancerOptions, LbServer, PickContext } from "./types.ts";
export { isDynamicAlgorithm, isHashAlgorithm } from "./types.ts";
export { eligibleServers } from "./eligible.ts";

/**
 * Creates the balancer of `algorithm` over `servers`, in declaration order (it breaks ties
 * everywhere, as in HAProxy). The array is kept, not copied: the servers are read live at
 * each pick, so add or remove servers by creating a new balancer.
 *
 * When `pick()` returns `undefined`, `hasUsableServer()` tells a full backend (queue the
 * stream) from one without any usable server (HAProxy answers 503, termination `SC`). The hash
 * algorithms (`source`, `uri`, `url_param`, `hdr`) read their key from the pick's context
 * (`sourceAddress`, `request`) and map it with `options.hashType`.
 *
 * @example Two servers in turn, and a retry that avoids the server that failed
 * ```ts
 * import { createBalancer, type LbServer } from "@proxykit/proxykit";
 *
 * // A proxy passes its live servers; any objects with the LbServer fields will do.
 * const server = (name: string, id: number): LbServer => ({
 *   name,
 *   id,
 *   backup: false,
 *   weight: 1,
 *   usable: true,
 *   served: 0,
 *   queued: 0,
 *   maxconn: 0,
 *   maxqueue: 0,
 * });
 * const s1 = server("s1", 1);
 * const lb = createBalancer({ kind: "roundrobin" }, [s1, server("s2", 2)]);
 * lb.pick()?.name; // "s1"
 * lb.pick()?.name; // "s2"
 * lb.pick({ avoid: s1 })?.name; // "s2": s1 is skipped while another server can take the stream
 * ```
 *
 * @throws {RangeError} when `random` has a `draws` that is not an integer ≥ 1.
 */
export function createBalancer(
  algorithm: BalanceAlgorithm,
  servers: readonly LbServer[],
  options?: BalancerOptions,
): Balancer {
  const allBackups = options?.allBackups ?? false;
  const hashType = options?.hashType ?? DEFAULT_HASH_TYPE;
  switch (algorithm.kind) {
    case "roundrobin":
      return new RoundRobin(servers, allBackups);
    case "static-rr":
      return new StaticRoundRobin(servers, allBackups);
    case "leastconn":
      return new LeastConn(servers, allBackups);
    case "first":
      return new FirstAvailable(servers, allBackups);
    case "source":
      return new HashedBalancer(servers, allBackups, SOURCE_KEY, hashType);
    case "uri":
      return new HashedBalancer(servers, allBackups, uriKeySource(algorithm), hashType);
    case "url_param":
      return new HashedBalancer(servers, allBackups, urlParamKeySource(algorithm.param), hashType);
    case "hdr":
      return new HashedBalancer(servers, allBackups, hdrKeySource(algorithm), hashType);
    case "random": {
      const draws = algorithm.draws;
      if (!Number.isInteger(draws) || draws < 1) {
        throw new RangeError(`balance random: draws must be an integer >= 1, got ${draws}`);
      }
      return new RandomDraws(servers, allBackups, draws, options?.random ?? Math.random);
    }
    case "custom":
      return algorithm.create(servers, options ?? {});
  }
}
