/**
 * Layer 6 fetches (`src/acl/_payload.ts`) and three-valued conditions: each fetch's value and
 * whether it "may change" (HAProxy's `SMP_F_MAY_CHANGE`), `-m bin` and dotted version
 * patterns, and `acl_exec_cond()`'s MISS rules (a suite stops at its first term that is not
 * a pass, `!` and `unless` keep a miss).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AclSet } from "../../src/acl/acl.ts";
import { parseCondition, testCondition } from "../../src/acl/condition.ts";
import { requestPayload } from "../../src/acl/_payload.ts";
import type { SampleContext } from "../../src/acl/sample.ts";
import { NO_REQUEST } from "../../src/http/head.ts";
import { enc } from "../_helpers.ts";
import { clientHello } from "../tls/_client_hello.ts";
import { ctx as httpCtx, get, words } from "./_ctx.ts";

const ctx = (bytes: Uint8Array | string, final = false): SampleContext => ({
  request: NO_REQUEST,
  payload: requestPayload(typeof bytes === "string" ? enc(bytes) : bytes, final),
});

/** `if <cond>` on `bytes`, with ACLs `acls` ("name words..."). */
function test(cond: string, bytes: Uint8Array | string, final = false, ...acls: string[]): string {
  const set = new AclSet();
  for (const a of acls) {
    const [name = "", ...w] = words(a);
    set.add(name, w);
  }
  return testCondition(parseCondition(words(cond), set), ctx(bytes, final));
}

const HELLO = clientHello({ sni: "a.test", alpn: ["h2", "http/1.1"] });
/** An SSLv2-format ClientHello offering version 3.1 (short header, 3 ciphers, 16-byte challenge). */
const SSLV2 = Uint8Array.from([0x80, 9 + 3 + 16, 0x01, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 0x2f, ...new Array(16).fill(1)]);

