/**
 * A TLS ClientHello read from the bytes a client sent before any TLS layer touched them: the
 * record header, the handshake header and the ClientHello's fields that routing reads (SNI,
 * ALPN, supported versions, session ticket, elliptic curves), as HAProxy's payload fetches
 * read them (configuration.txt 7.3.5, `req.ssl_sni`, `req.ssl_alpn`, `req.ssl_st_ext`,
 * `req.ssl_ec_ext`).
 *
 * The parser is incremental in the simplest way: call it again on the grown buffer. It never
 * reads past the buffer, checks every length against what encloses it, and answers one of:
 * - `need-more`: the bytes so far are a prefix of a ClientHello; more may tell;
 * - `not-tls`: the first bytes are not a TLS handshake record (another protocol);
 * - `malformed`: a TLS handshake record whose content is no ClientHello proxykit can read;
 * - `ok`: the whole handshake message is buffered; the fields are those found in the first
 *   record. A length that lies in the ClientHello's framing (session id, suites, the
 *   extension list, an extension's length) ends the walk, what was found before it stays;
 *   one inside an extension spoils that extension's field only (HAProxy's fetches each walk
 *   the framing and check the inside of their own extension only).
 *
 * As HAProxy, only the first record is read: a ClientHello fragmented over two records
 * (legal, rare) is reported `ok` with `fragmented` set and the fields found in the first one.
 *
 * @module
 */

/** TLS record content type of a handshake (RFC 8446 5.1). */
export const RECORD_HANDSHAKE = 0x16;
/** Handshake type of a ClientHello (RFC 8446 4). */
export const HANDSHAKE_CLIENT_HELLO = 1;

/** Extension numbers read (IANA TLS ExtensionType registry). */
const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_ALPN = 16;
const EXT_SESSION_TICKET = 35;
const EXT_SUPPORTED_VERSIONS = 43;

/** The fields of a ClientHello that routing reads. */
export interface ClientHello {
  /** The record layer version, major × 256 + minor (0x0301 for most clients). */
  readonly recordVersion: number;
  /** The first record's length, bytes after its 5-byte header. */
  readonly recordLength: number;
  /** The handshake message's length, bytes after its 4-byte header. */
  readonly handshakeLength: number;
  /** The handshake message continues past the first record (only that record was read). */
  readonly fragmented: boolean;
  /** `legacy_version`, major × 256 + minor (0x0303 for TLS 1.2 and 1.3 clients). */
  readonly clientVersion: number;
  /**
   * The `server_name` extension's first entry when it is a host name, as sent (one char per
   * byte, case kept: HAProxy matches it case-sensitively unless `-i`). `undefined`: none.
   */
  readonly sni: string | undefined;
  /** ALPN protocol names in the client's order (one char per byte); `undefined`: no extension. */
  readonly alpn: readonly string[] | undefined;
  /** `supported_versions` (TLS 1.3 clients), in order; `undefined`: no extension. */
  readonly supportedVersions: readonly number[] | undefined;
  /** `session_ticket`: `undefined` absent, else the ticket's length (0: an empty one). */
  readonly sessionTicketLength: number | undefined;
  /** The `supported_groups` (formerly elliptic curves) extension is present. */
  readonly supportedGroups: boolean;
  /**
   * The first thing wrong: why the walk stopped early (a length that lies, the end of the
   * first record), or an extension whose inside is malformed (that one field is then
   * missing, the others are read). `undefined`: nothing.
   */
  readonly problem: string | undefined;
}

/** What {@link parseClientHello} makes of a buffer (see the module doc). */
export type ClientHelloResult =
  | { readonly status: "need-more" }
  | { readonly status: "not-tls" }
  | { readonly status: "malformed"; readonly reason: string }
  | { readonly status: "ok"; readonly hello: ClientHello };

const NEED_MORE: ClientHelloResult = { status: "need-more" };
const NOT_TLS: ClientHelloResult = { status: "not-tls" };

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const latin1 = (b: Uint8Array, from: number, to: number): string => {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
};

