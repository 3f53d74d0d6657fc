/**
 * The chunked transfer coding, decoded byte by byte across input chunks (RFC 9112 7.1), after
 * HAProxy's `h1_parse_chunk_size()` and `h1_skip_chunk_crlf()` (include/haproxy/h1.h):
 *
 * - size: `1*HEXDIG`, leading zeros allowed, below 2^52 (HAProxy: 13 hex digits at most, "to
 *   never feed possibly bogus values from languages that use floats"); nothing before it;
 * - then whitespace (HAProxy accepts `5 `), then extensions or the line end;
 * - extensions are checked against RFC 9112 7.1.1 (`;` name [`=` token / quoted-string], BWS
 *   around `;` and `=`) and dropped: HAProxy only skips to the line end, but this parser
 *   re-frames the body, so nothing of them is forwarded either way;
 * - line ends: CRLF or a bare LF, as HAProxy (re-framed with CRLF); a CR without LF is refused;
 * - after the data: CRLF or LF, anything else refused.
 *
 * The data is handed out as views of the input; the last chunk's line ends the body and the
 * trailer section follows (scanned like header fields by the caller).
 *
 * @module
 */
import { CR, HEXVAL, HT, LF, QDTEXT, SP, TCHAR } from "./_chars.ts";
import { H1Error, type H1ErrorReason, type H1Side } from "./error.ts";
import type { H1Limits } from "./limits.ts";

const C_SIZE0 = 0, C_SIZE = 1, C_SIZE_WS = 2, C_EXT_SEMI = 3, C_EXT_NAME = 4, C_EXT_NAME_WS = 5;
const C_EXT_EQ = 6, C_EXT_TOKEN = 7, C_EXT_QS = 8, C_EXT_QP = 9, C_EXT_AFTER = 10, C_LINE_LF = 11;
const C_DATA = 12, C_DATA_CR = 13, C_DATA_LF = 14, C_LAST = 15;

/** 2^52: HAProxy refuses a chunk size from this value (`chunk & 0xF0000000000000`). */
const MAX_CHUNK = 2 ** 52;

/** See the module doc. One instance per parser, reused body after body. */
export class ChunkedDecoder {
  readonly #side: H1Side;
  readonly #limits: H1Limits;
  #state = C_SIZE0;
  #size = 0;
  #line = 0;
  #total = 0;
  /** After {@link step}: the data view found is `[viewStart, viewEnd)` of the buffer, when not empty. */
  viewStart = 0;
  /** See {@link viewStart}. */
  viewEnd = 0;

  /** A decoder for one side's bodies, with its limits. */
  constructor(side: H1Side, limits: H1Limits) {
    this.#side = side;
    this.#limits = limits;
  }

  /** Starts a new body. */
  begin(): void {
    this.#state = C_SIZE0;
    this.#size = this.#line = this.#total = 0;
  }

  /** Whether the last chunk's line has been read: the trailer section comes next. */
  get last(): boolean {
    return this.#state === C_LAST;
  }

