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
 * The parsers themselves are `_proxy_protocol_v1.ts` and `_proxy_protocol_v2.ts`.
 *
 * @module
 */
import type { Address } from "./net.ts";
import { fail, INCOMPLETE, PP2_MAX_LENGTH, PP2_SIGNATURE, prefixMatches, V1_PREFIX } from "./_proxy_protocol_common.ts";
import { parseV1 } from "./_proxy_protocol_v1.ts";
import { parseV2 } from "./_proxy_protocol_v2.ts";

export {
  PP1_MAX_LENGTH,
  PP2_AUTHORITY_MAX,
  PP2_CLIENT,
  PP2_MAX_LENGTH,
  PP2_SIGNATURE,
  PP2_TLV_MAX,
  PP2_TYPE,
  PP2_UNIQUE_ID_MAX,
  PROXY_ERROR_MESSAGES,
} from "./_proxy_protocol_common.ts";

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
