/**
 * The header fields of a head (or trailer section) as the scanner completes them: interpreted
 * on the spot (_fields.ts), as HAProxy does in `h1_headers_to_hdr_list()`, then kept as byte
 * offsets (or dropped: a repeated `Content-Length`, a repeated equal `Host`, a `Connection`
 * left empty), and decoded to strings only once the head is complete.
 *
 * @module
 */
import { eqBytesLower, eqLower, latin1 } from "./_chars.ts";
import {
  F_CLEN,
  F_WS_KEY,
  parseConnection,
  parseContentLength,
  parseTransferEncoding,
  parseUpgrade,
} from "./_fields.ts";
import type { H1ErrorReason } from "./error.ts";
import type { HeaderList } from "./head.ts";

/**
 * Where a head's fields are marked while it is read: per kept field, its name and value
 * offsets (`marks`, four per field, relative to the head's start), whether its value holds
 * obs-folds to flatten (`folds`, 1 or 0) and a value that replaces its bytes (`overrides`, a
 * cleaned `Connection`). Only a head being read needs one: it is taken from {@link FREE} at
 * the head's first field and given back once the head is decoded, so neither a kept-alive
 * connection waiting for its next request nor a request in progress holds one, and a busy
 * proxy regrows none (they were a twelfth of the bytes allocated per proxied request).
 */
interface Marks {
  readonly marks: number[];
  readonly folds: number[];
  readonly overrides: (string | undefined)[];
}

/** Marks given back, for the next heads (bounded: more heads at once than this allocate theirs). */
const FREE: Marks[] = [];
const MAX_FREE = 256;

/** See the module doc. Reused head after head. */
export class FieldList {
  /** Fields kept so far. */
  count = 0;
  /** `F_*` flags of the fields read (_fields.ts). */
  flags = 0;
  /** The `Content-Length` value, -1 when none. */
  contentLength: number = -1;
  /** Index of the first `Host` field among the kept ones, -1 when none. */
  hostField: number = -1;
  /** This head's marks while it is read (see {@link Marks}). */
  #m: Marks | undefined;
  readonly #span: number[] = [0, 0];
  readonly #out: (string | undefined)[] = [undefined];

  /** Gives the marks back (a message ended or was abandoned mid-head): idle connections hold none. */
  release(): void {
    const m = this.#m;
    if (m === undefined) return;
    this.#m = undefined;
    if (FREE.length >= MAX_FREE) return;
    // Stale names and offsets are never read (a field's entries are written before it counts),
    // but stale override strings would stay reachable.
    m.overrides.fill(undefined);
    FREE.push(m);
  }

  /** Forgets the fields of the previous head. */
  reset(): void {
    this.count = this.flags = 0;
    this.contentLength = this.hostField = -1;
  }

