/**
 * IP addresses as ACLs read and print them: the strict forms a sample converts from
 * (`inet_pton()`), the abbreviated IPv4 forms and masks ACL patterns accept (configuration.txt
 * 7.1.6), networks and HAProxy's IPv4/IPv6 cross-matching, and `inet_ntop()`'s text.
 *
 * @module
 */
import { ipBytes } from "../balance/_ip.ts";

/** A network: its address bytes already masked, and the mask (4 or 16 bytes, same length). */
export interface IpNet {
  /** Address & mask, network order. */
  readonly net: Uint8Array;
  /** The mask, network order. */
  readonly mask: Uint8Array;
}

const DEC = /^[0-9]+$/;

/** A strict dotted quad (`inet_pton(AF_INET)`), or `undefined`. */
export function parseIpv4(text: string): Uint8Array | undefined {
  return text.includes(":") || text.includes("[") ? undefined : ipBytes(text);
}

/** A strict IPv6 literal (`inet_pton(AF_INET6)`: no brackets, no zone), 16 bytes, or `undefined`. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!text.includes(":") || text.includes("[") || text.includes("%")) return undefined;
  const b = ipBytes(text);
  if (b === undefined) return undefined;
  return b.length === 16 ? b : v4Mapped(b);
}

/**
 * What `c_str2addr()` makes of a string, as observed on HAProxy 2.6: a dotted quad at its
 * start ({@link leadingIpv4}: `10.1.2.3:80` converts), else a strict IPv6 literal (16 bytes,
 * an IPv4-mapped one kept as 16), else `undefined`.
 */
export function parseIp(text: string): Uint8Array | undefined {
  return leadingIpv4(text) ?? parseIpv6(text);
}

/**
 * HAProxy's `url2ipv4()`: a dotted quad (decimal parts up to 255, leading zeros allowed) at the
 * start of `text`, up to the first char that is neither a digit nor a dot (what follows, such
 * as `:80`, is ignored; a fifth part fails), or `undefined`.
 */
export function leadingIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octets = 0, sawDigit = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
      const v = out[octets - 1]! * 10 + c - 0x30;
      if (v > 255) return undefined;
      out[octets - 1] = v;
    } else if (c === 0x2e) {
      if (!sawDigit || octets === 4) return undefined;
      sawDigit = false;
    } else break;
  }
  return octets === 4 ? out : undefined;
}

/** The IPv6 form of an IPv4 address: `::ffff:a.b.c.d`. */
export function v4Mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

/**
 * The abbreviated IPv4 forms of configuration.txt 7.1.6 (`inet_aton()` with decimal parts):
 * `a.b.c.d`, `a.b.c` (c fills 16 bits: `192.168.1` is 192.168.0.1), `a.b`, `a`.
 */
function parseIpv4Loose(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length > 4 || !parts.every((p) => DEC.test(p))) return undefined;
  const nums = parts.map(Number);
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  const out = new Uint8Array(4);
  nums.forEach((n, i) => (out[i] = n));
  for (let i = 3, v = last; i >= nums.length; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

function prefixMask(bits: number, len: number): Uint8Array {
  const mask = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const b = Math.min(8, Math.max(0, bits - 8 * i));
    mask[i] = (0xff << (8 - b)) & 0xff;
  }
  return mask;
}

function applyMask(addr: Uint8Array, mask: Uint8Array): IpNet {
  return { net: addr.map((b, i) => b & mask[i]!), mask };
}

/**
 * An ACL IP pattern (`pat_parse_ip()`): IPv4 in full or abbreviated form with an optional
 * `/bits` or `/dotted.mask`, or IPv6 with an optional `/bits` (0..128). `undefined` when
 * invalid. Host names are not resolved (HAProxy resolves them at load time).
 */
export function parseIpPattern(text: string): IpNet | undefined {
  const slash = text.indexOf("/");
  const host = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseIpv4Loose(host);
  if (v4 !== undefined) {
    if (bits === undefined) return applyMask(v4, prefixMask(32, 4));
    if (DEC.test(bits) && Number(bits) <= 32) return applyMask(v4, prefixMask(Number(bits), 4));
    const dotted = parseIpv4(bits);
    return dotted === undefined ? undefined : applyMask(v4, dotted);
  }
  const v6 = parseIpv6(host);
  if (v6 === undefined) return undefined;
  if (bits === undefined) return applyMask(v6, prefixMask(128, 16));
  return DEC.test(bits) && Number(bits) <= 128 ? applyMask(v6, prefixMask(Number(bits), 16)) : undefined;
}

function inNet(addr: Uint8Array, n: IpNet): boolean {
  for (let i = 0; i < addr.length; i++) if ((addr[i]! & n.mask[i]!) !== n.net[i]) return false;
  return true;
}

/**
 * Whether `addr` (4 or 16 bytes) is in `n`, with HAProxy's cross-family rules
 * (configuration.txt 7.1.6, `pat_match_ip()`): an IPv6 address matches an IPv4 network when it
 * embeds the IPv4 address as `2002:V4::`, `::V4` or `::ffff:V4`; an IPv4 address matches an
 * IPv6 network as `::ffff:V4`.
 */
export function ipInNet(addr: Uint8Array, n: IpNet): boolean {
  if (addr.length === n.net.length) return inNet(addr, n);
  if (addr.length === 4) return inNet(v4Mapped(addr), n);
  const zero = (from: number, to: number) => addr.subarray(from, to).every((b) => b === 0);
  if (zero(0, 10) && ((addr[10] === 0xff && addr[11] === 0xff) || zero(10, 12))) return inNet(addr.subarray(12), n);
  if (addr[0] === 0x20 && addr[1] === 0x02 && zero(6, 16)) return inNet(addr.subarray(2, 6), n);
  return false;
}

/**
 * An address as text: dotted quad for 4 bytes, `inet_ntop(AF_INET6)` for 16 (lowercase hex,
 * the longest run of two or more zero groups as `::`, the first one on a tie, an IPv4-mapped
 * or IPv4-compatible address with its dotted quad).
 */
export function formatIp(addr: Uint8Array): string {
  if (addr.length === 4) return addr.join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((addr[i]! << 8) | addr[i + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) best = -1;
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    return `::${bestLen === 5 ? "ffff:" : ""}${addr.subarray(12).join(".")}`;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += words[i]!.toString(16);
  }
  return out;
}

/** The bytes of an endpoint's address as the adapters report it (IPv4-mapped IPv6 as IPv4). */
export function endpointIp(address: string): Uint8Array | undefined {
  return ipBytes(address);
}
