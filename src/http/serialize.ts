/**
 * A head back to bytes, as HAProxy 2.6 forwards it (`h1_format_htx_reqline()`,
 * `h1_format_htx_stline()` and `h1_process_mux()` in src/mux_h1.c): the start line rebuilt
 * with single spaces and `HTTP/1.1` for any version from 1.1, field names lowercase, `: `
 * between name and value, CRLF line ends, in one allocation. And the chunked coding written
 * again ({@link ChunkedEncoder}): sizes in uppercase hex, no extensions.
 *
 * Every byte written is checked, so a head changed by rules cannot inject a line: a name must
 * be a token, a value, target or reason must hold no CR, LF or NUL, and every char must be a
 * byte (latin1, up to U+00FF).
 *
 * @module
 */
import { outputBytes } from "../_bytes.ts";
import { TCHAR, URICHAR } from "./_chars.ts";
import type { RawFields } from "./_field_list.ts";
import { rawFields } from "./_parsed_head.ts";
import { type HeaderList, isVersion11, type MessageHead, type RequestHead, type ResponseHead } from "./head.ts";

/** Options of {@link serializeHead}. */
export interface SerializeOptions {
  /**
   * Appends `connection: close` or `connection: keep-alive` as the last field, as HAProxy's mux
   * adds its own when the connection mode needs saying (`close` to an HTTP/1.1 peer it will
   * close, `keep-alive` to an HTTP/1.0 peer it keeps).
   * @default none
   */
  readonly connection?: "close" | "keep-alive";
}

const CRLF = "\r\n";

/**
 * Serializes a request or response head. For a request, a `te` field is reduced to
 * `te: trailers` when `trailers` is one of its elements (case-sensitive) and dropped otherwise,
 * as `h1_process_mux()` does (only `trailers` may go to the next hop, RFC 9110 10.1.4).
 *
 * @throws {TypeError} when a part would break the message: a method or field name that is not
 *   a token, a target with bytes outside `!`..`~` or a `#`, a CR, LF or NUL in a value or the
 *   reason, a char above U+00FF, a status outside 100..999.
 */
export function serializeHead(head: MessageHead, options: SerializeOptions = {}): Uint8Array {
  return head.kind === "request" ? serializeRequestHead(head, options) : serializeResponseHead(head, options);
}

/** {@link serializeHead} for a request head. */
export function serializeRequestHead(head: RequestHead, options: SerializeOptions = {}): Uint8Array {
  checkToken(head.method, "method");
  for (let i = 0; i < head.target.length; i++) {
    if (!URICHAR[head.target.charCodeAt(i)] || head.target.charCodeAt(i) > 0xff) {
      throw new TypeError(`request target: invalid byte at ${i} in ${JSON.stringify(head.target)}`);
    }
  }
  if (head.target === "") throw new TypeError("request target: empty");
  const version = isVersion11(head.version) ? "HTTP/1.1" : head.version;
  checkText(version, "version");
  const start = `${head.method} ${head.target} ${version}`;
  const raw = rawFields(head);
  // A `te` field is rewritten (forwardedValue()): the strings serve then.
  if (raw !== undefined && !raw.has("te")) return writeRaw(start, raw, options);
  return write(start, head.headers, options, true);
}

/** {@link serializeHead} for a response head. A missing reason still gets its space (`HTTP/1.1 200 `). */
export function serializeResponseHead(head: ResponseHead, options: SerializeOptions = {}): Uint8Array {
  if (!Number.isInteger(head.status) || head.status < 100 || head.status > 999) {
    throw new TypeError(`status: must be an integer 100..999, got ${head.status}`);
  }
  checkText(head.reason, "reason");
  const version = isVersion11(head.version) ? "HTTP/1.1" : head.version;
  checkText(version, "version");
  const start = `${version} ${head.status} ${head.reason}`;
  const raw = rawFields(head);
  return raw !== undefined ? writeRaw(start, raw, options) : write(start, head.headers, options, false);
}

/**
 * Writes a chunked body again: the size line before each piece of data, the last chunk and the
 * trailers at the end. Each call returns fresh bytes (a chunk given to `Socket.write()` is
 * given up, so none is shared; small ones are views of a shared slab, see `outputBytes()`).
 *
 * @example
 * ```ts
 * import { ChunkedEncoder } from "./serialize.ts";
 *
 * const enc = new ChunkedEncoder();
 * const data = new TextEncoder().encode("hello");
 * const out = [enc.chunk(data.length), data, enc.end([["x-t", "1"]])];
 * // "5\r\n" "hello" "\r\n0\r\nx-t: 1\r\n\r\n"
 * ```
 */
