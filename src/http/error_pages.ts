/**
 * The responses the proxy itself produces: HAProxy 2.6's default error messages
 * (`http_err_msgs[]`, src/http.c) and their `errorfile <code> <file>` replacements
 * (configuration.txt 4.2 `errorfile`).
 *
 * HAProxy writes them two ways, and so does the mux: an error found before a stream exists
 * (a request the parser refuses, a timeout waiting for one) is written as raw bytes, the
 * default message as is ({@link defaultErrorMessage}: `Content-length`, `Cache-Control`,
 * `Content-Type` capitalised, `Connection: close` in 400 and 408); an error or denial of a
 * stream goes through HTX ({@link ErrorPages.reply}): names lowercased, the `Connection`
 * field replaced by the mux's own `connection: close` at the end. An empty errorfile makes
 * both send nothing (the connection is closed), as `errorfile 408 /dev/null` is meant to.
 *
 * @module
 */
import { H1Error } from "./error.ts";
import type { ResponseHead } from "./head.ts";
import { H1ResponseParser } from "./parser.ts";

/** What the proxy sends instead of a server's response. */
export interface HttpReply {
  /** The status code. */
  readonly status: number;
  /** The head, as the mux serializes it (names lowercase, no `Connection` field). */
  readonly head: ResponseHead;
  /** The body, complete. */
  readonly body: Uint8Array;
  /**
   * The message asks for the connection to close (`Connection: close` in it: the 400 and 408
   * messages): the mux ends its head with `connection: close` and closes after it.
   */
  readonly close: boolean;
}

/** Default messages: status line reason and the sentence of the body. */
const MESSAGES: Readonly<Record<number, readonly [reason: string, text: string]>> = {
  200: ["OK", "Service ready."],
  400: ["Bad request", "Your browser sent an invalid request."],
  401: ["Unauthorized", "You need a valid user and password to access this content."],
  403: ["Forbidden", "Request forbidden by administrative rules."],
  404: ["Not Found", "The resource could not be found."],
  405: ["Method Not Allowed", "A request was made of a resource using a request method not supported by that resource"],
  407: ["Unauthorized", "You need a valid user and password to access this content."],
  408: ["Request Time-out", "Your browser didn't send a complete request in time."],
  410: ["Gone", "The resource is no longer available and will not be available again."],
  413: ["Payload Too Large", "The request entity exceeds the maximum allowed."],
  421: ["Misdirected Request", "Request sent to a non-authoritative server."],
  422: ["Unprocessable Content", "The server cannot process the contained instructions."],
  425: ["Too Early", "Your browser sent early data."],
  429: ["Too Many Requests", "You have sent too many requests in a given amount of time."],
  500: ["Internal Server Error", "An internal server error occurred."],
  501: ["Not Implemented", ".The server does not support the functionality required to fulfill the request."],
  502: ["Bad Gateway", "The server returned an invalid or incomplete response."],
  503: ["Service Unavailable", "No server is available to handle this request."],
  504: ["Gateway Time-out", "The server didn't respond in time."],
};

/** The statuses HAProxy 2.6 has a message for, which `errorfile` and `deny_status` accept. */
export const ERROR_STATUSES: readonly number[] = Object.keys(MESSAGES).map(Number);

/** Whether HAProxy has a default message for `status`. */
export function hasErrorMessage(status: number): boolean {
  return MESSAGES[status] !== undefined;
}

/**
 * The default message for `status` as HAProxy's mux writes it, byte for byte (latin1 text).
 *
 * @throws {RangeError} when `status` is not one of {@link ERROR_STATUSES}.
 */
export function defaultErrorMessage(status: number): string {
  const m = MESSAGES[status];
  if (m === undefined) throw new RangeError(`no default error message for status ${status}`);
  const body = `<html><body><h1>${status} ${m[0]}</h1>\n${m[1]}\n</body></html>\n`;
  const close = status === 400 || status === 408 ? "Connection: close\r\n" : "";
  return `HTTP/1.1 ${status} ${m[0]}\r\nContent-length: ${body.length}\r\nCache-Control: no-cache\r\n${close}` +
    `Content-Type: text/html\r\n\r\n${body}`;
}

function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** An errorfile refused: the message is HAProxy's text after `errorfile : `. */
export class ErrorFileError extends Error {}

