/**
 * The resumable byte-level scanner of a message head (start line and header fields) or of a
 * trailer section, after HAProxy's `h1_headers_to_hdr_list()` (src/h1.c): the same states, the
 * same accepted bytes, the same fields interpreted as they are read. It is fed a contiguous
 * buffer that may grow (the head's bytes so far) and resumes where it stopped; it records
 * offsets only, and the strings are decoded once, when the head is complete.
 *
 * Leniencies kept from HAProxy, and why they are safe here: empty lines before the start line
 * are skipped; a bare LF ends a line anywhere (a lone CR is refused); SP and HTAB both
 * separate the start line's parts, re-emitted as one SP; obs-fold continues a field value and
 * becomes spaces (RFC 9112 5.2 allows a proxy to replace it so). The head is re-serialized
 * with CRLF and single spaces, so none of these reaches the next hop.
 *
 * @module
 */
import { CR, HT, latin1, LF, SP, TCHAR, URICHAR, VERCHAR } from "./_chars.ts";
import { FieldList, type RawFields } from "./_field_list.ts";
import { H1Error, type H1ErrorReason, type H1ErrorStatus, type H1Side } from "./error.ts";
import type { H1Limits } from "./limits.ts";

/** Scans a request head. */
export const MODE_REQUEST = 0;
/** Scans a response head. */
export const MODE_RESPONSE = 1;
/** Scans a trailer section (header fields only). */
export const MODE_TRAILERS = 2;

// States, named after HAProxy's H1_MSG_*; the request line ones come first (see #inRequestLine).
const S_BEFORE = 0, S_BEFORE_CR = 1, S_METH = 2, S_METH_SP = 3, S_URI = 4, S_URI_SP = 5, S_RQVER = 6;
const S_RPVER = 7, S_RPVER_SP = 8, S_CODE = 9, S_CODE_SP = 10, S_REASON = 11, S_LINE_LF = 12;
const S_HDR_FIRST = 13, S_HDR_NAME = 14, S_HDR_L1_SP = 15, S_HDR_L1_LF = 16, S_HDR_L1_LWS = 17;
const S_HDR_VAL = 18, S_HDR_L2_LF = 19, S_HDR_L2_LWS = 20, S_LAST_LF = 21, S_DONE = 22;

const isSpHt = (c: number) => c === SP || c === HT;
/** Bytes that do not end a field value: all but CR, LF and NUL. */
/** Value bytes: 1 ASCII going on, 2 obs-text (noted, goes on), 0 CR, LF or NUL (stops). */
const VALCHAR = new Uint8Array(256).fill(1).fill(2, 0x80);
VALCHAR[CR] = VALCHAR[LF] = VALCHAR[0] = 0;
const isLws = (c: number) => c === SP || c === HT || c === CR || c === LF;

/** See the module doc. One instance per parser, reused message after message. */
export class HeadScanner {
  /** Which side's rules and statuses apply. */
  readonly side: H1Side;
  /** The limits checked while scanning. */
  readonly limits: H1Limits;
  /** {@link MODE_REQUEST}, {@link MODE_RESPONSE} or {@link MODE_TRAILERS}. */
  mode: number = MODE_REQUEST;
  /** Whether a byte from 0x80 (obs-text) was seen: the head is not all ASCII. */
  highBytes = false;
  /** Whether the first byte of the head is known (`base` is valid). */
  started = false;
  /** Index of the head's first byte in the buffer being scanned. */
  base = 0;
  /** Where scanning resumes, relative to `base`; once done, the head's length. */
  pos = 0;
  /** Bytes of empty lines skipped before the start line. */
  skipped = 0;
  /** Offset of the head's first byte in the connection's byte stream. */
  streamBase = 0;
  /** Start line parts, relative to `base`: [0,1) method or version, [2,3) target or status, [4,5) version or reason. */
  readonly line: number[] = [0, 0, 0, 0, 0, 0];
  /** The fields read so far, and what they say. */
  readonly fields: FieldList = new FieldList();
  #state = S_BEFORE;
  #sol = 0;
  #col = 0;
  #sov = 0;
  #eol = 0;
  #folded = false;

  /** A scanner for one side, with its limits. */
  constructor(side: H1Side, limits: H1Limits) {
    this.side = side;
    this.limits = limits;
  }

