/**
 * The PROXY protocol, sending side: the v1 line and the v2 header HAProxy's `send-proxy` and
 * `send-proxy-v2` write first on a server connection (doc/proxy-protocol.txt section 2;
 * configuration.txt 5.2 `send-proxy`, `send-proxy-v2`, `proxy-v2-options`), byte for byte as
 * HAProxy 2.6 builds them (src/connection.c `make_proxy_line_v1()`, `make_proxy_line_v2()`):
 *
 * - both addresses IPv4: `TCP4` / family 0x11;
 * - one of them IPv6: `TCP6` / 0x21, the IPv4 one written as IPv4-mapped IPv6 (`::ffff:a.b.c.d`);
 * - an address missing or not TCP (a Unix client), or a name rather than an IP literal:
 *   `PROXY UNKNOWN\r\n` / `LOCAL` with family `UNSPEC` and no address block;
 * - an IPv4-mapped IPv6 address, as runtimes report IPv4 clients of dual-stack listeners,
 *   counts as IPv4 (HAProxy sees those clients as AF_INET);
 * - v2 TLVs in HAProxy's order: CRC32C, ALPN, AUTHORITY, UNIQUE_ID, SSL (version, CN, key
 *   and signature algorithms, cipher), NETNS, then any other given.
 *
 * @module
 */
import type { Address } from "./net.ts";
import { ipBytes } from "./balance/_ip.ts";
import { formatIp, v4Mapped } from "./acl/_ip.ts";
import { crc32c } from "./_crc32c.ts";
import { PP2_SIGNATURE, PP2_TYPE, type ProxyTlv } from "./proxy_protocol.ts";

