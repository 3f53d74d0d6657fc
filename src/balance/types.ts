/**
 * The contract between server election (`src/balance/*`) and the core (`src/server.ts`,
 * `src/backend.ts`). Balancers are pure: they read {@link LbServer} snapshots and never do
 * I/O, never count connections themselves and never queue anything.
 *
 * @module
 */
import type { BalanceAlgorithm } from "../config/types.ts";
import type { ResolvedHashType } from "../config/resolved.ts";
import type { RequestHead } from "../http/head.ts";

/**
 * What a balancer needs to know about a server; `src/server.ts` implements it. Every field is
 * read live at each {@link Balancer.pick}, so a getter is fine.
 */
export interface LbServer {
  /** Server name, for logs and tests. */
  readonly name: string;
  /** Numeric id (`id`), the order of `balance first`; unique within a backend. */
  readonly id: number;
  /** A `backup` server: used only when no active server is usable (configuration.txt 5.2 `backup`). */
  readonly backup: boolean;
  /**
   * Current effective weight, 0..256, slowstart and drain already applied by the server; 0 takes
   * the server out of load balancing. May be fractional during a slowstart ramp (HAProxy counts
   * in 1/16ths, BE_WEIGHT_SCALE). Static algorithms (`static-rr`, `source`) read it only when
   * their map is rebuilt: HAProxy ramps weights only for dynamic algorithms, see
   * {@link isDynamicAlgorithm}.
   */
  readonly weight: number;
  /** UP (or in slowstart) and not in MAINT/DRAIN: may receive new streams. */
  readonly usable: boolean;
  /**
   * Slots in use (HAProxy `served`): streams connecting or established on it, plus slots
   * already handed to queued streams that have not resumed yet.
   */
  readonly served: number;
  /** Streams waiting in its own queue (HAProxy `queueslength`). */
  readonly queued: number;
  /** Current connection limit, the slowstart ramp applied; 0 = unlimited. */
  readonly maxconn: number;
  /** Queue limit; 0 = unlimited. */
  readonly maxqueue: number;
}

/**
 * What the stream being balanced brings to one election. All fields optional. The object is only
 * valid during the `pick()` call it is passed to: the backend reuses one per election.
 */
export interface PickContext {
  /**
   * HAProxy's `srvtoavoid`: the server of the previous attempt on a retry/redispatch. It is
   * skipped when another server can take the stream, and still returned when it is the only
   * candidate, as in HAProxy's lookups (lb_map.c `map_get_server_rr()`, lb_fas.c, lb_fwlc.c).
   */
  readonly avoid?: LbServer | undefined;
  /**
   * Client IP literal (IPv4 dotted quad or IPv6 text, `::ffff:a.b.c.d` is taken as IPv4), the
   * key of `balance source`. Absent or not an IP (a Unix socket client): `source` falls back to
   * round-robin over its map, as HAProxy does when the hash key is missing.
   */
  readonly sourceAddress?: string | undefined;
  /**
   * The head of the HTTP request being balanced, the key of `uri`, `url_param` and `hdr`
   * (target and lowercase header names as `src/http/head.ts` holds them). Absent (TCP mode):
   * those algorithms fall back to round-robin, as HAProxy does when the key is missing.
   */
  readonly request?: RequestHead | undefined;
  /**
   * Streams waiting in the backend queue. With {@link backendConns}, makes `first`,
   * `roundrobin` and `static-rr` return `undefined` at once when the backend queue is non-empty
   * and not every backend stream is queued, so that newcomers queue behind it in FIFO order
   * (backend.c `assign_server()`). @default 0
   */
  readonly backendQueued?: number;
  /** Streams on the backend, queued ones included (HAProxy `beconn`). @default 0 */
  readonly backendConns?: number;
}

/** Elects servers with one algorithm over one backend's servers. */
export interface Balancer {
  /**
   * Elects a server for a new stream, or returns `undefined` when none can take it now.
   *
   * When it returns `undefined`, the caller looks at {@link hasUsableServer}: true means every
   * candidate is full (HAProxy SRV_STATUS_FULL: queue the stream in the backend queue), false
   * means there is no usable server at all (SRV_STATUS_NOSRV: 503, termination `SC`).
   *
   * The returned server is NOT always below its `maxconn`: `leastconn` may elect a server with
   * room only in its queue (served + queued < maxconn + maxqueue) and `source` keeps its hash
   * affinity whatever the load. The caller then queues the stream in that server's own queue,
   * as HAProxy's `assign_server_and_queue()` does.
   */
  pick(ctx?: PickContext): LbServer | undefined;
  /**
   * Tells the balancer that a server's state or weight changed. Dynamic algorithms read
   * weights at each pick anyway; static ones rebuild their map here (and by themselves when
   * the set of usable servers changes).
   */
  update(): void;
  /** True when at least one server takes part in load balancing (HAProxy `tot_weight != 0`). */
  hasUsableServer(): boolean;
}

/** Options of {@link createBalancer} (`src/balance/mod.ts`). */
export interface BalancerOptions {
  /** `option allbackups`: use every usable backup, not only the first one. @default false */
  readonly allBackups?: boolean;
  /**
   * Uniform random source in [0, 1) for `balance random`; tests pass a seeded one.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * `hash-type` of the hash algorithms (`source`, `uri`, `url_param`, `hdr`).
   * @default { method: "map-based", function: "sdbm", avalanche: false } (as HAProxy)
   */
  readonly hashType?: ResolvedHashType;
}

/**
 * True for algorithms that follow weight changes at once (HAProxy BE_LB_PROP_DYN): only for
 * those does slowstart ramp the weight (configuration.txt 5.2 `slowstart`). `static-rr` and the
 * hash algorithms (`source`, `uri`, `url_param`, `hdr`) with `hashMethod` `map-based` (the
 * default) are static: a server's weight is either its configured weight or 0; with
 * `consistent` the hash algorithms are dynamic.
 */
export function isDynamicAlgorithm(
  kind: BalanceAlgorithm["kind"],
  hashMethod: ResolvedHashType["method"] = "map-based",
): boolean {
  if (kind === "static-rr") return false;
  return !isHashAlgorithm(kind) || hashMethod === "consistent";
}

/**
 * True for the hash family (`source`, `uri`, `url_param`, `hdr`; HAProxy BE_LB_KIND_HI): the
 * key designates the server, so a retry does not leave it just because other servers exist
 * (include/haproxy/stream.h `stream_choose_redispatch()`).
 */
export function isHashAlgorithm(kind: BalanceAlgorithm["kind"]): boolean {
  return kind === "source" || kind === "uri" || kind === "url_param" || kind === "hdr";
}
