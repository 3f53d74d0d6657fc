/**
 * `balance roundrobin`: dynamic weighted round-robin.
 *
 * @module
 */
import { isFull, LiveServerSet, mustQueueBehind } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * Dynamic weighted round-robin (HAPROXY.md §2 "roundrobin"). HAProxy's lb_fwrr.c keeps two
 * weight-ordered trees; we get the same observable contract with a smooth weighted
 * round-robin: at each election every candidate adds its current weight to its score, the
 * highest score wins (the first declared on a tie) and pays the candidates' total weight. Over
 * any run of sum(weights) elections with stable weights each server is elected exactly
 * `weight` times, interleaved (3/2/1 gives A B A C B A), and equal weights give plain
 * declaration-order rotation (reg-tests/balance/balance-rr.vtc: s1 s2 s3 s4 s1).
 *
 * Weights are read at every election, so slowstart ramps and `set weight` take effect on the
 * next pick without {@link Balancer.update}. Full servers ({@link isFull}: at `maxconn`, or
 * with a queue) are skipped and do not accumulate score while full, as lb_fwrr.c skips them.
 * A server leaving the eligible set restarts from a zero score when it comes back.
 */
export class RoundRobin extends LiveServerSet implements Balancer {
  /** Smooth-WRR score of each eligible server (declaration order breaks ties). */
  readonly #score = new Map<LbServer, number>();

  /** Elects the next server of the weighted rotation, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    const members = this.members();
    const present = new Set(members);
    for (const s of this.#score.keys()) if (!present.has(s)) this.#score.delete(s);
    if (members.length === 0 || mustQueueBehind(ctx)) return undefined;
    const candidates = members.filter((s) => !isFull(s));
    const avoid = candidates.length > 1 ? ctx?.avoid : undefined;
    // lb_fwrr.c moves the avoided server along the rotation when it skips it: its turn is
    // spent, not saved. So an election that lands on `avoid` charges it and runs again.
    let best = this.#round(candidates);
    // A heavy avoided server may win several rounds in a row; within one full cycle
    // (sum of weights) every other candidate wins at least once.
    for (let i = candidates.reduce((n, s) => n + s.weight, 0); best === avoid && best !== undefined && i > 0; i--) {
      best = this.#round(candidates);
    }
    return best;
  }

  /** One smooth-WRR election: every candidate gains its weight, the winner pays the total. */
  #round(candidates: readonly LbServer[]): LbServer | undefined {
    let total = 0;
    let best: LbServer | undefined;
    let bestScore = 0;
    for (const s of candidates) {
      const score = (this.#score.get(s) ?? 0) + s.weight;
      this.#score.set(s, score);
      total += s.weight;
      if (best === undefined || score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    if (best !== undefined) this.#score.set(best, bestScore - total);
    return best;
  }
}
