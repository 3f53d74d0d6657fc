/**
 * What the PROXY protocol parsers share (`proxy_protocol.ts` re-exports the public part):
 * HAProxy's limits and error texts, the v2 signature and TLV types, and the helpers that
 * build answers.
 *
 * @module
 */
import type {
  ProxyHeaderError,
  ProxyHeaderErrorCode,
  ProxyHeaderIncomplete,
  ProxyProtocolErrorCode,
  ProxyTlv,
  ProxyTlvs,
} from "./proxy_protocol.ts";

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

/** The one `incomplete` answer (no allocation while waiting). */
export const INCOMPLETE: ProxyHeaderIncomplete = Object.freeze({ state: "incomplete" });
/** The TLVs of a header without any (v1, LOCAL). */
export const NO_TLVS: ProxyTlvs = Object.freeze({ others: Object.freeze([]) as readonly ProxyTlv[] });
/** Decodes UTF-8 TLV values (AUTHORITY, UNIQUE_ID, CN, paths), never throwing. */
export const UTF8 = new TextDecoder("utf-8", { fatal: false });

/** Bytes the parsers look for. */
export const CR = 0x0d, LF = 0x0a, SP = 0x20, DOT = 0x2e, COLON = 0x3a;
/** `PROXY `: how every v1 header starts. */
export const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, SP]; // "PROXY "

/** A refusal with HAProxy's text for `code`. */
export function fail(code: ProxyHeaderErrorCode, detail: string): ProxyHeaderError {
  return { state: "error", code, reason: PROXY_ERROR_MESSAGES[code], detail };
}

/** Whether `buf[from..]` matches the start of `want` for as many bytes as both have. */
export function prefixMatches(buf: Uint8Array, from: number, want: readonly number[]): boolean {
  const n = Math.min(buf.length - from, want.length);
  for (let i = 0; i < n; i++) if (buf[from + i] !== want[i]) return false;
  return true;
}
