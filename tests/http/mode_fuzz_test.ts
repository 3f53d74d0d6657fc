/**
 * Hostile input through the whole HTTP mode (session, transaction, pool) on the in-memory
 * network with a fake clock: fuzzed request streams (tests/http/_h1_arbitraries.ts: smuggling
 * shapes, mutations, random cuts) from clients, fuzzed responses from the origin. Properties:
 * nothing throws out of the proxy; every client connection is answered or closed within
 * bounded clock time; the origin, parsing strictly, never gets bytes it refuses nor more
 * requests than the proxy logged (a smuggled request would be one more); the proxy ends with
 * no stream and no connection counted.
 *
 * `FUZZ_RUNS` sets the runs (default 150 here, each run builds a proxy); `npm run fuzz:proxy`
 * runs 10000.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { bytes } from "./_h1.ts";
import { cut, requestInput, responseInput } from "./_h1_arbitraries.ts";
import { ended, httpConfig } from "./_httplog.ts";
import { H1RequestParser } from "../../src/http/parser.ts";
import { isH1Error } from "../../src/http/error.ts";
import type { Socket } from "../../src/net.ts";
import { internalsOf } from "../../src/proxy.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

/**
 * An origin that parses what it receives with the strict parser (as a careful server would):
 * every complete request is answered by `answer`; a byte stream it refuses is a failure of the
 * proxy (it forwarded something ambiguous or invalid). A stream cut short by the proxy's abort
 * is not: the proxy resets the connection then, and a server drops the partial request.
 */
class StrictOrigin {
  readonly refused: string[] = [];
  requests = 0;
  answer: () => string = () => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  async listen(h: Harness): Promise<void> {
    await h.net.listen({
      address: srvAddr(1),
      onAccept: (s: Socket) => {
        const p = new H1RequestParser();
        const pull = () => {
          try {
            for (let ev = p.read(); ev !== null; ev = p.read()) {
              if (ev.type !== "end") continue;
              this.requests++;
              s.write(bytes(this.answer()));
            }
          } catch (e) {
            if (isH1Error(e) && e.reason !== "truncated") this.refused.push(`${e.reason}: ${e.message}`);
          }
        };
        s.setHandlers({
          onData: (c) => {
            p.push(c);
            pull();
          },
          onEnd: () => {
            p.end();
            pull();
            s.shutdownWrite();
          },
          onDrain() {},
          onClose() {},
        });
      },
    });
  }
}

/** Runs one client conversation through a fresh proxy in front of a strict origin. */
async function run(chunks: Uint8Array[], answer?: () => string): Promise<{ h: Harness; origin: StrictOrigin }> {
  const h = new Harness();
  const origin = new StrictOrigin();
  if (answer !== undefined) origin.answer = answer;
  await origin.listen(h);
  await h.start(httpConfig(
    { timeouts: { connectMs: 1000, serverMs: 2000 } },
    { clientTimeoutMs: 2000, httpRequestTimeoutMs: 1000, httpKeepAliveTimeoutMs: 1000 },
  ));
  const c = await h.client();
  for (const chunk of chunks) {
    c.socket.write(chunk);
    await h.clock.advance(0);
  }
  c.socket.shutdownWrite();
  // Bounded: every timeout is 2 s or less, so 20 s of clock time is plenty.
  await h.until(() => ended(c.rec), 20_000);
  assert.deepEqual(origin.refused, [], "the origin got bytes a strict parser refuses");
  await h.proxy.stop();
  assert.equal(internalsOf(h.proxy).streams.size, 0);
  assert.equal(h.proxy.counters.current, 0);
  return { h, origin };
}

describe(`HTTP mode under fuzzed input (${RUNS} runs per property)`, () => {
  it("fuzzed requests: answered or closed in bounded time, only unambiguous messages reach the origin", async () => {
    await fc.assert(
      fc.asyncProperty(requestInput, async ([raw, points]) => {
        const { h, origin } = await run(cut(raw, points));
        // Never more requests at the origin than the proxy logged (a smuggled one would be).
        assert.ok(
          origin.requests <= h.lines.length,
          `${origin.requests} requests at the origin, ${h.lines.length} logged`,
        );
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it("fuzzed responses: the client gets a well-formed answer (or a 502) and the proxy survives", async () => {
    await fc.assert(
      fc.asyncProperty(responseInput, async ([raw]) => {
        const { h } = await run([bytes("GET /x HTTP/1.1\r\nhost: h\r\n\r\n")], () => raw);
        // One log line for the one request, whatever the origin said.
        assert.equal(h.lines.length, 1, h.lines.join("\n"));
      }),
      { numRuns: RUNS, ...SEED },
    );
  });
});
