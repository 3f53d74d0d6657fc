/**
 * The PROXY protocol v1 (text) parser behind `parseProxyHeader()` (doc/proxy-protocol.txt 2.1,
 * HAProxy 2.6's `conn_recv_proxy()`).
 *
 * @module
 */
import type { Address } from "./net.ts";
import type { ProxyHeader, ProxyHeaderResult } from "./proxy_protocol.ts";
import { formatIp } from "./acl/_ip.ts";
import {
  COLON,
  CR,
  DOT,
  fail,
  INCOMPLETE,
  LF,
  NO_TLVS,
  PP1_MAX_LENGTH,
  prefixMatches,
  SP,
  V1_PREFIX,
} from "./_proxy_protocol_common.ts";

const PROTO_TCP4 = [0x54, 0x43, 0x50, 0x34, SP]; // "TCP4 "
const PROTO_TCP6 = [0x54, 0x43, 0x50, 0x36, SP]; // "TCP6 "
const PROTO_UNKNOWN = [0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e, CR, LF]; // "UNKNOWN\r\n"

/**
 * v1 after `PROXY `. HAProxy accepts only the short `PROXY UNKNOWN\r\n` (it compares
 * `UNKNOWN\r\n` literally); the specification's long form with addresses is refused as an
 * unhandled protocol, as HAProxy 2.6 does.
 */
export function parseV1(buf: Uint8Array): ProxyHeaderResult {
  const at = V1_PREFIX.length;
  const tcp4 = prefixMatches(buf, at, PROTO_TCP4), tcp6 = prefixMatches(buf, at, PROTO_TCP6);
  if (!tcp4 && !tcp6) {
    if (!prefixMatches(buf, at, PROTO_UNKNOWN)) {
      return fail("PRX_BAD_PROTO", "v1 protocol is not TCP4, TCP6 or UNKNOWN");
    }
    if (buf.length < at + PROTO_UNKNOWN.length) return INCOMPLETE;
    return v1Header(at + PROTO_UNKNOWN.length, "UNKNOWN", undefined, undefined);
  }
  if (buf.length < at + PROTO_TCP4.length) return INCOMPLETE;
  // Find the CRLF within the limit, refusing at once any byte the fields cannot hold.
  const start = at + PROTO_TCP4.length;
  const limit = Math.min(buf.length, PP1_MAX_LENGTH);
  let end = -1;
  for (let i = start; i < limit; i++) {
    const c = buf[i]!;
    if (c === CR) {
      if (i + 1 < buf.length && buf[i + 1] !== LF) return fail("PRX_BAD_HDR", "v1 CR not followed by LF");
      end = i;
      break;
    }
    const ok = c === SP || c === DOT || (c >= 0x30 && c <= 0x39) ||
      (tcp6 && (c === COLON || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)));
    if (!ok) return fail("PRX_BAD_HDR", `v1 byte 0x${c.toString(16).padStart(2, "0")} at offset ${i}`);
  }
  if (end < 0) {
    return buf.length >= PP1_MAX_LENGTH
      ? fail("PRX_BAD_HDR", `v1 line without CRLF in its first ${PP1_MAX_LENGTH} bytes`)
      : INCOMPLETE;
  }
  if (end + 1 >= buf.length) return end + 2 > PP1_MAX_LENGTH ? fail("PRX_BAD_HDR", "v1 line too long") : INCOMPLETE;
  // Four fields separated by exactly one space: src dst sport dport.
  let a = -1, b = -1, c = -1, spaces = 0;
  for (let i = start; i < end; i++) {
    if (buf[i] !== SP) continue;
    if (++spaces === 1) a = i;
    else if (spaces === 2) b = i;
    else c = i;
  }
  if (spaces !== 3) return fail("PRX_BAD_HDR", `v1 line with ${spaces + 1} address fields, not 4`);
  const src = tcp4 ? v1Ipv4(buf, start, a) : v1Ipv6(buf, start, a);
  const dst = tcp4 ? v1Ipv4(buf, a + 1, b) : v1Ipv6(buf, a + 1, b);
  const srcPort = v1Port(buf, b + 1, c), dstPort = v1Port(buf, c + 1, end);
  if (src === undefined || dst === undefined) return fail("PRX_BAD_HDR", "v1 address is not a valid literal");
  if (srcPort < 0 || dstPort < 0) return fail("PRX_BAD_HDR", "v1 port is not 0..65535 without leading zeros");
  return v1Header(end + 2, tcp4 ? "TCP4" : "TCP6", { transport: "tcp", hostname: src, port: srcPort }, {
    transport: "tcp",
    hostname: dst,
    port: dstPort,
  });
}

