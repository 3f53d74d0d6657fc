/**
 * The PROXY protocol parser and builders (`src/proxy_protocol.ts`, `src/proxy_protocol_build.ts`)
 * against doc/proxy-protocol.txt's examples and limits, HAProxy 2.6's receiver rules
 * (HAPROXY.md section 7) and headers HAProxy 2.6.12 sent (captured bytes).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseProxyHeader,
  PP2_SIGNATURE,
  PROXY_ERROR_MESSAGES,
  type ProxyHeader,
  type ProxyHeaderResult,
} from "../src/proxy_protocol.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../src/proxy_protocol_build.ts";
import { crc32c } from "../src/_crc32c.ts";
import type { Address } from "../src/net.ts";
import { concat, enc, tcp } from "./_helpers.ts";

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const SIG = Uint8Array.from(PP2_SIGNATURE);
/** A v2 header: signature, ver/cmd, family, length from the body. */
const v2 = (verCmd: number, fam: number, body: readonly number[] | Uint8Array): Uint8Array =>
  concat([SIG, Uint8Array.of(verCmd, fam, body.length >> 8, body.length & 0xff), Uint8Array.from(body)]);
const tlv = (
  type: number,
  value: Uint8Array | number[],
): number[] => [type, value.length >> 8, value.length & 0xff, ...value];
const ADDR4 = [192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb]; // 192.168.0.1:56324 -> 192.168.0.11:443

function done(r: ProxyHeaderResult): ProxyHeader {
  if (r.state !== "done") assert.fail(`expected a header, got ${JSON.stringify(r)}`);
  return r;
}

function refused(input: Uint8Array | string, code: string, detail?: RegExp): void {
  const r = parseProxyHeader(typeof input === "string" ? enc(input) : input);
  if (r.state !== "error") assert.fail(`expected ${code} for ${JSON.stringify(input)}, got ${JSON.stringify(r)}`);
  assert.equal(r.code, code, r.detail);
  assert.equal(r.reason, PROXY_ERROR_MESSAGES[r.code]);
  if (detail !== undefined) assert.match(r.detail, detail);
}

/**
 * Every proper prefix of a valid header is `incomplete` (a header split at any byte boundary
 * is waited for), and the whole header, with application bytes after it, gives `want`.
 */
function splitEverywhere(header: Uint8Array, check: (h: ProxyHeader) => void): void {
  for (let i = 0; i < header.length; i++) {
    assert.deepEqual(parseProxyHeader(header.subarray(0, i)), { state: "incomplete" }, `prefix of ${i} bytes`);
  }
  const h = done(parseProxyHeader(concat([header, enc("GET / HTTP/1.1\r\n\r\n")])));
  assert.equal(h.length, header.length);
  check(h);
}

