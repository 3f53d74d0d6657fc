/**
 * `balance roundrobin`: dynamic weighted round-robin, in HAProxy 2.6's exact order.
 *
 * @module
 */
import { effectiveWeight, FwrrGroup, type FwrrNode, newNode } from "./_fwrr.ts";
import { inLb, isFull, LiveServerSet, mustQueueBehind } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * Dynamic weighted round-robin (configuration.txt 4.2 `balance roundrobin`), electing in the
 * same order as HAProxy's lb_fwrr.c ("fast weighted round-robin"); the machinery is in
 * `_fwrr.ts`.
 *
 * Weights count in 1/16ths (eweight = weight × 16). Active and backup servers form two
 * groups, each running the same scheme. A group elects in windows: a window opens with the
 * group's total weight W, and a cursor starts at position W and moves one step per server
 * taken out (elected or skipped). Every server placed in the window has the position at which
 * it is next due; after each turn that position moves on by W / eweight (the remainder is
 * carried, so that turns average out exactly). An election takes the placed server with the
 * lowest due position (heavier first on equal positions, then the one placed first) if it is
 * due; otherwise (a hole in the window, or nothing placed) the heaviest server not yet placed
 * enters at the cursor. Hence 2/1 gives A A B A A B, not the smooth A B A: the heavy server
 * runs its early turns before the light one is even placed. A server whose next turn falls
 * beyond the window waits for the next one; when nothing is placed nor waiting any more, the
 * next window opens with the then-current total weight and its servers, heaviest first.
 *
 * Invariants: each server in load balancing sits in exactly one of its group's three queues
 * (placed, waiting to enter, next window), the others in none; the group's next-window
 * weight is the sum of its servers' current eweights; equal weights rotate in declaration
 * order (reg-tests/balance/balance-rr.vtc: s1 s2 s3 s4 s1); over a window with stable weights
 * each server is elected in proportion to its weight.
 *
 * A full server ({@link isFull}) or the avoided one (`ctx.avoid`, HAProxy `srvtoavoid`) is
 * taken out all the same: its turn is spent and it is put back at its next position; the
 * avoided server is returned only when nobody else can take the stream. With no active server
 * in load balancing, the first usable backup is returned as is, full or avoided (HAProxy
 * `lbprm.fbck`; the caller then queues on it), unless `option allbackups` makes the backups
 * rotate like active servers.
 *
 * HAProxy re-places a server when its state or weight changes (slowstart ramp, `set weight`,
 * going down or up). The servers are read live here, so each {@link pick} (and
 * {@link update}) first compares every server's weight and usability with what it saw last,
 * in declaration order, and re-places the ones that changed as lb_fwrr.c does: a server
 * coming up is due about one spacing after the cursor, one going down leaves its queue, and a
 * reweighted one gets its next turn one new spacing after its last turn.
 */
export class RoundRobin extends LiveServerSet implements Balancer {
  readonly #allBackups: boolean;
  readonly #nodes: FwrrNode[];
  /** What each node was last seen as: in load balancing, with which eweight. */
  readonly #seen: { inLb: boolean; eweight: number }[];
  readonly #active: FwrrGroup;
  readonly #backup: FwrrGroup;

  /** `servers` in declaration order; `allBackups` as `option allbackups`. */
  constructor(servers: readonly LbServer[], allBackups: boolean) {
    super(servers, allBackups);
    this.#allBackups = allBackups;
    this.#nodes = servers.map(newNode);
    this.#seen = this.#nodes.map((n) => {
      const on = inLb(n.server);
      if (on) n.eweight = effectiveWeight(n.server);
      return { inLb: on, eweight: n.eweight };
    });
    const placed = (backup: boolean) => this.#nodes.filter((n, i) => n.server.backup === backup && this.#seen[i]!.inLb);
    this.#active = new FwrrGroup(placed(false));
    this.#backup = new FwrrGroup(placed(true));
  }

  /** Elects the next server of the weighted rotation, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    this.#sync();
    const first = this.firstMember();
    if (first === undefined || mustQueueBehind(ctx)) return undefined;
    if (!first.backup) return this.#active.elect(canTake, ctx?.avoid);
    if (!this.#allBackups) return first;
    return this.#backup.elect(canTake, ctx?.avoid);
  }

  /** Re-places the servers whose state or weight changed. */
  override update(): void {
    this.#sync();
  }

  /** Applies the state and weight changes seen since the last call, in declaration order. */
  #sync(): void {
    for (let i = 0; i < this.#nodes.length; i++) {
      const node = this.#nodes[i]!;
      const seen = this.#seen[i]!;
      const on = inLb(node.server);
      const eweight = on ? effectiveWeight(node.server) : 0;
      if (on === seen.inLb && eweight === seen.eweight) continue;
      const group = node.server.backup ? this.#backup : this.#active;
      node.eweight = eweight;
      if (on && seen.inLb) group.reweight(node, seen.eweight);
      else if (on) group.add(node);
      else group.drop(node, seen.eweight);
      seen.inLb = on;
      seen.eweight = eweight;
    }
  }
}

/** Whether a server has a free connection slot (lb_fwrr.c skips saturated servers). */
function canTake(s: LbServer): boolean {
  return !isFull(s);
}
