/**
 * `balance source`: the client address picks the server, map-based (`hash-type map-based`,
 * HAProxy's default).
 *
 * @module
 */
import { ipBytes } from "./_ip.ts";
import { MapBalancer, nextInMap } from "./_map.ts";
import { isFull } from "./eligible.ts";
import type { Balancer, LbServer, PickContext } from "./types.ts";

/**
 * The source hash of an IP literal (backend.c `get_server_sh()`): the XOR of the address's 32-bit
 * big-endian words, 1 word for IPv4 and 4 for IPv6, as an unsigned 32-bit integer. No
 * avalanche: that is only applied with `hash-type ... avalanche`. `undefined` when `address`
 * is not an IP literal.
 */
export function sourceHash(address: string): number | undefined {
  const bytes = ipBytes(address);
  if (bytes === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) h ^= view.getUint32(i);
  return h >>> 0;
}

/**
 * Source-address hashing (configuration.txt 4.2 `balance source` and `hash-type`, whose
 * default is `map-based`): `map[hash % tot_weight]` over the same static map as static-rr
 * (lb_map.c `map_get_server_hash()`), so a client keeps its server as long as the eligible
 * set is stable, and only one eligible server takes everything unhashed.
 * The map is rebuilt on {@link Balancer.update} and when the eligible set changes.
 *
 * The hashed server is returned even when full: affinity wins, and the caller queues on that
 * server (backend.c `assign_server_and_queue()`). With `ctx.avoid` on that server and another
 * eligible one, the next different server of the map is taken; HAProxy's map lookup ignores
 * `srvtoavoid` (only its consistent-hash lookup moves to the next node), we follow the
 * balancer-wide rule so that a redispatch really changes server. Without a usable key (no
 * address, a Unix socket client) it falls back to round-robin over the map (backend.c
 * `assign_server()`: hash key missing).
 */
export class SourceHash extends MapBalancer implements Balancer {
  #rrIdx = 0;

  /** The server of `ctx.sourceAddress`, honouring `ctx.avoid`. */
  pick(ctx?: PickContext): LbServer | undefined {
    const { slots, members } = this.map.current();
    const tot = slots.length;
    if (tot === 0) return undefined;
    const avoid = ctx?.avoid;
    const hash = members.length === 1 ? 0 : sourceHash(ctx?.sourceAddress ?? "");
    if (hash === undefined) {
      const step = nextInMap(slots, this.#rrIdx, (s) => !isFull(s), avoid);
      this.#rrIdx = step.rrIdx;
      return step.server;
    }
    const at = hash % tot;
    const chosen = slots[at]!;
    if (chosen !== avoid || members.length === 1) return chosen;
    for (let i = 1; i < tot; i++) {
      const next = slots[(at + i) % tot]!;
      if (next !== avoid) return next;
    }
    return chosen;
  }
}
