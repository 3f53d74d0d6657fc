/**
 * Sample fetches and converters as `%[...]` renders them, and log-format strings: every
 * expected value is what HAProxy 2.6.12 returned for the same request in an `http-request
 * return ... lf-string` (a missing sample renders as an empty string).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LogFormatError, parseLogFormat, renderLogFormat } from "../../src/acl/log_format.ts";
import { ctx, get } from "./_ctx.ts";

const render = (fmt: string, raw: string, extra = {}) => renderLogFormat(parseLogFormat(fmt), ctx(raw, extra));
/** HAProxy counts the body bytes already received in `req.len`: R3 had its 3 with its head. */
const R3_BODY = { bodyBytes: 3 };

const R1 = get("/a/../b/./c%41?id=x%20y&id=2;z", "Host: h.test:8080", "X-Foo: a, b", "X-Foo: c");
const R2 = get("http://example.com:80/p?q", "Host: EXAMPLE.com:80");
const R3 = "POST /x;id=42?a=1 HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc";

/** [expression, request, HAProxy's value]. */
const VALUES: readonly [string, string, string][] = [
  ["path", R1, "/a/../b/./c%41"],
  ["url", R1, "/a/../b/./c%41?id=x%20y&id=2;z"],
  ["query", R1, "id=x%20y&id=2;z"],
  ["base", R1, "h.test:8080/a/../b/./c%41"],
  ["pathq", R1, "/a/../b/./c%41?id=x%20y&id=2;z"],
  ["url_param(id)", R1, "x%20y"],
  ["method", R1, "GET"],
  ["req.hdr(x-foo)", R1, "c"],
  ["req.hdr(x-foo,1)", R1, "a"],
  ["req.hdr(x-foo,-1)", R1, "c"],
  ["req.hdr(x-foo,2)", R1, "b"],
  ["req.hdr(x-foo,-2)", R1, "b"],
  ["req.fhdr(x-foo)", R1, "c"],
  ["req.fhdr(x-foo,1)", R1, "a, b"],
  ["req.hdr_cnt(x-foo)", R1, "3"],
  ["req.fhdr_cnt(x-foo)", R1, "2"],
  ["hdr(host)", R1, "h.test:8080"],
  ["req.ver", R1, "1.1"],
  ["req.len", R1, "92"],
  ["src", R1, "127.0.0.1"],
  ["dst_port", R1, "8080"],
  ["url_ip", R1, ""],
  ["url_port", R1, ""],
  ["req.hdr()", R1, "c"],
  ["req.hdr_cnt()", R1, "4"],
  // Absolute-form: the default port is dropped from the URI and, with it, from Host.
  ["path", R2, "/p"],
  ["url", R2, "http://example.com/p?q"],
  ["query", R2, "q"],
  ["base", R2, "example.com/p"],
  ["pathq", R2, "/p?q"],
  ["hdr(host)", R2, "example.com"],
  ["req.len", R2, "69"],
  ["req.hdr()", R2, "example.com"],
  ["req.hdr_cnt()", R2, "1"],
  ["path", R3, "/x;id=42"],
  ["query", R3, "a=1"],
  ["base", R3, "h/x;id=42"],
  ["url_param(id)", R3, ""],
  ["method", R3, "POST"],
  ["req.len", R3, "65"],
  ["req.hdr()", R3, "3"],
  ["req.hdr_cnt()", R3, "2"],
  // url_param details.
  ["url_param(id)", get("/x;id=42?id"), ""],
  ["urlp(id,;)", get("/x;id=42?id"), "42?id"],
  ["urlp", get("/x;id=42?id"), ""],
  ["query", get("/x;id=42?id"), "id"],
  ["url_param(id)", get("/Ab?ID=1&id=2"), "2"],
  ["urlp", get("/Ab?ID=1&id=2"), "1"],
  ["url_param(id)", get("/?&&id=7"), "7"],
  ["urlp", get("/?&&id=7"), "7"],
  ["query", get("/?&&id=7"), "&&id=7"],
  ["urlp_val(n)", get("http://1.2.3.4:8080/x?n=42x&id=7", "Host: 1.2.3.4:8080"), "42"],
  // Targets without a path.
  ["path", "OPTIONS * HTTP/1.1\r\n\r\n", ""],
  ["url", "OPTIONS * HTTP/1.1\r\n\r\n", "*"],
  ["base", "OPTIONS * HTTP/1.1\r\n\r\n", ""],
  ["path", get("http://h.test", "Host: h.test"), ""],
  ["url", "CONNECT h.test:443 HTTP/1.1\r\nHost: h.test:443\r\n\r\n", "h.test:443"],
  ["path", "CONNECT h.test:443 HTTP/1.1\r\nHost: h.test:443\r\n\r\n", ""],
  ["path", get("https://u@h.test:8443/p"), "/p"],
  ["method", "get /Ab HTTP/1.1\r\n\r\n", "get"],
  // url_ip / url_port: an http:// URI with an IPv4 host.
  ["url_ip", get("http://1.2.3.4:8080/x", "Host: 1.2.3.4:8080"), "1.2.3.4"],
  ["url_port", get("http://1.2.3.4:8080/x", "Host: 1.2.3.4:8080"), "8080"],
  ["url_ip", get("http://h.test:8080/x", "Host: h.test:8080"), ""],
  ["url_port", get("http://1.2.3.4/x"), "80"],
  // Header values as other types.
  ["req.hdr_ip(x-ip)", get("/", "x-ip: 1.2.3.4:80"), "1.2.3.4"],
  ["req.hdr_ip(x-ip)", get("/", "x-ip: ::1"), "::1"],
  ["req.hdr_ip(x-ip)", get("/", "x-ip: x"), ""],
  ["req.hdr_val(x-n)", get("/", "x-n: 12abc"), "12"],
  ["req.hdr_val(x-n)", get("/", "x-n: -7"), "-7"],
  ["req.hdr_val(x-n)", get("/", "x-n:"), "0"],
  ["base", get("http://1.2.3.4/x"), "/x"],
  // Converters.
  ["req.hdr(x-f),field(2,.)", get("/", "x-f: a.b..c.d"), "b"],
  ["req.hdr(x-f),field(-2,.,2)", get("/", "x-f: a.b..c.d"), ".c"],
  ["req.hdr(x-f),word(2,.)", get("/", "x-f: a.b..c.d"), "b"],
  ["req.hdr(x-f),field(2,.)", get("/", "x-f: .a.b"), "a"],
  ["req.hdr(x-f),field(-2,.,2)", get("/", "x-f: .a.b"), ".a"],
  ["req.hdr(x-f),word(2,.)", get("/", "x-f: .a.b"), "b"],
  ["req.hdr(x-f),upper", get("/", "x-f: a.b..c.d"), "A.B..C.D"],
  ["req.hdr(x-f),regsub(\\.,_,g)", get("/", "x-f: a.b..c.d"), "a_b__c_d"],
  ["req.hdr(x-f),length", get("/", "x-f: a.b..c.d"), "8"],
  ["path,lower", get("/Ab?ID=1"), "/ab"],
  ["path,length", get("/Ab?ID=1"), "3"],
];

