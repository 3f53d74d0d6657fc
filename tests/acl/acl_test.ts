/**
 * ACL matching and conditions, one row per behaviour observed on HAProxy 2.6.12 (the rows of
 * the ACL checklist, and more cases measured the same way: a HAProxy frontend setting a
 * variable per matching ACL and returning them).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AclError, AclSet, matchAclExpr, parseAclExpr } from "../../src/acl/acl.ts";
import { evaluateCondition, parseCondition } from "../../src/acl/condition.ts";
import { ctx, get, words } from "./_ctx.ts";

/** Whether `acl x <expr>` matches `raw`. */
function matches(expr: string, raw: string, src = "127.0.0.1"): boolean {
  return matchAclExpr(parseAclExpr(words(expr)), ctx(raw, { src: { address: src, port: 40000 } }));
}

const HOST_PORT = get("/foo", "Host: example.com:8080");
const FOO = get("/?id", "Host: EXAMPLE.com", "X-Foo: a, b", "X-Foo: c");

/** [acl expression, request, expected], as HAProxy 2.6 matched them. */
const OBSERVED: readonly [string, string, boolean][] = [
  // Host: the port is kept; ':' is a domain delimiter.
  ["hdr(host) example.com", HOST_PORT, false],
  ["hdr_end(host) .com", HOST_PORT, false],
  ["hdr_dom(host) example.com", HOST_PORT, true],
  ["hdr(host) -m dom example.com", HOST_PORT, true],
  ["hdr_dom(host) 8080", HOST_PORT, true],
  ["hdr_dom(host) com", HOST_PORT, true],
  ["hdr_sub(host) :8080", HOST_PORT, true],
  ["hdr_dom(host) example.com", get("/", "Host: example.com."), true],
  ["hdr_dom(host) .example.com.", get("/", "Host: www.example.com"), true],
  ["hdr_dom(host) eu", get("/", "Host: www1.dc-eu.example.com"), false],
  ["hdr_dom(host) dc-eu.example", get("/", "Host: www1.dc-eu.example.com"), true],
  // Values are case-sensitive without -i; names are not.
  ["hdr(host) example.com", FOO, false],
  ["hdr(host) -i example.com", FOO, true],
  ["hdr_end(host) .com", FOO, true],
  ["hdr_beg(host) -i EX", FOO, true],
  ["hdr(HOST) example.com", get("/", "host: example.com"), true],
  // req.hdr splits at commas and tries every value; req.fhdr does not split.
  ["req.hdr(x-foo) b", FOO, true],
  ["hdr(x-foo) b", FOO, true],
  ["req.hdr(x-foo,1) a", FOO, true],
  ["req.hdr(x-foo,1) b", FOO, false],
  ['req.fhdr(x-foo) -m str "a, b"', FOO, true],
  ["req.fhdr(x-foo) b", FOO, false],
  ["hdr_cnt(x-foo) 3", FOO, true],
  ["req.fhdr_cnt(x-foo) 2", FOO, true],
  ["req.hdr(x-foo) -m found", FOO, true],
  ["req.hdr(x-foo) -m found", get("/", "X-Foo:"), true],
  ["req.hdr(x-foo) -m found", get("/"), false],
  ["req.hdr_cnt(x-foo) eq 0", get("/"), true],
  // path: before '?', not normalised.
  ["path /a/../b/./c%41", get("/a/../b/./c%41?x=1"), true],
  ["path -i /FOO", get("/foo?x"), true],
  ["path /FOO", get("/foo"), false],
  ["path_dir api", get("/api"), true],
  ["path_dir api", get("/api/x/y"), true],
  ["path_dir api", get("/x/api/y"), true],
  ["path_dir api", get("/apix/y"), false],
  ["path_dir images/png", get("/images/png/logo/32x32.png"), true],
  ["path_dir png", get("/images/png/logo/32x32.png"), true],
  ["path_dir 32x32", get("/images/png/logo/32x32.png"), false],
  ["path_end .jpg .png", get("/a/b.png"), true],
  ["path_end .jpg .png", get("/a/b.gif"), false],
  ["path_reg ^/v[0-9]+/", get("/v12/abcdefghij"), true],
  ["path_reg ^/v[0-9]+/", get("/vx/a"), false],
  ["path_len gt 10", get("/v12/abcdefghij"), true],
  ["path_len gt 10", get("/short"), false],
  ["path_beg /api", get("http://h.test/api/x", "Host: h.test"), true],
  ["url_beg /api", get("http://h.test/api/x", "Host: h.test"), false],
  // method: case-sensitive for the standard methods.
  ["method GET", get("/"), true],
  ["method get", "get /p HTTP/1.1\r\n\r\n", true],
  ["method GET", "get /p HTTP/1.1\r\n\r\n", false],
  ["method -i get", get("/"), false],
  ["method -i get", "get /p HTTP/1.1\r\n\r\n", true],
  ["method FOO", "FOO / HTTP/1.1\r\n\r\n", true],
  ["method -i foo", "FOO / HTTP/1.1\r\n\r\n", true],
  ["method -i foo", "foo / HTTP/1.1\r\n\r\n", true],
  ["method foo", "FOO / HTTP/1.1\r\n\r\n", false],
  ["method -m beg G", get("/"), true],
  // Addresses and ports.
  ["src 127.0.0.0/8", get("/"), true],
  ["src 10.0.0.0/8", get("/"), false],
  ["src 127.0.0.1", get("/"), true],
  ["src 127.1", get("/"), true],
  ["src 127.0.0.1/255.0.0.0", get("/"), true],
  ["dst_port 8080", get("/"), true],
  ["dst_port 8000:8100", get("/"), true],
  ["dst_port 80:90 100", get("/"), false],
  // url_param: the first value, raw; names case-sensitive; ';' only with a delimiter.
  ["url_param(id) x%20y", get("/a?id=x%20y&id=2"), true],
  ["url_param(id) 2", get("/a?id=x%20y&id=2"), true],
  ["url_param(id) 42", get("/x?ID=42"), false],
  ["url_param(id) 42", get("/x;id=42"), false],
  ["urlp(id,;) 42", get("/x;id=42"), true],
  ["url_param(id) -m found", get("/x?id=1"), true],
  ["url_param(id) -m found", get("/?id"), false],
  ["url_param(id) -m len 0", get("/FOO?id="), true],
  // Conversions made by the match method.
  ["req.hdr(x-n) -m int 12", get("/", "x-n: 12abc"), true],
  ["req.hdr(x-n) -m bool", get("/", "x-n: 5"), true],
  ["req.hdr(x-n) -m bool", get("/", "x-n: 0"), false],
  ["req.hdr(x-n) -m bool", get("/", "x-n: abc"), false],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2.3"), true],
  // A string converts to an address as url2ipv4() reads a dotted quad at its start.
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2.3:80"), true],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2.3x"), true],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 010.1.2.3"), true],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2"), false],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2.3.4"), false],
  ["req.hdr(x-ip) -m ip 10.0.0.0/8", get("/", "x-ip: 10.1.2.300"), false],
  ["req.hdr(x-ip) -m ip ::1", get("/", "x-ip: ::1"), true],
  ["req.hdr(x-ip) -m ip ::1", get("/", "x-ip: [::1]:80"), false],
  ["hdr_ip(x-ip) 10.0.0.0/8", get("/", "x-ip: 10.1.2.3:80"), true],
  ["src -m beg 127.", get("/"), true],
  ["req.hdr_val(content-length) gt 0", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", true],
  ["req.len gt 0", get("/"), true],
  ["always_true", get("/"), true],
  ["always_false", get("/"), false],
  ["path,lower /foo", get("/FOO"), true],
  ["hdr_beg(host),lower www.", get("/", "Host: WWW.x"), false],
  ["hdr_beg(host),lower www.x", get("/", "Host: WWW.x"), true],
  ["req.hdr(host),field(1,:) example.com", HOST_PORT, true],
  ["path -- -i", get("/x"), false],
  ["hdr(x) -- -i", get("/", "x: -i"), true],
];

