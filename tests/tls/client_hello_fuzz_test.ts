/**
 * Property tests of parseClientHello() and the layer 6 fetches with fast-check: real
 * ClientHellos mutated (bytes overwritten, inserted, deleted, lengths set to lies, truncated,
 * re-framed in two records) and plain random bytes. For every input:
 *
 * - nothing throws, and every field returned lies inside the input (no read past the end);
 * - the answer is monotonic in the bytes: a prefix of an input that parses `ok` is never
 *   `not-tls`, and once `ok`, appending bytes changes nothing;
 * - the fetches `req.ssl_sni`, `req.ssl_hello_type`, `req.ssl_ver`, `req.len` answer, and
 *   "may change" only while the inspection is not final.
 *
 * CI runs 1000 cases per property. A longer campaign:
 *   npm run fuzz:clienthello                        # FUZZ_RUNS=100000 under node
 *   FUZZ_RUNS=1000000 node --test tests/tls/client_hello_fuzz_test.ts
 * A failure prints fast-check's seed and path; FUZZ_SEED=<seed> replays it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseClientHello } from "../../src/tls/client_hello.ts";
import { requestPayload } from "../../src/acl/_payload.ts";
import { FETCHES } from "../../src/acl/fetches.ts";
import type { SampleContext } from "../../src/acl/sample.ts";
import { NO_REQUEST } from "../../src/http/head.ts";
import { concat } from "../_helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };
const PARAMS = { numRuns: RUNS, ...SEED };

const SEEDS = ["openssl_a.test", "openssl_nosni_tls12", "curl_B.Test"].map((name) => {
  const hex = readFileSync(new URL(`../fixtures/client_hello/${name}.hex`, import.meta.url), "utf8").trim();
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
});

/** A real hello, mutated. */
const mutated: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom(...SEEDS),
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(600), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("len16" as const), at: fc.nat(600), v: fc.constantFrom(0, 1, 2, 0x7fff, 0xffff) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(600), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(600), v: fc.constant(0) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat(600), v: fc.constant(0) }),
      fc.record({ kind: fc.constant("split" as const), at: fc.integer({ min: 1, max: 600 }), v: fc.constant(0) }),
    ),
    { maxLength: 6 },
  ),
).map(([seed, ops]) => {
  let b: Uint8Array = seed.slice();
  for (const op of ops) {
    const at = b.length === 0 ? 0 : op.at % b.length;
    if (op.kind === "set") b[at] = op.v;
    else if (op.kind === "len16" && at + 1 < b.length) {
      b[at] = op.v >> 8;
      b[at + 1] = op.v & 0xff;
    } else if (op.kind === "insert") b = concat([b.subarray(0, at), Uint8Array.of(op.v), b.subarray(at)]);
    else if (op.kind === "delete") b = concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (op.kind === "cut") b = b.subarray(0, at);
    else if (op.kind === "split" && b.length > 5) {
      const k = Math.min(at, b.length - 5);
      const msg = b.subarray(5);
      const h = (n: number) => Uint8Array.of(0x16, b[1]!, b[2]!, n >> 8, n & 0xff);
      b = concat([h(k), msg.subarray(0, k), h(msg.length - k), msg.subarray(k)]);
    }
  }
  return b;
});

const input = fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }));

function ctx(bytes: Uint8Array, final: boolean): SampleContext {
  return { request: NO_REQUEST, payload: requestPayload(bytes, final) };
}

describe("parseClientHello() fuzzing", () => {
  it("never throws; fields lie inside the input; prefixes and extensions stay consistent", () => {
    fc.assert(
      fc.property(input, fc.nat(600), (b, extra) => {
        const r = parseClientHello(b);
        if (r.status === "ok") {
          const h = r.hello;
          assert.ok(9 + h.handshakeLength <= b.length);
          assert.ok((h.sni?.length ?? 0) <= b.length && (h.alpn ?? []).every((a) => a.length <= b.length));
          // Once whole, more bytes change nothing.
          assert.deepEqual(parseClientHello(concat([b, new Uint8Array(extra % 64)])), r);
          // A prefix is a prefix of a hello: never "not TLS".
          assert.notEqual(parseClientHello(b.subarray(0, extra % (b.length + 1))).status, "not-tls");
        }
      }),
      PARAMS,
    );
  });

  it("the layer 6 fetches answer without throwing, and may change only before the final pass", () => {
    const names = ["req.ssl_sni", "req.ssl_hello_type", "req.ssl_ver", "req.ssl_alpn", "req.ssl_st_ext", "req.len"];
    fc.assert(
      fc.property(input, (b) => {
        for (const name of names) {
          const f = FETCHES[name]!;
          f.fetch(ctx(b, false), []);
          f.fetch(ctx(b, true), []);
          assert.equal(f.mayChange?.(ctx(b, true), []) ?? false, false, name);
        }
        const payload = FETCHES["req.payload"]!;
        assert.equal(payload.fetch(ctx(b, true), [0, 0])[0]?.value.toString().length, b.length);
      }),
      PARAMS,
    );
  });
});