  /**
   * Reads `b[p..end)` (`off0`: stream offset of `b[0]`, for errors) until data is found (then
   * `viewStart < viewEnd`), the last chunk's line is read, or the bytes run out. Returns where
   * it stopped. Throws {@link H1Error} on a framing error or over a limit.
   */
  step(b: Uint8Array, p: number, end: number, off0: number): number {
    this.viewStart = this.viewEnd = 0;
    let state = this.#state;
    const maxLine = this.#limits.maxChunkLineBytes;
    try {
      while (p < end) {
        if (state === C_DATA) {
          const n = Math.min(this.#size, end - p);
          this.viewStart = p;
          this.viewEnd = p += n;
          if ((this.#size -= n) === 0) state = C_DATA_CR;
          return p;
        }
        const c = b[p]!;
        if (state < C_DATA && ++this.#line > maxLine) throw this.#error("chunk-line-too-long", off0 + p);
        switch (state) {
          case C_SIZE0:
          case C_SIZE: {
            const v = HEXVAL[c]!;
            if (v !== 0) {
              this.#size = this.#size * 16 + v - 1;
              if (this.#size >= MAX_CHUNK) throw this.#error("bad-chunk-size", off0 + p);
              state = C_SIZE;
              break;
            }
            if (state === C_SIZE0) throw this.#error("bad-chunk-size", off0 + p); // empty, `-5`, ` 5`
            state = this.#afterWord(c, C_SIZE_WS, false, "bad-chunk-size", off0 + p);
            break;
          }
          case C_SIZE_WS:
          case C_EXT_AFTER:
          case C_EXT_NAME_WS:
            if (c === SP || c === HT) break;
            state = this.#afterWord(
              c,
              state,
              state === C_EXT_NAME_WS,
              state === C_SIZE_WS ? "bad-chunk-size" : "bad-chunk-extension",
              off0 + p,
            );
            break;
          case C_EXT_SEMI:
            if (c === SP || c === HT) break;
            if (!TCHAR[c]) throw this.#error("bad-chunk-extension", off0 + p);
            state = C_EXT_NAME;
            break;
          case C_EXT_NAME:
            if (!TCHAR[c]) state = this.#afterWord(c, C_EXT_NAME_WS, true, "bad-chunk-extension", off0 + p);
            break;
          case C_EXT_EQ:
            if (c === SP || c === HT) break;
            if (c === 0x22) state = C_EXT_QS;
            else if (TCHAR[c]) state = C_EXT_TOKEN;
            else throw this.#error("bad-chunk-extension", off0 + p);
            break;
          case C_EXT_TOKEN:
            if (!TCHAR[c]) state = this.#afterWord(c, C_EXT_AFTER, false, "bad-chunk-extension", off0 + p);
            break;
          case C_EXT_QS:
            if (c === 0x22) state = C_EXT_AFTER;
            else if (c === 0x5c) state = C_EXT_QP;
            else if (!QDTEXT[c]) throw this.#error("bad-chunk-extension", off0 + p);
            break;
          case C_EXT_QP: // quoted-pair: HTAB, SP, VCHAR, obs-text
            if (c !== HT && (c < 0x20 || c === 0x7f)) throw this.#error("bad-chunk-extension", off0 + p);
            state = C_EXT_QS;
            break;
          case C_LINE_LF:
            if (c !== LF) throw this.#error("bad-line-end", off0 + p);
            state = this.#lineEnd(off0 + p);
            break;
          case C_DATA_CR:
          case C_DATA_LF:
            if (c === CR && state === C_DATA_CR) state = C_DATA_LF;
            else if (c === LF) {
              state = C_SIZE0;
              this.#line = 0;
            } else throw this.#error("bad-chunk-end", off0 + p);
            break;
          case C_LAST:
            return p;
        }
        p++;
        if (state === C_LAST) return p;
      }
      return p;
    } finally {
      this.#state = state;
    }
  }

  /**
   * The byte after a size, an extension name or value: whitespace (to `wsState`), `;`, `=`
   * (after a name only), or the line end. Returns the next state.
   */
  #afterWord(c: number, wsState: number, nameEnded: boolean, reason: H1ErrorReason, offset: number): number {
    if (c === SP || c === HT) return wsState;
    if (c === 0x3b) return C_EXT_SEMI;
    if (c === 0x3d && nameEnded) return C_EXT_EQ;
    if (c === CR) return C_LINE_LF;
    if (c === LF) return this.#lineEnd(offset);
    throw this.#error(reason, offset);
  }

  /** A size line ended: data follows, or the trailer section after the last chunk. */
  #lineEnd(offset: number): number {
    if (this.#size === 0) return C_LAST;
    this.#total += this.#size;
    if (this.#total > this.#limits.maxBodyBytes) throw this.#error("body-too-large", offset);
    return C_DATA;
  }

  #error(reason: H1ErrorReason, offset: number): H1Error {
    const status = reason === "body-too-large" ? 413 : 400;
    return new H1Error(this.#side, "body", reason, `chunked body: ${reason}`, offset, status);
  }
}