/** The SSL TLV to send (doc/proxy-protocol.txt 2.2.6); absent strings are left out. */
export interface ProxySslTlvInput {
  /** `PP2_CLIENT` bits: 0x01 TLS, 0x02 certificate on this connection, 0x04 on the session. */
  readonly client: number;
  /** 0 when a client certificate was presented and verified; the verify error otherwise. */
  readonly verify: number;
  /** `SSL_VERSION`, e.g. `TLSv1.3` (sent when `client` has the TLS bit, as HAProxy). */
  readonly version?: string;
  /** `SSL_CN`: the client certificate's subject common name. */
  readonly cn?: string;
  /** `SSL_KEY_ALG`, e.g. `RSA2048`. */
  readonly keyAlg?: string;
  /** `SSL_SIG_ALG`, e.g. `RSA-SHA256`. */
  readonly sigAlg?: string;
  /** `SSL_CIPHER`, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher?: string;
}

/** What a v2 header carries. */
export interface ProxyHeaderV2Options {
  /**
   * `LOCAL` for a connection the proxy makes on its own behalf (a health check): the header
   * then carries no addresses. @default "PROXY"
   */
  readonly command?: "PROXY" | "LOCAL";
  /** The client's address; missing or not an IP: the header is `LOCAL` + `UNSPEC`, as HAProxy. */
  readonly source?: Address | undefined;
  /** The address the client connected to. */
  readonly destination?: Address | undefined;
  /** `proxy-v2-options crc32c`: add the CRC32C TLV. @default false */
  readonly crc32c?: boolean;
  /** ALPN the client negotiated (HAProxy sends it whenever there is one). */
  readonly alpn?: string | undefined;
  /** `proxy-v2-options authority`: the host name (SNI) the client asked for. */
  readonly authority?: string | undefined;
  /** `proxy-v2-options unique-id`: the stream's unique id (an empty TLV for ""). */
  readonly uniqueId?: string | undefined;
  /** `proxy-v2-options ssl` (with `cert-cn`, `ssl-cipher`, ...): the SSL TLV. */
  readonly ssl?: ProxySslTlvInput | undefined;
  /** The network namespace name. */
  readonly netns?: string | undefined;
  /** More TLVs, after the others (custom types 0xE0-0xEF...). */
  readonly others?: readonly ProxyTlv[];
}

const ENC = new TextEncoder();
/** The bytes of a string of code units below 256 (ASCII protocol names, the v1 line). */
function LATIN1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A plain dotted quad's 4 bytes (the common case, without `ipBytes()`'s splitting), or undefined. */
function dottedQuad(h: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0, digits = 0, value = 0;
  for (let i = 0; i <= h.length; i++) {
    const c = i < h.length ? h.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      out[part++] = value;
      digits = value = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      digits++;
      value = value * 10 + c - 0x30;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

/** 4 bytes for an IPv4 (or IPv4-mapped) address, 16 for IPv6, undefined for anything else. */
function inet(a: Address | undefined): Uint8Array | undefined {
  if (a?.transport !== "tcp") return undefined;
  return dottedQuad(a.hostname) ?? ipBytes(a.hostname);
}

/**
 * The v1 line for a connection from `source` to `destination` (HAProxy's `send-proxy`), e.g.
 * `PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n`; `PROXY UNKNOWN\r\n` when an address is
 * missing or not an IP.
 *
 * @example
 * ```ts
 * import { buildProxyHeaderV1 } from "@proxykit/proxykit";
 *
 * const line = buildProxyHeaderV1(
 *   { transport: "tcp", hostname: "192.168.0.1", port: 56324 },
 *   { transport: "tcp", hostname: "192.168.0.11", port: 443 },
 * ); // the bytes of "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
 * ```
 */
export function buildProxyHeaderV1(source: Address | undefined, destination: Address | undefined): Uint8Array {
  const s = inet(source), d = inet(destination);
  if (s === undefined || d === undefined || source?.transport !== "tcp" || destination?.transport !== "tcp") {
    return LATIN1("PROXY UNKNOWN\r\n");
  }
  const v4 = s.length === 4 && d.length === 4;
  const text = (b: Uint8Array): string =>
    v4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIp(b.length === 16 ? b : v4Mapped(b));
  return LATIN1(
    `PROXY ${v4 ? "TCP4" : "TCP6"} ${text(s)} ${text(d)} ${source.port} ${destination.port}\r\n`,
  );
}

/**
 * The v2 header (HAProxy's `send-proxy-v2` with `proxy-v2-options`): 16 fixed bytes, the
 * address block, the TLVs, and the CRC32C filled in last when asked for.
 * @throws {RangeError} when a TLV value is longer than 65535 bytes or the header than 65551.
 *
 * @example A health check's header: LOCAL, no addresses
 * ```ts
 * import { buildProxyHeaderV2 } from "@proxykit/proxykit";
 *
 * buildProxyHeaderV2({ command: "LOCAL" }); // 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A 20 00 00 00
 * ```
 */
export function buildProxyHeaderV2(o: ProxyHeaderV2Options): Uint8Array {
  const s = inet(o.source), d = inet(o.destination);
  const local = o.command === "LOCAL" || s === undefined || d === undefined;
  const v4 = !local && s!.length === 4 && d!.length === 4;
  const addrLen = local ? 0 : v4 ? 12 : 36;
  const tlvs: [number, Uint8Array][] = [];
  if (o.crc32c === true) tlvs.push([PP2_TYPE.CRC32C, new Uint8Array(4)]);
  if (o.alpn !== undefined) tlvs.push([PP2_TYPE.ALPN, LATIN1(o.alpn)]);
  if (o.authority !== undefined) tlvs.push([PP2_TYPE.AUTHORITY, ENC.encode(o.authority)]);
  if (o.uniqueId !== undefined) tlvs.push([PP2_TYPE.UNIQUE_ID, ENC.encode(o.uniqueId)]);
  if (o.ssl !== undefined) tlvs.push([PP2_TYPE.SSL, sslValue(o.ssl)]);
  if (o.netns !== undefined) tlvs.push([PP2_TYPE.NETNS, LATIN1(o.netns)]);
  for (const t of o.others ?? []) tlvs.push([t.type, t.value]);
  let len = addrLen;
  for (const [, v] of tlvs) len += 3 + checkedLength(v);
  if (len > 0xffff) throw new RangeError(`PROXY v2 header of ${16 + len} bytes, more than 65551`);
  const out = new Uint8Array(16 + len);
  out.set(PP2_SIGNATURE, 0);
  out[12] = local ? 0x20 : 0x21;
  out[13] = local ? 0x00 : v4 ? 0x11 : 0x21;
  out[14] = len >> 8;
  out[15] = len & 0xff;
  const sp = (o.source as { port?: number } | undefined)?.port ?? 0;
  const dp = (o.destination as { port?: number } | undefined)?.port ?? 0;
  if (!local) {
    const wide = (b: Uint8Array): Uint8Array => (v4 || b.length === 16 ? b : v4Mapped(b));
    const n = v4 ? 4 : 16;
    out.set(wide(s!), 16);
    out.set(wide(d!), 16 + n);
    out[16 + 2 * n] = sp >> 8;
    out[17 + 2 * n] = sp & 0xff;
    out[18 + 2 * n] = dp >> 8;
    out[19 + 2 * n] = dp & 0xff;
  }
  let at = 16 + addrLen;
  let crcAt = -1;
  for (const [type, v] of tlvs) {
    if (type === PP2_TYPE.CRC32C && crcAt < 0) crcAt = at + 3;
    at = putTlv(out, at, type, v);
  }
  if (crcAt >= 0) {
    const c = crc32c(out);
    out[crcAt] = c >>> 24;
    out[crcAt + 1] = (c >>> 16) & 0xff;
    out[crcAt + 2] = (c >>> 8) & 0xff;
    out[crcAt + 3] = c & 0xff;
  }
  return out;
}

function checkedLength(v: Uint8Array): number {
  if (v.length > 0xffff) throw new RangeError(`PROXY v2 TLV value of ${v.length} bytes, more than 65535`);
  return v.length;
}

function putTlv(out: Uint8Array, at: number, type: number, v: Uint8Array): number {
  out[at] = type;
  out[at + 1] = v.length >> 8;
  out[at + 2] = v.length & 0xff;
  out.set(v, at + 3);
  return at + 3 + v.length;
}

/** The SSL TLV's value: client, verify, then VERSION, CN, KEY_ALG, SIG_ALG, CIPHER as HAProxy. */
function sslValue(ssl: ProxySslTlvInput): Uint8Array {
  const subs: [number, Uint8Array][] = [];
  if (ssl.version !== undefined) subs.push([PP2_TYPE.SSL_VERSION, LATIN1(ssl.version)]);
  if (ssl.cn !== undefined) subs.push([PP2_TYPE.SSL_CN, ENC.encode(ssl.cn)]);
  if (ssl.keyAlg !== undefined) subs.push([PP2_TYPE.SSL_KEY_ALG, LATIN1(ssl.keyAlg)]);
  if (ssl.sigAlg !== undefined) subs.push([PP2_TYPE.SSL_SIG_ALG, LATIN1(ssl.sigAlg)]);
  if (ssl.cipher !== undefined) subs.push([PP2_TYPE.SSL_CIPHER, LATIN1(ssl.cipher)]);
  let len = 5;
  for (const [, v] of subs) len += 3 + checkedLength(v);
  const out = new Uint8Array(len);
  out[0] = ssl.client & 0xff;
  out[1] = ssl.verify >>> 24;
  out[2] = (ssl.verify >>> 16) & 0xff;
  out[3] = (ssl.verify >>> 8) & 0xff;
  out[4] = ssl.verify & 0xff;
  let at = 5;
  for (const [type, v] of subs) at = putTlv(out, at, type, v);
  return out;
}