describe("parseProxyHeader() v1", () => {
  it("reads the specification's example, split at every byte", () => {
    splitEverywhere(enc("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"), (h) => {
      assert.equal(h.version, 1);
      assert.equal(h.command, "PROXY");
      assert.equal(h.family, "TCP4");
      assert.deepEqual(h.source, tcp("192.168.0.1", 56324));
      assert.deepEqual(h.destination, tcp("192.168.0.11", 443));
      assert.deepEqual(h.tlvs, { others: [] });
    });
  });

  it("reads the longest lines of section 2.1 (56 bytes TCP4, 104 bytes TCP6) and the short UNKNOWN", () => {
    const l4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
    assert.equal(l4.length, 56);
    splitEverywhere(enc(l4), (h) => assert.deepEqual(h.source, tcp("255.255.255.255", 65535)));
    const f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const l6 = `PROXY TCP6 ${f} ${f} 65535 65535\r\n`;
    assert.equal(l6.length, 104);
    splitEverywhere(enc(l6), (h) => {
      assert.equal(h.family, "TCP6");
      assert.deepEqual(h.destination, tcp(f, 65535));
    });
    splitEverywhere(enc("PROXY UNKNOWN\r\n"), (h) => {
      assert.equal(h.family, "UNKNOWN");
      assert.equal(h.length, 15);
      assert.equal(h.source, undefined);
      assert.equal(h.destination, undefined);
    });
  });

  it("prints IPv6 canonically (inet_ntop), IPv4-mapped ones with their dotted quad", () => {
    const h = done(parseProxyHeader(enc("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:10.0.0.1 0 80\r\n")));
    assert.deepEqual(h.source, tcp("2001:db8::1", 0));
    assert.deepEqual(h.destination, tcp("::ffff:10.0.0.1", 80));
  });

  it("refuses what is not a PROXY header at the first wrong byte (PRX_NOT_HDR)", () => {
    refused("GET / HTTP/1.1\r\n", "PRX_NOT_HDR");
    refused("PROXX", "PRX_NOT_HDR");
    refused("PROXYTCP4", "PRX_NOT_HDR");
    refused("\x16\x03\x01", "PRX_NOT_HDR"); // a TLS ClientHello
    assert.equal(parseProxyHeader(enc("PROX")).state, "incomplete");
    assert.equal(parseProxyHeader(new Uint8Array(0)).state, "incomplete");
  });

  it("refuses protocols other than TCP4, TCP6 and the short UNKNOWN (PRX_BAD_PROTO), as HAProxy 2.6", () => {
    refused("PROXY TCP5 ", "PRX_BAD_PROTO");
    refused("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", "PRX_BAD_PROTO");
    refused("PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n", "PRX_BAD_PROTO");
    // The specification's long UNKNOWN form: HAProxy compares "UNKNOWN\r\n" literally.
    refused("PROXY UNKNOWN 1.2.3.4 1.2.3.4 1 2\r\n", "PRX_BAD_PROTO");
    refused("PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n", "PRX_BAD_PROTO");
  });

  it("refuses every malformed field, separator and line ending (PRX_BAD_HDR)", () => {
    for (
      const line of [
        "PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n", // two spaces
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n", // trailing space
        "PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n", // leading space
        "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n", // three fields
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n", // five fields
        "PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n", // leading zero (octal confusion)
        "PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1..3.4 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n", // port with a leading zero
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 123456\r\n",
        "PROXY TCP4 ::1 ::1 1 2\r\n", // IPv6 in TCP4
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", // IPv4 in TCP6
        "PROXY TCP6 1::2::3 ::1 1 2\r\n",
        "PROXY TCP6 12345::1 ::1 1 2\r\n",
        "PROXY TCP6 [::1] ::1 1 2\r\n",
        "PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n", // inet_pton: no leading zero in the dotted quad
        "PROXY TCP6 1:2:3:4:5:6:7::8 ::1 1 2\r\n", // `::` standing for no group
        "PROXY TCP6 :1::2 ::1 1 2\r\n",
        "PROXY TCP6 1::2: ::1 1 2\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n", // lone LF
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX", // CR without LF
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 x\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n",
      ]
    ) refused(line, "PRX_BAD_HDR");
  });

  it("refuses a line without CRLF in its first 107 bytes, and fails a bad byte without waiting for the end", () => {
    refused(`PROXY TCP6 ${"1".repeat(101)}`, "PRX_BAD_HDR", /107/);
    assert.equal(parseProxyHeader(enc(`PROXY TCP6 ${"1".repeat(95)}`)).state, "incomplete");
    refused("PROXY TCP4 1.2.3.4 x", "PRX_BAD_HDR", /offset 19/);
    refused("PROXY TCP4 1.2.3.4\n", "PRX_BAD_HDR");
  });
});

