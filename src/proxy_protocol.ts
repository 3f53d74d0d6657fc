/**
 * The PROXY protocol, versions 1 (text) and 2 (binary), receiving side: an incremental parser
 * with the limits and the strictness of HAProxy 2.6's receiver (`bind ... accept-proxy`;
 * doc/proxy-protocol.txt section 2; configuration.txt 5.1 `accept-proxy`). The sending side
 * is `proxy_protocol_build.ts`.
 *
 * {@link parseProxyHeader} is given everything received so far on a connection and answers
 * at once: `incomplete` (wait for more bytes), `error` (close the connection and log the
 * reason) or `done` (the header's length, what it says and its TLVs). It keeps no state
 * between calls and allocates nothing beyond the result it returns.
 *
 * One deliberate difference from HAProxy: HAProxy peeks once and fails a header split across
 * TCP segments as truncated (`CO_ER_PRX_TRUNCATED`); this parser says `incomplete` instead, so
 * the receiver waits for the rest under its timeout, as the specification recommends (section
 * 2: "Recommendation is to be tolerant"). Bytes that can no longer become a valid header fail
 * at once, without waiting for the rest.
 *
 * @module
 */
import type { Address } from "./net.ts";
import { formatIp } from "./acl/_ip.ts";
import { CRC32C_INIT, crc32cFinal, crc32cUpdate } from "./_crc32c.ts";

/** The 12-byte v2 signature (doc/proxy-protocol.txt 2.2); it holds a NUL, never a C string. */
export const PP2_SIGNATURE: readonly number[] = [
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
];

/** TLV types of doc/proxy-protocol.txt 2.2 (`PP2_TYPE_*`, `PP2_SUBTYPE_SSL_*`). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  SSL_GROUP: 0x26,
  SSL_SIG_SCHEME: 0x27,
  SSL_CLIENT_CERT: 0x28,
  NETNS: 0x30,
} as const;

/** `client` bits of the SSL TLV (doc/proxy-protocol.txt 2.2.6). */
export const PP2_CLIENT = { SSL: 0x01, CERT_CONN: 0x02, CERT_SESS: 0x04 } as const;

/**
 * Longest v1 line accepted, CRLF included (doc/proxy-protocol.txt 2.1: "If the CRLF sequence
 * is not found in the first 107 characters, the receiver should declare the line invalid").
 */
export const PP1_MAX_LENGTH = 107;
/**
 * Longest v2 header accepted, 16 bytes + address block + TLVs. HAProxy peeks the header into
 * one buffer of `tune.bufsize` (16384 by default), so a longer one never completes there.
 */
export const PP2_MAX_LENGTH = 16384;
/** Longest AUTHORITY value HAProxy accepts (`PP2_AUTHORITY_MAX`, include/haproxy/connection-t.h). */
export const PP2_AUTHORITY_MAX = 255;
/** Longest UNIQUE_ID value (doc/proxy-protocol.txt 2.2.5; HAProxy's `UNIQUEID_LEN`). */
export const PP2_UNIQUE_ID_MAX = 128;
/** Longest value of any TLV accepted, against memory exhaustion by many large TLVs. */
export const PP2_TLV_MAX = 1024;

/**
 * Why a header was refused, with HAProxy's names (`CO_ER_PRX_*`, src/connection.c), for the
 * log: `PRX_NOT_HDR` neither v1 nor v2, `PRX_BAD_PROTO` a v1 protocol other than TCP4, TCP6 or
 * UNKNOWN, `PRX_BAD_HDR` anything else that breaks the format or its limits. The receiver
 * adds its own (`PRX_EMPTY`, `PRX_ABORT`, `PRX_TIMEOUT`, `PRX_TRUNCATED`; see
 * {@link PROXY_ERROR_MESSAGES}).
 */
export type ProxyHeaderErrorCode = "PRX_NOT_HDR" | "PRX_BAD_PROTO" | "PRX_BAD_HDR";

/** Every `CO_ER_PRX_*` code, of the parser and of the receiver around it. */
export type ProxyProtocolErrorCode = ProxyHeaderErrorCode | "PRX_EMPTY" | "PRX_ABORT" | "PRX_TIMEOUT" | "PRX_TRUNCATED";

