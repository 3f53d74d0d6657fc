/**
 * Byte buffer helpers shared by the core.
 *
 * @module
 */

/** The `total` bytes of `parts` (their summed length by default) in one new buffer. */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const out = new Uint8Array(total ?? parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
