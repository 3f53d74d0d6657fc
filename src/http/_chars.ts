/**
 * Byte classes and byte-to-string helpers of the HTTP/1.1 parser: lookup tables indexed by
 * byte, as HAProxy's `http_char_classes` (src/http.c), so the hot loops test one array entry.
 *
 * @module
 */

/** `tchar` of RFC 9110 5.6.2: the bytes of a token (method, field name, coding, extension name). */
export const TCHAR: Uint8Array = new Uint8Array(256);
/**
 * Bytes of a version in a start line (HAProxy's `HTTP_FLG_VER`: `A-Z`, `0-9`, `.`, `/`); the
 * version is then checked to be exactly `HTTP/DIGIT.DIGIT` (requests) or 4 such bytes then
 * `/DIGIT.DIGIT` (responses), as `h1_process_req_vsn()`/`h1_process_res_vsn()` (src/h1_htx.c).
 */
export const VERCHAR: Uint8Array = new Uint8Array(256);
/**
 * Bytes allowed in a request target: `0x21-0x7E` except `#` (HAProxy `H1_MSG_RQURI`, with the
 * `#` refusal of commit 2eab6d354). Bytes from 0x80 are refused, as HAProxy since commit
 * b9bf16b38 (2.6 let some through in its word-at-a-time fast path).
 */
export const URICHAR: Uint8Array = new Uint8Array(256);
/** `qdtext` of a quoted-string (RFC 9110 5.6.4): HTAB, SP, `!`, `#-[`, `]-~`, obs-text. */
export const QDTEXT: Uint8Array = new Uint8Array(256);
/** Value of a hex digit plus one (0 for a non-hex byte). */
export const HEXVAL: Uint8Array = new Uint8Array(256);

for (let c = 0; c < 256; c++) {
  const alnum = c >= 0x30 && c <= 0x39 || c >= 0x41 && c <= 0x5a || c >= 0x61 && c <= 0x7a;
  TCHAR[c] = alnum || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)) ? 1 : 0;
  VERCHAR[c] = c >= 0x30 && c <= 0x39 || c >= 0x41 && c <= 0x5a || c === 0x2e || c === 0x2f ? 1 : 0;
  URICHAR[c] = c >= 0x21 && c <= 0x7e && c !== 0x23 ? 1 : 0;
  QDTEXT[c] = c === 0x09 || c === 0x20 || c === 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e ||
      c >= 0x80
    ? 1
    : 0;
  HEXVAL[c] = c >= 0x30 && c <= 0x39
    ? c - 0x2f
    : c >= 0x41 && c <= 0x46
    ? c - 0x36
    : c >= 0x61 && c <= 0x66
    ? c - 0x56
    : 0;
}

/** CR. */
export const CR = 0x0d;
/** LF. */
export const LF = 0x0a;
/** SP. */
export const SP = 0x20;
/** HTAB. */
export const HT = 0x09;

/** Decodes ASCII natively (a UTF-8 decoder is identical on ASCII, and fast on every runtime). */
const ASCII = new TextDecoder();

/**
 * The bytes `b[start..end)` as a string, one char per byte (latin1, lossless: `TextDecoder`'s
 * "latin1" is windows-1252, which is not). Field values are octets (RFC 9110 5.5), so a value
 * goes back to the same bytes when serialized. ASCII, the common case, goes through the native
 * decoder; `String.fromCharCode` takes the rest. `ascii`: the caller knows the bytes are ASCII.
 */
export function latin1(b: Uint8Array, start: number, end: number, ascii = false): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  if (ascii) return ASCII.decode(b.subarray(start, end));
  let high = 0;
  for (let i = start; i < end; i++) high |= b[i]!;
  if (high < 0x80) return ASCII.decode(b.subarray(start, end));
  let s = "";
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/**
 * Whether `b[start..end)` equals `lower` ignoring ASCII case; `lower` is lowercase ASCII.
 * Field names and codings are case-insensitive (RFC 9110 5.1, 10.1.4).
 */
export function eqLower(b: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = b[start + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether `a[as..ae)` and `b[bs..be)` are equal ignoring ASCII case (duplicate `Host` values). */
export function eqBytesLower(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) {
    let x = a[as + i]!, y = b[bs + i]!;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}
