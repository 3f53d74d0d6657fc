/**
 * How an HTTP transaction writes what one pull queued for a side: small pieces (a head and a
 * small body) coalesced into one write, one system call and one packet instead of two (the
 * copy of a few KiB is cheaper), larger ones written as they are.
 *
 * @module
 */
import { concatBytes } from "../_bytes.ts";
import { HAPROXY_BUFSIZE } from "./limits.ts";

/** Pieces queued for one side are copied into one write up to this many bytes in all. */
export const COALESCE_BYTES: number = HAPROXY_BUFSIZE;

/**
 * Writes `pieces` to `out`: one write of their concatenation when small, else each as is.
 * Returns `write()`'s backpressure answer.
 */
export function writeAll(out: { write(b: Uint8Array): boolean }, pieces: readonly Uint8Array[]): boolean {
  if (pieces.length === 1) return out.write(pieces[0]!);
  let size = 0;
  for (const p of pieces) size += p.length;
  if (size > COALESCE_BYTES) {
    let ok = true;
    for (const p of pieces) ok = out.write(p) && ok;
    return ok;
  }
  return out.write(concatBytes(pieces, size));
}
