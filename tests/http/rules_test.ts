/**
 * `http-request` / `http-response` rules on parsed heads: the head the origin receives and
 * the replies the client gets, byte for byte as HAProxy 2.6.12 produced them for the same
 * configuration lines and requests; and the configuration errors, HAProxy's texts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AclSet } from "../../src/acl/acl.ts";
import { ErrorPages } from "../../src/http/error_pages.ts";
import { compileRule, RuleError } from "../../src/http/rules/compile.ts";
import { parseRuleWords, type RuleKeyword, RuleSyntaxError } from "../../src/http/rules/parse.ts";
import { runRequestRules, runResponseRules } from "../../src/http/rules/apply.ts";
import type { ResponseHead } from "../../src/http/head.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { ctx, get, words } from "../acl/_ctx.ts";
import { text } from "./_h1.ts";

const SITE = { kind: "frontend", name: "fe" };

/** Compiles `http-request ...` lines (the keyword included). */
function compile(lines: readonly string[], acls = new AclSet()) {
  return lines.map((l) => {
    const [kw, ...rest] = words(l);
    const k = kw as RuleKeyword;
    return compileRule(k, parseRuleWords(k, rest, SITE), acls);
  });
}

/** Runs request rules on `raw`; the forwarded head (serialized), or the reply and termination. */
function run(lines: readonly string[], raw: string): string {
  const c = ctx(raw);
  const out = runRequestRules(compile(lines), c, (s) => new ErrorPages().reply(s));
  if (out.kind === "continue") return text(serializeHead(c.request));
  if (out.kind === "service") return `service ${out.service}`;
  const r = out.reply!;
  return `${out.termination} ${text(serializeHead(r.head, r.close ? { connection: "close" } : {}))}${text(r.body)}`;
}

