/**
 * Size limits of the HTTP/1.1 parser, with HAProxy's defaults and the status each one answers.
 *
 * HAProxy has no separate knobs for most of these: a head must fit in one buffer
 * (`tune.bufsize`) less the room kept for rewrites (`tune.maxrewrite`), and the header array
 * has `tune.http.maxhdr` slots (configuration.txt 3.2). The defaults below derive from those.
 *
 * @module
 */

/** `tune.bufsize`: HAProxy's buffer size, 16384 bytes by default (configuration.txt 3.2). */
export const HAPROXY_BUFSIZE = 16384;
/**
 * `tune.maxrewrite`: the part of a buffer HAProxy keeps free for header rewrites, 1024 bytes by
 * default (configuration.txt 3.2); a head must fit in the rest.
 */
export const HAPROXY_MAXREWRITE = 1024;
/**
 * `tune.http.maxhdr`: 101 slots in HAProxy's header array, the last one its end marker, so at
 * most 100 header fields are kept (configuration.txt 3.2; observed on 2.6: the 101st field is
 * refused).
 */
export const HAPROXY_MAXHDR = 101;

/**
 * Largest head by default: `tune.bufsize - tune.maxrewrite` = 15360 bytes. HAProxy 2.6 checks
 * the head's HTX form against that budget (`h1_parse_msg_hdrs()`, src/h1_htx.c), which refuses
 * raw heads from about 15.3 KB; counting raw bytes is the same budget without HTX's overhead.
 */
export const DEFAULT_MAX_HEAD_BYTES: number = HAPROXY_BUFSIZE - HAPROXY_MAXREWRITE;
/**
 * Longest request line by default: HAProxy has no separate limit, the line only has to fit in
 * the head's budget, so it is that budget.
 */
export const DEFAULT_MAX_REQUEST_LINE_BYTES: number = DEFAULT_MAX_HEAD_BYTES;
/** Most header (or trailer) fields by default: {@link HAPROXY_MAXHDR} less its end marker. */
export const DEFAULT_MAX_HEADERS: number = HAPROXY_MAXHDR - 1;
/**
 * Longest chunk-size line by default (size, extensions, line end). HAProxy refuses a chunk-size
 * line that does not fit in its buffer ("h1-htx: report an error on a too long chunk-size
 * line"); the head's budget is that bound.
 */
export const DEFAULT_MAX_CHUNK_LINE_BYTES: number = DEFAULT_MAX_HEAD_BYTES;
/** No body size limit by default, as HAProxy (which has none outside `http-request` rules). */
export const DEFAULT_MAX_BODY_BYTES: number = Number.POSITIVE_INFINITY;

/**
 * The parser's limits, all in bytes except {@link H1Limits.maxHeaders}. What exceeding each one
 * answers is said on the field; a response over any limit is a 502 for the client.
 */
export interface H1Limits {
  /**
   * Longest request line, without its line end. Longer: 414 URI Too Long (RFC 9110 15.5.15),
   * as HAProxy 3.1 (commit bc967758a); HAProxy 2.6 answers 400.
   * @default {@link DEFAULT_MAX_REQUEST_LINE_BYTES} (15360)
   */
  readonly maxRequestLineBytes: number;
  /**
   * Largest head: empty lines before it, start line, header fields, line ends. A request over
   * it answers 414 while still in its request line, else 431 Request Header Fields Too Large
   * (RFC 6585 5), as HAProxy 3.1; HAProxy 2.6 answers 400. Also bounds a trailer section.
   * @default {@link DEFAULT_MAX_HEAD_BYTES} (15360)
   */
  readonly maxHeadBytes: number;
  /**
   * Most header fields kept in a head (or a trailer section). A `Connection` field left empty
   * once its `close`/`keep-alive` tokens are removed, a repeated `Content-Length` and a repeated
   * equal `Host` are dropped and do not count, as in HAProxy. More: 431 (HAProxy answers 400).
   * @default {@link DEFAULT_MAX_HEADERS} (100)
   */
  readonly maxHeaders: number;
  /**
   * Longest chunk-size line (size, extensions, line end). Longer: 400.
   * @default {@link DEFAULT_MAX_CHUNK_LINE_BYTES} (15360)
   */
  readonly maxChunkLineBytes: number;
  /**
   * Largest body (sum of the chunk sizes, or the `Content-Length`). Larger: 413 Content Too
   * Large (RFC 9110 15.5.14), refused as soon as it is known (a `Content-Length` with the head).
   * @default {@link DEFAULT_MAX_BODY_BYTES} (no limit)
   */
  readonly maxBodyBytes: number;
}

/** The defaults of every limit, as listed on {@link H1Limits}. */
export const DEFAULT_H1_LIMITS: H1Limits = Object.freeze({
  maxRequestLineBytes: DEFAULT_MAX_REQUEST_LINE_BYTES,
  maxHeadBytes: DEFAULT_MAX_HEAD_BYTES,
  maxHeaders: DEFAULT_MAX_HEADERS,
  maxChunkLineBytes: DEFAULT_MAX_CHUNK_LINE_BYTES,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
});

/** The limits {@link resolveH1Limits} returned. */
const RESOLVED = new WeakSet<object>();

/**
 * Applies the defaults to the limits given and checks them.
 *
 * @throws {RangeError} when a limit is not a positive integer (`maxBodyBytes` may be `Infinity`);
 *   the message names the limit and its value.
 */
export function resolveH1Limits(limits?: Partial<H1Limits>): H1Limits {
  if (limits === undefined || limits === DEFAULT_H1_LIMITS) return DEFAULT_H1_LIMITS;
  // Limits this function returned are complete and checked: a parser per message (the
  // response parser of each HTTP transaction) does not resolve them again.
  if (RESOLVED.has(limits)) return limits as H1Limits;
  const r: H1Limits = {
    maxRequestLineBytes: limits.maxRequestLineBytes ?? DEFAULT_MAX_REQUEST_LINE_BYTES,
    maxHeadBytes: limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES,
    maxHeaders: limits.maxHeaders ?? DEFAULT_MAX_HEADERS,
    maxChunkLineBytes: limits.maxChunkLineBytes ?? DEFAULT_MAX_CHUNK_LINE_BYTES,
    maxBodyBytes: limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  for (const [key, value] of Object.entries(r)) {
    const ok = key === "maxBodyBytes" && value === Number.POSITIVE_INFINITY ||
      Number.isSafeInteger(value) && value > 0;
    if (!ok) throw new RangeError(`H1Limits.${key}: must be a positive integer, got ${value}`);
  }
  RESOLVED.add(r);
  return r;
}
