/**
 * The consistent-hash tree of `hash-type consistent` (HAProxy's lb_chash.c): every server in
 * load balancing owns one point per 1/16th of weight (`eweight` = weight × 16, so 16 points for
 * weight 1, fewer during a slowstart ramp), point `n` of the server with id `id` sitting at
 * `full_hash(id × 4096 + n)` on the 32-bit ring. A hash goes to the server of the nearest point
 * (the one before it on a tie), so a server going down or up only moves the keys nearest to
 * its own points, and the same ids give the same placement as HAProxy.
 *
 * Active and backup servers have separate rings; without an active server, the first usable
 * backup takes everything unless `option allbackups` makes the backup ring used.
 *
 * @module
 */
import { effectiveWeight } from "./_fwrr.ts";
import { firstEligible, inLb, isFull } from "./eligible.ts";
import { fullHash } from "./hash.ts";
import type { LbServer } from "./types.ts";

/** HAProxy SRV_EWGHT_RANGE (256 × 16): the stride between two servers' point keys. */
const POINTS_STRIDE = 4096;

/** One ring: point keys sorted ascending, and the server owning each point. */
interface Ring {
  readonly keys: Uint32Array;
  readonly owners: readonly LbServer[];
}

const EMPTY: Ring = { keys: new Uint32Array(0), owners: [] };

/** The key of point `node` of the server with id `id`. */
export function pointKey(id: number, node: number): number {
  return fullHash((Math.imul(id, POINTS_STRIDE) + node) >>> 0);
}

