/**
 * The incremental HTTP/1.1 parsers: {@link H1RequestParser} for what a client sends,
 * {@link H1ResponseParser} for what a server sends. Both are fed the chunks an adapter hands
 * over and give back events one at a time:
 *
 * ```
 * parser.push(chunk);                       // onData: the chunk is the parser's now
 * for (let ev; (ev = parser.read()) !== null;) {
 *   if (ev.type === "head") ...             // once per message, body framing decided
 *   else if (ev.type === "body") ...        // ev.data: a view of a pushed chunk, never a copy
 *   else if (ev.type === "trailers") ...    // chunked bodies only
 *   else ...                                // "end": the next read() starts the next message
 * }
 * parser.end();                             // onEnd: close-delimited bodies and tunnels end
 * ```
 *
 * A head may span chunks: its bytes so far are kept (copied, bounded by `maxHeadBytes`) until
 * it completes, and only then decoded, once. Body bytes are never copied. Bytes after a
 * message stay queued for the next one (pipelining); `read()` only parses on when called, so a
 * caller that wants one message at a time simply stops calling it. A refused message throws an
 * {@link H1Error} (status, reason, HAProxy termination state) and the parser stays failed.
 *
 * Memory: a body view shares its chunk's memory with bytes the parser may still hold (the
 * rest of the chunk: the next message, more chunked framing). Writing a view through
 * `Socket.write()` gives up that view, not the whole chunk: an adapter that recycles a chunk's
 * buffer once written must only do so for writes that cover the whole buffer.
 *
 * @module
 */
import { latin1 } from "./_chars.ts";
import { ChunkedDecoder } from "./_chunked.ts";
import { type Expectation, finishRequest, finishResponse } from "./_message.ts";
import { HeadScanner, MODE_REQUEST, MODE_RESPONSE, MODE_TRAILERS } from "./_scanner.ts";
import { H1Error, type H1Side, type H1Termination } from "./error.ts";
import type { H1BodyEvent, H1EndEvent, H1Event, H1HeadEvent } from "./events.ts";
import type { MessageHead, RequestHead, ResponseHead } from "./head.ts";
import { type H1Limits, resolveH1Limits } from "./limits.ts";

const ST_IDLE = 0, ST_HEAD = 1, ST_LENGTH = 2, ST_CHUNKED = 3, ST_TRAILERS = 4, ST_RAW = 5, ST_END = 6;
const ST_PAUSED = 7, ST_DONE = 8, ST_ERROR = 9;

/** Where a parser is, between and within messages. */
export type H1ParserState = "idle" | "head" | "body" | "paused" | "done" | "error";

const END: H1EndEvent = Object.freeze({ type: "end" });

/** What both parsers share: the input queue, the head and trailer scans, the body framing. */
abstract class H1Parser<H extends MessageHead> {
  readonly #side: H1Side;
  readonly #limits: H1Limits;
  readonly #scanner: HeadScanner;
  /** Made on the first chunked body (most connections never see one). */
  #trailersScanner: HeadScanner | undefined;
  #chunkedDecoder: ChunkedDecoder | undefined;
  /** Pushed chunks not fully consumed; the first one from `#pos`. */
  #chunks: Uint8Array[] = [];
  #pos = 0;
  /** Stream offset of `#chunks[0][0]`. */
  #offset = 0;
  #buffered = 0;
  #eof = false;
  #state = ST_IDLE;
  #error: H1Error | undefined;
  /** Bytes still to come for a `length` body. */
  #remaining = 0;
  /** A partial head (or trailer section) copied out of its chunks, `#accLen` bytes of it. */
  #acc: Uint8Array | undefined;
  #accLen = 0;
  #accOn = false;
  #accOffset = 0;
  /** Where the head completed: the buffer its strings are decoded from. */
  #headBuf: Uint8Array = new Uint8Array(0);

  constructor(side: H1Side, limits: Partial<H1Limits> | undefined) {
    this.#side = side;
    this.#limits = resolveH1Limits(limits);
    this.#scanner = new HeadScanner(side, this.#limits);
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
    return this.#buffered + (this.#accOn ? this.#accLen : 0);
  }

