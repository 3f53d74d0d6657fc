/**
 * parseClientHello(): real ClientHellos (captured from openssl s_client and curl, and fresh
 * from the runtime's own TLS client), every prefix, fragmented into two records, lengths
 * that lie, oversized messages, other protocols.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type ClientHello, parseClientHello } from "../../src/tls/client_hello.ts";
import { twoRecords } from "./_client_hello.ts";
import { concat, deferred, enc, fixture, nativeNetwork, Recorder, tcp, within } from "../_helpers.ts";

/** A captured ClientHello record (tests/fixtures/client_hello/README.md). */
function captured(name: string): Uint8Array {
  const hex = readFileSync(new URL(`../fixtures/client_hello/${name}.hex`, import.meta.url), "utf8").trim();
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** The hello of `buf`, which must parse `ok`. */
function hello(buf: Uint8Array): ClientHello {
  const r = parseClientHello(buf);
  assert.equal(r.status, "ok", JSON.stringify(r));
  return (r as { hello: ClientHello }).hello;
}

/** Where the `server_name` extension ends inside the handshake message of `rec`. */
function sniEnd(rec: Uint8Array): number {
  let p = 5 + 4 + 2 + 32;
  p += 1 + rec[p]!;
  p += 2 + ((rec[p]! << 8) | rec[p + 1]!);
  p += 1 + rec[p]!;
  p += 2;
  for (;;) {
    const type = (rec[p]! << 8) | rec[p + 1]!;
    const len = (rec[p + 2]! << 8) | rec[p + 3]!;
    p += 4 + len;
    if (type === 0) return p - 5;
  }
}

const OPENSSL = captured("openssl_a.test");
const NO_SNI = captured("openssl_nosni_tls12");
const CURL = captured("curl_B.Test");

describe("parseClientHello() on real ClientHellos", () => {
  it("reads SNI, ALPN, supported versions, session ticket and groups as sent", () => {
    const a = hello(OPENSSL);
    assert.equal(a.sni, "a.test");
    assert.deepEqual(a.alpn, ["h2", "http/1.1"]);
    assert.deepEqual(a.supportedVersions, [0x0304, 0x0303, 0x0302, 0x0301]);
    assert.equal(a.clientVersion, 0x0303);
    assert.equal(a.recordVersion, 0x0301);
    assert.equal(a.sessionTicketLength, 0);
    assert.equal(a.supportedGroups, true);
    assert.equal(a.fragmented, false);
    assert.equal(a.problem, undefined);
    assert.equal(a.handshakeLength + 4, a.recordLength);
    const n = hello(NO_SNI);
    assert.equal(n.sni, undefined);
    assert.equal(n.alpn, undefined);
    assert.equal(n.supportedVersions, undefined);
    // curl lowercases the name it was given.
    assert.equal(hello(CURL).sni, "b.test");
  });

  it("answers need-more for every proper prefix, the same hello once whole, and ignores what follows", () => {
    for (const rec of [OPENSSL, NO_SNI, CURL]) {
      for (let i = 0; i < rec.length; i++) {
        assert.deepEqual(parseClientHello(rec.subarray(0, i)), { status: "need-more" }, `prefix ${i}`);
      }
      const whole = hello(rec);
      assert.deepEqual(hello(concat([rec, enc("GET / HTTP/1.1\r\n")])), whole);
    }
  });

  it("reads only the first record of a hello fragmented in two: the SNI when that record holds it", () => {
    const end = sniEnd(OPENSSL);
    const msgLen = OPENSSL.length - 5;
    for (let k = 39; k < msgLen; k++) {
      const two = twoRecords(OPENSSL, k);
      // As many bytes as the handshake message's length needs, headers of both records counted.
      assert.equal(parseClientHello(two.subarray(0, 5 + msgLen - 1)).status, "need-more");
      const h = hello(two);
      assert.equal(h.fragmented, true);
      assert.equal(h.sni, k >= end ? "a.test" : undefined, `split at ${k}`);
    }
  });

  it("tells other protocols apart at once, and refuses what is no ClientHello", () => {
    assert.deepEqual(parseClientHello(enc("GET / HTTP/1.0\r\n\r\n")), { status: "not-tls" });
    assert.deepEqual(parseClientHello(enc("S")), { status: "not-tls" });
    assert.deepEqual(parseClientHello(new Uint8Array(0)), { status: "need-more" });
    assert.deepEqual(parseClientHello(Uint8Array.of(0x16)), { status: "need-more" });
    // Record version 2.x (an SSLv2-style or garbage header).
    assert.deepEqual(parseClientHello(Uint8Array.of(0x16, 0x02, 0x00)), { status: "not-tls" });
    // A ServerHello (type 2) or an alert record.
    assert.equal(parseClientHello(Uint8Array.of(0x16, 3, 3, 0, 80, 2, 0, 0, 76)).status, "malformed");
    assert.deepEqual(parseClientHello(Uint8Array.of(0x15, 3, 3, 0, 2, 2, 40)), { status: "not-tls" });
    // Lengths too small for any ClientHello.
    assert.equal(parseClientHello(Uint8Array.of(0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0)).status, "malformed");
  });

  it("never trusts a length: each lying one stops the walk, nothing is read past the buffer", () => {
    // Handshake length far beyond the record and the buffer: waits (never reads past the end).
    const long = OPENSSL.slice();
    long[6] = 0xff;
    long[7] = 0xff;
    long[8] = 0xff;
    assert.deepEqual(parseClientHello(long), { status: "need-more" });
    // Every 16-bit length field of the hello, in turn, made to lie: a result, never a throw.
    for (let i = 9; i + 1 < OPENSSL.length; i++) {
      for (const v of [0x0000, 0x0001, 0xffff]) {
        const b = OPENSSL.slice();
        b[i] = v >> 8;
        b[i + 1] = v & 0xff;
        const r = parseClientHello(b);
        if (r.status === "ok" && r.hello.sni !== undefined) assert.match(r.hello.sni, /^[\s\S]{0,65535}$/);
      }
    }
    // The SNI entry's name length beyond the extensions: no SNI.
    const p = OPENSSL.indexOf(0x61, 60); // "a" of a.test
    const bad = OPENSSL.slice();
    bad[p - 2] = 0x40;
    const h = hello(bad);
    assert.equal(h.sni, undefined);
    assert.match(h.problem ?? "", /host name longer than the extensions/);
  });

  it("an oversized hello (bigger than the inspection buffer) stays need-more", () => {
    const big = new Uint8Array(16384);
    big.set([0x16, 3, 1, 0xff, 0xff, 1, 0x00, 0xff, 0xfb, 3, 3]);
    assert.deepEqual(parseClientHello(big), { status: "need-more" });
  });

  it("reads a fresh ClientHello of this runtime's TLS client", async () => {
    const net = await nativeNetwork();
    const got = deferred<Uint8Array>();
    const rec = new Recorder();
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        rec.onDataHook = () => {
          const b = concat(rec.chunks);
          if (parseClientHello(b).status !== "need-more") {
            got.resolve(b);
            s.abort();
          }
        };
        s.setHandlers(rec);
      },
    });
    const client = net.connect({
      address: listener.address,
      tls: { serverName: "Mixed.Case.test", alpnProtocols: ["h2", "http/1.1"], caCerts: [fixture("ca.pem")] },
    });
    client.catch(() => {});
    try {
      const h = hello(await within(got.promise, 5000, "the ClientHello"));
      assert.equal(h.sni?.toLowerCase(), "mixed.case.test");
      assert.deepEqual(h.alpn, ["h2", "http/1.1"]);
    } finally {
      await listener.close();
      await client.then((s) => s.abort(), () => {});
    }
  });
});
