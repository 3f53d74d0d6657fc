/**
 * The machinery inside the request and response parsers (`parser.ts`): the input, the message
 * states (head, body as `length`, `chunked` or raw bytes, trailers, end), EOF and failure.
 * Each parser hands it the rules of its side: when a message may start, how a head is
 * checked, what follows a message's end.
 *
 * @module
 */
import { ChunkedDecoder } from "./_chunked.ts";
import { Input } from "./_input.ts";
import { HeadScanner, MODE_REQUEST, MODE_RESPONSE, MODE_TRAILERS } from "./_scanner.ts";
import { H1Error, type H1Side, type H1Termination } from "./error.ts";
import type { H1BodyEvent, H1EndEvent, H1Event, H1HeadEvent } from "./events.ts";
import type { MessageHead } from "./head.ts";
import { type H1Limits, resolveH1Limits } from "./limits.ts";
import type { H1ParserState } from "./parser.ts";

const ST_IDLE = 0, ST_HEAD = 1, ST_LENGTH = 2, ST_CHUNKED = 3, ST_TRAILERS = 4, ST_RAW = 5, ST_END = 6;
const ST_PAUSED = 7, ST_DONE = 8, ST_ERROR = 9;

const END: H1EndEvent = Object.freeze({ type: "end" });

/** The rules of one side. */
export interface SideRules<H extends MessageHead> {
  /** Whether a new message may start now (a response parser needs a request to answer). */
  canStart(): boolean;
  /** Turns a complete head scan into its event. */
  finish(scanner: HeadScanner, buf: Uint8Array, maxBodyBytes: number): H1HeadEvent<H>;
  /** What follows a message's end. */
  afterEnd(head: H1HeadEvent<H>): "idle" | "paused" | "done";
  /** Whether EOF with no byte of a next message is an error (a response was expected). */
  eofWhileIdle(): boolean;
}

/** See the module doc; the parsers forward their public methods to it. */
export class MessageCore<H extends MessageHead> {
  readonly #side: H1Side;
  readonly #limits: H1Limits;
  readonly #scanner: HeadScanner;
  /** Made on the first chunked body (most connections never see one). */
  #trailersScanner: HeadScanner | undefined;
  #chunkedDecoder: ChunkedDecoder | undefined;
  readonly #in: Input;
  #eof = false;
  #state = ST_IDLE;
  #error: H1Error | undefined;
  /** Bytes still to come for a `length` body. */
  #remaining = 0;
  #current: H1HeadEvent<H> | undefined;

  readonly #rules: SideRules<H>;

  /** A core for `side`'s messages, with `limits` (defaults applied) and the side's rules. */
  constructor(side: H1Side, limits: Partial<H1Limits> | undefined, rules: SideRules<H>) {
    this.#side = side;
    this.#rules = rules;
    this.#limits = resolveH1Limits(limits);
    this.#scanner = new HeadScanner(side, this.#limits);
    this.#in = new Input(this.#limits.maxHeadBytes);
  }

