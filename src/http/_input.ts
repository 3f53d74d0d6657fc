/**
 * The input of a parser: the chunks handed over and not yet consumed, and the copy of a head
 * (or trailer section) that spans chunks. Body bytes are only ever handed out as views; a head
 * within one chunk is scanned in place; only a head that spans chunks is copied, and never
 * more than the head limit.
 *
 * @module
 */
import type { HeadScanner } from "./_scanner.ts";

const EMPTY = new Uint8Array(0);

/** See the module doc. */
export class Input {
  /** Chunks not fully consumed; the first one from `pos`. */
  #chunks: Uint8Array[] = [];
  /** Where the first chunk's unconsumed bytes start. */
  pos = 0;
  /** Stream offset of the first chunk's first byte. */
  offset = 0;
  /** Bytes in the chunks from `pos` on. */
  queued = 0;
  /**
   * Where the last head (or trailer section) completed: the buffer to decode it from. Never
   * written to again (a chunk belongs to the parser; a copy of a split head goes with it).
   */
  headBuf: Uint8Array = EMPTY;
  readonly #maxHeadBytes: number;
  #acc: Uint8Array | undefined;
  #accLen = 0;
  #accOn = false;
  #accOffset = 0;

  /** An input whose heads are at most `maxHeadBytes` (the copy of a split head never grows past it). */
  constructor(maxHeadBytes: number) {
    this.#maxHeadBytes = maxHeadBytes;
  }

  /** Queued bytes plus a partial head copied so far. */
  get held(): number {
    return this.queued + (this.#accOn ? this.#accLen : 0);
  }

  /** The first chunk with unconsumed bytes (from `pos`), if any. */
  get first(): Uint8Array | undefined {
    return this.#chunks[0];
  }

  /** Queues a chunk. */
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.queued += chunk.length;
  }

  /** Drops `n` bytes from the front of the first chunk. */
  consume(n: number): void {
    this.queued -= n;
    this.pos += n;
    const c = this.#chunks[0];
    if (c !== undefined && this.pos === c.length) {
      this.#chunks.shift();
      this.offset += c.length;
      this.pos = 0;
    }
  }

  /** Everything held, in order (a partial head copied first), and nothing held afterwards. */
  drain(): Uint8Array[] {
    const out = this.#chunks;
    if (out.length > 0 && this.pos > 0) out[0] = out[0]!.subarray(this.pos);
    if (this.#accOn) out.unshift(this.#acc!.slice(0, this.#accLen));
    this.clear();
    return out;
  }

  /**
   * Between messages, nothing queued: lets go of the last head's chunk (a read buffer of the
   * adapter's) and of the copy buffer, so that an idle kept-alive connection holds neither.
   */
  release(): void {
    this.headBuf = EMPTY;
    if (!this.#accOn) this.#acc = undefined;
  }

  /** Forgets everything held (after an error, or drained). */
  clear(): void {
    this.#chunks = [];
    this.offset += this.queued;
    this.pos = this.queued = this.#accLen = 0;
    this.#accOn = false;
  }

  /**
   * Feeds `sc` from the queue until its head (or trailer section) is complete: then
   * `headBuf` holds it, the queue resumes right after it, and `true` is returned. Otherwise
   * every queued byte was scanned and the partial head copied (once started). Throws what the
   * scanner throws.
   */
  scan(sc: HeadScanner): boolean {
    while (this.queued > 0) {
      const c = this.#chunks[0]!;
      const from = this.pos;
      if (!this.#accOn) {
        const r = sc.feed(c, from, c.length, this.offset);
        if (r >= 0) {
          this.headBuf = c;
          this.consume(r - from);
          return true;
        }
        if (sc.started) {
          const n = c.length - sc.base;
          this.#reserve(n);
          this.#acc!.set(c.subarray(sc.base), 0);
          this.#accLen = n;
          this.#accOffset = this.offset + sc.base;
          this.#accOn = true;
          sc.rebase(0);
        }
        this.consume(c.length - from);
        continue;
      }
      // The scanner refuses a head past the limit, so at most limit + 1 bytes are ever copied.
      const n = Math.min(c.length - from, this.#maxHeadBytes + 1 - this.#accLen);
      this.#reserve(this.#accLen + n);
      const acc = this.#acc!;
      acc.set(c.subarray(from, from + n), this.#accLen);
      const r = sc.feed(acc, this.#accLen, this.#accLen + n, this.#accOffset);
      if (r >= 0) {
        this.consume(r - this.#accLen);
        // The head keeps the copy (its fields are read from it for as long as it lives,
        // `RawFields`): the next split head gets a buffer of its own.
        this.headBuf = acc;
        this.#acc = undefined;
        this.#accOn = false;
        return true;
      }
      this.#accLen += n;
      this.consume(n);
    }
    return false;
  }

  /** Makes the copy buffer hold at least `n` bytes, keeping its content when in use. */
  #reserve(n: number): void {
    const acc = this.#acc;
    if (acc && acc.length >= n) return;
    const size = Math.min(Math.max(n, (acc?.length ?? 0) * 2, 1024), this.#maxHeadBytes + 1);
    const grown = new Uint8Array(size);
    if (acc && this.#accOn) grown.set(acc.subarray(0, this.#accLen));
    this.#acc = grown;
  }
}
