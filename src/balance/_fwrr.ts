/**
 * The machinery of `balance roundrobin` (HAProxy's "fast weighted round-robin", lb_fwrr.c):
 * one {@link FwrrGroup} per server group (active, backup), its three ordered queues and the
 * per-server positions. `roundrobin.ts` decides which group elects and when servers change.
 *
 * Positions and weights are integers that mirror HAProxy's 32-bit fields, so that the order
 * of elections (including every tie) is the one HAProxy 2.6 produces.
 *
 * @module
 */
import type { LbServer } from "./types.ts";

/** HAProxy BE_WEIGHT_SCALE: a dynamic algorithm counts weights in 1/16ths of a user weight. */
export const WEIGHT_SCALE = 16;

/** SRV_UWGHT_RANGE: user weights span 0..256; also the npos multiplier of the "curr" key. */
const USER_WEIGHT_RANGE = 256;

/** SRV_EWGHT_MAX: the highest effective weight (256 × 16). */
const EWEIGHT_MAX = USER_WEIGHT_RANGE * WEIGHT_SCALE;

/**
 * Effective weight of a server in load balancing (HAProxy `eweight` = uweight × 16 for
 * dynamic algorithms, server.c `server_recalc_eweight()`), 1..4096. A fractional weight (a
 * slowstart step counted in 1/16ths) rounds to the nearest 1/16th, never to 0.
 */
export function effectiveWeight(s: LbServer): number {
  return Math.min(EWEIGHT_MAX, Math.max(1, Math.round(s.weight * WEIGHT_SCALE)));
}

/** The round-robin state of one server (HAProxy `npos`, `lpos`, `rweight`, `lb_tree`). */
export interface FwrrNode {
  /** The server this state belongs to. */
  readonly server: LbServer;
  /** Effective weight the node is currently queued with (0 while out of load balancing). */
  eweight: number;
  /** Position at which the server is next due in the current window. */
  npos: number;
  /** Position of its last turn (used to re-place it after a weight change). */
  lpos: number;
  /** Remainder of `nextWeight / eweight` carried to the next step, 0..eweight-1. */
  rweight: number;
  /** The queue it sits in, or `null` while out of load balancing. */
  tree: KeyedQueue | null;
}

/** A fresh node for `server`, in no queue. */
export function newNode(server: LbServer): FwrrNode {
  return { server, eweight: 0, npos: 0, lpos: 0, rweight: 0, tree: null };
}

/**
 * Nodes ordered by an unsigned 32-bit key, equal keys in insertion order: the contract of the
 * eb32 trees HAProxy uses (a duplicate is appended behind the existing ones). A sorted array
 * is enough for the 4095 servers a roundrobin backend may hold.
 */
export class KeyedQueue {
  // The arrays never shrink: `#n` entries are live, the node slots past them undefined (so
  // `first()` and `indexOf()` see live nodes only). Setting an array's length down to 0 and
  // pushing again reallocated its backing store, two allocations per election with one server.
  readonly #keys: number[] = [];
  readonly #nodes: (FwrrNode | undefined)[] = [];
  #n = 0;

  /** Inserts `node` behind every node whose key is ≤ `key`. */
  insert(node: FwrrNode, key: number): void {
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    // By hand, not splice(): splice returns an array of what it removed, one allocation per
    // election on the connection path.
    const keys = this.#keys;
    const nodes = this.#nodes;
    for (let i = this.#n; i > lo; i--) {
      keys[i] = keys[i - 1]!;
      nodes[i] = nodes[i - 1];
    }
    keys[lo] = key;
    nodes[lo] = node;
    this.#n++;
  }

  /** Removes `node` if present. */
  remove(node: FwrrNode): void {
    const nodes = this.#nodes;
    const i = nodes.indexOf(node);
    if (i < 0) return;
    const keys = this.#keys;
    const last = this.#n - 1;
    for (let j = i; j < last; j++) {
      keys[j] = keys[j + 1]!;
      nodes[j] = nodes[j + 1];
    }
    nodes[last] = undefined;
    this.#n = last;
  }

