/**
 * `balance static-rr`: weighted round-robin over HAProxy's static server map (lb_map.c).
 *
 * @module
 */
import { MapBalancer, nextInMap } from "./_map.ts";
import { isFull, mustQueueBehind } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * Static round-robin (configuration.txt 4.2 `balance static-rr`, lb_map.c). The map (see
 * `buildServerMap()` in `_map.ts`: GCD-reduced weights, per-slot `wscore`, ties to declaration order) is built at
 * creation, on {@link Balancer.update} and whenever the eligible set changes (a server going
 * up or down is reintroduced at once, as HAProxy recalculates the map on state changes);
 * weight changes in between are ignored, which is what "static" means.
 *
 * An election walks the map from `rr_idx` and takes the first server that is not full
 * ({@link isFull}) and not the avoided one, leaving `rr_idx` just past it; if only the avoided
 * server could take the stream it is returned and `rr_idx` is left past its last occurrence
 * (lb_map.c `map_get_server_rr()`).
 */
export class StaticRoundRobin extends MapBalancer implements Balancer {
  #rrIdx = 0;

  /** Next server of the map that can take a stream, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    const slots = this.map.current().slots;
    if (slots.length === 0 || mustQueueBehind(ctx)) return undefined;
    const step = nextInMap(slots, this.#rrIdx, (s) => !isFull(s), ctx?.avoid);
    this.#rrIdx = step.rrIdx;
    return step.server;
  }
}