describe("parseProxyHeader() v2", () => {
  it("reads TCP over IPv4, split at every byte", () => {
    splitEverywhere(v2(0x21, 0x11, ADDR4), (h) => {
      assert.equal(h.version, 2);
      assert.equal(h.command, "PROXY");
      assert.equal(h.family, "TCP4");
      assert.deepEqual(h.source, tcp("192.168.0.1", 56324));
      assert.deepEqual(h.destination, tcp("192.168.0.11", 443));
      assert.equal(h.length, 28);
    });
  });

  it("reads TCP over IPv6 (36-byte block) and Unix stream sockets (216 bytes: paths, abstract names)", () => {
    const a = new Uint8Array(36);
    a[15] = 1; // ::1
    a.set([0x20, 0x01, 0x0d, 0xb8], 16);
    a[31] = 2; // 2001:db8::2
    a.set([0x01, 0x02, 0xff, 0xfe], 32);
    splitEverywhere(v2(0x21, 0x21, a), (h) => {
      assert.equal(h.family, "TCP6");
      assert.deepEqual(h.source, tcp("::1", 258));
      assert.deepEqual(h.destination, tcp("2001:db8::2", 65534));
    });
    const u = new Uint8Array(216);
    u.set(enc("/run/client.sock"), 0);
    u.set(enc("\0hidden"), 108);
    const h = done(parseProxyHeader(v2(0x21, 0x31, u)));
    assert.equal(h.family, "UNIX");
    assert.deepEqual(h.source, { transport: "unix", path: "/run/client.sock" });
    assert.deepEqual(h.destination, { transport: "unix", path: "\0hidden" });
  });

  it("LOCAL keeps the real addresses and skips the whole block, whatever it holds (section 2.2)", () => {
    for (const [fam, body] of [[0x00, []], [0x11, ADDR4], [0x77, [1, 2, 3]]] as const) {
      const h = done(parseProxyHeader(v2(0x20, fam, [...body])));
      assert.equal(h.command, "LOCAL");
      assert.equal(h.family, "UNSPEC");
      assert.equal(h.source, undefined);
      assert.equal(h.length, 16 + body.length);
    }
  });

  it("PROXY with UNSPEC or a datagram family keeps the real addresses", () => {
    for (const [fam, name, len] of [[0x00, "UNSPEC", 0], [0x12, "UDP4", 12], [0x22, "UDP6", 36]] as const) {
      const h = done(parseProxyHeader(v2(0x21, fam, new Uint8Array(len))));
      assert.equal(h.family, name);
      assert.equal(h.source, undefined);
      assert.equal(h.destination, undefined);
    }
  });

  it("decodes ALPN, AUTHORITY, UNIQUE_ID, NETNS, SSL with its sub-TLVs, and keeps unknown types raw", () => {
    const ssl = [
      0x07,
      0,
      0,
      0,
      0, // client: SSL | CERT_CONN | CERT_SESS, verify 0
      ...tlv(0x21, enc("TLSv1.3")),
      ...tlv(0x22, enc("client-é")),
      ...tlv(0x23, enc("TLS_AES_256_GCM_SHA384")),
      ...tlv(0x24, enc("RSA-SHA256")),
      ...tlv(0x25, enc("RSA2048")),
      ...tlv(0x26, enc("X25519")),
    ];
    const body = [
      ...ADDR4,
      ...tlv(0x01, enc("h2")),
      ...tlv(0x02, enc("www.example.com")),
      ...tlv(0x04, [0, 0, 0]), // NOOP
      ...tlv(0x05, enc("abc-123")),
      ...tlv(0x20, ssl),
      ...tlv(0x30, enc("blue")),
      ...tlv(0xe0, [1, 2]),
    ];
    const h = done(parseProxyHeader(v2(0x21, 0x11, body)));
    assert.deepEqual(h.tlvs, {
      alpn: "h2",
      authority: "www.example.com",
      uniqueId: "abc-123",
      netns: "blue",
      ssl: {
        client: 7,
        verify: 0,
        version: "TLSv1.3",
        cn: "client-é",
        cipher: "TLS_AES_256_GCM_SHA384",
        sigAlg: "RSA-SHA256",
        keyAlg: "RSA2048",
        others: [{ type: 0x26, value: enc("X25519") }],
      },
      others: [{ type: 0xe0, value: Uint8Array.of(1, 2) }],
    });
  });

  it("verifies CRC32C over the whole header with the field zeroed; a mismatch is PRX_BAD_HDR", () => {
    // Sent by HAProxy 2.6.12 (`send-proxy-v2 proxy-v2-options unique-id,ssl,authority,crc32c`).
    const captured = hex(
      "0d0a0d0a000d0a515549540a2111001e7f0000017f000001a9d24652030004c8b9ec200500002000050000000000",
    );
    const h = done(parseProxyHeader(captured));
    assert.equal(h.tlvs.crc32c, 0xc8b9ec20);
    assert.equal(h.tlvs.uniqueId, "");
    assert.deepEqual(h.tlvs.ssl, { client: 0, verify: 0, others: [] });
    assert.deepEqual(h.source, tcp("127.0.0.1", 43474));
    const bad = captured.slice();
    bad[33] = bad[33]! ^ 1;
    refused(bad, "PRX_BAD_HDR", /CRC32C mismatch/);
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0x03, [0, 0, 0])]), "PRX_BAD_HDR", /not 4/);
  });

  it("reads the headers of HAProxy 2.6.12's health checks (captured): v1 with the check's own addresses, v2 LOCAL", () => {
    const v1 = done(parseProxyHeader(enc("PROXY TCP4 127.0.0.1 127.0.0.1 44952 18103\r\n")));
    assert.deepEqual([v1.source, v1.destination], [tcp("127.0.0.1", 44952), tcp("127.0.0.1", 18103)]);
    // send-proxy-v2 proxy-v2-options crc32c,ssl: LOCAL, the TLVs skipped as HAProxy skips them.
    const v2h = done(parseProxyHeader(hex("0d0a0d0a000d0a515549540a2000000f030004889da1df2000050000000000")));
    assert.deepEqual([v2h.command, v2h.source, v2h.length], ["LOCAL", undefined, 31]);
    assert.equal(done(parseProxyHeader(hex("0d0a0d0a000d0a515549540a20000000"))).command, "LOCAL");
  });

  it("refuses each v2 violation of HAProxy's receiver and the specification", () => {
    refused(concat([SIG, Uint8Array.of(0x11, 0x11, 0, 0)]), "PRX_NOT_HDR", /version 1/);
    refused(concat([SIG.subarray(0, 5), enc("X")]), "PRX_NOT_HDR");
    refused(v2(0x22, 0x11, ADDR4), "PRX_BAD_HDR", /command 2/);
    refused(v2(0x2f, 0x11, ADDR4), "PRX_BAD_HDR", /command 15/);
    refused(v2(0x21, 0x13, ADDR4), "PRX_BAD_HDR", /family/);
    refused(v2(0x21, 0x41, ADDR4), "PRX_BAD_HDR", /family/);
    refused(v2(0x21, 0x11, ADDR4.slice(0, 11)), "PRX_BAD_HDR", /needs 12/);
    refused(v2(0x21, 0x21, new Uint8Array(35)), "PRX_BAD_HDR", /needs 36/);
    refused(v2(0x21, 0x31, new Uint8Array(215)), "PRX_BAD_HDR", /needs 216/);
    // TLVs must fit and end exactly at the header's end.
    refused(v2(0x21, 0x11, [...ADDR4, 0x01, 0x00]), "PRX_BAD_HDR", /cut/);
    refused(v2(0x21, 0x11, [...ADDR4, 0x01, 0x00, 0x05, 0x68]), "PRX_BAD_HDR", /overruns/);
    // Limits: AUTHORITY 255, UNIQUE_ID 128, any TLV 1024 bytes, the whole header 16384.
    done(parseProxyHeader(v2(0x21, 0x11, [...ADDR4, ...tlv(0x02, new Uint8Array(255).fill(0x61))])));
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0x02, new Uint8Array(256).fill(0x61))]), "PRX_BAD_HDR", /255/);
    done(parseProxyHeader(v2(0x21, 0x11, [...ADDR4, ...tlv(0x05, new Uint8Array(128))])));
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0x05, new Uint8Array(129))]), "PRX_BAD_HDR", /128/);
    done(parseProxyHeader(v2(0x21, 0x11, [...ADDR4, ...tlv(0x04, new Uint8Array(1024))])));
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0xe1, new Uint8Array(1025))]), "PRX_BAD_HDR", /1024/);
    refused(concat([SIG, Uint8Array.of(0x21, 0x11, 0x40, 0x00)]), "PRX_BAD_HDR", /16400 bytes/);
    // A malformed SSL TLV.
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0x20, [1, 0])]), "PRX_BAD_HDR", /SSL/);
    refused(v2(0x21, 0x11, [...ADDR4, ...tlv(0x20, [1, 0, 0, 0, 0, 0x21, 0, 9, 0x41])]), "PRX_BAD_HDR", /SSL/);
  });

  it("waits for a v2 header announced longer than what arrived (never reads past it)", () => {
    const h = v2(0x21, 0x11, [...ADDR4, ...tlv(0x02, enc("example.com"))]);
    assert.equal(parseProxyHeader(h.subarray(0, h.length - 1)).state, "incomplete");
    assert.equal(done(parseProxyHeader(h)).tlvs.authority, "example.com");
  });
});