  /** The node with the smallest key (the oldest among equals). */
  first(): FwrrNode | undefined {
    return this.#nodes[0];
  }
}

/**
 * One group of servers (active or backup) of lb_fwrr.c: the window state and the three
 * queues. See `roundrobin.ts` for the algorithm in prose; method names say which HAProxy
 * step each one is.
 */
export class FwrrGroup {
  /** Election cursor: advances by one per server taken out, elected or skipped. */
  currPos = 0;
  /** Total effective weight the current window was opened with. */
  currWeight = 0;
  /** Total effective weight of the group's servers now in load balancing. */
  nextWeight = 0;
  /** Servers placed in the current window, by due position then weight. */
  readonly #curr = new KeyedQueue();
  /** Servers waiting to enter the current window, heaviest first. */
  #init = new KeyedQueue();
  /** Servers whose next turn falls in the following window, heaviest first. */
  #next = new KeyedQueue();

  /** Opens the first window with `nodes` (in declaration order, all in load balancing). */
  constructor(nodes: readonly FwrrNode[]) {
    let total = 0;
    for (const n of nodes) total += n.eweight;
    this.currPos = this.currWeight = this.nextWeight = total;
    for (const n of nodes) this.#queueByWeight(this.#init, n);
  }

  /**
   * Elects the next server able to take a stream, or `undefined` when none can. Servers
   * taken out and skipped (full, or `avoid`) spend their turn and are put back afterwards:
   * at their new position, or by weight in the waiting queue if the window rolled over
   * meanwhile. `avoid` is returned only when no other server could be elected.
   * (fwrr_get_next_server)
   */
  elect(canTake: (s: LbServer) => boolean, avoid: LbServer | undefined): LbServer | undefined {
    let rolled = false;
    let avoided: FwrrNode | undefined;
    let chosen: FwrrNode | undefined;
    // Servers skipped on the way; rarely any, so made on first need.
    let skipped: FwrrNode[] | undefined;
    for (;;) {
      if (this.currWeight === 0) this.currPos = this.currWeight = this.nextWeight;
      let n = this.#due();
      if (n === undefined && !rolled) {
        rolled = true;
        this.#rollOver();
        n = this.#due();
      }
      if (n === undefined) {
        chosen = avoided;
        break;
      }
      this.#step(n);
      n.tree?.remove(n);
      this.currPos++;
      if (canTake(n.server)) {
        if (n.server !== avoid || avoided !== undefined) {
          chosen = n;
          break;
        }
        avoided = n;
      }
      (skipped ??= []).push(n);
    }
    if (chosen !== undefined) this.#place(chosen);
    // HAProxy chains skipped servers head-first, so they go back most recent first; the
    // order matters for ties between equal keys.
    for (let i = (skipped?.length ?? 0) - 1; i >= 0; i--) {
      const n = skipped![i]!;
      if (n === chosen) continue;
      if (rolled) this.#queueByWeight(this.#init, n);
      else this.#place(n);
    }
    return chosen?.server;
  }

  /**
   * A server enters load balancing with `n.eweight` already set: it is given a turn about
   * one spacing after the cursor. (fwrr_set_server_status_up)
   */
  add(n: FwrrNode): void {
    this.nextWeight += n.eweight;
    this.#rejoin(n);
  }

  /** A server that had `prevWeight` leaves load balancing. (fwrr_set_server_status_down) */
  drop(n: FwrrNode, prevWeight: number): void {
    this.nextWeight -= prevWeight;
    n.tree?.remove(n);
    n.tree = null;
  }

  /**
   * A server in load balancing changed from `prevWeight` to `n.eweight`: a waiting server is
   * re-sorted; a placed one gets its next turn at one new spacing after its last turn, never
   * later than already planned, and not within the next two elections (then one spacing
   * after the cursor). (fwrr_update_server_weight)
   */
  reweight(n: FwrrNode, prevWeight: number): void {
    this.nextWeight += n.eweight - prevWeight;
    const tree = n.tree;
    if (tree === this.#init) {
      tree.remove(n);
      this.#queueByWeight(this.#init, n);
      return;
    }
    if (tree === null) {
      this.#rejoin(n);
      return;
    }
    this.#restore(n);
    const step = Math.floor(this.nextWeight / n.eweight);
    const planned = n.npos;
    n.npos = u32(n.lpos + step);
    n.rweight = 0;
    if (n.npos > planned) n.npos = planned;
    if (n.npos < this.currPos + 2) n.npos = u32(this.currPos + step);
    tree.remove(n);
    this.#place(n);
  }

