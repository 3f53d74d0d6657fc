/**
 * `balance first`: fill servers one after the other, lowest id first.
 *
 * @module
 */
import { firstAvoiding, isFull, LiveServerSet, mustQueueBehind } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * First available (configuration.txt 4.2 `balance first`, lb_fas.c): servers are ordered by
 * numeric `id` (default: position in the backend) and the lowest one with a free slot wins
 * ({@link isFull}: at `maxconn` or with a queue). Weights are ignored; without `maxconn` the first server takes
 * everything. The avoided server is passed over unless it is the only one with a free slot.
 */
export class FirstAvailable extends LiveServerSet implements Balancer {
  /** Elects the lowest-id server with a free slot, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    if (mustQueueBehind(ctx)) return undefined;
    const byId = this.members().sort((a, b) => a.id - b.id);
    return firstAvoiding(byId, (s) => !isFull(s), ctx?.avoid);
  }
}
