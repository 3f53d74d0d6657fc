/**
 * The queue of bytes a socket accepted with `write()` and has not handed to the runtime yet,
 * with the high-water-mark rule of the contract: `write()` returns `false` while more than
 * `highWaterMarkBytes` are queued, and one `onDrain` is owed until the queue is back at or
 * below it. Used where the runtime takes less than it is given (Bun's partial writes, Deno's
 * write promises, the in-memory network's receive buffers); Node buffers by itself.
 *
 * Chunks are kept as given, never copied: a chunk passed to `write()` belongs to the adapter
 * (`src/net.ts`), so a partly written one is the chunk plus an offset.
 *
 * @module
 */
import { Fifo } from "./_fifo.ts";

/** Queued chunks, the unwritten part of the first one, and the drain owed. */
export class WriteQueue {
  readonly #mark: number;
  readonly #chunks = new Fifo<Uint8Array>();
  #headOffset = 0;
  #bytes = 0;
  #drainOwed = false;

  /** `highWaterMarkBytes` is already validated (see `_options.ts`). */
  constructor(highWaterMarkBytes: number) {
    this.#mark = highWaterMarkBytes;
  }

  /** Bytes queued (the socket's `bufferedAmount`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Nothing is queued. */
  get empty(): boolean {
    return this.#bytes === 0;
  }

  /** The oldest chunk; its unwritten part starts at {@link headOffset}. */
  get head(): Uint8Array | undefined {
    return this.#chunks.first();
  }

  /** Where the unwritten part of {@link head} starts. */
  get headOffset(): number {
    return this.#headOffset;
  }

  /**
   * Queues `chunk` from `offset` on (the part a runtime did not take at once). Returns what
   * `write()` returns: `false` when more than the mark is now queued, and a drain is owed.
   */
  push(chunk: Uint8Array, offset = 0): boolean {
    if (offset < chunk.length) {
      if (this.#chunks.length === 0) {
        this.#headOffset = offset;
        this.#chunks.push(chunk);
      } else {
        this.#chunks.push(offset === 0 ? chunk : chunk.subarray(offset));
      }
      this.#bytes += chunk.length - offset;
    }
    return this.writeResult();
  }

  /**
   * What `write()` returns with the queue as it is now: `true` at or below the mark, else
   * `false`, and a drain is owed. For a socket that moves bytes on between queueing them and
   * returning (the in-memory network).
   */
  writeResult(): boolean {
    if (this.#bytes <= this.#mark) return true;
    this.#drainOwed = true;
    return false;
  }

  /**
   * Marks `n` bytes from the head on as written. Returns the head chunk when that finished it
   * (so the caller may recycle its memory), else `undefined`; `n` never spans two chunks.
   */
  advance(n: number): Uint8Array | undefined {
    const head = this.#chunks.first();
    if (head === undefined || n <= 0) return undefined;
    this.#bytes -= n;
    this.#headOffset += n;
    if (this.#headOffset < head.length) return undefined;
    this.#chunks.shift();
    this.#headOffset = 0;
    return head;
  }

  /** A drain is owed and the queue is back at or below the mark. */
  get drainDue(): boolean {
    return this.#drainOwed && this.#bytes <= this.#mark;
  }

  /** Whether to call `onDrain` now: true once per `false` returned by {@link push}. */
  takeDrain(): boolean {
    if (!this.drainDue) return false;
    this.#drainOwed = false;
    return true;
  }

  /**
   * Joins the queued chunks into one when there are several, none partly written, and at most
   * `limit` bytes in all: what one turn of the event loop queued goes out in one write (Bun
   * writes each chunk with a system call of its own).
   */
  join(limit: number): void {
    if (this.#chunks.length < 2 || this.#headOffset !== 0 || this.#bytes > limit) return;
    const out = new Uint8Array(this.#bytes);
    let at = 0;
    for (let c = this.#chunks.shift(); c !== undefined; c = this.#chunks.shift()) {
      out.set(c, at);
      at += c.length;
    }
    this.#chunks.push(out);
  }

  /** Drops every queued byte and the drain owed (shutdown, close or abort). */
  clear(): void {
    this.#chunks.clear();
    this.#headOffset = 0;
    this.#bytes = 0;
    this.#drainOwed = false;
  }
}