/**
 * HAProxy's text for each code (`conn_err_code_str()`), which its log line shows, e.g.
 * `fe/1: Received something which does not look like a PROXY protocol header`. The receiver
 * uses `PRX_EMPTY` for an EOF before a complete header, `PRX_TIMEOUT` when `timeout client`
 * (or `client-hs`) struck first, `PRX_ABORT` for a socket error and `PRX_TRUNCATED` for an
 * EOF in the middle of a header.
 */
export const PROXY_ERROR_MESSAGES: Readonly<Record<ProxyProtocolErrorCode, string>> = {
  PRX_EMPTY: "Connection closed while waiting for PROXY protocol header",
  PRX_ABORT: "Connection error while waiting for PROXY protocol header",
  PRX_TIMEOUT: "Timeout while waiting for PROXY protocol header",
  PRX_TRUNCATED: "Truncated PROXY protocol header received",
  PRX_NOT_HDR: "Received something which does not look like a PROXY protocol header",
  PRX_BAD_HDR: "Received an invalid PROXY protocol header",
  PRX_BAD_PROTO: "Received an unhandled protocol in the PROXY protocol header",
};

/** One TLV as received, for types the parser does not decode (custom ranges 0xE0-0xFF...). */
export interface ProxyTlv {
  /** The type byte. */
  readonly type: number;
  /** The value, copied out of the received buffer. */
  readonly value: Uint8Array;
}

/** The SSL TLV (doc/proxy-protocol.txt 2.2.6): how the client reached the sender. */
export interface ProxySslTlv {
  /** {@link PP2_CLIENT} bits: TLS used, certificate on this connection, on the session. */
  readonly client: number;
  /** 0 when the client certificate was presented and verified, non-zero otherwise. */
  readonly verify: number;
  /** `SSL_VERSION` sub-TLV, e.g. `TLSv1.3`. */
  readonly version?: string;
  /** `SSL_CN`: the client certificate's subject common name (UTF-8). */
  readonly cn?: string;
  /** `SSL_CIPHER`, e.g. `ECDHE-RSA-AES128-GCM-SHA256`. */
  readonly cipher?: string;
  /** `SSL_SIG_ALG`: signature algorithm of the frontend certificate, e.g. `RSA-SHA256`. */
  readonly sigAlg?: string;
  /** `SSL_KEY_ALG`: key algorithm of the frontend certificate, e.g. `RSA2048`. */
  readonly keyAlg?: string;
  /** Other sub-TLVs (`SSL_GROUP`, `SSL_SIG_SCHEME`, `SSL_CLIENT_CERT`, unknown ones), raw. */
  readonly others: readonly ProxyTlv[];
}

/** The TLVs of a v2 header, decoded. A type seen twice keeps its last value. */
export interface ProxyTlvs {
  /** `ALPN`: the protocol the client negotiated with the sender, e.g. `h2`. */
  readonly alpn?: string;
  /** `AUTHORITY`: the host name the client asked for (its TLS SNI), UTF-8, at most 255 bytes. */
  readonly authority?: string;
  /** `UNIQUE_ID`: the sender's id of the connection, at most 128 bytes (decoded as UTF-8). */
  readonly uniqueId?: string;
  /** `CRC32C`: the checksum, present only when it matched the header. */
  readonly crc32c?: number;
  /** `SSL` and its sub-TLVs. */
  readonly ssl?: ProxySslTlv;
  /** `NETNS`: the network namespace name. */
  readonly netns?: string;
  /** TLVs of other types, in order (`NOOP` is dropped). */
  readonly others: readonly ProxyTlv[];
}

/** A complete, valid header. */
export interface ProxyHeader {
  /** Discriminates the result. */
  readonly state: "done";
  /** Header bytes to consume; what follows belongs to the application. */
  readonly length: number;
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /**
   * `PROXY`: relayed on behalf of a client. `LOCAL` (v2 only): the sender's own connection (a
   * health check); the real endpoints stay and the rest of the header is skipped.
   */
  readonly command: "PROXY" | "LOCAL";
  /**
   * What the header announces: `TCP4` / `TCP6` (v1 or v2), `UDP4` / `UDP6`, `UNIX` /
   * `UNIX_DGRAM` (v2), `UNKNOWN` (v1) or `UNSPEC` (v2; also every `LOCAL` header).
   */
  readonly family: "TCP4" | "TCP6" | "UDP4" | "UDP6" | "UNIX" | "UNIX_DGRAM" | "UNKNOWN" | "UNSPEC";
  /**
   * The client's address, which replaces the connection's source; set for `TCP4`, `TCP6` and
   * `UNIX` (an empty path for an unnamed socket). Undefined otherwise: the datagram families,
   * `UNKNOWN`, `UNSPEC` and `LOCAL` keep the real connection's addresses, as HAProxy does.
   */
  readonly source: Address | undefined;
  /** The address the client connected to, which replaces the destination; set like `source`. */
  readonly destination: Address | undefined;
  /** Decoded TLVs (v2 `PROXY` headers); empty for v1 and `LOCAL`. */
  readonly tlvs: ProxyTlvs;
}