describe("header actions, as the origin received them from HAProxy 2.6", () => {
  it("set-header, add-header, del-header, replace-header, replace-value, set-path, log-format values", () => {
    const raw = "GET /sp/x?q=1 HTTP/1.1\r\nHost: h.test\r\nX-Set: 0\r\nX-Add: 0\r\nX-Set: 1\r\nX-Del: 1\r\n" +
      "X-Rep: abc-old\r\nX-Val: a, b, c\r\nX-V2: a, b\r\nX-Rh: a, b\r\nX-Del: 2\r\nX-Last: z\r\n\r\n";
    assert.equal(
      run([
        "http-request set-header X-Set s1",
        "http-request add-header X-Add a1",
        "http-request del-header X-Del",
        "http-request replace-header X-Rep (.*)-old \\1-new",
        "http-request replace-value X-Val ^b$ B",
        "http-request replace-value X-V2 ^(.*)$ <\\1>",
        "http-request replace-header X-Rh ^(.*)$ <\\1>",
        "http-request set-path /prefix%[path]",
        'http-request set-header X-Fmt "%[src] %[dst_port] %[req.hdr(host)]"',
      ], raw),
      "GET /prefix/sp/x?q=1 HTTP/1.1\r\nhost: h.test\r\nx-add: 0\r\nx-rep: abc-new\r\nx-val: a,B, c\r\n" +
        "x-v2: <a>,<b>\r\nx-rh: <a, b>\r\nx-last: z\r\nx-set: s1\r\nx-add: a1\r\nx-fmt: 127.0.0.1 8080 h.test\r\n\r\n",
    );
  });

  /** [rule, request header lines, the origin's fields]. */
  const rows: [string, string[], string][] = [
    // set-header removes every copy and appends one at the end.
    ["http-request set-header X-A v", ["X-A: 1", "X-B: 2", "X-A: 3"], "x-b: 2\r\nx-a: v\r\n"],
    // add-header appends after everything; an existing copy stays where it was.
    ["http-request add-header X-A v", ["X-A: 0", "X-B: 2"], "x-a: 0\r\nx-b: 2\r\nx-a: v\r\n"],
    ["http-request del-header x-a", ["X-A: 1", "X-B: 2", "x-a: 3"], "x-b: 2\r\n"],
    ["http-request del-header x-pre -m beg", ["X-Pre-1: 1", "X-B: 2", "x-pre2: 3"], "x-b: 2\r\n"],
    ["http-request del-header ^x-[ab]$ -m reg", ["X-A: 1", "X-B: 2", "x-c: 3"], "x-c: 3\r\n"],
    // replace-header: a match anywhere replaces the whole value.
    ["http-request replace-header X-A b Z", ["X-A: abc"], "x-a: Z\r\n"],
    ["http-request replace-header X-A (b) [\\1\\2]", ["X-A: abc"], "x-a: [b]\r\n"],
    ["http-request replace-header X-A zz Z", ["X-A: abc"], "x-a: abc\r\n"],
    // replace-value: each matching element, losing the blanks around it.
    ["http-request replace-value X-B b Z", ["X-B: abc ,  b  ,c"], "x-b: Z,Z,c\r\n"],
    ["http-request replace-value X-C ^b$ Z", ["X-C: a ,b , c"], "x-c: a ,Z, c\r\n"],
    ["http-request replace-value X-E ^$ E", ["X-E: a,,b, "], "x-e: a,E,b,E\r\n"],
    ["http-request set-header X-H %[req.hdr(x-h)],%[req.hdr_cnt(x-h)]", ["X-H: 1"], "x-h: 1,1\r\n"],
    ["http-request set-header X-N %[req.hdr(nonexist)]", [], "x-n: \r\n"],
  ];
  for (const [rule, fields, expected] of rows) {
    it(`${rule} on ${JSON.stringify(fields)}`, () => {
      assert.equal(run([rule], get("/", ...fields)), `GET / HTTP/1.1\r\n${expected}\r\n`);
    });
  }

  it("set-path keeps the query and an absolute URI's scheme and authority", () => {
    assert.equal(run(["http-request set-path /new"], get("/old?a=1")), "GET /new?a=1 HTTP/1.1\r\n\r\n");
    assert.equal(
      run(["http-request set-path /new%[path]"], get("http://h.test/old", "Host: h.test")),
      "GET http://h.test/new/old HTTP/1.1\r\nhost: h.test\r\n\r\n",
    );
  });

  it("a Host set or replaced by a rule becomes the authority of an absolute URI (http_update_authority())", () => {
    assert.equal(
      run(["http-request set-header Host new.test"], get("http://u@h.test:8080/a?b", "Host: h.test:8080")),
      "GET http://u@new.test/a?b HTTP/1.1\r\nhost: new.test\r\n\r\n",
    );
    assert.equal(
      run(["http-request replace-header Host ^([^:]*)(:.*)?$ \\1"], get("http://h.test:8080/a", "Host: h.test:8080")),
      "GET http://h.test/a HTTP/1.1\r\nhost: h.test\r\n\r\n",
    );
    assert.equal(
      run(["http-request set-header Host new.test"], get("/a", "Host: h")),
      "GET /a HTTP/1.1\r\nhost: new.test\r\n\r\n",
    );
  });

  it("a rewrite that would break the message fails as HAProxy's rewrite failures: 500, PR--", () => {
    const out = run(["http-request set-path /a%[req.hdr(x)]"], get("/", "x: b c"));
    assert.match(out, /^PR-- HTTP\/1\.1 500 Internal Server Error\r\n/);
  });

  it("rules run in order, only when their condition holds; allow stops the list", () => {
    const acls = new AclSet();
    acls.add("api", words("path_beg /api"));
    const rules = compile([
      "http-request set-header X-Api yes if api",
      "http-request set-header X-Not yes unless api",
      "http-request allow if { path /api/open }",
      "http-request deny if api",
    ], acls);
    const on = (raw: string) => {
      const c = ctx(raw);
      const out = runRequestRules(rules, c, (s) => new ErrorPages().reply(s));
      return `${out.kind === "reply" ? `${out.termination} ${out.reply?.status}` : "continue"} ${
        text(serializeHead(c.request))
      }`;
    };
    assert.equal(on(get("/x")), "continue GET /x HTTP/1.1\r\nx-not: yes\r\n\r\n");
    assert.equal(on(get("/api/open")), "continue GET /api/open HTTP/1.1\r\nx-api: yes\r\n\r\n");
    assert.equal(on(get("/api/x")), "PR-- 403 GET /api/x HTTP/1.1\r\nx-api: yes\r\n\r\n");
  });

  it("http-response rules change the response head", () => {
    const rules = compile([
      "http-response set-header X-Served %[status]",
      "http-response del-header Server",
      "http-response replace-value Cache-Control ^private$ public",
    ]);
    const response: ResponseHead = {
      kind: "response",
      version: "HTTP/1.1",
      status: 200,
      reason: "OK",
      headers: [["server", "x"], ["cache-control", "private, max-age=5"]],
    };
    assert.equal(runResponseRules(rules, ctx(get("/"), { response })), true);
    assert.equal(
      text(serializeHead(response)),
      "HTTP/1.1 200 OK\r\ncache-control: public, max-age=5\r\nx-served: 200\r\n\r\n",
    );
  });
});