  /** Starts a new head (or trailer section) in `mode`. */
  begin(mode: number): void {
    this.mode = mode;
    this.started = false;
    this.base = this.pos = this.skipped = 0;
    this.highBytes = false;
    this.fields.reset();
    this.#state = S_BEFORE;
    this.#folded = false;
  }

  /** The head's bytes moved: they now start at `base` in the buffer given to the next feed. */
  rebase(base: number): void {
    this.base = base;
  }

  /**
   * Scans `b[from..end)`, the new bytes; the head's earlier bytes are at `b[base..from)`.
   * `off0` is the stream offset of `b[0]`. Returns the index just past the head's last LF, or
   * -1 when more bytes are needed. Throws {@link H1Error} for an invalid or too large head.
   */
  feed(b: Uint8Array, from: number, end: number, off0: number): number {
    const lim = this.limits;
    let p = from;
    if (!this.started) {
      let st = this.#state;
      if (this.mode !== MODE_TRAILERS) {
        for (; p < end; p++, this.skipped++) {
          const c = b[p]!;
          if (st === S_BEFORE_CR) {
            if (c !== LF) throw this.#error("bad-line-end", off0 + p);
            st = S_BEFORE;
          } else if (c === CR) st = S_BEFORE_CR;
          else if (c !== LF) break;
        }
        this.#state = st;
        if (this.skipped > lim.maxHeadBytes) throw this.#tooLarge(off0 + p);
        if (p === end) return -1;
        if (!TCHAR[b[p]!]) throw this.#error("bad-start-line", off0 + p);
      }
      this.started = true;
      this.base = p;
      this.pos = 0;
      this.streamBase = off0 + p;
      this.#state = this.mode === MODE_REQUEST ? S_METH : this.mode === MODE_RESPONSE ? S_RPVER : S_HDR_FIRST;
    }
    const base = this.base;
    const line = this.line;
    const budget = lim.maxHeadBytes - this.skipped;
    const stop = Math.min(end, base + budget);
    const rlStop = Math.min(stop, base + lim.maxRequestLineBytes + 1);
    let state = this.#state;
    p = base + this.pos;
    loop: while (p < stop) {
      let c: number;
      switch (state) {
        case S_METH:
          while (p < rlStop && TCHAR[b[p]!]) p++;
          if (p >= rlStop) break loop;
          if (!isSpHt(b[p]!)) throw this.#error("bad-start-line", p); // CR/LF: HTTP/0.9, refused
          line[1] = p++ - base;
          state = S_METH_SP;
          continue;
        case S_METH_SP:
        case S_URI_SP:
          while (p < rlStop && isSpHt(b[p]!)) p++;
          if (p >= rlStop) break loop;
          if (b[p] === CR || b[p] === LF) throw this.#error("bad-start-line", p); // no version: HTTP/0.9
          line[state === S_METH_SP ? 2 : 4] = p - base;
          state = state === S_METH_SP ? S_URI : S_RQVER;
          continue;
        case S_URI:
          while (p < rlStop && URICHAR[b[p]!]) p++;
          if (p >= rlStop) break loop;
          if (!isSpHt(b[p]!)) throw this.#error("bad-start-line", p);
          line[3] = p++ - base;
          state = S_URI_SP;
          continue;
        case S_RQVER:
          while (p < rlStop && VERCHAR[b[p]!]) p++;
          if (p >= rlStop) break loop;
          c = b[p]!;
          if (c !== CR && c !== LF) throw this.#error("bad-start-line", p); // even SP after the version
          line[5] = p - base;
          if (!this.#requestVersion(b, base + line[4]!, p)) throw this.#error("bad-start-line", base + line[4]!);
          p++;
          state = c === CR ? S_LINE_LF : S_HDR_FIRST;
          continue;
        case S_RPVER:
          while (p < stop && VERCHAR[b[p]!]) p++;
          if (p === stop) break loop;
          if (!isSpHt(b[p]!) || !this.#responseVersion(b, base, p)) throw this.#error("bad-start-line", p);
          line[1] = p++ - base;
          state = S_RPVER_SP;
          continue;
        case S_RPVER_SP:
        case S_CODE_SP:
          while (p < stop && isSpHt(b[p]!)) p++;
          if (p === stop) break loop;
          c = b[p]!;
          if (state === S_RPVER_SP) {
            if (c === CR || c === LF) throw this.#error("bad-start-line", p);
            line[2] = p - base;
            state = S_CODE;
          } else if (c === CR || c === LF) {
            line[4] = line[5] = p - base; // no reason phrase
            p++;
            state = c === CR ? S_LINE_LF : S_HDR_FIRST;
          } else {
            line[4] = p - base;
            state = S_REASON;
          }
          continue;
        case S_CODE:
          while (p < stop && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
          if (p === stop) break loop;
          c = b[p]!;
          if (!isLws(c)) throw this.#error("bad-start-line", p); // `2x0`
          line[3] = p - base;
          this.#checkStatus(b, base + line[2]!, p);
          if (isSpHt(c)) {
            p++;
            state = S_CODE_SP;
          } else {
            line[4] = line[5] = p - base;
            p++;
            state = c === CR ? S_LINE_LF : S_HDR_FIRST;
          }
          continue;
        case S_REASON:
          while (p < stop && (c = VALCHAR[b[p]!]!) !== 0) {
            if (c === 2) this.highBytes = true;
            p++;
          }
          if (p === stop) break loop;
          if (b[p] === 0) throw this.#error("bad-start-line", p);
          line[5] = p - base;
          state = b[p++] === CR ? S_LINE_LF : S_HDR_FIRST;
          continue;
        case S_LINE_LF:
        case S_HDR_L1_LF:
        case S_HDR_L2_LF:
        case S_LAST_LF:
          if (b[p] !== LF) throw this.#error("bad-line-end", p);
          p++;
          if (state === S_LAST_LF) {
            this.#state = S_DONE;
            this.pos = p - base;
            return p;
          }
          state = state === S_LINE_LF ? S_HDR_FIRST : state === S_HDR_L1_LF ? S_HDR_L1_LWS : S_HDR_L2_LWS;
          continue;
        case S_HDR_FIRST: // a line start with no field before it: whitespace there is no obs-fold
          this.#sol = -1;
          state = S_HDR_L2_LWS;
          continue;
        case S_HDR_NAME:
          while (p < stop && TCHAR[b[p]!]) p++;
          if (p === stop) break loop;
          if (b[p] !== 0x3a || p - base === this.#sol) throw this.#error("bad-header-name", p);
          this.#col = p++ - base;
          state = S_HDR_L1_SP;
          continue;
        case S_HDR_L1_SP:
          while (p < stop && isSpHt(b[p]!)) p++;
          if (p === stop) break loop;
          c = b[p]!;
          this.#sov = this.#eol = p - base;
          if (c === CR) {
            p++;
            state = S_HDR_L1_LF;
          } else if (c === LF) {
            p++;
            state = S_HDR_L1_LWS;
          } else state = S_HDR_VAL;
          continue;
        case S_HDR_L1_LWS:
          if (isSpHt(b[p]!)) {
            this.#folded = true;
            state = S_HDR_L1_SP;
            continue;
          }
          state = S_HDR_L2_LWS;
          continue;
        case S_HDR_VAL:
          for (;;) {
            while (p < stop && VALCHAR[b[p]!] === 1) p++;
            if (p === stop || VALCHAR[b[p]!] !== 2) break;
            this.highBytes = true;
            p++;
          }
          if (p === stop) break loop;
          if (b[p] === 0) throw this.#error("bad-header-value", p);
          this.#eol = p - base;
          state = b[p++] === CR ? S_HDR_L2_LF : S_HDR_L2_LWS;
          continue;
        case S_HDR_L2_LWS:
          c = b[p]!;
          if (isSpHt(c)) {
            if (this.#sol < 0) throw this.#error("bad-header-name", p);
            this.#folded = true;
            state = S_HDR_VAL;
            continue;
          }
          if (this.#sol >= 0) this.#field(b, base);
          this.#folded = false;
          if (c === CR) {
            p++;
            state = S_LAST_LF;
          } else if (c === LF) {
            this.#state = S_DONE;
            this.pos = ++p - base;
            return p;
          } else if (TCHAR[c]) {
            this.#sol = p - base;
            state = S_HDR_NAME;
          } else throw this.#error("bad-header-name", p);
          continue;
      }
    }
    this.#state = state;
    this.pos = p - base;
    if (this.#inRequestLine(state) && p - base > lim.maxRequestLineBytes) {
      throw this.#error("request-line-too-long", p, 414);
    }
    if (p - base >= budget) throw this.#tooLarge(this.streamBase + p - base);
    return -1;
  }

  /**
   * The start line part `i` (0, 2 or 4) of the head that completed in `b`: a word of nearly
   * every message (a common method, `HTTP/1.1`, `OK`) as the same constant string each time,
   * anything else decoded.
   */
  part(b: Uint8Array, i: number): string {
    const s = this.base + this.line[i]!, e = this.base + this.line[i + 1]!;
    return knownWord(b, s, e) ?? latin1(b, s, e, !this.highBytes);
  }

  /** The status code of the response head that completed in `b` (three digits, checked). */
  status(b: Uint8Array): number {
    const s = this.base + this.line[2]!;
    return (b[s]! - 0x30) * 100 + (b[s + 1]! - 0x30) * 10 + b[s + 2]! - 0x30;
  }

  /** The fields of the head that completed in `b`, as received (see `RawFields`). */
  rawFields(b: Uint8Array): RawFields {
    return this.fields.take(b, this.base, !this.highBytes);
  }

  /** Completes the field whose line ends now: interpreted and kept or dropped (_field_list.ts). */
  #field(b: Uint8Array, base: number): void {
    const ns = base + this.#sol, vs = base + this.#sov;
    const refused = this.fields.add(
      b,
      base,
      ns,
      base + this.#col,
      vs,
      base + this.#eol,
      this.#folded,
      this.side === "response",
      this.mode !== MODE_TRAILERS,
      this.limits.maxHeaders,
    );
    if (refused === "too-many-headers") throw this.#error(refused, ns, 431);
    if (refused) throw this.#error(refused, vs);
  }

  /** `HTTP/` DIGIT `.` DIGIT exactly, case-sensitive (`h1_process_req_vsn()`). */
  #requestVersion(b: Uint8Array, s: number, e: number): boolean {
    return e - s === 8 && b[s] === 0x48 && b[s + 1] === 0x54 && b[s + 2] === 0x54 && b[s + 3] === 0x50 &&
      b[s + 4] === 0x2f && isDigit(b[s + 5]!) && b[s + 6] === 0x2e && isDigit(b[s + 7]!);
  }

  /** 4 version bytes, `/`, DIGIT `.` DIGIT (`h1_process_res_vsn()`: `ABCD/1.1` passes as in HAProxy). */
  #responseVersion(b: Uint8Array, s: number, e: number): boolean {
    return e - s === 8 && b[s + 4] === 0x2f && isDigit(b[s + 5]!) && b[s + 6] === 0x2e && isDigit(b[s + 7]!);
  }

  /**
   * Three digits from 100 (RFC 9112 4: status-code = 3DIGIT). HAProxy 2.6 takes any digits
   * (`20`, `099`, `1000`) and drops the length of a status below 100 while sending its body;
   * HAProxy 3.4 keeps 3 digits (commit 8bdcc5516). Below 100 the framing is ambiguous: refused.
   */
  #checkStatus(b: Uint8Array, s: number, e: number): void {
    if (e - s !== 3 || b[s] === 0x30) throw this.#error("bad-status", s);
  }

  #inRequestLine(state: number): boolean {
    return this.mode === MODE_REQUEST && state <= S_RQVER;
  }

  /** Over the head budget: 414 while in the request line, else 431 (HAProxy 3.1, commit bc967758a). */
  #tooLarge(offset: number): H1Error {
    const inLine = !this.started ? this.mode === MODE_REQUEST : this.#inRequestLine(this.#state);
    return inLine ? this.#make("request-line-too-long", offset, 414) : this.#make("head-too-large", offset, 431);
  }

  #error(reason: H1ErrorReason, p: number, status?: H1ErrorStatus): H1Error {
    return this.#make(reason, this.started ? this.streamBase + p - this.base : p, status);
  }

  #make(reason: H1ErrorReason, offset: number, status?: H1ErrorStatus): H1Error {
    const phase = this.mode === MODE_TRAILERS ? "trailers" : "head";
    return new H1Error(this.side, phase, reason, undefined, offset, status);
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Start-line words of nearly every message, compared case-sensitively (methods are). */
const KNOWN_WORDS = ["GET", "HTTP/1.1", "OK", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "HTTP/1.0"];

/** `b[s..e)` as one of {@link KNOWN_WORDS}, or undefined. */
function knownWord(b: Uint8Array, s: number, e: number): string | undefined {
  next: for (const w of KNOWN_WORDS) {
    if (w.length !== e - s) continue;
    for (let i = 0; i < w.length; i++) if (b[s + i] !== w.charCodeAt(i)) continue next;
    return w;
  }
  return undefined;
}
