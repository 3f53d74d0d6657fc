/**
 * The static server map of map-based algorithms (`static-rr`, map-based `source`), built as
 * HAProxy's lb_map.c `init_server_map()` + `recalc_server_map()` do.
 *
 * @module
 */
import { eligibleServers } from "./eligible.ts";
import type { LbServer } from "./types.ts";

/** A built map: one slot per unit of (GCD-reduced) weight, and the servers it was built from. */
export interface ServerMap {
  /** `tot_weight` slots; empty when no server is eligible. */
  readonly slots: readonly LbServer[];
  /** The eligible servers the map was built from, in declaration order. */
  readonly members: readonly LbServer[];
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Static weights are whole numbers; a fractional one (never expected) rounds, staying ≥ 1. */
function wholeWeight(s: LbServer): number {
  return s.weight > 0 ? Math.max(1, Math.round(s.weight)) : 0;
}

/**
 * Builds the map of `members` (the eligible set, declaration order). Weights are first divided
 * by the GCD of every non-zero weight of `all` servers (`wmult`, computed by HAProxy over all
 * configured weights, down servers included), which only shrinks the map: the sequence is the
 * same. Each slot then goes to the server with the highest `trunc((wscore + tot) / tot)` after
 * every member added its weight to its `wscore`; ties go to the first declared (strict `>`),
 * and the winner pays `tot`. With `tot == 1` the first member takes the slot without scoring,
 * as HAProxy avoids a divide overflow there.
 */
export function buildServerMap(all: readonly LbServer[], members: readonly LbServer[]): ServerMap {
  let wmult = 0;
  for (const s of all) {
    const w = wholeWeight(s);
    if (w > 0) wmult = wmult === 0 ? w : gcd(wmult, w);
  }
  if (wmult === 0 || members.length === 0) return { slots: [], members };
  const eweight = members.map((s) => Math.ceil(wholeWeight(s) / wmult));
  const tot = eweight.reduce((a, b) => a + b, 0);
  const wscore = members.map(() => 0);
  const slots: LbServer[] = [];
  for (let o = 0; o < tot; o++) {
    let best = -1;
    let max = 0;
    for (let i = 0; i < members.length; i++) {
      if (tot === 1) {
        best = i;
        break;
      }
      wscore[i]! += eweight[i]!;
      // C integer division truncates toward zero: Math.trunc, not Math.floor.
      const v = Math.trunc((wscore[i]! + tot) / tot);
      if (best < 0 || v > max) {
        max = v;
        best = i;
      }
    }
    slots.push(members[best]!);
    wscore[best]! -= tot;
  }
  return { slots, members };
}

/** True when `members` differs from the set a map was built from (a server went up or down). */
export function membersChanged(map: ServerMap, members: readonly LbServer[]): boolean {
  if (map.members.length !== members.length) return true;
  return members.some((s, i) => s !== map.members[i]);
}

/** Outcome of {@link nextInMap}: the elected server, and where the next walk starts. */
export interface MapStep {
  /** The elected server; `undefined` when no slot's server can take the stream. */
  readonly server: LbServer | undefined;
  /** Where the next walk starts (HAProxy's `rr_idx`). */
  readonly rrIdx: number;
}

/**
 * One round-robin step over a map (lb_map.c `map_get_server_rr()`): walks the slots from
 * `rrIdx` (reset to 0 when out of range) and takes the first server that `canTake` and is not
 * `avoid`, the next walk starting just past it. If only `avoid` could take the stream it is
 * returned and the next walk starts past its last occurrence; if nobody can, `rrIdx` is kept.
 */
export function nextInMap(
  slots: readonly LbServer[],
  rrIdx: number,
  canTake: (s: LbServer) => boolean,
  avoid: LbServer | undefined,
): MapStep {
  const tot = slots.length;
  if (tot === 0) return { server: undefined, rrIdx };
  const start = rrIdx < 0 || rrIdx >= tot ? 0 : rrIdx;
  let idx = start;
  let avoided: LbServer | undefined;
  let avoidedIdx = start;
  do {
    const s = slots[idx++]!;
    if (canTake(s)) {
      if (s !== avoid) return { server: s, rrIdx: idx };
      avoided = s;
      avoidedIdx = idx;
    }
    if (idx === tot) idx = 0;
  } while (idx !== start);
  return { server: avoided, rrIdx: avoidedIdx };
}

/**
 * Keeps a backend's map in step with its eligible set: rebuilt on {@link rebuild} (weights
 * re-read) and whenever the eligible set differs from the one the map was built from, since
 * HAProxy recalculates the map on every server state change (lb_map.c
 * `map_set_server_status_up/down()`).
 */
export class MapKeeper {
  readonly #servers: readonly LbServer[];
  readonly #allBackups: boolean;
  #map: ServerMap;

  /** Builds the first map of `servers`. */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    this.#servers = servers;
    this.#allBackups = allBackups;
    this.#map = buildServerMap(servers, eligibleServers(servers, allBackups));
  }

  /** Rebuilds with the current weights. */
  rebuild(): void {
    this.#map = buildServerMap(this.#servers, eligibleServers(this.#servers, this.#allBackups));
  }

  /** The map for the current eligible set. */
  current(): ServerMap {
    const members = eligibleServers(this.#servers, this.#allBackups);
    if (membersChanged(this.#map, members)) this.#map = buildServerMap(this.#servers, members);
    return this.#map;
  }
}

/** The map and the two Balancer members shared by the map-based algorithms (`static-rr`, `source`). */
export class MapBalancer {
  /** The current map, rebuilt on {@link MapBalancer.update} and when the usable set changes. */
  readonly map: MapKeeper;

  /** Builds the map of `servers` (declaration order). */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    this.map = new MapKeeper(servers, allBackups);
  }

  /** Rebuilds the map with the current weights. */
  update(): void {
    this.map.rebuild();
  }

  /** True when the map is not empty. */
  hasUsableServer(): boolean {
    return this.map.current().slots.length > 0;
  }
}