describe("replies of deny, return and redirect, byte for byte as HAProxy 2.6", () => {
  const host = "Host: h.test:8080";
  /** [rule, target, HAProxy's reply, termination first]. */
  const rows: [string, string, string][] = [
    [
      "http-request deny",
      "/d",
      "PR-- HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n" +
      "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n",
    ],
    [
      "http-request deny deny_status 429",
      "/",
      "PR-- HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n" +
      "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n",
    ],
    [
      "http-request deny deny_status 400",
      "/",
      "PR-- HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n" +
      "connection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n",
    ],
    [
      'http-request return status 200 content-type text/plain string "x" hdr X-Ret yes',
      "/",
      "LR-- HTTP/1.1 200 OK\r\nx-ret: yes\r\ncontent-length: 1\r\ncontent-type: text/plain\r\n\r\nx",
    ],
    [
      'http-request return string "x" content-type text/plain',
      "/",
      "LR-- HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-type: text/plain\r\n\r\nx",
    ],
    ["http-request return", "/", "LR-- HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"],
    ["http-request return status 404", "/", "LR-- HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"],
    [
      'http-request return status 503 content-type text/html lf-string "<%[path]>" hdr a b hdr c d',
      "/r4",
      "LR-- HTTP/1.1 503 Service Unavailable\r\na: b\r\nc: d\r\ncontent-length: 5\r\ncontent-type: text/html\r\n\r\n</r4>",
    ],
    [
      "http-request return status 301 hdr location /x",
      "/",
      "LR-- HTTP/1.1 301 Moved Permanently\r\nlocation: /x\r\ncontent-length: 0\r\n\r\n",
    ],
    [
      "http-request return status 204 hdr x-a %[req.hdr(nonexist)] hdr x-b b",
      "/",
      "LR-- HTTP/1.1 204 No Content\r\nx-b: b\r\n\r\n",
    ],
    ["http-request return status 304", "/", "LR-- HTTP/1.1 304 Not Modified\r\ncontent-length: 0\r\n\r\n"],
    [
      "http-request return status 200 content-type text/plain",
      "/",
      "LR-- HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
    ],
    [
      "http-request return status 418 content-type text/plain string x",
      "/",
      "LR-- HTTP/1.1 418 I'm a teapot\r\ncontent-length: 1\r\ncontent-type: text/plain\r\n\r\nx",
    ],
    [
      "http-request return status 599 content-type a/b string x",
      "/",
      "LR-- HTTP/1.1 599 Server Error\r\ncontent-length: 1\r\ncontent-type: a/b\r\n\r\nx",
    ],
    ["http-request return status 302", "/", "LR-- HTTP/1.1 302 Moved Temporarily\r\ncontent-length: 0\r\n\r\n"],
    [
      "http-request redirect location /new",
      "/",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /new\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect location /new code 301",
      "/",
      "LR-- HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /new\r\n\r\n",
    ],
    [
      "http-request redirect code 301 location /new",
      "/",
      "LR-- HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /new\r\n\r\n",
    ],
    [
      "http-request redirect prefix https://example.com",
      "/p1/x?q=1",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://example.com/p1/x?q=1\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect prefix /pre drop-query",
      "/p2/x?q=1",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /pre/p2/x\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect scheme https",
      "/s1/x?q",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://h.test:8080/s1/x?q\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect scheme https code 308",
      "/s2",
      "LR-- HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: https://h.test:8080/s2\r\n\r\n",
    ],
    [
      "http-request redirect location /n%[path] code 303",
      "/l3/a?b",
      "LR-- HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nlocation: /n/l3/a\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect location /new code 307",
      "/",
      "LR-- HTTP/1.1 307 Temporary Redirect\r\ncontent-length: 0\r\nlocation: /new\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect prefix /",
      "/p3/x",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /p3/x\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect prefix /pre/",
      "/p4/x",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /pre//p4/x\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect prefix /x append-slash",
      "/ap/y",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x/ap/y/\r\ncache-control: no-cache\r\n\r\n",
    ],
    [
      "http-request redirect location /x append-slash",
      "/as",
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x\r\ncache-control: no-cache\r\n\r\n",
    ],
  ];
  for (const [rule, target, expected] of rows) {
    it(`${rule} on ${target}`, () => {
      assert.equal(run([rule], get(target, host)), expected);
    });
  }

  it("redirect scheme without Host, and on a target without a path", () => {
    assert.equal(
      run(["http-request redirect scheme https"], get("/s3")),
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https:///s3\r\ncache-control: no-cache\r\n\r\n",
    );
    assert.equal(
      run(["http-request redirect scheme https"], "GET * HTTP/1.1\r\nHost: h.test\r\n\r\n"),
      "LR-- HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://h.test/\r\ncache-control: no-cache\r\n\r\n",
    );
  });

  it("every default deny_status message (http_err_msgs[])", () => {
    const seen = new Map<number, string>();
    for (const s of [200, 401, 404, 405, 407, 408, 410, 413, 421, 422, 425, 500, 501, 502, 503, 504]) {
      seen.set(s, run([`http-request deny deny_status ${s}`], get("/")).split("\r\n")[0]!);
    }
    assert.deepEqual(Object.fromEntries(seen), {
      200: "PR-- HTTP/1.1 200 OK",
      401: "PR-- HTTP/1.1 401 Unauthorized",
      404: "PR-- HTTP/1.1 404 Not Found",
      405: "PR-- HTTP/1.1 405 Method Not Allowed",
      407: "PR-- HTTP/1.1 407 Unauthorized",
      408: "PR-- HTTP/1.1 408 Request Time-out",
      410: "PR-- HTTP/1.1 410 Gone",
      413: "PR-- HTTP/1.1 413 Payload Too Large",
      421: "PR-- HTTP/1.1 421 Misdirected Request",
      422: "PR-- HTTP/1.1 422 Unprocessable Content",
      425: "PR-- HTTP/1.1 425 Too Early",
      500: "PR-- HTTP/1.1 500 Internal Server Error",
      501: "PR-- HTTP/1.1 501 Not Implemented",
      502: "PR-- HTTP/1.1 502 Bad Gateway",
      503: "PR-- HTTP/1.1 503 Service Unavailable",
      504: "PR-- HTTP/1.1 504 Gateway Time-out",
    });
  });
});

