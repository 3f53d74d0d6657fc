/**
 * The PROXY protocol v2 (binary) parser behind `parseProxyHeader()`: the address block and the
 * TLVs (doc/proxy-protocol.txt 2.2, HAProxy 2.6's `conn_recv_proxy()`).
 *
 * @module
 */
import type { Address } from "./net.ts";
import type {
  ProxyHeader,
  ProxyHeaderError,
  ProxyHeaderResult,
  ProxySslTlv,
  ProxyTlv,
  ProxyTlvs,
} from "./proxy_protocol.ts";
import { formatIp } from "./acl/_ip.ts";
import { CRC32C_INIT, crc32cFinal, crc32cUpdate } from "./_crc32c.ts";
import {
  fail,
  NO_TLVS,
  PP2_AUTHORITY_MAX,
  PP2_TLV_MAX,
  PP2_TYPE,
  PP2_UNIQUE_ID_MAX,
  UTF8,
} from "./_proxy_protocol_common.ts";

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
export function parseV2(buf: Uint8Array, total: number): ProxyHeaderResult {
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
