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

/** See the module doc. Reused head after head. */
export class FieldList {
  /** Fields kept so far. */
  count = 0;
  /** Per kept field: name start, name end, value start, value end, relative to the head's start. */
  readonly marks: number[] = [];
  /** Per kept field: 1 when its value holds obs-folds to flatten. */
  readonly folds: number[] = [];
  /** Per kept field: a value that replaces the bytes (a cleaned `Connection`). */
  readonly overrides: (string | undefined)[] = [];
  /** `F_*` flags of the fields read (_fields.ts). */
  flags = 0;
  /** The `Content-Length` value, -1 when none. */
  contentLength: number = -1;
  /** Index of the first `Host` field among the kept ones, -1 when none. */
  hostField: number = -1;
  readonly #span: number[] = [0, 0];
  readonly #out: (string | undefined)[] = [undefined];

  /**
   * Lets go of the arrays' storage between messages of an idle connection (they grow again
   * with the next head): kept-alive clients waiting for their next request hold none.
   */
  release(): void {
    this.marks.length = this.folds.length = this.overrides.length = 0;
  }

  /** Forgets the fields of the previous head. */
  reset(): void {
    this.count = this.flags = 0;
    this.contentLength = this.hostField = -1;
    this.overrides.length = 0;
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
    const j = this.count * 4;
    this.marks[j] = ns - base;
    this.marks[j + 1] = ne - base;
    this.marks[j + 2] = fvs - base;
    this.marks[j + 3] = fve - base;
    this.folds[this.count] = folded ? 1 : 0;
    this.overrides[this.count++] = override;
    return undefined;
  }

  /** The kept fields, decoded from `text` (the head as a string, from its start). */
  decode(text: string): HeaderList {
    const out: HeaderList = new Array(this.count);
    const m = this.marks;
    for (let i = 0, j = 0; i < this.count; i++, j += 4) {
      let value = this.overrides[i] ?? text.slice(m[j + 2]!, m[j + 3]!);
      if (this.folds[i]) value = value.replace(/[\r\n]/g, " ");
      out[i] = [text.slice(m[j]!, m[j + 1]!).toLowerCase(), value];
    }
    return out;
  }

  /** A repeated `Host` equal to the first one, ignoring case (HAProxy merges it, else 400). */
  #sameHost(b: Uint8Array, base: number, vs: number, ve: number, folded: boolean): boolean {
    const j = this.hostField * 4;
    const hs = base + this.marks[j + 2]!, he = base + this.marks[j + 3]!;
    if (!folded && !this.folds[this.hostField]) return eqBytesLower(b, hs, he, b, vs, ve);
    const unfold = (s: number, e: number) => latin1(b, s, e).replace(/[\r\n]/g, " ").toLowerCase();
    return unfold(hs, he) === unfold(vs, ve);
  }
}

/** HAProxy's `HTTP_IS_LWS`: trailing SP, HTAB and the CR/LF of a trailing obs-fold are trimmed. */
const isLws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