  /** Whether {@link end} was called. */
  get ended(): boolean {
    return this.#eof;
  }

  /**
   * `idle` between messages (no byte of the next head yet, empty lines aside), `head` in a
   * head, `body` in a body or tunnel, `paused` after a request that may switch protocols (see
   * {@link H1RequestParser.resume}), `done` once nothing more can come, `error` once failed.
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
   * parser has failed or after {@link end}.
   */
  push(chunk: Uint8Array): void {
    if (this.#state === ST_ERROR || this.#eof || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The peer shut its write side: a close-delimited body or a tunnel ends with the bytes
   * already pushed; a message cut short makes {@link read} throw a `truncated` error.
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
        this.#chunks = [];
        this.#buffered = this.#accLen = 0;
        this.#accOn = false;
        this.#acc = undefined;
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
    const out = this.#chunks;
    if (out.length > 0 && this.#pos > 0) out[0] = out[0]!.subarray(this.#pos);
    if (this.#accOn) out.unshift(this.#acc!.slice(0, this.#accLen));
    this.#chunks = [];
    this.#offset += this.#buffered;
    this.#pos = this.#buffered = this.#accLen = 0;
    this.#accOn = false;
    if (this.#state === ST_HEAD) this.#state = ST_IDLE;
    return out;
  }

  /** Whether a new message may start now (the response parser needs a request to answer). */
  protected abstract canStart(): boolean;
  /** Turns a complete head scan into its event (rules of the side). */
  protected abstract finish(scanner: HeadScanner, buf: Uint8Array, maxBodyBytes: number): H1HeadEvent<H>;
  /** The state after a message's end (idle, paused, done). */
  protected abstract afterEnd(head: H1HeadEvent<H>): "idle" | "paused" | "done";
  /** Whether EOF with no byte of a next message is an error (a response was expected). */
  protected abstract eofWhileIdle(): boolean;

  /** Switches to raw bytes until EOF (a tunnel), from the next byte on. */
  protected startRaw(): void {
    this.#state = ST_RAW;
  }

  /** Back to parsing messages after a pause. */
  protected unpause(): void {
    if (this.#state === ST_PAUSED) this.#state = ST_IDLE;
  }

  /** Whether the parser is paused. */
  protected get paused(): boolean {
    return this.#state === ST_PAUSED;
  }

  #current: H1HeadEvent<H> | undefined;

  #next(): H1Event<H> | null {
    for (;;) {
      switch (this.#state) {
        case ST_IDLE:
          if (!this.canStart()) return null;
          if (this.#buffered === 0) {
            if (this.#eof && this.eofWhileIdle()) throw this.#truncated("head");
            return null;
          }
          this.#scanner.begin(this.#side === "request" ? MODE_REQUEST : MODE_RESPONSE);
          this.#state = ST_HEAD;
          continue;
        case ST_HEAD: {
          if (!this.#scan(this.#scanner)) {
            if (this.#eof && (this.#scanner.started || this.eofWhileIdle())) throw this.#truncated("head");
            return null;
          }
          const ev = this.finish(this.#scanner, this.#headBuf, this.#limits.maxBodyBytes);
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
          if (this.#buffered === 0) {
            if (this.#eof) throw this.#truncated("body");
            return null;
          }
          const c = this.#chunks[0]!;
          const n = Math.min(this.#remaining, c.length - this.#pos);
          const ev = this.#view(c, this.#pos, this.#pos + n);
          this.#consume(n);
          if ((this.#remaining -= n) === 0) this.#state = ST_END;
          return ev;
        }
        case ST_CHUNKED: {
          if (this.#buffered === 0) {
            if (this.#eof) throw this.#truncated("body");
            return null;
          }
          const d = this.#chunked;
          const c = this.#chunks[0]!;
          const p = d.step(c, this.#pos, c.length, this.#offset);
          const ev = d.viewEnd > d.viewStart ? this.#view(c, d.viewStart, d.viewEnd) : null;
          this.#consume(p - this.#pos);
          if (d.last) {
            this.#trailers.begin(MODE_TRAILERS);
            this.#state = ST_TRAILERS;
          }
          if (ev) return ev;
          continue;
        }
        case ST_TRAILERS: {
          if (!this.#scan(this.#trailers)) {
            if (this.#eof) throw this.#truncated("trailers");
            return null;
          }
          this.#state = ST_END;
          if (this.#trailers.count > 0) {
            const t = this.#trailers;
            const text = latin1(this.#headBuf, t.base, t.base + t.pos);
            return { type: "trailers", trailers: t.fields(text) };
          }
          continue;
        }
        case ST_RAW: {
          if (this.#buffered > 0) {
            const c = this.#chunks[0]!;
            const ev = this.#view(c, this.#pos, c.length);
            this.#consume(c.length - this.#pos);
            return ev;
          }
          if (!this.#eof) return null;
          this.#state = ST_END;
          continue;
        }
        case ST_END: {
          const next = this.#current ? this.afterEnd(this.#current) : "done";
          this.#current = undefined;
          this.#state = next === "idle" ? ST_IDLE : next === "paused" ? ST_PAUSED : ST_DONE;
          return END;
        }
        default: // paused, done
          return null;
      }
    }
  }

  /**
   * Feeds the scanner from the queue until its head (or trailer section) is complete; then
   * `#headBuf` holds it and the queue resumes after it. A head within one chunk is scanned in
   * place; otherwise its bytes so far are copied to `#acc` (never more than the head limit).
   */
  #scan(sc: HeadScanner): boolean {
    const max = this.#limits.maxHeadBytes;
    while (this.#buffered > 0) {
      const c = this.#chunks[0]!;
      const from = this.#pos;
      if (!this.#accOn) {
        const r = sc.feed(c, from, c.length, this.#offset);
        if (r >= 0) {
          this.#headBuf = c;
          this.#consume(r - from);
          return true;
        }
        if (sc.started) {
          const n = c.length - sc.base;
          this.#reserve(n);
          this.#acc!.set(c.subarray(sc.base), 0);
          this.#accLen = n;
          this.#accOffset = this.#offset + sc.base;
          this.#accOn = true;
          sc.rebase(0);
        }
        this.#consume(c.length - from);
        continue;
      }
      const n = Math.min(c.length - from, max + 1 - this.#accLen);
      this.#reserve(this.#accLen + n);
      const acc = this.#acc!;
      acc.set(c.subarray(from, from + n), this.#accLen);
      const r = sc.feed(acc, this.#accLen, this.#accLen + n, this.#accOffset);
      if (r >= 0) {
        this.#consume(r - this.#accLen);
        this.#headBuf = acc;
        this.#accOn = false;
        return true;
      }
      this.#accLen += n;
      this.#consume(n);
    }
    return false;
  }

  /** Makes `#acc` hold at least `n` bytes, keeping its content. */
  #reserve(n: number): void {
    const acc = this.#acc;
    if (acc && acc.length >= n) return;
    const grown = new Uint8Array(Math.min(Math.max(n, (acc?.length ?? 0) * 2, 1024), this.#limits.maxHeadBytes + 1));
    if (acc && this.#accOn) grown.set(acc.subarray(0, this.#accLen));
    this.#acc = grown;
  }

  #view(c: Uint8Array, s: number, e: number): H1BodyEvent {
    return { type: "body", data: s === 0 && e === c.length ? c : c.subarray(s, e) };
  }

  /** Drops `n` bytes from the front of the queue. */
  #consume(n: number): void {
    this.#buffered -= n;
    this.#pos += n;
    const c = this.#chunks[0];
    if (c !== undefined && this.#pos === c.length) {
      this.#chunks.shift();
      this.#offset += c.length;
      this.#pos = 0;
    }
  }

  #truncated(phase: "head" | "body" | "trailers"): H1Error {
    const req = this.#side === "request";
    const term: H1Termination = phase === "head" ? (req ? "CR--" : "SH--") : req ? "CD--" : "SD--";
    const offset = this.#offset + this.#pos;
    return new H1Error(this.#side, phase, "truncated", "connection closed in the message", offset, 400, term);
  }
}

/**
 * Parses the requests of one client connection, one after the other (pipelining included).
 *
 * After the end of a CONNECT request, or of a request asking for an upgrade, it pauses: the
 * bytes that follow are a tunnel if the server agrees (call {@link H1RequestParser.tunnel}
 * on a 2xx to CONNECT or a 101) or the next request if not ({@link H1RequestParser.resume}).
 *
 * @example
 * ```ts
 * import { H1RequestParser } from "./parser.ts";
 *
 * const parser = new H1RequestParser();
 * parser.push(new TextEncoder().encode("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\n"));
 * const head = parser.read(); // { type: "head", head: { method: "POST", ... }, body: "length", contentLength: 2 }
 * const body = parser.read(); // { type: "body", data: <a view of the pushed chunk: "hi"> }
 * parser.read(); // { type: "end" }
 * parser.read(); // the head of GET /b
 * ```
 */
export class H1RequestParser extends H1Parser<RequestHead> {
  /** A parser with the given limits (defaults: HAProxy's, see `H1Limits`). */
  constructor(limits?: Partial<H1Limits>) {
    super("request", limits);
  }

  /**
   * The server switched protocols (a 101, or a 2xx to CONNECT): every byte after the request
   * just ended, queued or to come, is handed out as `body` events until {@link end}, then
   * `end`. Only while paused.
   *
   * @throws {TypeError} when the parser is not paused.
   */
  tunnel(): void {
    if (!this.paused) throw new TypeError("H1RequestParser.tunnel(): not paused after a CONNECT or upgrade request");
    this.startRaw();
  }

  /** The server refused the switch: parsing goes on with the next request. */
  resume(): void {
    this.unpause();
  }

  protected canStart(): boolean {
    return true;
  }

  protected finish(sc: HeadScanner, buf: Uint8Array, maxBodyBytes: number): H1HeadEvent<RequestHead> {
    return finishRequest(sc, buf, maxBodyBytes);
  }

  protected afterEnd(ev: H1HeadEvent<RequestHead>): "idle" | "paused" | "done" {
    return ev.head.method === "CONNECT" || ev.upgrade ? "paused" : "idle";
  }

  protected eofWhileIdle(): boolean {
    return false;
  }
}

/**
 * Parses the responses of one server connection. It must be told, in order, the requests they
 * answer ({@link H1ResponseParser.expect}): the body of a response depends on the method (HEAD,
 * CONNECT) and a 101 on whether an upgrade was asked. 1xx responses other than 101 are interim:
 * the final response to the same request follows them.
 */
export class H1ResponseParser extends H1Parser<ResponseHead> {
  readonly #expected: Expectation[] = [];

  /** A parser with the given limits (defaults: HAProxy's, see `H1Limits`). */
  constructor(limits?: Partial<H1Limits>) {
    super("response", limits);
  }

  /**
   * Queues the request the next response answers: its method (case-sensitive, as HAProxy's
   * `find_http_meth()`: `head` is not HEAD) and whether it asked for an upgrade (the head
   * event's `upgrade`). Pass the request's head event to take both from it.
   */
  expect(request: string | H1HeadEvent<RequestHead>, upgrade = false): void {
    this.#expected.push(
      typeof request === "string"
        ? { method: request, upgrade }
        : { method: request.head.method, upgrade: request.upgrade },
    );
  }

  /** Requests sent whose final response has not ended yet. */
  get pending(): number {
    return this.#expected.length;
  }

  protected canStart(): boolean {
    return this.#expected.length > 0;
  }

  protected finish(sc: HeadScanner, buf: Uint8Array, maxBodyBytes: number): H1HeadEvent<ResponseHead> {
    return finishResponse(sc, buf, maxBodyBytes, this.#expected[0]!);
  }

  protected afterEnd(ev: H1HeadEvent<ResponseHead>): "idle" | "paused" | "done" {
    if (ev.interim) return "idle";
    this.#expected.shift();
    return ev.body === "close" || ev.body === "tunnel" ? "done" : "idle";
  }

  protected eofWhileIdle(): boolean {
    return this.#expected.length > 0;
  }
}