/** First index whose key is ≥ `hash`, or `keys.length` when none (eb32_lookup_ge). */
function lowerBound(keys: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Builds the ring of `members` with their current effective weights (equal keys keep declaration order). */
function buildRing(members: readonly LbServer[]): Ring {
  const points: { key: number; owner: LbServer; order: number }[] = [];
  for (const s of members) {
    const n = effectiveWeight(s);
    for (let node = 0; node < n; node++) points.push({ key: pointKey(s.id, node), owner: s, order: points.length });
  }
  points.sort((a, b) => a.key - b.key || a.order - b.order);
  return { keys: Uint32Array.from(points, (p) => p.key), owners: points.map((p) => p.owner) };
}

/**
 * The rings of one backend, kept in step with its servers: each lookup first compares every
 * server's weight and usability with what the rings were built from and rebuilds them on a
 * change (HAProxy moves the changed server's points at each state or weight change).
 */
export class ChashRings {
  readonly #servers: readonly LbServer[];
  readonly #allBackups: boolean;
  /** What each server was last seen as: its eweight in load balancing, 0 when out. */
  readonly #seen: number[];
  #active: Ring = EMPTY;
  #backup: Ring = EMPTY;
  /** The RR fallback's position: the key and owner of the last point it took, or undefined. */
  #lastKey: number | undefined;
  #lastOwner: LbServer | undefined;

  /** The rings of `servers` (declaration order); `allBackups` as `option allbackups`. */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    this.#servers = servers;
    this.#allBackups = allBackups;
    this.#seen = servers.map(() => -1);
    this.sync();
  }

  /** Rebuilds the rings if a server's weight or usability changed since the last look. */
  sync(): void {
    let changed = false;
    for (let i = 0; i < this.#servers.length; i++) {
      const s = this.#servers[i]!;
      const w = inLb(s) ? effectiveWeight(s) : 0;
      if (w !== this.#seen[i]) {
        this.#seen[i] = w;
        changed = true;
      }
    }
    if (!changed) return;
    this.#active = buildRing(this.#servers.filter((s) => !s.backup && inLb(s)));
    this.#backup = buildRing(this.#servers.filter((s) => s.backup && inLb(s)));
  }

  /**
   * Where elections happen now: the active ring, else the first usable backup alone (returned
   * as `single`), else the backup ring with `option allbackups`; `undefined` when nothing is
   * usable.
   */
  #where(): { ring: Ring; single: LbServer | undefined } | undefined {
    if (this.#active.keys.length > 0) return { ring: this.#active, single: undefined };
    if (this.#backup.keys.length === 0) return undefined;
    if (!this.#allBackups) return { ring: this.#backup, single: firstEligible(this.#servers) };
    return { ring: this.#backup, single: undefined };
  }

  /** How many servers take part (HAProxy `tot_used`): hashing is skipped when it is 1. */
  usedServers(): number {
    const w = this.#where();
    if (w === undefined) return 0;
    if (w.single !== undefined) return 1;
    let n = 0;
    for (const s of this.#servers) if (s.backup === (w.ring === this.#backup) && inLb(s)) n++;
    return n;
  }

  /** True when some server takes part in load balancing. */
  hasUsableServer(): boolean {
    return this.#where() !== undefined;
  }

  /**
   * The server nearest to `hash` (lb_chash.c `chash_get_server_hash()`): the points just
   * before and at-or-after the hash are compared, the one before winning a tie in distance;
   * if that server is `avoid`, the points after it are walked (once round the ring at most)
   * to the first other server. Full servers are returned all the same: the caller queues.
   */
  lookup(hash: number, avoid: LbServer | undefined): LbServer | undefined {
    const w = this.#where();
    if (w === undefined) return undefined;
    if (w.single !== undefined) return w.single;
    const { keys, owners } = w.ring;
    const n = keys.length;
    let next = lowerBound(keys, hash >>> 0);
    if (next === n) next = 0;
    const prev = next === 0 ? n - 1 : next - 1;
    const h = hash >>> 0;
    const dp = (h - keys[prev]!) >>> 0;
    const dn = (keys[next]! - h) >>> 0;
    let at = dp <= dn ? prev : next;
    let loops = 0;
    while (owners[at] === avoid) {
      if (++at === n) {
        at = 0;
        if (++loops > 1) break;
      }
    }
    return owners[at];
  }

  /**
   * Round-robin over the ring when the hash key is missing (lb_chash.c
   * `chash_get_next_server()`): walks the points after the last one taken, once round the ring,
   * skipping full servers ({@link isFull}) and `avoid`, which is returned only if nothing else
   * can take the stream (the last such point seen). `undefined` when every server is full. As in
   * HAProxy, the very first walk (no point taken yet) looks at the first point only.
   */
  next(avoid: LbServer | undefined): LbServer | undefined {
    const w = this.#where();
    if (w === undefined) return undefined;
    if (w.single !== undefined) return w.single;
    const { keys, owners } = w.ring;
    const n = keys.length;
    let idx = this.#position(keys, owners);
    let stop = idx;
    let avoided = -1;
    do {
      idx = idx < 0 || idx + 1 >= n ? 0 : idx + 1;
      if (stop < 0) stop = idx;
      const s = owners[idx]!;
      if (!isFull(s)) {
        if (s !== avoid) return this.#remember(keys, owners, idx);
        avoided = idx;
      }
    } while (idx !== stop);
    if (avoided < 0) {
      this.#lastKey = undefined;
      this.#lastOwner = undefined;
      return undefined;
    }
    return this.#remember(keys, owners, avoided);
  }

  /**
   * The index of the last point taken, or -1 before the first: the same point while it is still
   * on the ring; when its server left, the point that followed it, as HAProxy moves its `last`
   * pointer to the next point when deleting it.
   */
  #position(keys: Uint32Array, owners: readonly LbServer[]): number {
    const key = this.#lastKey;
    if (key === undefined) return -1;
    const n = keys.length;
    const i = lowerBound(keys, key);
    for (let j = i; j < n && keys[j] === key; j++) if (owners[j] === this.#lastOwner) return j;
    return i === n ? 0 : i;
  }

  #remember(keys: Uint32Array, owners: readonly LbServer[], idx: number): LbServer {
    this.#lastKey = keys[idx];
    this.#lastOwner = owners[idx];
    return owners[idx]!;
  }
}
