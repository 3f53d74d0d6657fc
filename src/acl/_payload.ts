/**
 * Layer 6 sample fetches (configuration.txt 7.3.5) over the bytes a TCP client sent before
 * the stream picked its backend: `req.len`, `req.payload`, `req.proto_http`,
 * `req.ssl_hello_type`, `req.ssl_ver`, `req.ssl_sni`, `req.ssl_alpn`, `req.ssl_st_ext`,
 * `req.ssl_ec_ext`.
 *
 * Each says whether more bytes could change its answer (HAProxy's `SMP_F_MAY_CHANGE`): an
 * ACL that does not match yet then answers "miss", and `tcp-request content` and `use_backend`
 * wait for more bytes, until the inspection is final (inspect-delay over, buffer full, client
 * shut, or no inspect-delay), as `acl_exec_cond()` does.
 *
 * @module
 */
import type { ArgValue } from "./_args.ts";
import type { FetchSpec } from "./fetches.ts";
import { bool, int, type RequestPayload, type Sample, type SampleContext, str } from "./sample.ts";
import { type ClientHelloResult, parseClientHello } from "../tls/client_hello.ts";
import { H1RequestParser } from "../http/parser.ts";
import { isH1Error } from "../http/error.ts";

/**
 * A {@link RequestPayload} over `bytes`; the ClientHello is parsed on first use only, once.
 * `final`: no more bytes will be waited for. `same`: a payload over the same bytes whose
 * parse is shared (the final pass after a first one).
 */
export function requestPayload(bytes: Uint8Array, final: boolean, same?: RequestPayload): RequestPayload {
  let hello: ClientHelloResult | undefined;
  return {
    bytes,
    final,
    get clientHello(): ClientHelloResult {
      return hello ??= same?.clientHello ?? parseClientHello(bytes);
    },
  };
}

/** Whether more bytes could still change a payload fetch's answer. */
const open = (ctx: SampleContext): boolean => ctx.payload !== undefined && !ctx.payload.final;

/** A ClientHello fetch: found values, and "may change" while the hello is incomplete. */
function helloFetch(
  type: FetchSpec["type"],
  read: (h: Extract<ClientHelloResult, { status: "ok" }>["hello"]) => Sample[],
): FetchSpec {
  return {
    args: { types: [], min: 0 },
    type,
    fetch: (ctx) => {
      const r = ctx.payload?.clientHello;
      return r?.status === "ok" ? read(r.hello) : [];
    },
    mayChange: (ctx) => open(ctx) && ctx.payload!.clientHello.status === "need-more",
  };
}

/**
 * `smp_fetch_ssl_hello_type()`: the handshake type once the whole handshake message is in.
 * A first byte that is no TLS record type (0x14 to 0x17) nor 0xFF answers nothing at once;
 * the record's content type is not checked, nor is the record version beyond 3.0.
 */
function helloType(b: Uint8Array): number | "short" | undefined {
  if (b.length === 0) return "short";
  const t = b[0]!;
  if (!((t >= 0x14 && t <= 0x17) || t === 0xff)) return undefined;
  if (b.length < 9) return "short";
  if ((b[1]! << 16) + b[2]! < 0x30000) return undefined;
  if ((b[3]! << 8) + b[4]! < 4) return undefined;
  const len = (b[6]! << 16) + (b[7]! << 8) + b[8]!;
  return b.length < 9 + len ? "short" : b[5]!;
}

/**
 * `smp_fetch_req_ssl_ver()`: the ClientHello's version (major × 65536 + minor) of an SSLv3+
 * record, or of an SSLv2-format hello, once the first message (capped to the buffer) is in.
 */
function sslVersion(b: Uint8Array, limit: number): number | "short" | undefined {
  const n = b.length;
  if (n === 0) return "short";
  const t = b[0]!;
  let version: number;
  let msgLen: number;
  let left: number;
  if ((t >= 0x14 && t <= 0x17) || t === 0xff) {
    if (n < 11) return "short";
    if ((b[1]! << 16) + b[2]! < 0x30000) return undefined;
    msgLen = (b[3]! << 8) + b[4]!;
    if (msgLen < 6 || msgLen > (1 << 14) + 2048) return undefined;
    version = (b[9]! << 16) + b[10]!;
    left = n - 5;
  } else {
    // SSLv2 header: 2 bytes (high bit set) or 3 bytes with a padding length, then a hello.
    const short = (t & 0x80) !== 0;
    const head = short ? 2 : 3;
    if (n < head + 1) return "short";
    const recLen = short ? ((t & 0x7f) << 8) | b[1]! : ((t & 0x3f) << 8) | b[1]!;
    const pad = short ? 0 : b[2]!;
    if (b[head] !== 0x01) return undefined;
    const p = head + 1;
    if (n < p + 8) return "short";
    version = (b[p]! << 16) | b[p + 1]!;
    const ciphers = (b[p + 2]! << 8) | b[p + 3]!;
    const sid = (b[p + 4]! << 8) | b[p + 5]!;
    const challenge = (b[p + 6]! << 8) | b[p + 7]!;
    if (ciphers % 3 !== 0 || (sid !== 0 && sid !== 16) || challenge < 16 || challenge > 32) return undefined;
    if (recLen !== 9 + ciphers + sid + challenge) return undefined;
    msgLen = ciphers + sid + challenge + pad;
    left = n - p - 8;
  }
  return left < Math.min(msgLen, limit) ? "short" : version;
}

