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

/**
 * Body views read in one pull, written together with `write`: one chunk for all of them when
 * the body is chunked (`enc`: as HAProxy re-chunks what one read brought), each view as is
 * otherwise. The batch is emptied; returns its size in bytes, for the direction's count.
 */
export function writeBatch(
  batch: Uint8Array[],
  enc: { chunk(size: number): Uint8Array } | undefined,
  write: (b: Uint8Array) => void,
): number {
  let size = 0;
  for (const d of batch) size += d.length;
  if (enc !== undefined) write(enc.chunk(size));
  for (const d of batch) write(d);
  batch.length = 0;
  return size;
}