describe("ACL matching, as observed on HAProxy 2.6", () => {
  for (const [expr, raw, expected] of OBSERVED) {
    it(`acl x ${expr} ${expected ? "matches" : "does not match"} ${JSON.stringify(raw.split("\r\n")[0])}`, () => {
      assert.equal(matches(expr, raw), expected);
    });
  }

  it("an IPv4-mapped IPv6 client counts as IPv4; IPv6 networks and cross-family rules (7.1.6)", () => {
    const r = get("/");
    assert.equal(matches("src 127.0.0.0/8", r, "::ffff:127.0.0.1"), true);
    assert.equal(matches("src ::1", r, "::1"), true);
    assert.equal(matches("src 2001:db8::/32", r, "2001:db8::7"), true);
    assert.equal(matches("src 2001:db8::/32", r, "2001:db9::7"), false);
    assert.equal(matches("src ::ffff:127.0.0.0/104", r, "127.0.0.1"), true);
    assert.equal(matches("src 10.0.0.0/8", r, "2002:a00:1::"), true);
    assert.equal(matches("src 127.0.0.1/8 ::1", r, "::1"), true);
  });
});

describe("conditions (configuration.txt 7.2)", () => {
  const acls = new AclSet();
  acls.add("m_get", words("method GET"));
  acls.add("p_sub", words("path_sub /x"));
  acls.add("p_end", words("path_end .png"));
  acls.add("multi", words("path /a /b"));
  acls.add("multi", words("path /c"));
  acls.add("Multi", words("path /z"));
  const holds = (cond: string, raw: string) => evaluateCondition(parseCondition(words(cond), acls), ctx(raw));
  const post = (p: string) => `POST ${p} HTTP/1.1\r\ncontent-length: 0\r\n\r\n`;

  const rows: [string, string, boolean][] = [
    // Implicit AND binds tighter than || / or: (m_get AND p_sub) OR p_end.
    ["if m_get p_sub || p_end", post("/a.png"), true],
    ["if m_get p_sub || p_end", post("/x/a"), false],
    ["if m_get p_sub || p_end", get("/x/a"), true],
    ["if m_get p_sub or p_end", get("/y"), false],
    ["if m_get p_sub OR p_end", post("/a.png"), true],
    ["if !m_get", post("/"), true],
    ["if ! m_get", post("/"), true],
    ["if !!m_get", get("/"), true],
    ["unless m_get", get("/"), false],
    ["unless m_get p_sub", get("/y"), true],
    ["if { path_beg /api } { method GET }", get("/api/x"), true],
    ["if { path_beg /api } { method GET }", post("/api/x"), false],
    ["if !{ path_beg /api }", get("/x"), true],
    // Repeating an ACL name ORs; names are case-sensitive.
    ["if multi", get("/a"), true],
    ["if multi", get("/c"), true],
    ["if multi", get("/z"), false],
    ["if Multi", get("/z"), true],
    // A trailing 'or' is accepted silently; an empty condition never holds.
    ["if m_get or", get("/"), true],
    ["if", get("/"), false],
    ["unless", get("/"), true],
    // Predefined ACLs (7.4).
    ["if METH_GET", "HEAD / HTTP/1.1\r\n\r\n", true],
    ["if METH_POST", post("/"), true],
    ["if LOCALHOST", get("/"), true],
    ["if HTTP_1.1", get("/"), true],
    ["if HTTP_1.0", "GET / HTTP/1.0\r\n\r\n", true],
    ["if HTTP_URL_ABS", get("http://h/x", "Host: h"), true],
    ["if HTTP_URL_SLASH", get("/x"), true],
    ["if HTTP_URL_STAR", "OPTIONS * HTTP/1.1\r\n\r\n", true],
    ["if HTTP_CONTENT", post("/"), false],
    ["if HTTP_CONTENT", "POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\nab", true],
    ["if TRUE !FALSE HTTP", get("/"), true],
  ];
  for (const [cond, raw, expected] of rows) {
    it(`${cond} on ${JSON.stringify(raw.split("\r\n")[0])} is ${expected}`, () => {
      assert.equal(holds(cond, raw), expected);
    });
  }

  it("-i applies to the patterns after it; options only come before the patterns", () => {
    assert.equal(matches("hdr(host) -i A.test", get("/", "Host: a.TEST")), true);
    // After the first pattern, "-i" is a pattern.
    assert.equal(matches("hdr(host) x -i", get("/", "Host: -i")), true);
    assert.equal(matches("hdr(host) x -i", get("/", "Host: X")), false);
  });

  it("an acl line naming a predefined ACL before any use replaces it, after a use extends it", () => {
    const set = new AclSet();
    set.add("METH_GET", words("method POST"));
    assert.equal(evaluateCondition(parseCondition(["if", "METH_GET"], set), ctx(get("/"))), false);
    const used = new AclSet();
    parseCondition(["if", "METH_GET"], used);
    used.add("METH_GET", words("method POST"));
    assert.equal(evaluateCondition(parseCondition(["if", "METH_GET"], used), ctx(get("/"))), true);
  });
});

