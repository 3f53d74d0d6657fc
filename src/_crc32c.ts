/**
 * CRC32C (Castagnoli), the checksum of the PROXY protocol v2 `PP2_TYPE_CRC32C` TLV
 * (doc/proxy-protocol.txt 2.2.3, computed as RFC 4960 appendix B describes): reflected
 * polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF. One 1 KiB table built at load;
 * no allocation per call.
 *
 * @module
 */

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The running state before any byte: pass it to the first {@link crc32cUpdate}. */
export const CRC32C_INIT = 0xffffffff;

/**
 * Feeds `bytes[start..end)` into a running CRC state (not yet finalised). `zeros` more zero
 * bytes are fed after them: the receiver checks a header with the checksum field read as zeros
 * without writing into the buffer it was given.
 */
export function crc32cUpdate(state: number, bytes: Uint8Array, start = 0, end = bytes.length, zeros = 0): number {
  let c = state;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  for (let i = 0; i < zeros; i++) c = TABLE[c & 0xff]! ^ (c >>> 8);
  return c;
}

/** The final value of a running state: an unsigned 32-bit integer. */
export function crc32cFinal(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

/**
 * CRC32C of `bytes[start..end)`, e.g. `crc32c(new TextEncoder().encode("123456789"))` is
 * `0xe3069283` (the standard check value).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cFinal(crc32cUpdate(CRC32C_INIT, bytes, start, end));
}
