/**
 * Helpers of the HTTP/1.1 parser tests: bytes from latin1 strings, and an outcome of feeding a
 * parser some chunks (messages, body data joined, the error if any) that can be compared across
 * different splits of the same bytes.
 */
import assert from "node:assert/strict";
import { H1Error } from "../../src/http/error.ts";
import type { H1BodyKind, H1Event } from "../../src/http/events.ts";
import type { HeaderList, MessageHead } from "../../src/http/head.ts";
import { H1RequestParser, H1ResponseParser } from "../../src/http/parser.ts";

/** A latin1 string as bytes: one byte per char (`"\x00"` is a NUL byte). */
export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes back to a latin1 string. */
export function text(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** One parsed message, its body data joined. */
export interface Message {
  head: MessageHead;
  body: H1BodyKind;
  contentLength: number;
  keepAlive: boolean;
  unsafeFraming: boolean;
  upgrade: boolean;
  interim: boolean;
  data: string;
  trailers?: HeaderList;
  complete: boolean;
}

/** What a parser made of some bytes. */
export interface Outcome {
  messages: Message[];
  error?: { reason: string; status: number; termination: string; phase: string; offset: number };
  /** Bytes still queued in the parser at the end. */
  rest: number;
}

/** Options of {@link feed}. */
export interface FeedOptions {
  /** Call `end()` after the last chunk. */
  end?: boolean;
  /** For a response parser: the requests to expect, in order (`[method, upgrade]`). */
  expect?: [string, boolean][];
  /** Called with every event, to check views. */
  onEvent?: (ev: H1Event, chunks: Uint8Array[]) => void;
}

/**
 * Feeds `chunks` one by one to `parser`, reading every event after each; the read loop is
 * bounded (a parser that never returns `null` fails the test instead of hanging).
 */
export function feed(
  parser: H1RequestParser | H1ResponseParser,
  chunks: Uint8Array[],
  options: FeedOptions = {},
): Outcome {
  const out: Outcome = { messages: [], rest: 0 };
  if (parser instanceof H1ResponseParser) { for (const [m, u] of options.expect ?? []) parser.expect(m, u); }
  let total = 0;
  for (const c of chunks) total += c.length;
  let budget = total * 4 + 64;
  const drain = () => {
    for (let ev; (ev = parser.read()) !== null;) {
      if (--budget < 0) assert.fail("the parser keeps returning events: a loop?");
      options.onEvent?.(ev, chunks);
      const cur = out.messages[out.messages.length - 1];
      if (ev.type === "head") {
        out.messages.push({
          head: ev.head,
          body: ev.body,
          contentLength: ev.contentLength,
          keepAlive: ev.keepAlive,
          unsafeFraming: ev.unsafeFraming,
          upgrade: ev.upgrade,
          interim: ev.interim,
          data: "",
          complete: false,
        });
      } else if (ev.type === "body") cur!.data += text(ev.data);
      else if (ev.type === "trailers") cur!.trailers = ev.trailers;
      else cur!.complete = true;
    }
  };
  try {
    for (const c of chunks) {
      parser.push(c);
      drain();
    }
    if (options.end) {
      parser.end();
      drain();
    }
  } catch (e) {
    if (!(e instanceof H1Error)) throw e;
    out.error = { reason: e.reason, status: e.status, termination: e.termination, phase: e.phase, offset: e.offset };
  }
  out.rest = parser.buffered;
  return out;
}

/** Parses `raw` as requests in one chunk. */
export function requests(raw: string, options: FeedOptions = {}): Outcome {
  return feed(new H1RequestParser(), [bytes(raw)], options);
}

/** Parses `raw` as responses to `method` (a GET by default) in one chunk, then EOF. */
export function responses(raw: string, method = "GET", options: FeedOptions = {}): Outcome {
  return feed(new H1ResponseParser(), [bytes(raw)], { end: true, expect: [[method, false]], ...options });
}

/** Every split of `b` in two chunks, then one byte per chunk. */
export function* splits(b: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 1; i < b.length; i++) yield [b.subarray(0, i), b.subarray(i)];
  yield Array.from(b, (_, i) => b.subarray(i, i + 1));
}
