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

  /** The kept fields, decoded from `text` (the head as a string, from its start); the marks go back. */
  decode(text: string): HeaderList {
    const out: HeaderList = new Array(this.count);
    const mk = this.#m;
    if (mk === undefined) return out;
    const m = mk.marks;
    for (let i = 0, j = 0; i < this.count; i++, j += 4) {
      let value = mk.overrides[i] ?? text.slice(m[j + 2]!, m[j + 3]!);
      if (mk.folds[i]) value = value.replace(/[\r\n]/g, " ");
      out[i] = [text.slice(m[j]!, m[j + 1]!).toLowerCase(), value];
    }
    this.release();
    return out;
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

/** HAProxy's `HTTP_IS_LWS`: trailing SP, HTAB and the CR/LF of a trailing obs-fold are trimmed. */
const isLws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
