/**
 * Rules shared by every algorithm: which servers take part in load balancing, when a server
 * counts as full, and how `srvtoavoid` is honoured.
 *
 * @module
 */
import type { LbServer, PickContext } from "./types.ts";

/**
 * True when a server takes part in load balancing: usable and with a non-zero weight
 * (HAProxy `srv_is_usable()`: eweight 0 means "accepts persistent traffic only").
 */
export function inLb(s: LbServer): boolean {
  return s.usable && s.weight > 0;
}

/**
 * The servers an election may choose from, in declaration order (backend.c
 * `update_backend_weight()`; configuration.txt 4.2 `option allbackups`): every usable active
 * server if there is one; otherwise only the first usable backup (`lbprm.fbck`), or every
 * usable backup with `allBackups`. Empty when nothing is usable (HAProxy `tot_weight == 0`).
 */
export function eligibleServers(servers: readonly LbServer[], allBackups: boolean): LbServer[] {
  // Loops rather than filter(): `balance random` asks at every election.
  const active: LbServer[] = [];
  for (const s of servers) if (!s.backup && inLb(s)) active.push(s);
  if (active.length > 0) return active;
  const backups: LbServer[] = [];
  for (const s of servers) {
    if (!s.backup || !inLb(s)) continue;
    backups.push(s);
    if (!allBackups) break;
  }
  return backups;
}

/**
 * The first server of {@link eligibleServers} without building the list: the first active
 * server in load balancing, else the first backup one; undefined when there is none. The
 * connection path asks this at every election.
 */
export function firstEligible(servers: readonly LbServer[]): LbServer | undefined {
  let backup: LbServer | undefined;
  for (const s of servers) {
    if (!inLb(s)) continue;
    if (!s.backup) return s;
    backup ??= s;
  }
  return backup;
}

/**
 * True when a server has no free connection slot for a new stream: it reached its `maxconn`,
 * or streams already wait in its queue (they go first). This is the test of roundrobin,
 * static-rr, first and random (lb_fwrr.c, lb_map.c, lb_fas.c, backend.c `get_server_rnd()`:
 * `!maxconn || (!queue && served < dynmaxconn)`).
 */
export function isFull(s: LbServer): boolean {
  return s.maxconn > 0 && (s.queued > 0 || s.served >= s.maxconn);
}

/**
 * True when `first`, `roundrobin` and `static-rr` must not elect anything because the backend
 * queue already holds streams while others are being served: every server is then known to be
 * full, and newcomers queue behind the waiting ones to keep FIFO order (backend.c `assign_server()`:
 * `queue.length && queue.length != beconn` ⇒ SRV_STATUS_FULL).
 */
export function mustQueueBehind(ctx: PickContext | undefined): boolean {
  const queued = ctx?.backendQueued ?? 0;
  return queued > 0 && queued !== (ctx?.backendConns ?? 0);
}

/**
 * Scans `candidates` in the algorithm's order and returns the first one that `canTake` and is
 * not `avoid`; when only `avoid` can take the stream, returns it, as HAProxy's lookups treat
 * `srvtoavoid` (lb_map.c `map_get_server_rr()`, lb_fas.c, lb_fwlc.c: skipped while another
 * server can take the stream, taken when it is the only one). `undefined` when no candidate
 * can take the stream.
 */
export function firstAvoiding(
  candidates: Iterable<LbServer>,
  canTake: (s: LbServer) => boolean,
  avoid: LbServer | undefined,
): LbServer | undefined {
  let avoided: LbServer | undefined;
  for (const s of candidates) {
    if (!canTake(s)) continue;
    if (s !== avoid) return s;
    avoided = s;
  }
  return avoided;
}

/**
 * The server set of the dynamic balancers (`roundrobin`, `leastconn`, `first`, `random`):
 * they read states, weights and loads at each pick, so there is nothing to rebuild.
 */
export class LiveServerSet {
  readonly #servers: readonly LbServer[];
  readonly #allBackups: boolean;

  /** `servers` in declaration order; `allBackups` as `option allbackups`. */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    this.#servers = servers;
    this.#allBackups = allBackups;
  }

  /** The servers that may be elected now ({@link eligibleServers}). */
  members(): LbServer[] {
    return eligibleServers(this.#servers, this.#allBackups);
  }

  /** Nothing to recompute: everything is read at each pick. */
  update(): void {}

  /** The first of {@link members} (see {@link firstEligible}), without building the list. */
  firstMember(): LbServer | undefined {
    return firstEligible(this.#servers);
  }

  /** True when some server is eligible. */
  hasUsableServer(): boolean {
    return firstEligible(this.#servers) !== undefined;
  }
}
