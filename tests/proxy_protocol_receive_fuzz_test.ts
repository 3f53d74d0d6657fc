/**
 * Property test of the receiving side end to end (`bind ... accept-proxy`, `src/accept.ts`
 * with `parseProxyHeader()`), on the in-memory network with a fake clock: one proxy takes a
 * batch of connections at once, each starting with a valid header (v1 or v2), a damaged one,
 * random bytes or part of a header, sent in random chunks, then its payload and an EOF.
 *
 * For every batch:
 * - a connection whose bytes begin with a valid header reaches a server, which gets exactly
 *   what followed the header, and its log line names the header's client;
 * - every other connection is closed with one error line giving HAProxy's reason (the
 *   parser's for a bad header; `Truncated ...` or `Connection closed ...` for an EOF inside or
 *   before one), and none of its bytes reaches a server;
 * - one connection's bad header never disturbs another's, and the proxy ends with no stream.
 *
 * CI runs 40 batches. A longer campaign: FUZZ_RUNS=2000 node --test tests/proxy_protocol_receive_fuzz_test.ts
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { config, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { concat, enc } from "./_helpers.ts";
import { parseProxyHeader, PP2_SIGNATURE, PROXY_ERROR_MESSAGES } from "../src/proxy_protocol.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../src/proxy_protocol_build.ts";
import { formatAddress } from "../src/address.ts";
import type { TcpAddress } from "../src/net.ts";

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
const addr = fc.record({ transport: fc.constant("tcp" as const), hostname: ipv4, port: fc.nat(65535) });
const valid = fc.oneof(
  fc.tuple(addr, addr).map(([s, d]) => buildProxyHeaderV1(s, d)),
  fc.tuple(addr, addr, fc.option(fc.string({ maxLength: 40 }), { nil: undefined })).map(([s, d, a]) =>
    buildProxyHeaderV2({ source: s, destination: d, authority: a, crc32c: true })
  ),
  fc.constant(enc("PROXY UNKNOWN\r\n")),
  fc.constant(buildProxyHeaderV2({ command: "LOCAL" })),
);
const damaged = fc.tuple(valid, fc.nat(), fc.nat(255)).map(([h, at, v]) => {
  const b = h.slice();
  b[at % b.length] = v;
  return b;
});
const start = fc.oneof(
  { weight: 4, arbitrary: valid },
  { weight: 3, arbitrary: damaged },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: valid.map((h) => h.subarray(0, h.length - 1)) }, // cut short, then EOF
  { weight: 1, arbitrary: fc.constant(Uint8Array.from(PP2_SIGNATURE)) },
);
/** One connection: how its header starts, and where its bytes are cut into writes. */
const connection = fc.record({ start, cuts: fc.array(fc.nat(), { maxLength: 4 }) });

describe("accept-proxy under random headers (fast-check)", () => {
  it("each connection is forwarded or closed on its own, as its own bytes decide", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(connection, { minLength: 1, maxLength: 6 }), async (conns) => {
        const h = new Harness();
        const srv = await h.server("s1", srvAddr(1));
        await h.start(config({ servers: servers(1) }, { binds: [{ address: FRONT, acceptProxy: true }] }));
        const expectEchoes: string[] = [];
        const expectReasons: string[] = [];
        const expectClients: string[] = [];
        const clients = [];
        for (let i = 0; i < conns.length; i++) {
          const { start, cuts } = conns[i]!;
          const all = concat([start, enc(`payload-${i}|`)]);
          // The connection's fate, judged on all its bytes: what follows a valid header (even
          // one a damaged length made shorter) goes through; anything else is closed.
          const r = parseProxyHeader(all);
          const c = await h.client();
          clients.push(c);
          if (r.state === "done") {
            expectEchoes.push(latin1(all.subarray(r.length)));
            const src = r.source as TcpAddress | undefined;
            expectClients.push(formatAddress(src ?? c.socket.localAddress!));
          } else {
            expectReasons.push(r.state === "error" ? r.reason : PROXY_ERROR_MESSAGES.PRX_TRUNCATED);
          }
          // Write in pieces at the given cuts, then EOF.
          let at = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            const to = cut % (all.length + 1);
            if (to > at) c.socket.write(all.slice(at, to));
            at = Math.max(at, to);
            await h.clock.advance(1);
          }
          if (at < all.length) c.socket.write(all.slice(at));
          c.socket.shutdownWrite();
        }
        await h.until(() => h.lines.length === conns.length && h.proxy.counters.current === 0);
        const errorLines = h.lines.filter((l) => /\] fe\/1: /.test(l));
        const reasons = errorLines.map((l) => l.replace(/^.*\] fe\/1: /, "")).sort();
        assert.deepEqual(reasons, [...expectReasons].sort());
        const streamLines = h.lines.filter((l) => !/\] fe\/1: /.test(l));
        assert.deepEqual(streamLines.map((l) => l.slice(0, l.indexOf(" ["))).sort(), [...expectClients].sort());
        assert.equal(srv.accepted.length, expectEchoes.length, "one server connection per valid header");
        const echoed = clients.map((c) => latin1(concat(c.rec.chunks))).filter((t) => t !== "").sort();
        assert.deepEqual(echoed, expectEchoes.filter((t) => t !== "").sort(), "servers got what followed each header");
        const received = srv.recorders.reduce((n, r) => n + r.bytes, 0);
        assert.equal(received, expectEchoes.join("").length, "no other byte reached a server");
        await h.proxy.stop();
      }),
      { numRuns: RUNS, ...SEED },
    );
  });
});