function v1Header(length: number, family: "TCP4" | "TCP6" | "UNKNOWN", src?: Address, dst?: Address): ProxyHeader {
  return { state: "done", length, version: 1, command: "PROXY", family, source: src, destination: dst, tlvs: NO_TLVS };
}

/** A decimal port 0..65535 without leading zeros in `buf[from..to)`, or -1. */
function v1Port(buf: Uint8Array, from: number, to: number): number {
  const len = to - from;
  if (len < 1 || len > 5 || (len > 1 && buf[from] === 0x30)) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= 65535 ? v : -1;
}

/** A dotted quad with four decimal parts 0..255 without leading zeros, as text, or undefined. */
function v1Ipv4(buf: Uint8Array, from: number, to: number): string | undefined {
  let parts = 0, digits = 0, value = 0, lead = 0, text = "";
  for (let i = from; i <= to; i++) {
    const c = i < to ? buf[i]! : DOT;
    if (c === DOT) {
      if (digits === 0 || value > 255 || (digits > 1 && lead === 0x30) || ++parts > 4) return undefined;
      text = parts === 1 ? `${value}` : `${text}.${value}`;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) lead = c;
      if (++digits > 3) return undefined;
      value = value * 10 + c - 0x30;
    } else return undefined;
  }
  return parts === 4 ? text : undefined;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * An IPv6 literal read as `inet_pton(AF_INET6)` reads it (HAProxy's v1 parser calls it): groups
 * of 1 to 4 hex digits, one `::` standing for at least one zero group, an optional dotted quad
 * for the last 32 bits; printed canonically (`inet_ntop()`), or undefined.
 */
function v1Ipv6(buf: Uint8Array, from: number, to: number): string | undefined {
  const out = new Uint8Array(16);
  let p = from, tp = 0, gap = -1, group = p, val = 0, digits = 0;
  if (buf[p] === COLON && buf[++p] !== COLON) return undefined;
  while (p < to) {
    const ch = buf[p++]!;
    const hv = hexValue(ch);
    if (hv >= 0) {
      if (++digits > 4) return undefined;
      val = (val << 4) | hv;
    } else if (ch === COLON) {
      group = p;
      if (digits === 0) {
        if (gap >= 0) return undefined;
        gap = tp;
        continue;
      }
      if (p === to || tp + 2 > 16) return undefined;
      out[tp++] = val >> 8;
      out[tp++] = val & 0xff;
      digits = val = 0;
    } else if (ch === DOT && tp + 4 <= 16) {
      const v4 = v1Ipv4(buf, group, to);
      if (v4 === undefined) return undefined;
      for (const part of v4.split(".")) out[tp++] = Number(part);
      digits = 0;
      break;
    } else return undefined;
  }
  if (digits > 0) {
    if (tp + 2 > 16) return undefined;
    out[tp++] = val >> 8;
    out[tp++] = val & 0xff;
  }
  if (gap >= 0) {
    if (tp === 16) return undefined;
    const tail = tp - gap;
    out.copyWithin(16 - tail, gap, tp);
    out.fill(0, gap, 16 - tail);
  } else if (tp !== 16) return undefined;
  return formatIp(out);
}