/**
 * Reads the ClientHello at the start of `buf` (see the module doc for the outcomes). Cost is
 * linear in the ClientHello's size; nothing is copied but the strings returned.
 *
 * @example Routing on the SNI of the first bytes a client sent
 * ```ts
 * import { parseClientHello } from "@proxykit/proxykit";
 *
 * declare const received: Uint8Array; // what the client sent so far
 * const r = parseClientHello(received);
 * if (r.status === "ok") console.log(r.hello.sni); // e.g. "a.test"
 * else if (r.status === "need-more") console.log("wait for more bytes");
 * ```
 */
export function parseClientHello(buf: Uint8Array): ClientHelloResult {
  const n = buf.length;
  if (n === 0) return NEED_MORE;
  // HAProxy's req.ssl_sni: a handshake record, record major version 3 or more.
  if (buf[0] !== RECORD_HANDSHAKE) return NOT_TLS;
  if (n < 2) return NEED_MORE;
  if (buf[1]! < 3) return NOT_TLS;
  if (n < 6) return NEED_MORE;
  const recordLength = u16(buf, 3);
  if (buf[5] !== HANDSHAKE_CLIENT_HELLO) return { status: "malformed", reason: `handshake type ${buf[5]}` };
  if (n < 9) return NEED_MORE;
  const handshakeLength = (buf[6]! << 16) | (buf[7]! << 8) | buf[8]!;
  // Version, random, session id length, cipher suites length, one suite, compression.
  if (handshakeLength < 2 + 32 + 1 + 2 + 2 + 1 + 1) return { status: "malformed", reason: "handshake too short" };
  if (recordLength < 4 + 2 + 32 + 1) return { status: "malformed", reason: "record too short" };
  if (n < 9 + handshakeLength) return NEED_MORE;
  const fragmented = 4 + handshakeLength > recordLength;
  return { status: "ok", hello: readHello(buf, recordLength, handshakeLength, fragmented) };
}

/** Mutable fields while walking. */
interface Walk {
  clientVersion: number;
  sni: string | undefined;
  alpn: string[] | undefined;
  supportedVersions: number[] | undefined;
  sessionTicketLength: number | undefined;
  supportedGroups: boolean;
  problem: string | undefined;
  /** The server_name extension HAProxy reads was seen (a later one is ignored). */
  sniDone: boolean;
  /** The ALPN extension was seen. */
  alpnDone: boolean;
}

/** Reads the ClientHello body, whose whole handshake message is buffered. */
function readHello(buf: Uint8Array, recordLength: number, handshakeLength: number, fragmented: boolean): ClientHello {
  const w: Walk = {
    clientVersion: u16(buf, 9),
    sni: undefined,
    alpn: undefined,
    supportedVersions: undefined,
    sessionTicketLength: undefined,
    supportedGroups: false,
    problem: undefined,
    sniDone: false,
    alpnDone: false,
  };
  const stop = walk(buf, 9 + handshakeLength, Math.min(5 + recordLength, 9 + handshakeLength), w);
  if (stop !== undefined) w.problem ??= stop;
  const { sniDone: _s, alpnDone: _a, ...fields } = w;
  return { recordVersion: u16(buf, 1), recordLength, handshakeLength, fragmented, ...fields };
}

/**
 * The body walk over `buf[9, msgEnd)`; returns why it stopped early, or `undefined`. Lengths
 * are checked against the message (`msgEnd`, from the handshake header); bytes are read only
 * inside the first record (`recEnd`): past it, the walk stops, what was found stays.
 */
