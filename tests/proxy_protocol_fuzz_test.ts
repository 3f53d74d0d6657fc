/**
 * Property tests of the PROXY protocol parser with fast-check: random bytes, valid headers
 * built from random addresses and TLVs, and those headers mutated (bytes flipped, inserted,
 * deleted, lengths rewritten). For every input:
 *
 * - `parseProxyHeader()` never throws and answers `incomplete`, `error` (with a known code and
 *   HAProxy's text) or `done` (a length within the input);
 * - the answer never changes once given: every prefix is `incomplete` or gives the same
 *   answer as the whole input, so bytes arriving one segment at a time decide the same way;
 * - no hang: `incomplete` only while fewer bytes than the header can hold arrived (107 for
 *   v1, 16 plus the announced length, at most 16384, for v2), so a peer cannot keep the
 *   receiver waiting past its timeout by sending more;
 * - a valid header round-trips: what the builders wrote parses back to the same addresses and
 *   TLVs, whatever comes after it.
 *
 * The parser is a pure function of the bytes of one connection: a bad header fails that
 * connection's parse and nothing else (no state is shared between calls).
 *
 * CI runs 300 cases per property. A longer campaign:
 *   npm run fuzz:pp                                  # FUZZ_RUNS=20000 under node
 *   FUZZ_RUNS=200000 deno test -A tests/proxy_protocol_fuzz_test.ts
 * A failure prints fast-check's seed and path; FUZZ_SEED=<seed> replays it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  parseProxyHeader,
  PP1_MAX_LENGTH,
  PP2_MAX_LENGTH,
  PP2_SIGNATURE,
  PROXY_ERROR_MESSAGES,
  type ProxyHeaderResult,
} from "../src/proxy_protocol.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2, type ProxyHeaderV2Options } from "../src/proxy_protocol_build.ts";
import { formatIp } from "../src/acl/_ip.ts";
import type { TcpAddress } from "../src/net.ts";
import { concat, enc } from "./_helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };
const PARAMS = { numRuns: RUNS, ...SEED };

/** The answer, checked for shape: never a throw, a known code, a length within the input. */
function answer(buf: Uint8Array): ProxyHeaderResult {
  const r = parseProxyHeader(buf);
  if (r.state === "error") {
    assert.equal(r.reason, PROXY_ERROR_MESSAGES[r.code]);
    assert.ok(["PRX_NOT_HDR", "PRX_BAD_PROTO", "PRX_BAD_HDR"].includes(r.code));
  } else if (r.state === "done") {
    assert.ok(r.length > 0 && r.length <= buf.length, `length ${r.length} of ${buf.length}`);
  } else {
    assert.equal(r.state, "incomplete");
  }
  return r;
}

/** Bytes after which the parser must have decided, or Infinity when it may still wait. */
function decisionBound(buf: Uint8Array): number {
  if (buf.length >= 16 && PP2_SIGNATURE.every((b, i) => buf[i] === b) && (buf[12]! & 0xf0) === 0x20) {
    return Math.min(16 + ((buf[14]! << 8) | buf[15]!), PP2_MAX_LENGTH + 1);
  }
  return PP1_MAX_LENGTH;
}

/** The properties every input keeps. */
function check(buf: Uint8Array): void {
  const whole = answer(buf);
  if (whole.state === "incomplete") {
    assert.ok(buf.length < decisionBound(buf), `still incomplete after ${buf.length} bytes`);
  }
  // Each prefix: incomplete, or the same answer as the whole (done: same header).
  const key = (r: ProxyHeaderResult) => r.state === "error" ? `error:${r.code}` : JSON.stringify(r);
  const final = key(whole);
  for (let i = 0; i < buf.length; i++) {
    const r = answer(buf.subarray(0, i));
    if (r.state !== "incomplete") {
      assert.equal(key(r), final, `prefix of ${i} bytes decided differently`);
      break;
    }
  }
}

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIp(b));
const port = fc.nat(65535);
const addr = (ip: fc.Arbitrary<string>): fc.Arbitrary<TcpAddress> =>
  fc.record({ transport: fc.constant("tcp" as const), hostname: ip, port });
