/**
 * The Deno adapter's read buffers: their sizes, and the pool that recycles the large ones once
 * the core has written them on.
 *
 * @module
 */

/**
 * Read buffer sizes. A handed-over chunk must be fresh memory, and fresh memory is what bulk
 * reads cost (measured: a reused buffer reads 1.4-1.7 GB/s on loopback, a fresh 64 KiB one per
 * read 0.7-0.9 GB/s, and slabs of 256 KiB to 4 MiB cut into views do no better), so the size
 * adapts: it starts small, grows ×4 while reads fill it, shrinks after a short read. A pending
 * read pins its buffer, so an idle connection holds a few KiB, not 64.
 */
export const READ_MIN = 512;
/** Loopback TCP hands over up to 64 KiB per read. */
export const READ_MAX = 65536;
/** rustls returns one record per read: at most 16 KiB of plaintext, whatever the buffer size. */
export const READ_MAX_TLS = 16384;

/**
 * Recycled READ_MAX read buffers. Zero-filling a fresh 64 KiB buffer per read cost Deno a
 * third of its bulk throughput (bench/: memset 15 % of the profile, 9x the page faults of a
 * plain pipe). The contract (`src/net.ts`) makes a chunk given to `write()` the adapter's: once
 * one of our read buffers is written, by any socket of this adapter, it comes back here. Only
 * a write of the whole chunk we handed over counts: a caller that writes a part of it (an HTTP
 * body after its head, one message of several pipelined ones) gives up that part only and may
 * still read the rest. `OUT` maps the buffers handed to the core to the length handed over, so
 * each one returns at most once.
 */
const POOL: ArrayBuffer[] = [];
/** At most 64 × 64 KiB = 4 MiB kept idle. */
const POOL_MAX = 64;
const OUT = new WeakMap<ArrayBufferLike, number>();

/** A read buffer of `size` bytes; READ_MAX ones come from the pool. */
export function takeReadBuffer(size: number): Uint8Array {
  if (size !== READ_MAX) return new Uint8Array(size);
  const b = POOL.pop() ?? new ArrayBuffer(READ_MAX);
  OUT.set(b, READ_MAX);
  return new Uint8Array(b);
}

/** Gives a written chunk's memory back to the pool, if it is one of our read buffers. */
export function recycle(chunk: Uint8Array): void {
  const b = chunk.buffer;
  if (chunk.byteOffset !== 0 || OUT.get(b) !== chunk.byteLength) return;
  OUT.delete(b);
  if (POOL.length < POOL_MAX) POOL.push(b as ArrayBuffer);
}

/** Records how much of a pooled read buffer is handed over as a chunk (`buffer.subarray(0, n)`). */
export function handedOver(chunk: Uint8Array): void {
  if (OUT.has(chunk.buffer)) OUT.set(chunk.buffer, chunk.byteLength);
}
