/**
 * The hash algorithms (`source`, `uri`, `url_param`, `hdr`): a key from the stream hashed and
 * looked up in the static server map (`hash-type map-based`) or the consistent-hash rings
 * (`hash-type consistent`), with round-robin when the key is missing (backend.c
 * `assign_server()`).
 *
 * @module
 */
import type { HashFunction, HdrBalance, UriBalance } from "../config/types.ts";
import type { ResolvedHashType } from "../config/resolved.ts";
import { ChashRings } from "./_chash.ts";
import { MapKeeper, nextInMap } from "./_map.ts";
import { isFull } from "./eligible.ts";
import { fullHash, hashKey } from "./hash.ts";
import { domainOnly, firstHeaderValue } from "./hdr.ts";
import { sourceHash } from "./source.ts";
import { uriKey } from "./uri.ts";
import { urlParamValue } from "./url_param.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/** HAProxy's default `hash-type`: map-based, sdbm, no avalanche. */
export const DEFAULT_HASH_TYPE: ResolvedHashType = { method: "map-based", function: "sdbm", avalanche: false };

/**
 * How one hash algorithm finds its key. `hash` returns the raw 32-bit hash of the stream's key
 * (before the avalanche), or `undefined` when the key is missing. With `skipWhenSingle`, no key
 * is looked for when a single server takes part: HAProxy then uses hash 0 (`source`, `uri`,
 * `hdr`, but not `url_param`).
 */
export interface HashKeySource {
  /** The raw hash of the stream's key, or `undefined` when it has none. */
  readonly hash: (ctx: PickContext | undefined, fn: HashFunction) => number | undefined;
  /** Whether a lone server is elected without looking for the key. */
  readonly skipWhenSingle: boolean;
}

/** `balance source`: the XOR of the client address words (the hash function is not used). */
export const SOURCE_KEY: HashKeySource = {
  hash: (ctx) => sourceHash(ctx?.sourceAddress ?? ""),
  skipWhenSingle: true,
};

/** `balance uri`: the hash of {@link uriKey} of the request target; always present in a request. */
export function uriKeySource(opts: Omit<UriBalance, "kind">): HashKeySource {
  return {
    hash: (ctx, fn) => ctx?.request === undefined ? undefined : hashKey(uriKey(ctx.request.target, opts), fn),
    skipWhenSingle: true,
  };
}

/** `balance url_param`: the hash of the parameter's value; missing without it. */
export function urlParamKeySource(param: string): HashKeySource {
  return {
    hash: (ctx, fn) => {
      const v = ctx?.request === undefined ? undefined : urlParamValue(ctx.request.target, param);
      return v === undefined ? undefined : hashKey(v, fn);
    },
    skipWhenSingle: false,
  };
}

/** `balance hdr(name)`: the hash of the header's first value (or its domain); missing when absent or empty. */
export function hdrKeySource(opts: Omit<HdrBalance, "kind">): HashKeySource {
  const name = opts.header.toLowerCase();
  return {
    hash: (ctx, fn) => {
      const v = ctx?.request === undefined ? undefined : firstHeaderValue(ctx.request.headers, name);
      if (v === undefined) return undefined;
      return hashKey(opts.useDomainOnly === true ? domainOnly(v) : v, fn);
    },
    skipWhenSingle: true,
  };
}

/**
 * A hash algorithm's balancer. The key's hash (with the avalanche when asked) picks
 * `map[hash % tot_weight]` (lb_map.c `map_get_server_hash()`) or the nearest point of the
 * consistent ring (lb_chash.c). The hashed server is returned even when full: affinity wins,
 * and the caller queues on that server (backend.c `assign_server_and_queue()`). When only one
 * server takes part, the key is not looked at (see {@link HashKeySource.skipWhenSingle}).
 *
 * Without a key (no client address for `source`, no parameter, no header) it falls back to
 * round-robin over the map (skipping full servers, lb_map.c `map_get_server_rr()`) or over the
 * ring (`chash_get_next_server()`).
 *
 * `ctx.avoid` (a retry's previous server): the consistent ring walks on to the next other
 * server, as HAProxy; HAProxy's map lookup ignores `srvtoavoid`, the map here takes the next
 * different server of the map so that a redispatch really changes server (the balancer-wide
 * rule).
 */
export class HashedBalancer implements Balancer {
  readonly #key: HashKeySource;
  readonly #type: ResolvedHashType;
  readonly #map: MapKeeper | undefined;
  readonly #rings: ChashRings | undefined;
  #rrIdx = 0;

  /** `servers` in declaration order; `allBackups` as `option allbackups`; `type` as `hash-type`. */
  constructor(servers: readonly LbServer[], allBackups: boolean, key: HashKeySource, type: ResolvedHashType) {
    this.#key = key;
    this.#type = type;
    if (type.method === "consistent") this.#rings = new ChashRings(servers, allBackups);
    else this.#map = new MapKeeper(servers, allBackups);
  }

  /** Elects the server of the stream's key, or round-robin without a key. */
  pick(ctx?: PickContext): LbServer | undefined {
    const avoid = ctx?.avoid;
    const rings = this.#rings;
    if (rings !== undefined) {
      rings.sync();
      const used = rings.usedServers();
      if (used === 0) return undefined;
      const hash = this.#hash(ctx, used === 1);
      return hash === undefined ? rings.next(avoid) : rings.lookup(hash, avoid);
    }
    const { slots, members } = this.#map!.current();
    const tot = slots.length;
    if (tot === 0) return undefined;
    const hash = this.#hash(ctx, members.length === 1);
    if (hash === undefined) {
      const step = nextInMap(slots, this.#rrIdx, (s) => !isFull(s), avoid);
      this.#rrIdx = step.rrIdx;
      return step.server;
    }
    const at = hash % tot;
    const chosen = slots[at]!;
    if (chosen !== avoid || members.length === 1) return chosen;
    for (let i = 1; i < tot; i++) {
      const next = slots[(at + i) % tot]!;
      if (next !== avoid) return next;
    }
    return chosen;
  }

  /** The hash to look up: 0 for a lone server (when the algorithm skips), else the key's, mixed with the avalanche. */
  #hash(ctx: PickContext | undefined, single: boolean): number | undefined {
    if (single && this.#key.skipWhenSingle) return 0;
    const h = this.#key.hash(ctx, this.#type.function);
    if (h === undefined) return undefined;
    return this.#type.avalanche ? fullHash(h) : h;
  }

  /** Rebuilds the map with the current weights (the rings follow weights at each pick). */
  update(): void {
    this.#map?.rebuild();
    this.#rings?.sync();
  }

  /** True when some server takes part in load balancing. */
  hasUsableServer(): boolean {
    if (this.#rings !== undefined) {
      this.#rings.sync();
      return this.#rings.hasUsableServer();
    }
    return this.#map!.current().slots.length > 0;
  }
}
