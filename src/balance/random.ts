/**
 * `balance random(<draws>)`: weighted random draws keeping the least loaded ("power of N
 * choices"); HAProxy's default algorithm.
 *
 * @module
 */
import { isFull, LiveServerSet } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * Random with `draws` draws (configuration.txt 4.2 `balance random`, backend.c
 * `get_server_rnd()`). Each draw picks an eligible server with probability weight / total
 * weight (HAProxy draws a random key into its consistent-hash tree, which respects weights,
 * dynamically). Between draws the one with
 * the lower `served / weight` is kept (`curr.served × prev.weight` against `prev.served ×
 * curr.weight`); on a tie the earlier draw stays: HAProxy 3.x then compares the sessions per
 * second of the last second, which we do not track. If the final choice is full
 * ({@link isFull}) nothing is returned, so that the stream goes to the backend queue.
 *
 * The avoided server is left out of the draws when another eligible server exists (HAProxy
 * passes `srvtoavoid` to the tree lookup, which then takes the next server).
 */
export class RandomDraws extends LiveServerSet implements Balancer {
  readonly #draws: number;
  readonly #random: () => number;

  /** `draws` is an integer ≥ 1 (checked by `createBalancer()`); `random` returns [0, 1). */
  constructor(servers: readonly LbServer[], allBackups: boolean, draws: number, random: () => number) {
    super(servers, allBackups);
    this.#draws = draws;
    this.#random = random;
  }

  /** Draws `draws` servers, keeps the least loaded, `undefined` if it is full. */
  pick(ctx?: PickContext): LbServer | undefined {
    let candidates = this.members();
    const avoid = ctx?.avoid;
    if (avoid !== undefined && candidates.length > 1) candidates = candidates.filter((s) => s !== avoid);
    if (candidates.length === 0) return undefined;
    let total = 0;
    for (const s of candidates) total += s.weight;
    let curr: LbServer | undefined;
    for (let d = 0; d < this.#draws; d++) {
      const prev = curr;
      curr = this.#draw(candidates, total);
      if (prev !== undefined && prev !== curr && !(curr.served * prev.weight < prev.served * curr.weight)) {
        curr = prev;
      }
    }
    return curr === undefined || isFull(curr) ? undefined : curr;
  }

  #draw(candidates: readonly LbServer[], total: number): LbServer {
    let point = this.#random() * total;
    for (const s of candidates) {
      if (point < s.weight) return s;
      point -= s.weight;
    }
    // Only reachable through float rounding with random() close to 1.
    return candidates[candidates.length - 1]!;
  }
}
