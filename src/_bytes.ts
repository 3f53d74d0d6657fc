/**
 * Byte buffer helpers shared by the core.
 *
 * @module
 */

/** A new zero-filled buffer of `size` bytes, with memory of its own. */
function fresh(size: number): Uint8Array {
  return new Uint8Array(size);
}

/**
 * The `total` bytes of `parts` (their summed length by default) in one new buffer, from
 * `alloc` (fresh memory unless told: {@link outputBytes} for bytes only written out).
 */
export function concatBytes(
  parts: readonly Uint8Array[],
  total?: number,
  alloc: (size: number) => Uint8Array = fresh,
): Uint8Array {
  const out = alloc(total ?? parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Slab size of {@link outputBytes}: what one small output view can keep alive at most. */
const SLAB_BYTES = 64 * 1024;
/** Larger outputs get memory of their own. */
const SLAB_MAX_PIECE = 4096;
/** The slab, as one view: a piece is its `subarray()`, half the cost of a view made from the buffer. */
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * `size` bytes for output that is built once and then only given to `Socket.write()` (a
 * serialized head, coalesced pieces of a response): small ones are views into a shared slab,
 * as Node's `Buffer` pool does, because every `new Uint8Array` above 64 bytes is memory outside
 * the JavaScript heap, with its own allocation, bookkeeping and release on each runtime (three
 * of them per proxied request). Never for bytes kept after the write (a replay copy, a cached
 * page): a view keeps its whole slab alive. The bytes are not zeroed: the caller fills them all.
 */
export function outputBytes(size: number): Uint8Array {
  if (size > SLAB_MAX_PIECE) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  // Views start 8-byte aligned, as fresh buffers do.
  slabUsed += (size + 7) & ~7;
  return out;
}