describe("ACL and condition errors, HAProxy's texts", () => {
  const acls = new AclSet();
  acls.add("a", words("path /x"));
  /** [condition words, expected message]. */
  const conditions: [string, string][] = [
    ["if undefined_acl", "no such ACL : 'undefined_acl'"],
    ["if {path /x}", "no such ACL : '{path'"],
    ["if { path /x", "missing closing '}' in condition"],
    ["if a }", "no such ACL : '}'"],
    ["if { }", "missing fetch method in ACL expression ''"],
    ["if { a }", "unknown fetch method 'a' in ACL expression 'a'"],
    ["if { path -m foo /x }", "unknown matching method 'foo' when parsing ACL expression"],
    ["if { path -m }", "unknown matching method '' when parsing ACL expression"],
    ["if { src 10.0.0.0/33 }", "'10.0.0.0/33' is not a valid IPv4 or IPv6 address"],
    ["if { src ::1/129 }", "'::1/129' is not a valid IPv4 or IPv6 address"],
    ["if { src foo.bar.invalid }", "'foo.bar.invalid' is not a valid IPv4 or IPv6 address"],
    ["if { hdr(host,x) /x }", "ACL keyword 'hdr' : failed to parse 'x' as type 'integer' at position 2"],
    ["if { hdr(host,1,2) /x }", "ACL keyword 'hdr' : expected ')' before ',2)'"],
    ["if { path(x) /x }", "ACL keyword 'path' : expected ')' before 'x)'"],
    ["if { path,nosuchconv /x }", "ACL keyword 'path' : unknown converter 'nosuchconv'."],
    [
      "if { path,field(1) /x }",
      "ACL keyword 'path' : invalid arg 2 in converter 'field' : missing arguments (got 1/2), type 'string' expected.",
    ],
    ["if { path_beg) x }", "ACL keyword 'path_beg' : missing comma after fetch keyword."],
    ["if { path_beg,lower) x }", "ACL keyword 'path_beg' : missing comma after converter 'lower'."],
    ["if { nosuchfetch /x }", "unknown fetch method 'nosuchfetch' in ACL expression 'nosuchfetch'"],
    [
      "if { req.hdr(host,x) /x }",
      "fetch method 'req.hdr' : failed to parse 'x' as type 'integer' at position 2 in ACL expression 'req.hdr(host,x)'",
    ],
    [
      "if { req.hdr(host,1,2) /x }",
      "fetch method 'req.hdr' : expected ')' before ',2)' in ACL expression 'req.hdr(host,1,2)'",
    ],
    ["if { req.hdr(host /x }", "fetch method 'req.hdr' : expected ')' in ACL expression 'req.hdr(host'"],
    [
      "if { req.hdr(host),lower(x) /x }",
      "invalid arg 1 in converter 'lower' : expected ')' before 'x)' in ACL expression 'req.hdr(host),lower(x)'",
    ],
    ["if { req.hdr(host),nosuch /x }", "unknown converter 'nosuch' in ACL expression 'req.hdr(host),nosuch'"],
    ["if { path_len foo }", "'foo' is not a number"],
    ["if { path_len 1:x }", "'1:x' is not a valid number range"],
    ["if { path_len 5:1 }", "'5:1' is not a valid number range"],
    ["if { path_len gt x }", "'x' is neither a number nor a supported operator"],
    ["if { path_len -5 }", "'-5' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'"],
    ["if { path -z /x }", "'-z' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'"],
    ["if { always_true -m ip 1.2.3.4 }", "matching method 'ip' cannot be used with fetch keyword 'always_true'"],
    ["if { method -m int 1 }", "matching method 'int' cannot be used with fetch keyword 'method'"],
    ["unles a", "conditions must start with either 'if' or 'unless'"],
  ];
  for (const [cond, message] of conditions) {
    it(`${cond} → ${message}`, () => {
      assert.throws(() => parseCondition(words(cond), acls), (e: unknown) => {
        assert.ok(e instanceof AclError, String(e));
        assert.equal(e.message, message);
        return true;
      });
    });
  }

  it("an invalid regex: HAProxy's form, the JavaScript engine's reason", () => {
    assert.throws(() => parseCondition(words("if { path_reg (.* }"), acls), {
      message: /^regex '\(\.\*' is invalid \(error=(Unterminated group|missing \))\)$/,
    });
  });

  it("acl lines: names, and the expression error after HAProxy's prefix", () => {
    const set = new AclSet();
    assert.throws(() => set.add("a-b!c", words("path /x")), {
      message: "character '!' is not permitted in acl name 'a-b!c'.",
    });
    assert.throws(() => set.add("or", words("path /x")), {
      message: "acl name 'or' will never match. 'or' is used to express a logical disjunction within a condition.",
    });
    assert.throws(() => set.add("a", []), {
      message: "error detected while parsing ACL 'a' : missing fetch method in ACL expression ''.",
    });
    assert.throws(() => set.add("a", words("path -m foo /x")), {
      message: "error detected while parsing ACL 'a' : unknown matching method 'foo' when parsing ACL expression.",
    });
    set.add("a.b:c-d_e", words("path /x"));
    assert.deepEqual(set.names, ["a.b:c-d_e"]);
  });

  it("an ACL without pattern is only a warning (HAProxy's text); '--', -m found and booleans silence it", () => {
    const warnings: string[] = [];
    const set = new AclSet();
    set.add("a", words("path"), (w) => warnings.push(w));
    set.add("b", words("path --"), (w) => warnings.push(w));
    set.add("c", words("path -m found"), (w) => warnings.push(w));
    set.add("d", words("always_true"), (w) => warnings.push(w));
    assert.deepEqual(warnings, [
      "parsing acl keyword 'path' : no pattern to match against were provided, so this ACL will never match. " +
      "If this is what you intended, please add '--' to get rid of this warning. " +
      "If you intended to match only for existence, please use '-m found'. " +
      "If you wanted to force an int to match as a bool, please use '-m bool'.",
    ]);
    assert.equal(matchAclExpr(set.get("a")!.exprs[0]!, ctx(get("/"))), false);
  });

  it("an empty word ends the line, as in HAProxy", () => {
    assert.equal(matches('path "" /x', get("/x")), false);
  });
});