/** `req.payload(off,len)`: `len` bytes at `off` (0: to the end), once they are in. */
function payloadSlice(ctx: SampleContext, [off, len]: readonly ArgValue[]): Uint8Array | "short" | undefined {
  const b = ctx.payload?.bytes;
  if (b === undefined) return undefined;
  const o = Number(off), l = Number(len);
  const end = l === 0 ? b.length : o + l;
  if (end > b.length || o > b.length) return "short";
  return b.subarray(o, end);
}

/**
 * `smp_fetch_proto_http()` on raw bytes: a complete request head that parses is HTTP, a parse
 * error is not, anything else is not known yet.
 */
function protoHttp(b: Uint8Array): boolean | "short" {
  const parser = new H1RequestParser();
  parser.push(b);
  try {
    return parser.read()?.type === "head" ? true : "short";
  } catch (e) {
    if (isH1Error(e)) return false;
    throw e;
  }
}

/** One char per byte, as proxykit's string samples hold binary data. */
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const hasMore = (v: unknown) => v === "short";

/**
 * How much of a message `req.ssl_ver` waits for at most: what fits in the request buffer
 * (HAProxy caps the message length to `channel_recv_limit()`).
 */
const SSL_VER_LIMIT = 16384 - 1024 - 5;

/** The layer 6 fetches, by name, merged into `FETCHES`. */
export const PAYLOAD_FETCHES: Readonly<Record<string, FetchSpec>> = {
  "req.len": {
    args: { types: [], min: 0 },
    type: "int",
    fetch: (ctx) => [int(ctx.payload!.bytes.length)],
    mayChange: open,
  },
  "req.payload": {
    args: { types: ["int", "int"], min: 2 },
    type: "str",
    fetch: (ctx, args) => {
      const s = payloadSlice(ctx, args);
      return s instanceof Uint8Array ? [str(latin1(s))] : [];
    },
    mayChange: (ctx, args) => open(ctx) && hasMore(payloadSlice(ctx, args)),
  },
  "req.proto_http": {
    args: { types: [], min: 0 },
    type: "bool",
    // In HTTP mode (no payload) the request is HTTP by construction.
    fetch: (ctx) => {
      if (ctx.payload === undefined) return [bool(true)];
      const v = protoHttp(ctx.payload.bytes);
      return v === "short" ? [] : [bool(v)];
    },
    mayChange: (ctx) => open(ctx) && protoHttp(ctx.payload!.bytes) === "short",
  },
  "req.ssl_hello_type": {
    args: { types: [], min: 0 },
    type: "int",
    fetch: (ctx) => {
      const t = ctx.payload === undefined ? undefined : helloType(ctx.payload.bytes);
      return typeof t === "number" ? [int(t)] : [];
    },
    mayChange: (ctx) => open(ctx) && hasMore(helloType(ctx.payload!.bytes)),
  },
  "req.ssl_ver": {
    args: { types: [], min: 0 },
    type: "int",
    fetch: (ctx) => {
      const v = ctx.payload === undefined ? undefined : sslVersion(ctx.payload.bytes, SSL_VER_LIMIT);
      return typeof v === "number" ? [int(v)] : [];
    },
    mayChange: (ctx) => open(ctx) && hasMore(sslVersion(ctx.payload!.bytes, SSL_VER_LIMIT)),
  },
  "req.ssl_sni": helloFetch("str", (h) => (h.sni === undefined ? [] : [str(h.sni)])),
  "req.ssl_alpn": helloFetch("str", (h) => (h.alpn ?? []).map(str)),
  "req.ssl_st_ext": helloFetch(
    "int",
    (h) => [int(h.sessionTicketLength === undefined ? 0 : h.sessionTicketLength > 0 ? 2 : 1)],
  ),
  "req.ssl_ec_ext": helloFetch("bool", (h) => [bool(h.supportedGroups)]),
};

/**
 * Deprecated names HAProxy still accepts (configuration.txt 7.3.5), same fetches.
 */
export const PAYLOAD_ALIASES: Readonly<Record<string, string>> = {
  req_ssl_hello_type: "req.ssl_hello_type",
  req_ssl_ver: "req.ssl_ver",
  req_ssl_sni: "req.ssl_sni",
  req_len: "req.len",
  req_proto_http: "req.proto_http",
};