  /** Places a server coming (back) into load balancing, relative to the cursor. */
  #rejoin(n: FwrrNode): void {
    this.#restore(n);
    const span = u32(this.nextWeight + this.currWeight - this.currPos);
    n.npos = u32(this.currPos + Math.floor(span / n.eweight));
    n.tree?.remove(n);
    this.#place(n);
  }

  /**
   * The server due now: the head of the current window if its position is reached; else (a
   * hole, or an empty window) the heaviest waiting server, starting afresh; else the head of
   * the window even if not yet due. (fwrr_get_server_from_group)
   */
  #due(): FwrrNode | undefined {
    const head = this.#curr.first();
    if (head !== undefined && head.npos <= this.currPos) return head;
    const waiting = this.#init.first();
    if (waiting !== undefined) {
      waiting.npos = waiting.rweight = 0;
      return waiting;
    }
    return head;
  }

  /**
   * Moves a server's next turn one spacing (`nextWeight / eweight`) ahead; the remainder is
   * accumulated in `rweight` and adds one position each time it reaches a full weight, so
   * that turns average out exactly. A server fresh from the waiting queue starts at the
   * cursor. (fwrr_update_position)
   */
  #step(n: FwrrNode): void {
    if (n.npos === 0) n.npos = this.currPos;
    n.lpos = n.npos;
    n.npos = u32(n.npos + Math.floor(this.nextWeight / n.eweight));
    n.rweight += this.nextWeight % n.eweight;
    if (n.rweight >= n.eweight) {
      n.rweight -= n.eweight;
      n.npos = u32(n.npos + 1);
    }
  }

  /**
   * Queues a server by its next position: in the current window if it falls inside it (and
   * inside the window the new total weight would give), else in the next window's queue with
   * the position made relative to it. The window key breaks position ties heavier first
   * (adjusted by the remainder). (fwrr_queue_srv)
   */
  #place(n: FwrrNode): void {
    if (n.npos >= 2 * this.currWeight || n.npos >= this.currWeight + this.nextWeight) {
      n.npos = u32(n.npos - this.currWeight);
      this.#queueByWeight(this.#next, n);
      return;
    }
    const tie = Math.floor((EWEIGHT_MAX + n.rweight - n.eweight) / WEIGHT_SCALE);
    this.#curr.insert(n, u32(USER_WEIGHT_RANGE * n.npos + tie));
    n.tree = this.#curr;
  }

  /** Queues a server heaviest first. (fwrr_queue_by_weight) */
  #queueByWeight(tree: KeyedQueue, n: FwrrNode): void {
    tree.insert(n, EWEIGHT_MAX - n.eweight);
    n.tree = tree;
  }

  /**
   * Brings a server's position back to the current window's scale before re-placing it: a
   * waiting one starts afresh, one in the next window's queue shifts back by a window, one
   * out of any queue starts at the cursor. (fwrr_get_srv)
   */
  #restore(n: FwrrNode): void {
    if (n.tree === this.#init) n.npos = n.rweight = 0;
    else if (n.tree === this.#next) n.npos = u32(n.npos + this.currWeight);
    else if (n.tree === null) n.npos = this.currPos;
  }

  /**
   * Both the window and the waiting queue are empty: the next window opens with the current
   * total weight, its servers becoming the waiting queue. (fwrr_switch_trees)
   */
  #rollOver(): void {
    const swap = this.#init;
    this.#init = this.#next;
    this.#next = swap;
    this.currWeight = this.nextWeight;
    this.currPos = this.currWeight;
  }
}

/** HAProxy keeps positions in `unsigned` fields: wrap as C does. */
function u32(x: number): number {
  return x >>> 0;
}
