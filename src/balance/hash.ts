/**
 * The hash functions of `hash-type` (configuration.txt 4.2 `hash-type`): sdbm, djb2, wt6 and
 * crc32 over the key's bytes, and the 32-bit full avalanche applied with the `avalanche`
 * modifier, each giving the unsigned 32-bit value HAProxy computes (src/hash.c, `full_hash()`
 * in tools.h), so that a key maps to the same server as in HAProxy.
 *
 * Keys are strings with one char per byte (latin1), as request heads hold them: each char's
 * low 8 bits are hashed.
 *
 * @module
 */
import type { HashFunction } from "../config/types.ts";

/** sdbm: `h = c + (h << 6) + (h << 16) - h` per byte, from 0. HAProxy's default function. */
export function hashSdbm(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) {
    h = ((key.charCodeAt(i) & 0xff) + (h << 6) + (h << 16) - h) >>> 0;
  }
  return h;
}

/** djb2 (Dan Bernstein): `h = h * 33 + c` per byte, from 5381. */
export function hashDjb2(key: string): number {
  let h = 5381;
  for (let i = 0; i < key.length; i++) h = ((h << 5) + h + (key.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

/** 32-bit left rotation; a count of 0 (or 32) leaves the value as is. */
function rotl(v: number, n: number): number {
  return ((v << n) | (v >>> (32 - n))) >>> 0;
}

/**
 * wt6, designed for HAProxy: two 32-bit states that absorb each byte (one XORed and inverted,
 * one added and inverted), are rotated by amounts drawn from the states themselves, swapped,
 * and XORed together at the end.
 */
export function hashWt6(key: string): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i) & 0xff;
    h0 = ~(h0 ^ c) >>> 0;
    h1 = ~(h1 + c) >>> 0;
    const t = rotl(h1, step0);
    h1 = rotl(h0, step1);
    h0 = t;
    const mix = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = mix & 0x1f;
    step1 = mix >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as Ethernet, gzip and PNG use it. */
export function hashCrc32(key: string): number {
  let h = 0xffffffff;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i) & 0xff;
    for (let bit = 0; bit < 8; bit++) h = (h >>> 1) ^ (h & 1 ? 0xedb88320 : 0);
  }
  return ~h >>> 0;
}

/**
 * The full avalanche of a 32-bit value (one of Bob Jenkins' integer hashes, then a multiplication
 * by a large prime near 3/4 of 2^32 to spread the result over the whole range), as HAProxy's
 * `full_hash()`. Also the key of each point of the consistent-hash tree.
 */
export function fullHash(value: number): number {
  let a = value >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

/** The hash of `key` with `fn` (HAProxy's `gen_hash()`). */
export function hashKey(key: string, fn: HashFunction): number {
  switch (fn) {
    case "djb2":
      return hashDjb2(key);
    case "wt6":
      return hashWt6(key);
    case "crc32":
      return hashCrc32(key);
    default:
      return hashSdbm(key);
  }
}