  get #trailers(): HeadScanner {
    return this.#trailersScanner ??= new HeadScanner(this.#side, this.#limits);
  }

  get #chunked(): ChunkedDecoder {
    return this.#chunkedDecoder ??= new ChunkedDecoder(this.#side, this.#limits);
  }

  /** The limits in force, defaults applied. */
  get limits(): H1Limits {
    return this.#limits;
  }

  /**
   * Bytes pushed and not handed out yet: queued chunks, and the part of a head (or trailer
   * section) read so far when it spans chunks.
   */
  get buffered(): number {
    return this.#in.held;
  }

  /** Whether `end()` was called. */
  get ended(): boolean {
    return this.#eof;
  }

  /**
   * `idle` between messages (no byte of the next head yet, empty lines aside), `head` in a
   * head, `body` in a body or tunnel, `paused` after a request that may switch protocols (see
   * `H1RequestParser.resume()`), `done` once nothing more can come, `error` once failed.
   */
  get state(): H1ParserState {
    switch (this.#state) {
      case ST_IDLE:
        return "idle";
      case ST_HEAD:
        return this.#scanner.started ? "head" : "idle";
      case ST_PAUSED:
        return "paused";
      case ST_DONE:
        return "done";
      case ST_ERROR:
        return "error";
      default:
        return "body";
    }
  }

  /**
   * Hands a chunk over (as `onData` hands it to its handler): the parser keeps a reference
   * until every byte of it is handed out or consumed, and never writes to it. Ignored once the
   * parser has failed or after `end()`.
   */
  push(chunk: Uint8Array): void {
    if (this.#state === ST_ERROR || this.#eof || chunk.length === 0) return;
    this.#in.push(chunk);
  }

  /**
   * The peer shut its write side: a close-delimited body or a tunnel ends with the bytes
   * already pushed; a message cut short makes `read()` throw a `truncated` error.
   */
  end(): void {
    this.#eof = true;
  }

  /**
   * The next event, or `null` when more bytes are needed (or the parser waits: paused, a
   * response parser without a request to answer, done). Parses only as far as that event.
   *
   * @throws {H1Error} when the message is refused or cut short; every later call throws it too.
   */
  read(): H1Event<H> | null {
    if (this.#error) throw this.#error;
    try {
      return this.#next();
    } catch (e) {
      if (e instanceof H1Error) {
        this.#error = e;
        this.#state = ST_ERROR;
        this.#in.clear();
      }
      throw e;
    }
  }

  /**
   * Takes back every byte not handed out yet, in order: views of the pushed chunks, preceded by
   * a copy of a partial head when one spans chunks. For handing the connection to another
   * protocol between messages (a message in progress is abandoned: the next `read()` starts a
   * new one). The parser holds nothing afterwards.
   */
  drain(): Uint8Array[] {
    if (this.#state === ST_HEAD) this.#state = ST_IDLE;
    return this.#in.drain();
  }

  /** Switches to raw bytes until EOF (a tunnel), from the next byte on. */
  startRaw(): void {
    this.#state = ST_RAW;
  }

  /** Back to parsing messages after a pause. */
  unpause(): void {
    if (this.#state === ST_PAUSED) this.#state = ST_IDLE;
  }

  /** Whether the parser is paused. */
  get paused(): boolean {
    return this.#state === ST_PAUSED;
  }

  #next(): H1Event<H> | null {
    const input = this.#in;
    for (;;) {
      switch (this.#state) {
        case ST_IDLE:
          if (!this.#rules.canStart()) return null;
          if (input.queued === 0) {
            if (this.#eof && this.#rules.eofWhileIdle()) throw this.#truncated("head");
            return null;
          }
          this.#scanner.begin(this.#side === "request" ? MODE_REQUEST : MODE_RESPONSE);
          this.#state = ST_HEAD;
          continue;
        case ST_HEAD: {
          if (!input.scan(this.#scanner)) {
            if (this.#eof && (this.#scanner.started || this.#rules.eofWhileIdle())) throw this.#truncated("head");
            return null;
          }
          const ev = this.#rules.finish(this.#scanner, input.headBuf, this.#limits.maxBodyBytes);
          this.#current = ev;
          if (ev.body === "length" && ev.contentLength > 0) {
            this.#remaining = ev.contentLength;
            this.#state = ST_LENGTH;
          } else if (ev.body === "chunked") {
            this.#chunked.begin();
            this.#state = ST_CHUNKED;
          } else if (ev.body === "close" || ev.body === "tunnel") this.#state = ST_RAW;
          else this.#state = ST_END;
          return ev;
        }
        case ST_LENGTH: {
          const c = input.first;
          if (c === undefined) {
            if (this.#eof) throw this.#truncated("body");
            return null;
          }
          const n = Math.min(this.#remaining, c.length - input.pos);
          const ev = view(c, input.pos, input.pos + n);
          input.consume(n);
          if ((this.#remaining -= n) === 0) this.#state = ST_END;
          return ev;
        }
        case ST_CHUNKED: {
          const c = input.first;
          if (c === undefined) {
            if (this.#eof) throw this.#truncated("body");
            return null;
          }
          const d = this.#chunked;
          const p = d.step(c, input.pos, c.length, input.offset);
          const ev = d.viewEnd > d.viewStart ? view(c, d.viewStart, d.viewEnd) : null;
          input.consume(p - input.pos);
          if (d.last) {
            this.#trailers.begin(MODE_TRAILERS);
            this.#state = ST_TRAILERS;
          }
          if (ev) return ev;
          continue;
        }
        case ST_TRAILERS: {
          if (!input.scan(this.#trailers)) {
            if (this.#eof) throw this.#truncated("trailers");
            return null;
          }
          this.#state = ST_END;
          if (this.#trailers.fields.count > 0) {
            return { type: "trailers", trailers: this.#trailers.rawFields(input.headBuf).decode() };
          }
          continue;
        }
        case ST_RAW: {
          const c = input.first;
          if (c !== undefined) {
            const ev = view(c, input.pos, c.length);
            input.consume(c.length - input.pos);
            return ev;
          }
          if (!this.#eof) return null;
          this.#state = ST_END;
          continue;
        }
        case ST_END: {
          const next = this.#current ? this.#rules.afterEnd(this.#current) : "done";
          this.#current = undefined;
          this.#state = next === "idle" ? ST_IDLE : next === "paused" ? ST_PAUSED : ST_DONE;
          if (input.queued === 0) this.#release();
          return END;
        }
        default: // paused, done
          return null;
      }
    }
  }

  /**
   * A message ended and nothing of the next one is queued: the connection may now stay idle for
   * long (a kept-alive client between requests), so the per-head storage goes; a pipelined
   * next message keeps it. Costs a few small allocations on the next head.
   */
  #release(): void {
    this.#in.release();
    this.#scanner.fields.release();
    this.#trailersScanner?.fields.release();
  }

  #truncated(phase: "head" | "body" | "trailers"): H1Error {
    const req = this.#side === "request";
    const term: H1Termination = phase === "head" ? (req ? "CR--" : "SH--") : req ? "CD--" : "SD--";
    const offset = this.#in.offset + this.#in.pos;
    return new H1Error(this.#side, phase, "truncated", "connection closed in the message", offset, 400, term);
  }
}

/** A body event for `c[s..e)`: the chunk itself when whole, else a view. */
function view(c: Uint8Array, s: number, e: number): H1BodyEvent {
  return { type: "body", data: s === 0 && e === c.length ? c : c.subarray(s, e) };
}