/** A refused header: the connection is to be closed, the reason logged. */
export interface ProxyHeaderError {
  /** Discriminates the result. */
  readonly state: "error";
  /** Short code for the log and tests. */
  readonly code: ProxyHeaderErrorCode;
  /** HAProxy's message for the code ({@link PROXY_ERROR_MESSAGES}). */
  readonly reason: string;
  /** What exactly is wrong, for debugging (`AUTHORITY TLV of 300 bytes, more than 255`). */
  readonly detail: string;
}

/** More bytes are needed. */
export interface ProxyHeaderIncomplete {
  /** Discriminates the result. */
  readonly state: "incomplete";
}

/** What {@link parseProxyHeader} finds in the bytes received so far. */
export type ProxyHeaderResult = ProxyHeader | ProxyHeaderError | ProxyHeaderIncomplete;

const INCOMPLETE: ProxyHeaderIncomplete = Object.freeze({ state: "incomplete" });
const NO_TLVS: ProxyTlvs = Object.freeze({ others: Object.freeze([]) as readonly ProxyTlv[] });
const UTF8 = new TextDecoder("utf-8", { fatal: false });

const CR = 0x0d, LF = 0x0a, SP = 0x20, DOT = 0x2e, COLON = 0x3a;
const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, SP]; // "PROXY "

function fail(code: ProxyHeaderErrorCode, detail: string): ProxyHeaderError {
  return { state: "error", code, reason: PROXY_ERROR_MESSAGES[code], detail };
}

/** Whether `buf[from..]` matches the start of `want` for as many bytes as both have. */
function prefixMatches(buf: Uint8Array, from: number, want: readonly number[]): boolean {
  const n = Math.min(buf.length - from, want.length);
  for (let i = 0; i < n; i++) if (buf[from + i] !== want[i]) return false;
  return true;
}

/**
 * Parses the PROXY header at the start of `buf`, everything received so far on a connection
 * whose listener expects one. Version detection follows doc/proxy-protocol.txt 2.2: the v2
 * signature and version nibble, else `PROXY `, else the connection is not speaking the
 * protocol. Never throws; never reads beyond the header.
 *
 * @example
 * ```ts
 * import { parseProxyHeader } from "@proxykit/proxykit";
 *
 * const r = parseProxyHeader(new TextEncoder().encode("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /"));
 * if (r.state === "done") console.log(r.source, r.destination, r.length); // ... 47
 * ```
 */
export function parseProxyHeader(buf: Uint8Array): ProxyHeaderResult {
  const n = buf.length;
  if (n === 0) return INCOMPLETE;
  if (buf[0] === 0x50) {
    if (!prefixMatches(buf, 0, V1_PREFIX)) return fail("PRX_NOT_HDR", "starts with P but not with 'PROXY '");
    return n < V1_PREFIX.length ? INCOMPLETE : parseV1(buf);
  }
  if (!prefixMatches(buf, 0, PP2_SIGNATURE)) return fail("PRX_NOT_HDR", "neither 'PROXY ' nor the v2 signature");
  if (n < 13) return INCOMPLETE;
  if ((buf[12]! & 0xf0) !== 0x20) return fail("PRX_NOT_HDR", `v2 signature with version ${buf[12]! >> 4}, not 2`);
  if (n < 16) return INCOMPLETE;
  const total = 16 + ((buf[14]! << 8) | buf[15]!);
  if (total > PP2_MAX_LENGTH) return fail("PRX_BAD_HDR", `v2 header of ${total} bytes, more than ${PP2_MAX_LENGTH}`);
  return n < total ? INCOMPLETE : parseV2(buf, total);
}

// ---------------------------------------------------------------------------------- v1

const PROTO_TCP4 = [0x54, 0x43, 0x50, 0x34, SP]; // "TCP4 "
const PROTO_TCP6 = [0x54, 0x43, 0x50, 0x36, SP]; // "TCP6 "
const PROTO_UNKNOWN = [0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e, CR, LF]; // "UNKNOWN\r\n"

