/**
 * Property tests of the HTTP/1.1 parsers with fast-check: generated messages (pipelined
 * requests and responses built from the tricky pieces of smuggling research), then mutated
 * (bytes inserted, deleted, duplicated), fed in random chunks. For every input:
 *
 * - nothing is thrown but `H1Error`, and `read()` returns `null` within a bounded number of
 *   calls (no loop, no hang);
 * - the outcome is the same whatever the chunking (messages, body bytes, error and its offset),
 *   also with small limits (a limit is hit at the same byte however the input is cut);
 * - no message has an ambiguous framing: a chunked one carries exactly `transfer-encoding:
 *   chunked` and no `content-length`, a `length` one exactly one `content-length` equal to its
 *   length and no `transfer-encoding`, a request without body neither;
 * - body events are views of the pushed chunks;
 * - a complete message, serialized and re-framed, parses back to the same head, body and
 *   trailers (what is forwarded is read the same way by the next parser like this one).
 *
 * CI runs 1000 cases per property (about a second per runtime). A longer campaign:
 *   npm run fuzz                                   # FUZZ_RUNS=100000 under node
 *   FUZZ_RUNS=1000000 node --test tests/http/fuzz_test.ts
 *   FUZZ_RUNS=100000 deno test -A tests/http/fuzz_test.ts    (or bun test ./tests/http/fuzz_test.ts)
 * A failure prints fast-check's seed and path; FUZZ_SEED=<seed> replays it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { bytes, feed, type Message, type Outcome, text } from "./_h1.ts";
import { cut, requestInput, responseInput } from "./_h1_arbitraries.ts";
import type { H1Event } from "../../src/http/events.ts";
import { isVersion11 } from "../../src/http/head.ts";
import { H1RequestParser, H1ResponseParser } from "../../src/http/parser.ts";
import { ChunkedEncoder, serializeHead } from "../../src/http/serialize.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };
const PARAMS = { numRuns: RUNS, ...SEED };

function viewsOf(chunks: Uint8Array[]) {
  return (ev: H1Event) => {
    if (ev.type === "body") {
      assert.ok(chunks.some((c) => c.buffer === ev.data.buffer), "a body event is a view of a pushed chunk");
    }
  };
}

/** The framing invariants of one message. */
function unambiguous(m: Message, side: "request" | "response"): void {
  const values = (n: string) => m.head.headers.filter(([k]) => k === n).map(([, v]) => v);
  const cl = values("content-length"), te = values("transfer-encoding");
  if (m.body === "chunked") {
    assert.deepEqual(cl, [], "chunked: no content-length");
    assert.deepEqual(te, ["chunked"], "chunked: exactly transfer-encoding: chunked");
  } else if (m.body === "length") {
    assert.equal(cl.length, 1, "length: exactly one content-length");
    assert.equal(Number(cl[0]), m.contentLength);
    assert.deepEqual(te, [], "length: no transfer-encoding");
  } else if (side === "request") {
    assert.deepEqual([cl, te], [[], []], "no body: neither header");
  } else if (m.body !== "none") assert.deepEqual(te, [], `${m.body}: no transfer-encoding`);
}

/** Serializes a complete message again (re-chunked when chunked) and parses it back. */
function roundTrip(m: Message, side: "request" | "response", method: string, upgrade = false): void {
  let wire = text(serializeHead(m.head));
  if (m.body === "chunked") {
    const enc = new ChunkedEncoder();
    wire += (m.data.length > 0 ? text(enc.chunk(m.data.length)) + m.data : "") + text(enc.end(m.trailers));
  } else if (m.body === "length") wire += m.data;
  const again: Outcome = side === "request"
    ? feed(new H1RequestParser(), [bytes(wire)])
    : feed(new H1ResponseParser(), [bytes(wire)], { expect: [[method, upgrade]] });
  assert.equal(again.error, undefined, `re-parse of ${JSON.stringify(wire)}: ${JSON.stringify(again.error)}`);
  const m2 = again.messages[0]!;
  // What is forwarded is a fixed point: parsing it again and serializing gives the same bytes
  // (the version written HTTP/1.1 from 1.1 up, a request's `te` reduced, as HAProxy does).
  assert.equal(text(serializeHead(m2.head)), text(serializeHead(m.head)), `same head after ${JSON.stringify(wire)}`);
  const { headers: _h1, ...line1 } = m.head, { headers: _h2, ...line2 } = m2.head;
  assert.deepEqual(line2, { ...line1, version: isVersion11(line1.version) ? "HTTP/1.1" : line1.version });
  assert.equal(m2.body, m.body);
  assert.equal(m2.data, m.data);
  assert.deepEqual(m2.trailers, m.trailers);
}

describe(`fuzz (${RUNS} runs per property; FUZZ_RUNS to change)`, () => {
  it("requests: only H1Error, bounded, the same whatever the chunking, one framing, round trip", () => {
    fc.assert(
      fc.property(requestInput, ([raw, points]) => {
        const chunks = cut(raw, points);
        const whole = feed(new H1RequestParser(), [bytes(raw)], { end: true });
        const split = feed(new H1RequestParser(), chunks, { end: true, onEvent: viewsOf(chunks) });
        assert.deepEqual(split, whole);
        for (const m of whole.messages) {
          unambiguous(m, "request");
          if (m.complete && m.head.kind === "request" && !m.upgrade) roundTrip(m, "request", "");
        }
      }),
      PARAMS,
    );
  });

  it("responses: the same properties, for any request method", () => {
    fc.assert(
      fc.property(responseInput, ([raw, points, method, upgrade]) => {
        const chunks = cut(raw, points);
        const expect: [string, boolean][] = [[method, upgrade], [method, upgrade]];
        const whole = feed(new H1ResponseParser(), [bytes(raw)], { end: true, expect });
        const split = feed(new H1ResponseParser(), chunks, { end: true, expect, onEvent: viewsOf(chunks) });
        assert.deepEqual(split, whole);
        for (const m of whole.messages) {
          unambiguous(m, "response");
          if (m.complete && (m.body === "length" || m.body === "chunked" || m.body === "none")) {
            roundTrip(m, "response", method, upgrade);
          }
        }
      }),
      PARAMS,
    );
  });

  it("small limits: the same outcome whatever the chunking (limits hit at the same byte)", () => {
    const limits = fc.record({
      maxHeadBytes: fc.integer({ min: 16, max: 200 }),
      maxRequestLineBytes: fc.integer({ min: 8, max: 80 }),
      maxHeaders: fc.integer({ min: 1, max: 5 }),
      maxChunkLineBytes: fc.integer({ min: 2, max: 30 }),
      maxBodyBytes: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(requestInput, limits, ([raw, points], l) => {
        const chunks = cut(raw, points);
        assert.deepEqual(
          feed(new H1RequestParser(l), chunks, { end: true }),
          feed(new H1RequestParser(l), [bytes(raw)], { end: true }),
        );
      }),
      PARAMS,
    );
  });

  it("random bytes: only H1Error and a bounded read loop", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 4 }), (b, points) => {
        const raw = text(b);
        const chunks = cut(raw, points);
        assert.deepEqual(
          feed(new H1RequestParser(), chunks, { end: true }),
          feed(new H1RequestParser(), [b], { end: true }),
        );
        feed(new H1ResponseParser(), chunks, { end: true, expect: [["GET", false]] });
      }),
      PARAMS,
    );
  });
});