const anyAddr = fc.oneof(addr(ipv4), addr(ipv6));
const text = (max: number) => fc.string({ maxLength: max, unit: "grapheme-ascii" });
const v2Options: fc.Arbitrary<ProxyHeaderV2Options> = fc.record({
  source: anyAddr,
  destination: anyAddr,
  crc32c: fc.boolean(),
  alpn: fc.option(fc.constantFrom("h2", "http/1.1"), { nil: undefined }),
  authority: fc.option(text(255), { nil: undefined }),
  uniqueId: fc.option(text(128), { nil: undefined }),
  ssl: fc.option(
    fc.record({
      client: fc.nat(7),
      verify: fc.nat(),
      version: fc.constantFrom("TLSv1.2", "TLSv1.3"),
      cn: text(64),
      cipher: fc.constantFrom("TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
    }),
    { nil: undefined },
  ),
  others: fc.array(fc.record({ type: fc.integer({ min: 0xe0, max: 0xff }), value: fc.uint8Array({ maxLength: 40 }) }), {
    maxLength: 3,
  }),
}, { requiredKeys: ["source", "destination"] });

const validHeader = fc.oneof(
  fc.tuple(anyAddr, anyAddr).map(([s, d]) => buildProxyHeaderV1(s, d)),
  v2Options.map((o) => buildProxyHeaderV2(o)),
  fc.constant(enc("PROXY UNKNOWN\r\n")),
  fc.constant(buildProxyHeaderV2({ command: "LOCAL" })),
);

/** A valid header damaged: bytes flipped, inserted or deleted, or its length field rewritten. */
const mutated = fc.tuple(
  validHeader,
  fc.array(
    fc.tuple(fc.constantFrom("flip", "insert", "delete", "length"), fc.nat(), fc.nat(255)),
    { minLength: 1, maxLength: 4 },
  ),
).map(([h, edits]) => {
  let b = Array.from(h);
  for (const [op, at, v] of edits) {
    const i = b.length === 0 ? 0 : at % b.length;
    if (op === "flip") b[i] = (b[i] ?? 0) ^ (1 << (v % 8));
    else if (op === "insert") b.splice(i, 0, v);
    else if (op === "delete") b.splice(i, 1);
    else if (b.length >= 16) [b[14], b[15]] = [v, at & 0xff];
  }
  b = b.slice(0, 20000);
  return Uint8Array.from(b);
});

describe("parseProxyHeader() properties (fast-check)", () => {
  it("random bytes: never throws, decides once and for all, never waits past the header's bound", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), PARAMS);
  });

  it("random bytes after a valid prefix of each kind (v1 'PROXY ', v2 signature)", () => {
    const starts = fc.constantFrom(
      enc("PROXY "),
      enc("PROXY TCP4 "),
      enc("PROXY TCP6 "),
      Uint8Array.from([...PP2_SIGNATURE, 0x21]),
      Uint8Array.from([...PP2_SIGNATURE, 0x21, 0x11]),
      Uint8Array.from([...PP2_SIGNATURE, 0x21, 0x21, 0x00]),
    );
    fc.assert(
      fc.property(starts, fc.uint8Array({ maxLength: 200 }), (s, b) => check(concat([s, b]))),
      PARAMS,
    );
  });

  it("mutated valid headers: never throws, decides once and for all", () => {
    fc.assert(fc.property(mutated, fc.uint8Array({ maxLength: 8 }), (h, tail) => check(concat([h, tail]))), PARAMS);
  });

  it("valid headers round-trip: addresses and TLVs as built, whatever follows", () => {
    fc.assert(
      fc.property(v2Options, fc.uint8Array({ maxLength: 20 }), (o, tail) => {
        const built = buildProxyHeaderV2(o);
        const r = answer(concat([built, tail]));
        assert.equal(r.state, "done");
        if (r.state !== "done") return;
        assert.equal(r.length, built.length);
        const norm = (a: TcpAddress | undefined) => a && parseProxyHeader(buildProxyHeaderV1(a, a));
        assert.deepEqual(norm(r.source as TcpAddress), norm(o.source as TcpAddress));
        assert.equal(r.tlvs.authority, o.authority);
        assert.equal(r.tlvs.uniqueId, o.uniqueId);
        assert.equal(r.tlvs.alpn, o.alpn);
        assert.equal(r.tlvs.crc32c !== undefined, o.crc32c === true);
        assert.equal(r.tlvs.ssl?.cn, o.ssl?.cn);
        assert.equal(r.tlvs.ssl?.verify, o.ssl?.verify);
        assert.deepEqual(r.tlvs.others, (o.others ?? []).map((t) => ({ type: t.type, value: t.value })));
      }),
      PARAMS,
    );
    fc.assert(
      fc.property(anyAddr, anyAddr, (s, d) => {
        const r = answer(buildProxyHeaderV1(s, d));
        assert.equal(r.state, "done");
        if (r.state !== "done") return;
        assert.equal((r.source as TcpAddress).port, s.port);
        assert.equal((r.destination as TcpAddress).port, d.port);
      }),
      PARAMS,
    );
  });
});