export class ChunkedEncoder {
  #open = false;

  /** The bytes to write before `size` bytes of chunk data: the previous chunk's CRLF, then `HEX CRLF`. */
  chunk(size: number): Uint8Array {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`chunk size: must be > 0, got ${size}`);
    const line = (this.#open ? CRLF : "") + size.toString(16).toUpperCase() + CRLF;
    this.#open = true;
    return ascii(line);
  }

  /** The end of the body: the previous chunk's CRLF, `0 CRLF`, the trailer fields, CRLF. */
  end(trailers: HeaderList = []): Uint8Array {
    const open = this.#open;
    this.#open = false;
    return write("0", trailers, {}, false, open);
  }
}

/**
 * Start line, fields (lowercased names, checked), an optional `connection` field, the blank
 * line; `crlfFirst` puts the CRLF ending a chunk's data in front.
 */
function write(
  start: string,
  headers: HeaderList,
  options: SerializeOptions,
  request: boolean,
  crlfFirst = false,
): Uint8Array {
  // Two passes over the fields (size, then bytes) rather than a filtered copy of the list.
  let size = start.length + 4 + (crlfFirst ? 2 : 0);
  for (const f of headers) {
    const value = request ? forwardedValue(f) : f[1];
    if (value !== undefined) size += f[0].length + value.length + 4;
  }
  const connection = options.connection;
  if (connection) size += 14 + connection.length;
  const out = outputBytes(size);
  let p = 0;
  if (crlfFirst) {
    out[p++] = 13;
    out[p++] = 10;
  }
  p = put(out, p, start, "start line");
  out[p++] = 13;
  out[p++] = 10;
  for (const f of headers) {
    const value = request ? forwardedValue(f) : f[1];
    if (value !== undefined) p = putField(out, p, f[0], value);
  }
  if (connection) p = putField(out, p, "connection", connection);
  out[p++] = 13;
  out[p++] = 10;
  return out;
}

/**
 * {@link write} for fields as received ({@link RawFields}: checked by the parser, so only the
 * start line, made of parsed parts too but possibly changed since, is checked here).
 */
function writeRaw(start: string, raw: RawFields, options: SerializeOptions): Uint8Array {
  const connection = options.connection;
  const out = outputBytes(start.length + 4 + raw.wireSize() + (connection ? 14 + connection.length : 0));
  let p = put(out, 0, start, "start line");
  out[p++] = 13;
  out[p++] = 10;
  p = raw.write(out, p);
  if (connection) p = putField(out, p, "connection", connection);
  out[p++] = 13;
  out[p++] = 10;
  return out;
}

/**
 * The value a request field is forwarded with: a `te` field reduced to `trailers` when that
 * is one of its elements, else dropped (undefined); any other field as it is.
 */
function forwardedValue(f: readonly [string, string]): string | undefined {
  const [name, value] = f;
  if (name.length !== 2 || name.toLowerCase() !== "te") return value;
  return value.split(",").some((t) => t.trim() === "trailers") ? "trailers" : undefined;
}

/** Writes `name: value` CRLF at `p` (the name checked and lowercased, the value checked). */
function putField(out: Uint8Array, p: number, name: string, value: string): number {
  if (name === "") throw new TypeError("header name: empty");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || !TCHAR[c]) throw new TypeError(`header name: not a token: ${JSON.stringify(name)}`);
    out[p++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  out[p++] = 0x3a;
  out[p++] = 0x20;
  p = put(out, p, value, name);
  out[p++] = 13;
  out[p++] = 10;
  return p;
}

/** Copies `s` as bytes, refusing CR, LF, NUL and chars above U+00FF. */
function put(out: Uint8Array, p: number, s: string, what: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || c === 13 || c === 10 || c === 0) invalidChar(s, i, what);
    out[p++] = c;
  }
  return p;
}

/** Refuses what {@link put} refuses, copying nothing. */
function checkText(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || c === 13 || c === 10 || c === 0) invalidChar(s, i, what);
  }
}

function invalidChar(s: string, i: number, what: string): never {
  throw new TypeError(`${what}: invalid char U+${s.charCodeAt(i).toString(16).padStart(4, "0")} at ${i}`);
}

function checkToken(s: string, what: string): void {
  if (s === "") throw new TypeError(`${what}: empty`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || !TCHAR[c]) throw new TypeError(`${what}: not a token: ${JSON.stringify(s)}`);
  }
}

function ascii(s: string): Uint8Array {
  const out = outputBytes(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