describe("%[fetch] values, as HAProxy 2.6 renders them", () => {
  for (const [expr, raw, expected] of VALUES) {
    it(`%[${expr}] of ${JSON.stringify(raw.split("\r\n")[0])} is ${JSON.stringify(expected)}`, () => {
      assert.equal(render(`%[${expr}]`, raw), expected);
    });
  }

  it("req.len counts the body received with the head (HAProxy: 68 for R3)", () => {
    assert.equal(render("%[req.len]", R3, R3_BODY), "68");
  });

  it("converters as configuration.txt 7.3.1 documents them", () => {
    const r = get("/", "x: f1_f2_f3__f5", "y: /f1/f2/f3/f4");
    const rows: [string, string][] = [
      ["field(5,_)", "f5"],
      ["field(2,_,0)", "f2_f3__f5"],
      ["field(2,_,2)", "f2_f3"],
      ["field(-2,_,3)", "f2_f3_"],
      ["field(-3,_,0)", "f1_f2_f3"],
      ["word(4,_)", "f5"],
      ["word(2,_,0)", "f2_f3__f5"],
      ["word(3,_,2)", "f3__f5"],
      ["word(-2,_,3)", "f1_f2_f3"],
      ["word(-3,_,0)", "f1_f2"],
    ];
    for (const [conv, expected] of rows) assert.equal(render(`%[req.hdr(x),${conv}]`, r), expected, conv);
    assert.equal(render("%[req.hdr(y),word(1,/)]", r), "f1");
  });

  it("other fetches: ssl_fc, names, constants, response fetches", () => {
    const r = get("/");
    assert.equal(render("%[ssl_fc]", r), "0");
    assert.equal(render("%[ssl_fc]", r, { secure: true }), "1");
    assert.equal(render("%[fe_name]/%[be_name]", r, { backend: "be" }), "fe/be");
    assert.equal(render("%[str(abc)] %[int(-4)]", r), "abc -4");
    const res = {
      kind: "response" as const,
      version: "HTTP/1.1",
      status: 404,
      reason: "Not Found",
      headers: [["x-a", "1, 2"]] as [string, string][],
    };
    assert.equal(
      render("%[status] %[res.hdr(x-a)] %[res.hdr_cnt(x-a)] %[res.fhdr(x-a)]", r, { response: res }),
      "404 2 2 1, 2",
    );
    assert.equal(render("%[status]", r), "");
    assert.equal(render("%[src]:%[src_port]", r, { src: { address: "::ffff:10.0.0.1", port: 1 } }), "10.0.0.1:1");
    assert.equal(render("%[src]", r, { src: { address: "2001:db8:0:0:1:0:0:1", port: 1 } }), "2001:db8::1:0:0:1");
    assert.equal(render("%[req.len]", "POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\n", { bodyBytes: 3 }), "52");
  });
});