/**
 * v1 after `PROXY `. HAProxy accepts only the short `PROXY UNKNOWN\r\n` (it compares
 * `UNKNOWN\r\n` literally); the specification's long form with addresses is refused as an
 * unhandled protocol, as HAProxy 2.6 does.
 */
function parseV1(buf: Uint8Array): ProxyHeaderResult {
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

// ---------------------------------------------------------------------------------- v2

const FAMILIES: Readonly<Record<number, { name: ProxyHeader["family"]; addrLen: number }>> = {
  0x00: { name: "UNSPEC", addrLen: 0 },
  0x11: { name: "TCP4", addrLen: 12 },
  0x12: { name: "UDP4", addrLen: 12 },
  0x21: { name: "TCP6", addrLen: 36 },
  0x22: { name: "UDP6", addrLen: 36 },
  0x31: { name: "UNIX", addrLen: 216 },
  0x32: { name: "UNIX_DGRAM", addrLen: 216 },
};

/**
 * v2 with its `total` bytes present. `LOCAL` skips everything after the 16 fixed bytes, as
 * HAProxy does (the specification: "discard the protocol block including the family").
 * `PROXY` with `UNSPEC` keeps the real addresses and skips the block (no TLVs can be located
 * in it). A family or transport outside the table is refused (section 2.2: "must be rejected
 * as invalid by receivers"); so is a command other than LOCAL and PROXY.
 */
function parseV2(buf: Uint8Array, total: number): ProxyHeaderResult {
  const cmd = buf[12]! & 0x0f;
  const len = total - 16;
  if (cmd === 0x0) {
    return {
      state: "done",
      length: total,
      version: 2,
      command: "LOCAL",
      family: "UNSPEC",
      source: undefined,
      destination: undefined,
      tlvs: NO_TLVS,
    };
  }
  if (cmd !== 0x1) return fail("PRX_BAD_HDR", `v2 command ${cmd}, neither LOCAL nor PROXY`);
  const fam = FAMILIES[buf[13]!];
  if (fam === undefined) return fail("PRX_BAD_HDR", `v2 family/transport byte 0x${buf[13]!.toString(16)}`);
  if (len < fam.addrLen) {
    return fail("PRX_BAD_HDR", `v2 ${fam.name} address block of ${len} bytes, needs ${fam.addrLen}`);
  }
  let source: Address | undefined, destination: Address | undefined;
  if (fam.name === "TCP4") {
    source = { transport: "tcp", hostname: ipv4At(buf, 16), port: u16(buf, 24) };
    destination = { transport: "tcp", hostname: ipv4At(buf, 20), port: u16(buf, 26) };
  } else if (fam.name === "TCP6") {
    source = { transport: "tcp", hostname: formatIp(buf.subarray(16, 32)), port: u16(buf, 48) };
    destination = { transport: "tcp", hostname: formatIp(buf.subarray(32, 48)), port: u16(buf, 50) };
  } else if (fam.name === "UNIX") {
    source = { transport: "unix", path: unixPath(buf, 16) };
    destination = { transport: "unix", path: unixPath(buf, 124) };
  }
  if (fam.name === "UNSPEC") {
    return {
      state: "done",
      length: total,
      version: 2,
      command: "PROXY",
      family: "UNSPEC",
      source,
      destination,
      tlvs: NO_TLVS,
    };
  }
  const tlvs = parseTlvs(buf, 16 + fam.addrLen, total);
  if ("state" in tlvs) return tlvs;
  return { state: "done", length: total, version: 2, command: "PROXY", family: fam.name, source, destination, tlvs };
}

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function ipv4At(buf: Uint8Array, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/**
 * A 108-byte `sun_path`: the text up to the first NUL, or for a Linux abstract socket (a NUL
 * first) `\0` and the name without its trailing NULs.
 */
function unixPath(buf: Uint8Array, at: number): string {
  const field = buf.subarray(at, at + 108);
  if (field[0] === 0) {
    let end = field.length;
    while (end > 1 && field[end - 1] === 0) end--;
    return end <= 1 ? "" : "\0" + UTF8.decode(field.subarray(1, end));
  }
  const nul = field.indexOf(0);
  return UTF8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** Mutable view of {@link ProxyTlvs} while decoding. */
type TlvsDraft = { -readonly [K in keyof ProxyTlvs]: ProxyTlvs[K] };

/**
 * The TLVs in `buf[from..total)`: each must fit in the header and the last end exactly at
 * `total` (HAProxy's checks), CRC32C must be 4 bytes and match, AUTHORITY, UNIQUE_ID and any
 * value stay within their limits.
 */
function parseTlvs(buf: Uint8Array, from: number, total: number): TlvsDraft | ProxyHeaderError {
  const out: TlvsDraft = { others: [] };
  const others: ProxyTlv[] = [];
  for (let at = from; at < total;) {
    if (at + 3 > total) return fail("PRX_BAD_HDR", `v2 TLV header cut at offset ${at}`);
    const type = buf[at]!, len = u16(buf, at + 1), v = at + 3;
    at = v + len;
    if (at > total) return fail("PRX_BAD_HDR", `v2 TLV 0x${type.toString(16)} of ${len} bytes overruns the header`);
    if (len > PP2_TLV_MAX) {
      return fail("PRX_BAD_HDR", `v2 TLV 0x${type.toString(16)} of ${len} bytes, more than ${PP2_TLV_MAX}`);
    }
    const value = buf.subarray(v, at);
    switch (type) {
      case PP2_TYPE.CRC32C: {
        if (len !== 4) return fail("PRX_BAD_HDR", `v2 CRC32C TLV of ${len} bytes, not 4`);
        const got = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
        const want = crc32cFinal(crc32cUpdate(crc32cUpdate(CRC32C_INIT, buf, 0, v, 4), buf, at, total));
        if (got !== want) {
          return fail("PRX_BAD_HDR", `v2 CRC32C mismatch: header says ${hex32(got)}, computed ${hex32(want)}`);
        }
        out.crc32c = got;
        break;
      }
      case PP2_TYPE.AUTHORITY:
        if (len > PP2_AUTHORITY_MAX) {
          return fail("PRX_BAD_HDR", `v2 AUTHORITY TLV of ${len} bytes, more than ${PP2_AUTHORITY_MAX}`);
        }
        out.authority = UTF8.decode(value);
        break;
      case PP2_TYPE.UNIQUE_ID:
        if (len > PP2_UNIQUE_ID_MAX) {
          return fail("PRX_BAD_HDR", `v2 UNIQUE_ID TLV of ${len} bytes, more than ${PP2_UNIQUE_ID_MAX}`);
        }
        out.uniqueId = UTF8.decode(value);
        break;
      case PP2_TYPE.ALPN:
        out.alpn = String.fromCharCode(...value);
        break;
      case PP2_TYPE.NETNS:
        out.netns = String.fromCharCode(...value);
        break;
      case PP2_TYPE.NOOP:
        break;
      case PP2_TYPE.SSL: {
        const ssl = parseSsl(value);
        if (ssl === undefined) return fail("PRX_BAD_HDR", `v2 SSL TLV of ${len} bytes is malformed`);
        out.ssl = ssl;
        break;
      }
      default:
        others.push({ type, value: value.slice() });
    }
  }
  if (others.length > 0) out.others = others;
  return out;
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}

/** The SSL TLV's value: `client` (1 byte), `verify` (4), then sub-TLVs filling it exactly. */
function parseSsl(value: Uint8Array): ProxySslTlv | undefined {
  if (value.length < 5) return undefined;
  const out: { -readonly [K in keyof ProxySslTlv]: ProxySslTlv[K] } = {
    client: value[0]!,
    verify: ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0,
    others: [],
  };
  const others: ProxyTlv[] = [];
  for (let at = 5; at < value.length;) {
    if (at + 3 > value.length) return undefined;
    const type = value[at]!, len = u16(value, at + 1), v = at + 3;
    at = v + len;
    if (at > value.length) return undefined;
    const sub = value.subarray(v, at);
    switch (type) {
      case PP2_TYPE.SSL_VERSION:
        out.version = String.fromCharCode(...sub);
        break;
      case PP2_TYPE.SSL_CN:
        out.cn = UTF8.decode(sub);
        break;
      case PP2_TYPE.SSL_CIPHER:
        out.cipher = String.fromCharCode(...sub);
        break;
      case PP2_TYPE.SSL_SIG_ALG:
        out.sigAlg = String.fromCharCode(...sub);
        break;
      case PP2_TYPE.SSL_KEY_ALG:
        out.keyAlg = String.fromCharCode(...sub);
        break;
      default:
        others.push({ type, value: sub.slice() });
    }
  }
  if (others.length > 0) out.others = others;
  return out;
}