function walk(buf: Uint8Array, msgEnd: number, recEnd: number, w: Walk): string | undefined {
  const PAST = "the message continues past the first record";
  // HAProxy wants TLS 1.0 or later in the ClientHello (major 3 or more, minor 1 or more).
  if (buf[9]! < 3 || buf[10]! < 1) return "client version below TLS 1.0";
  let p = 9 + 2 + 32;
  if (p + 1 > recEnd) return PAST;
  const sid = buf[p]!;
  if (sid > 32) return "session id longer than 32 bytes";
  p += 1 + sid;
  if (p + 2 > msgEnd) return "truncated before the cipher suites";
  if (p + 2 > recEnd) return PAST;
  const suites = u16(buf, p);
  if (suites < 2) return "no cipher suite";
  p += 2 + suites;
  if (p + 1 > msgEnd) return "truncated before the compression methods";
  if (p + 1 > recEnd) return PAST;
  const comp = buf[p]!;
  if (comp < 1) return "no compression method";
  p += 1 + comp;
  if (p > msgEnd) return "truncated in the compression methods";
  if (p === msgEnd) return undefined; // No extensions at all (legal before TLS 1.3).
  if (p + 2 > msgEnd) return "truncated before the extensions";
  if (p + 2 > recEnd) return PAST;
  const extEnd = p + 2 + u16(buf, p);
  if (extEnd > msgEnd) return "extensions longer than the message";
  p += 2;
  while (p + 4 <= extEnd) {
    if (p + 4 > recEnd) return PAST;
    const type = u16(buf, p);
    const len = u16(buf, p + 2);
    const body = p + 4;
    if (body + len > extEnd) return `extension ${type} longer than the extensions`;
    if (body + len > recEnd) return PAST;
    // A problem inside one extension spoils that extension only, as each HAProxy fetch
    // checks the framing of every extension but the inside of its own only.
    const problem = readExtension(buf, type, body, body + len, extEnd, w);
    w.problem ??= problem;
    p = body + len;
  }
  return undefined;
}

/**
 * One extension's body `buf[p, end)`, `extEnd` being the end of the extension list; returns
 * a problem, or `undefined`.
 */
function readExtension(
  buf: Uint8Array,
  type: number,
  p: number,
  end: number,
  extEnd: number,
  w: Walk,
): string | undefined {
  switch (type) {
    case EXT_SERVER_NAME: {
      // As HAProxy: the first entry only, and only a host_name (type 0: another type sends
      // HAProxy on to the next server_name extension); the entry list and the name are
      // bounded by the extension list, not by the extension's or the entry list's own length
      // (smaller ones are not checked). Unlike HAProxy, the name must end inside the
      // extension list: HAProxy would return bytes past it (its exact match then stops at
      // the first NUL).
      if (w.sniDone) return undefined;
      const listEnd = end - p < 2 ? -1 : p + 2 + u16(buf, p);
      const valid = listEnd <= extEnd && listEnd - p - 2 >= 4;
      if (valid && buf[p + 2] !== 0) return undefined;
      w.sniDone = true;
      if (!valid) return "server_name list too short or too long";
      const nameEnd = p + 5 + u16(buf, p + 3);
      if (nameEnd > extEnd) return "host name longer than the extensions";
      w.sni = latin1(buf, p + 5, nameEnd);
      return undefined;
    }
    case EXT_ALPN: {
      // As HAProxy: the names run to the end of the extension, whatever the list's own
      // length says; a name running past it ends the list (the names before it stay).
      if (w.alpnDone) return undefined;
      w.alpnDone = true;
      if (end - p < 3) return "ALPN extension too short";
      const names: string[] = [];
      w.alpn = names;
      for (let q = p + 2; q < end;) {
        const len = buf[q]!;
        if (q + 1 + len > end) return "ALPN name longer than its extension";
        names.push(latin1(buf, q + 1, q + 1 + len));
        q += 1 + len;
      }
      return undefined;
    }
    case EXT_SUPPORTED_VERSIONS: {
      if (p + 1 > end) return "supported_versions without a list";
      const listEnd = p + 1 + buf[p]!;
      if (listEnd > end || (listEnd - p - 1) % 2 !== 0) return "supported_versions list malformed";
      const versions: number[] = [];
      for (let q = p + 1; q < listEnd; q += 2) versions.push(u16(buf, q));
      w.supportedVersions ??= versions;
      return undefined;
    }
    case EXT_SESSION_TICKET:
      w.sessionTicketLength ??= end - p;
      return undefined;
    case EXT_SUPPORTED_GROUPS:
      w.supportedGroups = true;
      return undefined;
    default:
      return undefined;
  }
}