describe("log-format strings", () => {
  it("renders text, %%, %[...] and variables as HAProxy 2.6 (%{+Q} quotes variables, not samples)", () => {
    const r = get("/p?q=1", 'x: a"b');
    assert.equal(
      render("a=%ci|%cp|%fi|%fp|%f|%b|%HM|%HU|%HP|%HQ|%HV|%{+Q}[path]|%{+Q}ci|%[path]]|%r|100%%", r),
      'a=127.0.0.1|40000|127.0.0.1|8080|fe|fe|GET|/p?q=1|/p|?q=1|HTTP/1.1|/p|"127.0.0.1"|/p]|GET /p?q=1 HTTP/1.1|100%',
    );
    assert.equal(render("%[src] %[dst_port] %[req.hdr(host)]", get("/", "Host: h.test")), "127.0.0.1 8080 h.test");
  });

  /** [format, HAProxy's message]. */
  const errors: [string, string][] = [
    ["100%", "truncated line after '%'"],
    ["%[path x]", "expected ']' after 'path', but found ' '"],
    ["%{+Q}", "parse argument modifier without variable name near '%{+Q}'"],
    ["%{+Q", "truncated line after '+Q'"],
    ["%[]", "failed to parse sample expression <]> : missing fetch method"],
    ["%[path,]", "failed to parse sample expression <path,]> : unknown converter ''"],
    ["%[nosuch]", "failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'"],
    ["%[path,nosuch]", "failed to parse sample expression <path,nosuch]> : unknown converter 'nosuch'"],
    [
      "%[req.hdr(host,x)]",
      "failed to parse sample expression <req.hdr(host,x)]> : fetch method 'req.hdr' : failed to parse 'x' as type 'integer' at position 2",
    ],
    ["%[path", "missing ']' after 'path'"],
    ["%Z", "no such format variable 'Z'. If you wanted to emit the '%' character verbatim, you need to use '%%'"],
  ];
  for (const [fmt, message] of errors) {
    it(`${JSON.stringify(fmt)} → ${message}`, () => {
      assert.throws(() => parseLogFormat(fmt), (e: unknown) => e instanceof LogFormatError && e.message === message);
    });
  }
});
