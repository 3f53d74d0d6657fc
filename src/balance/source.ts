/**
 * `balance source`: the client address is the key (backend.c `get_server_sh()`); the election
 * itself is the hash family's (`hashed.ts`), map-based by default.
 *
 * @module
 */
import { ipBytes } from "./_ip.ts";

/**
 * The source hash of an IP literal (backend.c `get_server_sh()`): the XOR of the address's 32-bit
 * big-endian words, 1 word for IPv4 and 4 for IPv6, as an unsigned 32-bit integer. The
 * `hash-type` function is not used; its `avalanche` is applied by the balancer. `undefined`
 * when `address` is not an IP literal.
 */
export function sourceHash(address: string): number | undefined {
  const bytes = ipBytes(address);
  if (bytes === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) h ^= view.getUint32(i);
  return h >>> 0;
}