describe("buildProxyHeaderV1()", () => {
  const src4 = tcp("192.168.0.1", 56324), dst4 = tcp("192.168.0.11", 443);
  const line = (s: Address | undefined, d: Address | undefined) => new TextDecoder().decode(buildProxyHeaderV1(s, d));

  it("writes the specification's example byte for byte", () => {
    assert.equal(line(src4, dst4), "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  });

  it("mixed families become TCP6 with the IPv4 side IPv4-mapped; v4-mapped pairs stay TCP4 (HAProxy)", () => {
    assert.equal(line(tcp("2001:db8::1", 1), dst4), "PROXY TCP6 2001:db8::1 ::ffff:192.168.0.11 1 443\r\n");
    assert.equal(line(src4, tcp("::1", 80)), "PROXY TCP6 ::ffff:192.168.0.1 ::1 56324 80\r\n");
    assert.equal(line(tcp("::ffff:10.0.0.1", 5), tcp("::ffff:10.0.0.2", 6)), "PROXY TCP4 10.0.0.1 10.0.0.2 5 6\r\n");
  });

  it("an address missing, Unix or a name gives PROXY UNKNOWN", () => {
    assert.equal(line(undefined, dst4), "PROXY UNKNOWN\r\n");
    assert.equal(line(src4, { transport: "unix", path: "/s" }), "PROXY UNKNOWN\r\n");
    assert.equal(line(tcp("localhost", 1), dst4), "PROXY UNKNOWN\r\n");
  });

  it("round-trips through the parser", () => {
    for (const [s, d] of [[src4, dst4], [tcp("fe80::1", 0), tcp("::", 65535)]] as const) {
      const h = done(parseProxyHeader(buildProxyHeaderV1(s, d)));
      assert.deepEqual([h.source, h.destination], [s, d]);
    }
  });
});

describe("buildProxyHeaderV2()", () => {
  it("matches headers HAProxy 2.6.12 sent, CRC32C included", () => {
    // send-proxy-v2 proxy-v2-options unique-id,ssl,authority,crc32c, plain client without SNI.
    assert.equal(
      toHex(buildProxyHeaderV2({
        source: tcp("127.0.0.1", 43474),
        destination: tcp("127.0.0.1", 18002),
        crc32c: true,
        uniqueId: "",
        ssl: { client: 0, verify: 0 },
      })),
      "0d0a0d0a000d0a515549540a2111001e7f0000017f000001a9d24652030004c8b9ec200500002000050000000000",
    );
    // A health check with proxy-v2-options crc32c,ssl: LOCAL, the TLVs still there.
    assert.equal(
      toHex(buildProxyHeaderV2({ command: "LOCAL", crc32c: true, ssl: { client: 0, verify: 0 } })),
      "0d0a0d0a000d0a515549540a2000000f030004889da1df2000050000000000",
    );
    assert.equal(toHex(buildProxyHeaderV2({ command: "LOCAL" })), "0d0a0d0a000d0a515549540a20000000");
  });

  it("writes IPv4 (0x11), IPv6 and mixed (0x21, v4-mapped), and LOCAL+UNSPEC without usable addresses", () => {
    const b4 = buildProxyHeaderV2({ source: tcp("192.168.0.1", 56324), destination: tcp("192.168.0.11", 443) });
    assert.equal(toHex(b4), toHex(v2(0x21, 0x11, ADDR4)));
    const mixed = done(
      parseProxyHeader(buildProxyHeaderV2({ source: tcp("10.0.0.1", 1), destination: tcp("::1", 2) })),
    );
    assert.equal(mixed.family, "TCP6");
    assert.deepEqual([mixed.source, mixed.destination], [tcp("::ffff:10.0.0.1", 1), tcp("::1", 2)]);
    const unix = buildProxyHeaderV2({ source: { transport: "unix", path: "/x" }, destination: tcp("10.0.0.1", 1) });
    assert.equal(toHex(unix), "0d0a0d0a000d0a515549540a20000000");
  });

  it("orders TLVs as HAProxy (CRC32C, ALPN, AUTHORITY, UNIQUE_ID, SSL, NETNS) and round-trips them", () => {
    const built = buildProxyHeaderV2({
      source: tcp("10.0.0.1", 1000),
      destination: tcp("10.0.0.2", 443),
      crc32c: true,
      alpn: "h2",
      authority: "api.example",
      uniqueId: "u-1",
      ssl: { client: 3, verify: 0, version: "TLSv1.2", cn: "alice", cipher: "ECDHE-RSA-AES128-GCM-SHA256" },
      netns: "ns1",
      others: [{ type: 0xe5, value: enc("x") }],
    });
    const types: number[] = [];
    for (let at = 28; at < built.length; at += 3 + ((built[at + 1]! << 8) | built[at + 2]!)) types.push(built[at]!);
    assert.deepEqual(types, [0x03, 0x01, 0x02, 0x05, 0x20, 0x30, 0xe5]);
    const h = done(parseProxyHeader(built));
    assert.equal(h.tlvs.crc32c !== undefined, true);
    assert.equal(h.tlvs.alpn, "h2");
    assert.equal(h.tlvs.authority, "api.example");
    assert.equal(h.tlvs.uniqueId, "u-1");
    assert.equal(h.tlvs.netns, "ns1");
    assert.deepEqual(h.tlvs.ssl, {
      client: 3,
      verify: 0,
      version: "TLSv1.2",
      cn: "alice",
      cipher: "ECDHE-RSA-AES128-GCM-SHA256",
      others: [],
    });
    assert.deepEqual(h.tlvs.others, [{ type: 0xe5, value: enc("x") }]);
  });

  it("refuses a TLV value longer than 65535 bytes", () => {
    assert.throws(() => buildProxyHeaderV2({ command: "LOCAL", uniqueId: "x".repeat(65536) }), RangeError);
  });
});

describe("crc32c()", () => {
  it("gives the standard check value and RFC 3720's vectors", () => {
    assert.equal(crc32c(enc("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  });
});
