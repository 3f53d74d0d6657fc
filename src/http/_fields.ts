/**
 * The header fields HAProxy's HTTP/1 parser interprets while it reads them
 * (`h1_headers_to_hdr_list()`, src/h1.c): `Content-Length`, `Transfer-Encoding`, `Connection`
 * and `Upgrade`, read from the bytes of their value.
 *
 * @module
 */
import { CR, eqLower, HT, latin1, LF, SP } from "./_chars.ts";

/** A `Content-Length` header field was seen (HAProxy `H1_MF_CLEN`). */
export const F_CLEN = 1 << 0;
/** A `Transfer-Encoding` header field was seen (`H1_MF_XFER_ENC`). */
export const F_XFER_ENC = 1 << 1;
/** `chunked` is the final transfer coding (`H1_MF_CHNK`). */
export const F_CHNK = 1 << 2;
/** `chunked` was seen among the codings (`H1_MF_TE_CHUNKED`). */
export const F_TE_CHUNKED = 1 << 3;
/** A coding other than `chunked` was seen (`H1_MF_TE_OTHER`). */
export const F_TE_OTHER = 1 << 4;
/** `Connection` has `close` (`H1_MF_CONN_CLO`). */
export const F_CONN_CLO = 1 << 5;
/** `Connection` has `keep-alive` (`H1_MF_CONN_KAL`). */
export const F_CONN_KAL = 1 << 6;
/** `Connection` has `upgrade` (`H1_MF_CONN_UPG`). */
export const F_CONN_UPG = 1 << 7;
/** An `Upgrade` header field was seen. */
export const F_UPGRADE = 1 << 8;
/** `Upgrade` lists `websocket` (`H1_MF_UPG_WEBSOCKET`). */
export const F_UPG_WEBSOCKET = 1 << 9;
/** `Sec-WebSocket-Key` (request) or `Sec-WebSocket-Accept` (response) was seen. */
export const F_WS_KEY = 1 << 10;

/** Largest `Content-Length` HAProxy can hold (it fails on 64-bit overflow). */
const CL_OVERFLOW = 2 ** 64;

/**
 * HAProxy's `HTTP_IS_LWS`: SP, HTAB, CR, LF. CR and LF only occur inside a value where an
 * obs-fold was, which HAProxy turns into spaces before reading the value.
 */
const isOws = (c: number) => c === SP || c === HT || c === CR || c === LF;

/**
 * Reads a `Content-Length` value as `h1_parse_cont_len_header()` (src/h1.c): a comma-separated
 * list of digit strings with optional whitespace around each, every one equal (to each other
 * and to `previous`, the value of an earlier field, or -1). Empty values and empty elements
 * are refused (CVE-2023-40225, HAProxy 2.8/Debian's 2.6). Returns the value, or -1 for an
 * invalid or differing one; `span` gets the last element's bounds, the value forwarded (2.6
 * keeps leading zeros: `005` stays `005`).
 */
export function parseContentLength(
  b: Uint8Array,
  start: number,
  end: number,
  previous: number,
  span: number[],
): number {
  let value = previous;
  let p = start;
  for (;;) {
    while (p < end && isOws(b[p]!)) p++;
    const d0 = p;
    let v = 0;
    while (p < end) {
      const d = b[p]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      p++;
    }
    if (p === d0 || v >= CL_OVERFLOW) return -1;
    span[0] = d0;
    span[1] = p;
    while (p < end && isOws(b[p]!)) p++;
    if (value >= 0 && v !== value) return -1;
    value = v;
    if (p === end) return value;
    if (b[p] !== 0x2c) return -1;
    p++;
  }
}

/**
 * Reads a `Transfer-Encoding` value as `h1_parse_xfer_enc_header()` (src/h1.c, with HAProxy
 * 3.1's refusal of empty codings, commits 428451fe9 and 4a2dd6f37: `chunked,` has an empty
 * final coding). Returns the updated flags, or -1 when the value is refused: empty, an empty
 * coding, `chunked` twice (RFC 9112 7: "MUST NOT apply chunked more than once"), or, in a
 * request, a coding after `chunked` (RFC 9112 6.3: chunked must be final).
 */
export function parseTransferEncoding(
  b: Uint8Array,
  start: number,
  end: number,
  flags: number,
  response: boolean,
): number {
  if (start === end) return -1;
  flags |= F_XFER_ENC;
  let p = start;
  for (;;) {
    while (p < end && isOws(b[p]!)) p++;
    const w0 = p;
    while (p < end && b[p] !== 0x2c) p++;
    let w1 = p;
    while (w1 > w0 && isOws(b[w1 - 1]!)) w1--;
    if (w1 === w0) return -1;
    flags &= ~F_CHNK;
    if (eqLower(b, w0, w1, "chunked")) {
      if (flags & F_TE_CHUNKED) return -1;
      flags |= F_TE_CHUNKED | F_CHNK;
    } else {
      if (!response && flags & F_TE_CHUNKED) return -1;
      flags |= F_TE_OTHER;
    }
    if (p === end) return flags;
    p++;
  }
}

/**
 * Reads a `Connection` value as `h1_parse_connection_header()` with `H1_MF_CLEAN_CONN_HDR`
 * (src/h1.c; HAProxy's mux always sets it): notes `close`, `keep-alive` and `upgrade`, and
 * removes the first two from the value. Returns the flags; `out[0]` is set to the value to keep
 * when a token was removed, to `""` when none is left (an empty value too: drop the field, as
 * HAProxy does), else to `undefined` (keep the value verbatim).
 * Kept tokens are joined with a bare comma (`keep-alive, X-Foo, Upgrade` → `X-Foo,Upgrade`).
 */
export function parseConnection(
  b: Uint8Array,
  start: number,
  end: number,
  flags: number,
  out: (string | undefined)[],
): number {
  const kept: [number, number][] = [];
  let removed = false;
  let p = start;
  while (p < end) {
    while (p < end && (isOws(b[p]!) || b[p] === 0x2c)) p++;
    const w0 = p;
    while (p < end && b[p] !== 0x2c) p++;
    let w1 = p;
    while (w1 > w0 && isOws(b[w1 - 1]!)) w1--;
    if (w1 === w0) continue;
    if (eqLower(b, w0, w1, "close")) {
      flags |= F_CONN_CLO;
      removed = true;
    } else if (eqLower(b, w0, w1, "keep-alive")) {
      flags |= F_CONN_KAL;
      removed = true;
    } else {
      if (eqLower(b, w0, w1, "upgrade")) flags |= F_CONN_UPG;
      kept.push([w0, w1]);
    }
  }
  out[0] = kept.length === 0 ? "" : removed ? kept.map(([s, e]) => latin1(b, s, e)).join(",") : undefined;
  return flags;
}

/** Reads an `Upgrade` value: notes the field and a `websocket` protocol (`h1_parse_upgrade_header()`). */
export function parseUpgrade(b: Uint8Array, start: number, end: number, flags: number): number {
  flags |= F_UPGRADE;
  let p = start;
  while (p < end) {
    while (p < end && (isOws(b[p]!) || b[p] === 0x2c)) p++;
    const w0 = p;
    while (p < end && b[p] !== 0x2c && b[p] !== 0x2f) p++; // a protocol version follows '/'
    let w1 = p;
    while (w1 > w0 && isOws(b[w1 - 1]!)) w1--;
    if (eqLower(b, w0, w1, "websocket")) flags |= F_UPG_WEBSOCKET;
    while (p < end && b[p] !== 0x2c) p++;
  }
  return flags;
}
