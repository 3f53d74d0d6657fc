/**
 * `balance first`: fill servers one after the other, lowest id first.
 *
 * @module
 */
import { eligibleServers, firstAvoiding, isFull, mustQueueBehind } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * First available (HAPROXY.md §2 "first", lb_fas.c): servers are ordered by numeric `id`
 * (default: position in the backend) and the lowest one with a free slot wins ({@link isFull}:
 * at `maxconn` or with a queue). Weights are ignored; without `maxconn` the first server takes
 * everything. The avoided server is passed over unless it is the only one with a free slot.
 */
export class FirstAvailable implements Balancer {
  readonly #servers: readonly LbServer[];
  readonly #allBackups: boolean;

  /** `balance first` over `servers`. */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    this.#servers = servers;
    this.#allBackups = allBackups;
  }

  /** Nothing to recompute: states and ids are read at each pick. */
  update(): void {}

  /** True when some server is eligible. */
  hasUsableServer(): boolean {
    return eligibleServers(this.#servers, this.#allBackups).length > 0;
  }

  /** Elects the lowest-id server with a free slot, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    if (mustQueueBehind(ctx)) return undefined;
    const byId = eligibleServers(this.#servers, this.#allBackups).sort((a, b) => a.id - b.id);
    return firstAvoiding(byId, (s) => !isFull(s), ctx?.avoid);
  }
}