  /**
   * Interprets the field `b[ns..ne)` `:` `b[vs..ve)` (value trimmed at its start only; `base`:
   * the head's start) and keeps it or drops it. `headers` says the fields are a head's (not
   * trailers: `Connection` and `Host` rules apply), `host` that `Host` rules apply (a request
   * head). Returns why the field is refused, or `undefined`.
   */
  add(
    b: Uint8Array,
    base: number,
    ns: number,
    ne: number,
    vs: number,
    ve: number,
    folded: boolean,
    response: boolean,
    headers: boolean,
    maxHeaders: number,
  ): H1ErrorReason | undefined {
    while (ve > vs && isLws(b[ve - 1]!)) ve--;
    let fvs = vs, fve = ve, override: string | undefined;
    switch (ne - ns) {
      case 14:
        if (eqLower(b, ns, ne, "content-length")) {
          const first = !(this.flags & F_CLEN);
          const v = parseContentLength(b, vs, ve, this.contentLength, this.#span);
          if (v < 0) return "bad-content-length";
          this.contentLength = v;
          this.flags |= F_CLEN;
          if (!first) return undefined; // the first field is kept, with its last element
          fvs = this.#span[0]!;
          fve = this.#span[1]!;
        }
        break;
      case 17:
        if (eqLower(b, ns, ne, "transfer-encoding")) {
          const f = parseTransferEncoding(b, vs, ve, this.flags, response);
          if (f < 0) return "bad-transfer-encoding";
          this.flags = f;
        } else if (!response && eqLower(b, ns, ne, "sec-websocket-key")) this.flags |= F_WS_KEY;
        break;
      case 20:
        if (response && eqLower(b, ns, ne, "sec-websocket-accept")) this.flags |= F_WS_KEY;
        break;
      case 10:
        if (headers && eqLower(b, ns, ne, "connection")) {
          this.flags = parseConnection(b, vs, ve, this.flags, this.#out);
          override = this.#out[0];
          if (override === "") return undefined;
        }
        break;
      case 7:
        if (headers && eqLower(b, ns, ne, "upgrade")) this.flags = parseUpgrade(b, vs, ve, this.flags);
        break;
      case 4:
        if (headers && !response && eqLower(b, ns, ne, "host")) {
          if (this.hostField < 0) this.hostField = this.count;
          else if (this.#sameHost(b, base, vs, ve, folded)) return undefined;
          else return "bad-host";
        }
        break;
    }
    if (this.count >= maxHeaders) return "too-many-headers";
    const m = this.#m ??= FREE.pop() ?? { marks: [], folds: [], overrides: [] };
    const j = this.count * 4;
    m.marks[j] = ns - base;
    m.marks[j + 1] = ne - base;
    m.marks[j + 2] = fvs - base;
    m.marks[j + 3] = fve - base;
    m.folds[this.count] = folded ? 1 : 0;
    m.overrides[this.count++] = override;
    return undefined;
  }

  /**
   * The kept fields as a {@link RawFields} over `b` (the buffer the head completed in, `base`
   * its start; `ascii`: no byte above 0x7F), the marks copied out and given back.
   */
  take(b: Uint8Array, base: number, ascii: boolean): RawFields {
    const mk = this.#m, n = this.count;
    if (mk === undefined || n === 0) return new RawFields(b, base, [], undefined, undefined, ascii);
    let folds: number[] | undefined, overrides: (string | undefined)[] | undefined;
    for (let i = 0; i < n; i++) {
      if (folds === undefined && mk.folds[i]) folds = mk.folds.slice(0, n);
      if (overrides === undefined && mk.overrides[i] !== undefined) overrides = mk.overrides.slice(0, n);
    }
    const raw = new RawFields(b, base, mk.marks.slice(0, n * 4), folds, overrides, ascii);
    this.release();
    return raw;
  }

  /** A repeated `Host` equal to the first one, ignoring case (HAProxy merges it, else 400). */
  #sameHost(b: Uint8Array, base: number, vs: number, ve: number, folded: boolean): boolean {
    const m = this.#m!;
    const j = this.hostField * 4;
    const hs = base + m.marks[j + 2]!, he = base + m.marks[j + 3]!;
    if (!folded && !m.folds[this.hostField]) return eqBytesLower(b, hs, he, b, vs, ve);
    const unfold = (s: number, e: number) => latin1(b, s, e).replace(/[\r\n]/g, " ").toLowerCase();
    return unfold(hs, he) === unfold(vs, ve);
  }
}

/**
 * The fields of a parsed head as the bytes they arrived in: what a head forwards unchanged is
 * copied byte for byte (names lowercased) rather than decoded to strings and encoded back, and
 * decoded only when something reads them (`_parsed_head.ts`). The bytes were checked by the
 * scanner (tokens for names, no CR, LF or NUL in values but an obs-fold's), and a buffer handed
 * to the parser is never written to again (`Socket` contract), so they stay valid for as long
 * as the head lives.
 */
export class RawFields {
  /** The buffer the head completed in. */
  readonly bytes: Uint8Array;
  /** The head's start in {@link bytes}: the marks are relative to it. */
  readonly base: number;
  /** Per field: name start, name end, value start, value end. */
  readonly marks: readonly number[];
  /** Per field, 1 when its value holds obs-folds (flattened to spaces); undefined when none does. */
  readonly folds: readonly number[] | undefined;
  /** Per field, a value replacing its bytes (a cleaned `Connection`); undefined when none does. */
  readonly overrides: readonly (string | undefined)[] | undefined;
  /** No byte above 0x7F (the native ASCII decoder may serve). */
  readonly ascii: boolean;

  /** See the fields. */
  constructor(
    bytes: Uint8Array,
    base: number,
    marks: readonly number[],
    folds: readonly number[] | undefined,
    overrides: readonly (string | undefined)[] | undefined,
    ascii: boolean,
  ) {
    this.bytes = bytes;
    this.base = base;
    this.marks = marks;
    this.folds = folds;
    this.overrides = overrides;
    this.ascii = ascii;
  }

  /** Number of fields. */
  get count(): number {
    return this.marks.length >> 2;
  }

  /** The fields as strings: names lowercase, obs-folds flattened to spaces. */
  decode(): HeaderList {
    const n = this.count, m = this.marks, out: HeaderList = new Array(n);
    if (n === 0) return out;
    // The whole span once, then slices: one native decode rather than two per field.
    const from = m[0]!, b = this.base;
    const text = latin1(this.bytes, b + from, b + m[m.length - 1]!, this.ascii);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const value = this.#value(i, text.slice(m[j + 2]! - from, m[j + 3]! - from));
      out[i] = [text.slice(m[j]! - from, m[j + 1]! - from).toLowerCase(), value];
    }
    return out;
  }

  /** Field `i`'s value: its override, or `bytes` (its bytes decoded); obs-folds flattened. */
  #value(i: number, bytes: string): string {
    const v = this.overrides?.[i] ?? bytes;
    return this.folds?.[i] ? v.replace(/[\r\n]/g, " ") : v;
  }

