import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addressProblem, formatAddress, hostnameProblem, isIPv4, isIPv6, parseAddress } from "../src/address.ts";
import { isProxyError } from "../src/errors.ts";
import type { Address } from "../src/net.ts";

const tcp = (hostname: string, port: number): Address => ({ transport: "tcp", hostname, port });

/** Asserts that parsing `text` fails with ERR_CONFIG_INVALID naming `text` and `reason`. */
function refuses(text: string, reason: RegExp, opts?: Parameters<typeof parseAddress>[1]): void {
  assert.throws(() => parseAddress(text, opts), (e: unknown) => {
    assert.ok(isProxyError(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.ok(e.message.includes(`'${text}'`), e.message);
    assert.match(e.message, reason);
    return true;
  });
}

describe("parseAddress()", () => {
  it("reads HOST:PORT with an IPv4 literal or a DNS name", () => {
    assert.deepEqual(parseAddress("127.0.0.1:8080"), tcp("127.0.0.1", 8080));
    assert.deepEqual(parseAddress("backend-1.example.com:443"), tcp("backend-1.example.com", 443));
    assert.deepEqual(parseAddress("LocalHost:80"), tcp("localhost", 80));
    assert.deepEqual(parseAddress("my_service:6379"), tcp("my_service", 6379));
  });

  it("reads IPv6 in brackets, after ipv6@, and bare with the port after the last colon", () => {
    assert.deepEqual(parseAddress("[::1]:8080"), tcp("::1", 8080));
    assert.deepEqual(parseAddress("[2001:DB8::1]:443"), tcp("2001:db8::1", 443));
    assert.deepEqual(parseAddress("ipv6@::1:80"), tcp("::1", 80));
    assert.deepEqual(parseAddress(":::80"), tcp("::", 80));
    assert.deepEqual(parseAddress("[::ffff:10.0.0.1]:80"), tcp("::ffff:10.0.0.1", 80));
  });

  it("maps *, an empty host and ipv4@ to 0.0.0.0, and ipv6@ to ::", () => {
    assert.deepEqual(parseAddress("*:80"), tcp("0.0.0.0", 80));
    assert.deepEqual(parseAddress(":80"), tcp("0.0.0.0", 80));
    assert.deepEqual(parseAddress("ipv4@:80"), tcp("0.0.0.0", 80));
    assert.deepEqual(parseAddress("ipv4@10.1.2.3:80"), tcp("10.1.2.3", 80));
    assert.deepEqual(parseAddress("ipv6@:80"), tcp("::", 80));
  });

  it("reads Unix sockets: unix@/path, a bare /path and abns@name", () => {
    assert.deepEqual(parseAddress("unix@/run/app.sock"), { transport: "unix", path: "/run/app.sock" });
    assert.deepEqual(parseAddress("/tmp/a@b.sock"), { transport: "unix", path: "/tmp/a@b.sock" });
    assert.deepEqual(parseAddress("abns@proxykit"), { transport: "unix", path: "\0proxykit" });
  });

  it("accepts port 0 only when the caller allows it", () => {
    refuses("127.0.0.1:0", /port 0 out of range 1\.\.65535/);
    assert.deepEqual(parseAddress("127.0.0.1:0", { allowPortZero: true }), tcp("127.0.0.1", 0));
  });

  it("refuses port ranges and offsets with a clear reason", () => {
    refuses("127.0.0.1:80-90", /port ranges are not supported/);
    refuses("10.0.0.1:+1000", /port offsets/);
    refuses("10.0.0.1:-1", /port offsets/);
  });

  it("refuses a missing, non-numeric or too large port", () => {
    refuses("127.0.0.1", /missing ':PORT'/);
    refuses("127.0.0.1:", /missing port/);
    refuses("[::1]", /missing ':PORT'/);
    refuses("127.0.0.1:http", /invalid port 'http'/);
    refuses("127.0.0.1:65536", /out of range/);
  });

  it("refuses invalid hostnames and literals", () => {
    refuses("10.0.0.256:80", /not an IPv4 address/);
    refuses("010.0.0.1:80", /not an IPv4 address/);
    refuses("1.2.3:80", /not an IPv4 address/);
    refuses("bad host:80", /neither an IP address nor a valid DNS name/);
    refuses("-lead.example:80", /neither/);
    refuses("[::1:80", /missing '\]'/);
    refuses("[1.2.3.4]:80", /not an IPv6 address/);
    refuses("2001:db8::1:", /missing port/);
    refuses("fe80::1:2::3:80", /not an IPv6 address/);
    refuses("ipv4@::1:80", /not an IPv4 address/);
    refuses("ipv6@127.0.0.1:80", /not an IPv6 address/);
  });

  it("refuses unknown prefixes, relative unix@ paths and Unix sockets where not accepted", () => {
    refuses("fd@3", /'fd@' prefix is not supported/);
    refuses("udp@127.0.0.1:53", /'udp@' prefix is not supported/);
    refuses("unix@relative.sock", /must be absolute/);
    refuses("/tmp/x.sock", /Unix socket is not accepted/, { allowUnix: false });
    refuses(`/tmp/${"x".repeat(120)}`, /longer than 107 bytes/);
  });
});

describe("formatAddress()", () => {
  it("prints what HAProxy prints, and parses back to the same address", () => {
    const cases: [Address, string][] = [
      [tcp("127.0.0.1", 8080), "127.0.0.1:8080"],
      [tcp("::1", 8080), "[::1]:8080"],
      [tcp("example.com", 443), "example.com:443"],
      [{ transport: "unix", path: "/run/x.sock" }, "unix@/run/x.sock"],
      [{ transport: "unix", path: "\0name" }, "abns@name"],
    ];
    for (const [addr, text] of cases) {
      assert.equal(formatAddress(addr), text);
      assert.deepEqual(parseAddress(text), addr);
    }
  });
});

describe("address validators", () => {
  it("isIPv4() and isIPv6() follow the textual forms", () => {
    assert.ok(isIPv4("255.255.255.255"));
    assert.ok(!isIPv4("1.2.3.4.5"));
    for (const ok of ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "::ffff:1.2.3.4", "fe80::a:b"]) {
      assert.ok(isIPv6(ok), ok);
    }
    for (
      const bad of [
        "",
        ":",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "12345::",
        "g::",
        "1:2:3:4:5:6:7::8",
        "::1.2.3",
      ]
    ) {
      assert.ok(!isIPv6(bad), bad);
    }
  });

  it("hostnameProblem() checks label syntax and length", () => {
    assert.equal(hostnameProblem("a.b-c.example."), undefined);
    assert.match(hostnameProblem(`${"a".repeat(64)}.com`) ?? "", /neither/);
    assert.match(hostnameProblem(`${"a.".repeat(127)}ab`) ?? "", /longer than 253/);
    assert.match(hostnameProblem("") ?? "", /empty/);
  });

  it("addressProblem() checks objects built by library users", () => {
    assert.equal(addressProblem(tcp("127.0.0.1", 1)), undefined);
    assert.equal(addressProblem(tcp("::", 0), { allowPortZero: true }), undefined);
    assert.match(addressProblem(tcp("127.0.0.1", 0)) ?? "", /port must be an integer 1\.\.65535, got 0/);
    assert.match(addressProblem(tcp("127.0.0.1", 1.5)) ?? "", /port must be an integer/);
    assert.match(addressProblem({ transport: "udp" }) ?? "", /transport must be/);
    assert.match(addressProblem({ transport: "unix", path: "" }) ?? "", /non-empty/);
    assert.match(addressProblem(null) ?? "", /address object/);
  });
});
