/**
 * The parsed head of an HTTP/1.1 message and helpers to read and change its header fields.
 *
 * Field names are lowercase, as HAProxy keeps and emits them (its HTX stores names lowercased
 * and `mux_h1` writes them so, in both directions); order and repeated fields are kept. Values
 * are strings with one char per byte (latin1), trimmed of surrounding whitespace, obs-folds
 * flattened to spaces.
 *
 * @module
 */
import { rawFields } from "./_parsed_head.ts";

/** One header field: `[name, value]`, the name lowercase. */
export type HeaderField = [name: string, value: string];

/** The header fields of a head, in order, repeated names kept. */
export type HeaderList = HeaderField[];

/** A request head: request line and header fields. */
export interface RequestHead {
  /** Discriminates requests from responses. */
  readonly kind: "request";
  /** The method as received, case kept (`get` is not `GET`: methods are case-sensitive). */
  method: string;
  /**
   * The request target: origin-form `/p?q`, absolute-form `http://h/p` (forwarded as such,
   * with an explicit default port removed), authority-form `host:port` or `*`.
   */
  target: string;
  /** The version as received, `HTTP/x.y`; serialized as `HTTP/1.1` from 1.1 up. */
  version: string;
  /** The header fields. */
  headers: HeaderList;
}

/** The request of a log line without one (a refused request, a TCP stream): samples find nothing. */
export const NO_REQUEST: RequestHead = Object.freeze({
  kind: "request",
  method: "",
  target: "",
  version: "",
  headers: [],
}) as RequestHead;

/** A response head: status line and header fields. */
export interface ResponseHead {
  /** Discriminates responses from requests. */
  readonly kind: "response";
  /** The version as received; serialized as `HTTP/1.1` from 1.1 up. */
  version: string;
  /** The status code, 100 to 999. */
  status: number;
  /** The reason phrase as received, possibly empty. */
  reason: string;
  /** The header fields. */
  headers: HeaderList;
}

/** Either head. */
export type MessageHead = RequestHead | ResponseHead;

/**
 * Whether a version is HTTP/1.1 or later (`HTTP/1.1`, `HTTP/2.0`...), which HAProxy marks
 * `H1_MF_VER_11` and forwards as `HTTP/1.1`; earlier ones (`HTTP/1.0`) are forwarded as is.
 */
export function isVersion11(version: string): boolean {
  if (version.length !== 8) return false;
  const major = version.charCodeAt(5), minor = version.charCodeAt(7);
  return major > 0x31 && major <= 0x39 || major === 0x31 && minor >= 0x31 && minor <= 0x39;
}

/**
 * The size HAProxy 2.6 counts for a head in its byte counters and the log's `%B`/`%U`: not the
 * bytes on the wire but the head's size in HAProxy's internal HTX form, a 20-byte start-line
 * block plus its three strings (method, target, version or version, status, reason), each
 * field's name and value, and one byte for the end of the head. The `connection` field the mux
 * adds when writing (`close`, `keep-alive`) is not counted. Observed byte for byte on 2.6: a
 * 403 deny counts 192 for 189 bytes sent, `HTTP/1.1 200 OK` with `content-length: 2` and a
 * 2-byte body 51 for 40.
 */
export function htxSize(head: MessageHead): number {
  let n = head.kind === "request"
    ? 21 + head.method.length + head.target.length + head.version.length
    : 21 + head.version.length + String(head.status).length + head.reason.length;
  const raw = rawFields(head);
  if (raw !== undefined) return n + raw.htxSize();
  for (const [name, value] of head.headers) n += name.length + value.length;
  return n;
}

/** The HTX size of a trailer section: each field's name and value, and one byte for its end. */
export function htxTrailersSize(trailers: HeaderList): number {
  let n = 1;
  for (const [name, value] of trailers) n += name.length + value.length;
  return n;
}

/** The value of the first field named `name` (any case), or `undefined`. */
export function getHeader(headers: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const f of headers) if (f[0] === n) return f[1];
  return undefined;
}

/** The values of every field named `name` (any case), in order. */
export function getHeaders(headers: HeaderList, name: string): string[] {
  const n = name.toLowerCase();
  const out: string[] = [];
  for (const f of headers) if (f[0] === n) out.push(f[1]);
  return out;
}

/** Whether a field named `name` (any case) is present. */
export function hasHeader(headers: HeaderList, name: string): boolean {
  return getHeader(headers, name) !== undefined;
}

/**
 * Appends a field at the end, as HAProxy's `http-request add-header` and `option forwardfor`
 * do (never merged into an earlier field). The name is stored lowercase.
 */
export function appendHeader(headers: HeaderList, name: string, value: string): void {
  headers.push([name.toLowerCase(), value]);
}

/**
 * Sets a field: the first field of that name takes the value and the others are removed, or
 * the field is appended if there was none (HAProxy's `set-header` removes then appends; keeping
 * the first position disturbs the order less).
 */
export function setHeader(headers: HeaderList, name: string, value: string): void {
  const n = name.toLowerCase();
  let found = false;
  for (let i = 0; i < headers.length;) {
    const f = headers[i]!;
    if (f[0] !== n) i++;
    else if (!found) {
      f[1] = value;
      found = true;
      i++;
    } else headers.splice(i, 1);
  }
  if (!found) headers.push([n, value]);
}

/** Removes every field named `name` (any case); returns how many were removed. */
export function deleteHeader(headers: HeaderList, name: string): number {
  const n = name.toLowerCase();
  let removed = 0;
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i]![0] === n) {
      headers.splice(i, 1);
      removed++;
    }
  }
  return removed;
}

/**
 * The elements of a comma-separated list value (RFC 9110 5.6.1), trimmed of whitespace, empty
 * elements skipped. Case is kept.
 */
export function listTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const t = part.replace(/^[ \t]+|[ \t]+$/g, "");
    if (t !== "") out.push(t);
  }
  return out;
}

/**
 * The connection options of a head: the tokens of every `Connection` field, lowercase
 * (RFC 9110 7.6.1). A parsed head has no `close` or `keep-alive` token left (HAProxy removes
 * them, see the head event's `connClose`/`connKeepAlive`), so this lists the others
 * (`upgrade`, names of hop-by-hop fields).
 */
export function connectionTokens(headers: HeaderList): string[] {
  const out: string[] = [];
  for (const f of headers) {
    if (f[0] === "connection") { for (const t of listTokens(f[1])) out.push(t.toLowerCase()); }
  }
  return out;
}

/** Whether `Connection` lists `token` (case-insensitive). */
export function hasConnectionToken(headers: HeaderList, token: string): boolean {
  return connectionTokens(headers).includes(token.toLowerCase());
}
