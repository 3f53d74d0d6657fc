/**
 * `balance leastconn`: the server with the lowest weighted load wins.
 *
 * @module
 */
import { firstAvoiding, LiveServerSet } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/** HAProxy's effective weight scale (BE_WEIGHT_SCALE): eweight = weight × 16, max 4096. */
const WEIGHT_SCALE = 16;
/** SRV_EWGHT_MAX = 256 × BE_WEIGHT_SCALE, the numerator of the load key. */
const EWEIGHT_MAX = 4096;

/**
 * Load key of a server, lower wins (lb_fwlc.c `fwlc_get_key()`): with `inflight = served +
 * queued`, `inflight ? (inflight + 1) × 4096 / eweight : 0` in integer arithmetic, eweight
 * being the weight in 1/16ths.
 */
export function leastconnKey(s: LbServer): number {
  const inflight = s.served + s.queued;
  if (inflight === 0) return 0;
  const eweight = Math.max(1, Math.round(s.weight * WEIGHT_SCALE));
  return Math.floor(((inflight + 1) * EWEIGHT_MAX) / eweight);
}

/**
 * A server can be elected while `!maxconn || served + queued < maxconn + maxqueue`
 * (lb_fwlc.c): leastconn may elect a server whose slots are all taken but whose queue has
 * room, the caller then queues on that server. With `maxqueue` 0 the sum is just `maxconn`.
 */
function canTake(s: LbServer): boolean {
  return s.maxconn === 0 || s.served + s.queued < s.maxconn + s.maxqueue;
}

interface Position {
  key: number;
  seq: number;
}

/**
 * Least connections (configuration.txt 4.2 `balance leastconn`, lb_fwlc.c): dynamic weights,
 * load = established + queued streams. Servers of equal key take turns: HAProxy's tree puts a
 * server whose key changed, or that was just elected, behind the others of its key, so we
 * stamp each server with a sequence number whenever its key changes or it is elected and
 * break key ties on it ("Round-robin is performed within groups of servers of the same load",
 * configuration.txt 4.2 `balance`). Among servers that can take the stream the lowest (key,
 * stamp) wins; the avoided one only if it is alone (lb_fwlc.c `fwlc_get_next_server()`).
 */
export class LeastConn extends LiveServerSet implements Balancer {
  readonly #positions = new Map<LbServer, Position>();
  /** Stamp of the last election; at start, equal loads go in declaration order. */
  #seq = 0;

  /** Elects the least loaded server, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    const members = this.members();
    const present = new Set(members);
    for (const s of this.#positions.keys()) if (!present.has(s)) this.#positions.delete(s);
    for (const s of members) {
      const key = leastconnKey(s);
      const pos = this.#positions.get(s);
      if (pos === undefined || pos.key !== key) this.#positions.set(s, { key, seq: ++this.#seq });
    }
    const ordered = [...members].sort((a, b) => {
      const pa = this.#positions.get(a)!;
      const pb = this.#positions.get(b)!;
      return pa.key - pb.key || pa.seq - pb.seq;
    });
    const chosen = firstAvoiding(ordered, canTake, ctx?.avoid);
    if (chosen !== undefined) this.#positions.get(chosen)!.seq = ++this.#seq;
    return chosen;
  }
}
