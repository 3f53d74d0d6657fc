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
 * `H1Error` (error.ts: status, reason, HAProxy termination state) and the parser stays failed.
 *
 * Memory: a body view shares its chunk's memory with bytes the parser may still hold (the
 * rest of the chunk: the next message, more chunked framing). Writing a view through
 * `Socket.write()` gives up that view, not the whole chunk: an adapter that recycles a chunk's
 * buffer once written must only do so for writes that cover the whole buffer.
 *
 * @module
 */
import { MessageCore, type SideRules } from "./_core.ts";
import { type Expectation, finishRequest, finishResponse } from "./_message.ts";
import type { H1Event, H1HeadEvent } from "./events.ts";
import type { MessageHead, RequestHead, ResponseHead } from "./head.ts";
import type { H1Limits } from "./limits.ts";

/**
 * Where a parser is: `idle` between messages (no byte of the next head yet, empty lines
 * aside), `head` in a head, `body` in a body or a tunnel, `paused` after a request that may
 * switch protocols, `done` once nothing more can come, `error` once it failed.
 */
export type H1ParserState = "idle" | "head" | "body" | "paused" | "done" | "error";

/** What both parsers offer; see the module doc for how a caller drives them. */
export interface H1Parser<H extends MessageHead> {
  /** The limits in force, defaults applied. */
  readonly limits: H1Limits;
  /**
   * Bytes pushed and not handed out yet: queued chunks, and the part of a head (or trailer
   * section) read so far when it spans chunks.
   */
  readonly buffered: number;
  /** Whether `end()` was called. */
  readonly ended: boolean;
  /** Where the parser is. */
  readonly state: H1ParserState;
  /**
   * Hands a chunk over (as `onData` hands it to its handler): the parser keeps a reference
   * until every byte of it is handed out or consumed, and never writes to it. Ignored once the
   * parser has failed or after `end()`.
   */
  push(chunk: Uint8Array): void;
  /**
   * The peer shut its write side: a close-delimited body or a tunnel ends with the bytes
   * already pushed; a message cut short makes `read()` throw a `truncated` error.
   */
  end(): void;
  /**
   * The next event, or `null` when more bytes are needed (or the parser waits: paused, a
   * response parser without a request to answer, done). Parses only as far as that event.
   *
   * @throws {H1Error} when the message is refused or cut short; every later call throws it too.
   */
  read(): H1Event<H> | null;
  /**
   * Takes back every byte not handed out yet, in order: views of the pushed chunks, preceded by
   * a copy of a partial head when one spans chunks. For handing the connection to another
   * protocol between messages (a message in progress is abandoned). The parser holds nothing
   * afterwards.
   */
  drain(): Uint8Array[];
}

/**
 * What both parsers share: the {@link H1Parser} interface over the {@link MessageCore} they
 * drive, each configuring it for its side.
 */
export class H1MessageParser<H extends MessageHead> implements H1Parser<H> {
  /** The parsing state machine, configured by the subclass. */
  protected readonly core: MessageCore<H>;

  /** A parser over `core`. */
  constructor(core: MessageCore<H>) {
    this.core = core;
  }

  /** See {@link H1Parser.limits}. */
  get limits(): H1Limits {
    return this.core.limits;
  }
  /** See {@link H1Parser.buffered}. */
  get buffered(): number {
    return this.core.buffered;
  }
  /** See {@link H1Parser.ended}. */
  get ended(): boolean {
    return this.core.ended;
  }
  /** See {@link H1Parser.state}. */
  get state(): H1ParserState {
    return this.core.state;
  }
  /** See {@link H1Parser.push}. */
  push(chunk: Uint8Array): void {
    this.core.push(chunk);
  }
  /** See {@link H1Parser.end}. */
  end(): void {
    this.core.end();
  }
  /**
   * See {@link H1Parser.read}.
   *
   * @throws {H1Error} when the message is refused (a response: 502 for the client) or cut short.
   */
  read(): H1Event<H> | null {
    return this.core.read();
  }
  /** See {@link H1Parser.drain}. */
  drain(): Uint8Array[] {
    return this.core.drain();
  }
}

/**
 * The request side's rules: stateless, so one object serves every parser (an idle kept-alive
 * client connection then holds no closures of its own: bench/conn.ts `--http` idle memory).
 */
const REQUEST_RULES: SideRules<RequestHead> = {
  canStart: () => true,
  finish: finishRequest,
  afterEnd: (ev) => ev.head.method === "CONNECT" || ev.upgrade ? "paused" : "idle",
  eofWhileIdle: () => false,
};

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
export class H1RequestParser extends H1MessageParser<RequestHead> {
  /** A parser with the given limits (defaults: HAProxy's, see `H1Limits`). */
  constructor(limits?: Partial<H1Limits>) {
    super(new MessageCore<RequestHead>("request", limits, REQUEST_RULES));
  }

  /**
   * The server switched protocols (a 101, or a 2xx to CONNECT): every byte after the request
   * just ended, queued or to come, is handed out as `body` events until `end()`, then `end`.
   * Only while paused.
   *
   * @throws {TypeError} when the parser is not paused.
   */
  tunnel(): void {
    if (!this.core.paused) {
      throw new TypeError("H1RequestParser.tunnel(): not paused after a CONNECT or upgrade request");
    }
    this.core.startRaw();
  }

  /** The server refused the switch: parsing goes on with the next request. */
  resume(): void {
    this.core.unpause();
  }
}

/**
 * Parses the responses of one server connection. It must be told, in order, the requests they
 * answer ({@link H1ResponseParser.expect}): the body of a response depends on the method (HEAD,
 * CONNECT) and a 101 on whether an upgrade was asked. 1xx responses other than 101 are interim:
 * the final response to the same request follows them.
 */
export class H1ResponseParser extends H1MessageParser<ResponseHead> {
  readonly #expected: Expectation[];

  /** A parser with the given limits (defaults: HAProxy's, see `H1Limits`). */
  constructor(limits?: Partial<H1Limits>) {
    const expected: Expectation[] = [];
    super(
      new MessageCore<ResponseHead>("response", limits, {
        canStart: () => expected.length > 0,
        finish: (sc, buf, max) => finishResponse(sc, buf, max, expected[0]!),
        afterEnd: (ev) => {
          if (ev.interim) return "idle";
          expected.shift();
          return ev.body === "close" || ev.body === "tunnel" ? "done" : "idle";
        },
        eofWhileIdle: () => expected.length > 0,
      }),
    );
    this.#expected = expected;
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
}