describe("rule configuration errors, HAProxy 2.6's texts", () => {
  const acls = new AclSet();
  /** [line, expected message]. */
  const rows: [string, string][] = [
    [
      "http-request set-header X-A",
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    ],
    [
      "http-request set-header",
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    ],
    [
      "http-request add-header X-A",
      "error detected in frontend 'fe' while parsing 'http-request add-header' rule : expects exactly 2 arguments.",
    ],
    [
      'http-request set-header X-Empty ""',
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    ],
    [
      "http-request del-header",
      "error detected in frontend 'fe' while parsing 'http-request del-header' rule : expects at least 1 argument.",
    ],
    [
      "http-request del-header a b",
      "'http-request del-header' expects either 'if' or 'unless' followed by a condition but found 'b'.",
    ],
    [
      "http-request replace-header X-A (.*",
      "error detected in frontend 'fe' while parsing 'http-request replace-header' rule : expects exactly 3 arguments.",
    ],
    [
      "http-request replace-value X-A a",
      "error detected in frontend 'fe' while parsing 'http-request replace-value' rule : expects exactly 3 arguments.",
    ],
    [
      "http-request replace-value X a b c",
      "'http-request replace-value' expects either 'if' or 'unless' followed by a condition but found 'c'.",
    ],
    [
      "http-request set-path",
      "error detected in frontend 'fe' while parsing 'http-request set-path' rule : expects exactly 1 argument <format>.",
    ],
    [
      "http-request deny deny_status 299",
      "error detected in frontend 'fe' while parsing 'http-request deny' rule : status code '299' not handled by default with 'default-errorfiles' argument..",
    ],
    [
      "http-request deny deny_status abc",
      "error detected in frontend 'fe' while parsing 'http-request deny' rule : Unexpected status code '0'.",
    ],
    [
      "http-request deny deny_status",
      "error detected in frontend 'fe' while parsing 'http-request deny' rule : 'status' expects <status_code> as argument.",
    ],
    [
      "http-request deny foo",
      "'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
    ],
    [
      "http-request allow foo",
      "'http-request allow' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
    ],
    [
      "http-request return status 99",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : Unexpected status code '99'.",
    ],
    [
      "http-request return status 600",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : Unexpected status code '600'.",
    ],
    [
      "http-request return status",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : 'status' expects <status_code> as argument.",
    ],
    [
      "http-request return status 200 foo",
      "'http-request return' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
    ],
    [
      "http-request return status 200 content-type",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : 'content-type' expects <ctype> as argument.",
    ],
    [
      "http-request return status 200 string",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : 'string' expects <str> as argument.",
    ],
    [
      "http-request return lf-string",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : 'lf-string' expects <fmt> as argument.",
    ],
    [
      "http-request return status 200 hdr X",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : 'hdr' expects <name> and <value> as arguments.",
    ],
    [
      "http-request return status 200 string x content-type a string y",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : unexpected 'string' argument, 'string' already defined.",
    ],
    [
      "http-request return status 200 content-type a string x lf-string y",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : unexpected 'lf-string' argument, 'string' already defined.",
    ],
    [
      "http-request return status 204 string x content-type text/plain",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : No body expected for 204 responses.",
    ],
    [
      "http-request return status 200 string x",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : a content type must be defined when non-empty payload is configured.",
    ],
    [
      "http-request return status 200 content-type text/plain lf-string %[nosuch]",
      "error detected in frontend 'fe' while parsing 'http-request return' rule : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'.",
    ],
    [
      "http-request redirect location /x code 305",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : 'code': unsupported HTTP code '305' (must be one of 301, 302, 303, 307 or 308).",
    ],
    [
      "http-request redirect location /x code abc",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : 'code': unsupported HTTP code 'abc' (must be one of 301, 302, 303, 307 or 308).",
    ],
    [
      "http-request redirect location",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : missing argument for 'location'.",
    ],
    [
      "http-request redirect location /x code",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : missing argument for 'code'.",
    ],
    [
      "http-request redirect",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : redirection type expected ('prefix', 'location', or 'scheme').",
    ],
    [
      "http-request redirect foo /x",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was 'foo').",
    ],
    [
      "http-request redirect location %[nosuch]",
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'.",
    ],
    [
      "http-request set-header x %[path",
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : missing ']' after 'path'.",
    ],
    [
      "http-request set-header x %Z",
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : no such format variable 'Z'. If you wanted to emit the '%' character verbatim, you need to use '%%'.",
    ],
    [
      "http-request set-header x y foo",
      "'http-request set-header' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
    ],
    [
      "http-request deny if nosuch",
      "error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuch'.",
    ],
    [
      "http-request deny unless { nosuch }",
      "error detected while parsing an 'http-request deny' condition : unknown fetch method 'nosuch' in ACL expression 'nosuch'.",
    ],
    [
      "http-response set-header a b if nosuch",
      "error detected while parsing an 'http-response set-header' condition : no such ACL : 'nosuch'.",
    ],
    [
      "http-response set-header X-A",
      "error detected in frontend 'fe' while parsing 'http-response set-header' rule : expects exactly 2 arguments.",
    ],
    [
      "http-request foo",
      "'http-request' expects 'add-header', 'allow', 'del-header', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-path', 'use-service', but got 'foo'.",
    ],
    [
      "http-request",
      "'http-request' expects 'add-header', 'allow', 'del-header', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-path', 'use-service', but got '' (missing argument).",
    ],
    ["http-request tarpit", "'http-request tarpit' is not supported by proxykit."],
    ["http-response deny", "'http-response deny' is not supported by proxykit."],
  ];
  const message = (line: string): string => {
    const [kw, ...rest] = words(line);
    const k = kw as RuleKeyword;
    const action = rest[0] ?? "";
    try {
      compileRule(k, parseRuleWords(k, rest, SITE), acls);
    } catch (e) {
      if (e instanceof RuleSyntaxError) return e.message;
      if (e instanceof RuleError) {
        return e.part === "condition"
          ? `error detected while parsing an '${k} ${action}' condition : ${e.detail}.`
          : `error detected in frontend 'fe' while parsing '${k} ${action}' rule : ${e.detail}.`;
      }
      throw e;
    }
    return "accepted";
  };
  for (const [line, expected] of rows) {
    it(line, () => assert.equal(message(line), expected));
  }

  it("an invalid regex: HAProxy's form, the JavaScript engine's reason", () => {
    assert.match(
      message("http-request replace-header X-A (.* x"),
      /^error detected in frontend 'fe' while parsing 'http-request replace-header' rule : regex '\(\.\*' is invalid \(error=(Unterminated group|missing \))\)\.$/,
    );
  });

  it("accepted as HAProxy accepts them", () => {
    for (
      const line of [
        "http-request deny deny_status 429",
        "http-request deny status 403",
        "http-request set-header x y if",
        "http-request return status 200 status 201",
        "http-request redirect location /x scheme https",
        'http-request set-header x "%[src] %ci %{+Q}[path]"',
        "http-request del-header x-pre -m beg",
      ]
    ) assert.equal(message(line), "accepted", line);
  });

  it("`hdr content-length` / `content-type` in a return are dropped with HAProxy's warning", () => {
    const warnings: string[] = [];
    const [kw, ...rest] = words("http-request return status 200 hdr Content-Length 5 content-type text/plain string x");
    const rule = compileRule(
      kw as RuleKeyword,
      parseRuleWords(kw as RuleKeyword, rest, SITE),
      acls,
      (w) => warnings.push(w),
    );
    assert.deepEqual(warnings, ["header 'Content-Length' always ignored by the http reply."]);
    const c = ctx(get("/"));
    const out = runRequestRules([rule], c, () => undefined);
    assert.ok(out.kind === "reply");
    assert.equal(
      text(serializeHead(out.reply!.head)),
      "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-type: text/plain\r\n\r\n",
    );
  });
});