describe("layer 6 fetches", () => {
  it("req.ssl_hello_type: 1 once the whole handshake is in; no match at once for a non-TLS first byte", () => {
    assert.equal(test("if { req.ssl_hello_type 1 }", HELLO), "pass");
    assert.equal(test("if { req.ssl_hello_type 1 }", HELLO.subarray(0, 20)), "miss");
    assert.equal(test("if { req.ssl_hello_type 1 }", HELLO.subarray(0, 20), true), "fail");
    assert.equal(test("if { req.ssl_hello_type 1 }", new Uint8Array(0)), "miss");
    assert.equal(test("if { req.ssl_hello_type 1 }", "GET / HTTP/1.0"), "fail");
    // Any record type 0x14-0x17 or 0xFF is read: a handshake type 2 in an alert record.
    assert.equal(test("if { req_ssl_hello_type 2 }", Uint8Array.of(0x15, 3, 3, 0, 4, 2, 0, 0, 0)), "pass");
  });

  it("req.ssl_sni / req.ssl_alpn: values as sent, every ALPN name tried; miss while incomplete", () => {
    assert.equal(test("if { req.ssl_sni a.test }", HELLO), "pass");
    assert.equal(test("if { req.ssl_sni A.TEST }", HELLO), "fail");
    assert.equal(test("if { req.ssl_sni -i A.TEST }", HELLO), "pass");
    assert.equal(test("if { req.ssl_sni a.test }", HELLO.subarray(0, HELLO.length - 1)), "miss");
    assert.equal(test("if { req.ssl_sni a.test }", HELLO.subarray(0, HELLO.length - 1), true), "fail");
    assert.equal(test("if { req.ssl_alpn http/1.1 }", HELLO), "pass");
    assert.equal(test("if { req.ssl_sni -m found }", clientHello({})), "fail");
    assert.equal(test("if { req.ssl_sni -m found }", "GET /"), "fail");
  });

  it("req.ssl_ver: dotted patterns, SSLv3+ and SSLv2 hellos", () => {
    assert.equal(test("if { req.ssl_ver 3.3 }", HELLO), "pass");
    assert.equal(test("if { req.ssl_ver 3.1:3.2 }", HELLO), "fail");
    assert.equal(test("if { req_ssl_ver ge 3.1 }", HELLO), "pass");
    assert.equal(test("if { req.ssl_ver 3.1 }", SSLV2), "pass");
    assert.equal(test("if { req.ssl_ver 3.1 }", SSLV2.subarray(0, 10)), "miss");
    assert.throws(() => test("if { req.ssl_ver 3.x }", HELLO), /not a valid version/);
  });

  it("req.ssl_st_ext and req.ssl_ec_ext", () => {
    assert.equal(test("if { req.ssl_st_ext 0 }", HELLO), "pass");
    assert.equal(test("if { req.ssl_ec_ext }", HELLO), "pass");
  });

  it("req.len: the buffered bytes, may change until final", () => {
    assert.equal(test("if { req.len ge 20 }", "0123456789"), "miss");
    assert.equal(test("if { req.len ge 20 }", "0123456789", true), "fail");
    assert.equal(test("if { req_len 10 }", "0123456789"), "pass");
    // Without a payload (HTTP mode), req.len is the HTTP request's size, never a miss.
    const set = new AclSet();
    assert.equal(testCondition(parseCondition(words("if { req.len gt 1000 }"), set), httpCtx(get("/"))), "fail");
  });

  it("req.proto_http (the HTTP ACL): a complete request head that parses; waits while incomplete", () => {
    assert.equal(test("if HTTP", "GET / HTTP/1.0\r\n\r\n"), "pass");
    assert.equal(test("if HTTP", "GET / HTTP/1.0\r\nHost: x"), "miss");
    assert.equal(test("if HTTP", "GET / HTTP/1.0\r\nHost: x", true), "fail");
    assert.equal(test("if HTTP", HELLO), "fail");
    assert.equal(test("if { req_proto_http }", "GET / HTTP/1.1\r\n\r\n"), "pass");
    // In mode http, every request is HTTP.
    const set = new AclSet();
    assert.equal(testCondition(parseCondition(words("if HTTP"), set), httpCtx(get("/"))), "pass");
  });

  it("req.payload(off,len): -m bin patterns in hex; waits for bytes not yet in", () => {
    assert.equal(test("if { req.payload(0,3) 160301 }", HELLO), "pass");
    assert.equal(test("if { req.payload(0,3) -m bin 160303 }", HELLO), "fail");
    assert.equal(test("if { req.payload(0,4) -m str GET\\  }", "GET /"), "pass");
    assert.equal(test("if { req.payload(2,10) -m found }", "GET /"), "miss");
    assert.equal(test("if { req.payload(2,0) -m len 3 }", "GET /"), "pass");
    assert.throws(() => test("if { req.payload(0,1) 1 }", "x"), /not a valid hex string/);
  });
});

describe("testCondition(): HAProxy's three-valued acl_exec_cond()", () => {
  const acls = ["miss req.len ge 100", "pass always_true", "fail always_false"];
  const t = (cond: string) => test(cond, "abc", false, ...acls);
  it("AND stops at the first term that is not a pass; OR takes the first pass", () => {
    assert.equal(t("if miss fail"), "miss");
    assert.equal(t("if fail miss"), "fail");
    assert.equal(t("if pass miss"), "miss");
    assert.equal(t("if miss || pass"), "pass");
    assert.equal(t("if miss || fail"), "miss");
    assert.equal(t("if fail || fail"), "fail");
  });

  it("! and unless keep a miss a miss", () => {
    assert.equal(t("if !miss"), "miss");
    assert.equal(t("unless miss"), "miss");
    assert.equal(t("unless fail"), "pass");
    assert.equal(t("if !fail"), "pass");
    assert.equal(test("if miss", "abc", true, ...acls), "fail");
    assert.equal(test("unless miss", "abc", true, ...acls), "pass");
  });
});
