/** The DNS wire codec (src/dns/wire.ts): round trips, compression pointers, malformed input. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, DnsWireError, encodeMessage, RCODE } from "../../src/dns/wire.ts";

describe("dns wire", () => {
  it("encodeMessage() writes a query as RFC 1035 says, with EDNS0 when asked", () => {
    const q = encodeMessage({ id: 0x1234, response: false, questions: [{ name: "app.test", type: "A" }] });
    assert.deepEqual(
      Array.from(q),
      [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 97, 112, 112, 4, 116, 101, 115, 116, 0, 0, 1, 0, 1],
    );
    const e = decodeMessage(
      encodeMessage({ id: 1, response: false, questions: [{ name: "x", type: "SRV" }], payloadSize: 1232 }),
    );
    assert.equal(e.payloadSize, 1232);
    assert.deepEqual(e.questions, [{ name: "x", type: "SRV" }]);
  });

  it("decodeMessage() reads back A, AAAA, CNAME and SRV records and the flags", () => {
    const m = decodeMessage(encodeMessage({
      id: 7,
      response: true,
      rcode: RCODE.NOERROR,
      authoritative: true,
      questions: [{ name: "_http._tcp.svc.test", type: "SRV" }],
      answers: [
        {
          name: "_http._tcp.svc.test",
          type: "SRV",
          ttl: 30,
          priority: 1,
          weight: 10,
          port: 7001,
          target: "a1.svc.test",
        },
        { name: "alias.test", type: "CNAME", ttl: 5, target: "app.test" },
      ],
      additionals: [
        { name: "a1.svc.test", type: "A", ttl: 30, address: "127.0.0.4" },
        { name: "a1.svc.test", type: "AAAA", ttl: 30, address: "2001:db8::1:0:0:1" },
      ],
    }));
    assert.equal(m.id, 7);
    assert.equal(m.response, true);
    assert.equal(m.authoritative, true);
    assert.equal(m.rcode, 0);
    assert.deepEqual(m.answers, [
      { name: "_http._tcp.svc.test", type: "SRV", ttl: 30, priority: 1, weight: 10, port: 7001, target: "a1.svc.test" },
      { name: "alias.test", type: "CNAME", ttl: 5, target: "app.test" },
    ]);
    assert.deepEqual(m.additionals, [
      { name: "a1.svc.test", type: "A", ttl: 30, address: "127.0.0.4" },
      { name: "a1.svc.test", type: "AAAA", ttl: 30, address: "2001:db8::1:0:0:1" },
    ]);
  });

  it("decodeMessage() follows compression pointers and lowercases names", () => {
    // Header (1 question, 1 answer), question APP.test A, answer named by a pointer to byte 12.
    const bytes = Uint8Array.from([
      0,
      9,
      0x81,
      0x80,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      0,
      3,
      65,
      80,
      80,
      4,
      116,
      101,
      115,
      116,
      0,
      0,
      1,
      0,
      1,
      0xc0,
      12,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      60,
      0,
      4,
      127,
      0,
      0,
      2,
    ]);
    const m = decodeMessage(bytes);
    assert.deepEqual(m.questions, [{ name: "app.test", type: "A" }]);
    assert.deepEqual(m.answers, [{ name: "app.test", type: "A", ttl: 60, address: "127.0.0.2" }]);
    assert.equal(m.recursionDesired, true);
  });

  it("decodeMessage() refuses truncated messages and pointer loops with DnsWireError", () => {
    assert.throws(() => decodeMessage(Uint8Array.from([0, 1, 0])), DnsWireError);
    const loop = Uint8Array.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => decodeMessage(loop), /compression loop/);
    const good = encodeMessage({
      id: 1,
      response: true,
      questions: [{ name: "a.b", type: "A" }],
      answers: [{ name: "a.b", type: "A", ttl: 1, address: "1.2.3.4" }],
    });
    for (let n = 12; n < good.length; n++) {
      assert.throws(() => decodeMessage(good.subarray(0, n)), DnsWireError, `cut at ${n}`);
    }
  });

  it("encodeMessage() refuses a label over 63 bytes", () => {
    assert.throws(
      () => encodeMessage({ id: 1, response: false, questions: [{ name: `${"a".repeat(64)}.test`, type: "A" }] }),
      DnsWireError,
    );
  });
});