/**
 * Reads a complete HTTP/1.1 response (an errorfile, a default message) into a reply, as
 * `http_str_to_htx()` checks it: a valid head, no chunked body, a body as long as its
 * `Content-Length` (the rest of the text when there is none). Empty content gives `undefined`.
 *
 * @throws {ErrorFileError} `'<name>': unable to parse headers (error offset: N)`, `'<name>':
 *   payload size does not match the announced content-length (4 != 10)`, `'<name>':
 *   chunk-encoded payload not supported`.
 */
export function parseErrorFile(content: string | Uint8Array, name: string): HttpReply | undefined {
  const raw = typeof content === "string" ? bytes(content) : content;
  if (raw.length === 0) return undefined;
  const parser = new H1ResponseParser();
  parser.expect("GET");
  parser.push(raw);
  let ev;
  try {
    ev = parser.read();
  } catch (e) {
    if (e instanceof H1Error) {
      throw new ErrorFileError(`'${name}': unable to parse headers (error offset: ${e.offset})`);
    }
    throw e;
  }
  if (ev === null || ev.type !== "head") {
    throw new ErrorFileError(`'${name}': unable to parse headers (error offset: -2)`);
  }
  if (ev.body === "chunked") throw new ErrorFileError(`'${name}': chunk-encoded payload not supported`);
  const body = raw.slice(ev.headBytes);
  if (ev.body === "length" && ev.contentLength !== body.length) {
    throw new ErrorFileError(
      `'${name}': payload size does not match the announced content-length (${body.length} != ${ev.contentLength})`,
    );
  }
  return { status: ev.head.status, head: ev.head, body, close: ev.connClose };
}

const DEFAULT_REPLIES = new Map<number, HttpReply>();

/** A copy of a reply whose head the caller may change. */
function fresh(r: HttpReply): HttpReply {
  return { ...r, head: { ...r.head, headers: r.head.headers.map(([n, v]) => [n, v]) } };
}

/**
 * The error replies of one proxy section: its `errorfile` replacements, validated when
 * built, over HAProxy's defaults.
 */
export class ErrorPages {
  readonly #files = new Map<number, HttpReply | undefined>();

  /**
   * Validates the replacements (`status` → the file's content; its name for messages).
   *
   * @throws {ErrorFileError} `status code '299' not handled.` or what {@link parseErrorFile}
   *   throws.
   */
  constructor(
    files: Iterable<{ readonly status: number; readonly content: string | Uint8Array; readonly name: string }> = [],
  ) {
    for (const f of files) {
      if (!hasErrorMessage(f.status)) throw new ErrorFileError(`status code '${f.status}' not handled.`);
      this.#files.set(f.status, parseErrorFile(f.content, f.name));
    }
  }

  /** Whether this section replaces the message of `status`. */
  has(status: number): boolean {
    return this.#files.has(status);
  }

  /**
   * The reply for `status` at stream level: the errorfile, else HAProxy's default; a fresh
   * copy each time. `undefined` when the errorfile is empty: send nothing and close.
   *
   * @throws {RangeError} when `status` has no default message and no errorfile.
   */
  reply(status: number): HttpReply | undefined {
    if (this.#files.has(status)) {
      const r = this.#files.get(status);
      return r === undefined ? undefined : fresh(r);
    }
    let r = DEFAULT_REPLIES.get(status);
    if (r === undefined) {
      r = parseErrorFile(defaultErrorMessage(status), String(status))!;
      DEFAULT_REPLIES.set(status, r);
    }
    return fresh(r);
  }

  /**
   * The bytes the mux writes for `status` before a stream exists: HAProxy's default message
   * (an errorfile replaces it only at stream level), or `undefined` when the errorfile is empty.
   *
   * @throws {RangeError} when `status` has no default message.
   */
  raw(status: number): Uint8Array | undefined {
    if (this.#files.has(status) && this.#files.get(status) === undefined) return undefined;
    return bytes(defaultErrorMessage(status));
  }
}

/**
 * The reply for `status` from the first of `pages` that replaces it (the backend's, then the
 * frontend's, as `http_error_message()` looks), else HAProxy's default.
 */
export function errorReply(status: number, ...pages: readonly (ErrorPages | undefined)[]): HttpReply | undefined {
  for (const p of pages) if (p?.has(status)) return p.reply(status);
  return (pages.find((p) => p !== undefined) ?? new ErrorPages()).reply(status);
}