  /** Whether the field whose marks start at `j` is named `name` (lowercase). */
  #named(j: number, name: string): boolean {
    const m = this.marks, b = this.base;
    return eqLower(this.bytes, b + m[j]!, b + m[j + 1]!, name);
  }

  /** Whether a field is named `name` (lowercase). */
  has(name: string): boolean {
    for (let j = 0; j < this.marks.length; j += 4) if (this.#named(j, name)) return true;
    return false;
  }

  /** The values of the fields named `name` (lowercase), decoded, in order. */
  values(name: string): string[] {
    const m = this.marks, b = this.base, out: string[] = [];
    for (let j = 0, i = 0; j < m.length; j += 4, i++) {
      if (this.#named(j, name)) out.push(this.#value(i, latin1(this.bytes, b + m[j + 2]!, b + m[j + 3]!, this.ascii)));
    }
    return out;
  }

  /** What HAProxy's HTX counts for the fields: each name's and value's length (`htxSize()`). */
  htxSize(): number {
    const m = this.marks;
    let n = 0;
    for (let j = 0, i = 0; j < m.length; j += 4, i++) {
      const o = this.overrides?.[i];
      n += m[j + 1]! - m[j]! + (o === undefined ? m[j + 3]! - m[j + 2]! : o.length);
    }
    return n;
  }

  /** Bytes {@link write} writes: `name: value` CRLF per field. */
  wireSize(): number {
    return this.htxSize() + this.count * 4;
  }

  /** Writes every field at `out[p]`, `name: value` CRLF, names lowercased; returns the end. */
  write(out: Uint8Array, p: number): number {
    const m = this.marks, src = this.bytes, b = this.base;
    for (let j = 0, i = 0; j < m.length; j += 4, i++) {
      for (let k = b + m[j]!, e = b + m[j + 1]!; k < e; k++) {
        const c = src[k]!;
        out[p++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      }
      out[p++] = 0x3a;
      out[p++] = 0x20;
      const o = this.overrides?.[i];
      if (o !== undefined) {
        for (let k = 0; k < o.length; k++) out[p++] = o.charCodeAt(k);
      } else if (this.folds?.[i]) {
        for (let k = b + m[j + 2]!, e = b + m[j + 3]!; k < e; k++) {
          const c = src[k]!;
          out[p++] = c === 13 || c === 10 ? 0x20 : c;
        }
      } else {
        const vs = b + m[j + 2]!, ve = b + m[j + 3]!;
        if (ve - vs > 48) {
          out.set(src.subarray(vs, ve), p);
          p += ve - vs;
        } else for (let k = vs; k < ve; k++) out[p++] = src[k]!;
      }
      out[p++] = 13;
      out[p++] = 10;
    }
    return p;
  }
}

/** HAProxy's `HTTP_IS_LWS`: trailing SP, HTAB and the CR/LF of a trailing obs-fold are trimmed. */
const isLws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
