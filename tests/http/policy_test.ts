/**
 * The request pipeline the HTTP mux will run (`decideRequest()`): frontend rules, `use_backend`
 * (first match wins), `default_backend`, 503 without a backend, backend rules, forwarding; and
 * the response rules (`decideResponse()`). Behaviour as observed on HAProxy 2.6.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  compileHttpPolicy,
  decideRequest,
  decideResponse,
  type HttpPolicy,
  PolicyError,
  selectBackend,
} from "../../src/http/policy.ts";
import type { HttpPolicyInput } from "../../src/http/policy.ts";
import type { ResponseHead } from "../../src/http/head.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { ctx, get } from "../acl/_ctx.ts";
import { text } from "./_h1.ts";

const fe = compileHttpPolicy({
  name: "fe",
  acls: [{ name: "is_a", expr: "path_beg /a" }, { name: "is_ab", expr: ["path_beg", "/a/b"] }],
  useBackends: [
    { backend: "b1", condition: "if is_a" },
    { backend: "b2", condition: "if is_ab" },
    { backend: "b3", condition: ["unless", "{", "method", "GET", "}"] },
  ],
  defaultBackend: "bd",
  httpRequest: [{ action: "set-header", name: "X-Fe", value: "%[be_name]" }],
  forwardFor: {},
});
const backends = new Map<string, HttpPolicy>([
  ["b1", compileHttpPolicy({ name: "b1", httpRequest: [{ action: "add-header", name: "X-Be", value: "%[be_name]" }] })],
  ["b2", compileHttpPolicy({ name: "b2" })],
  [
    "b3",
    compileHttpPolicy({
      name: "b3",
      httpRequest: [{ action: "deny", status: 429 }],
      errorFiles: { 429: "HTTP/1.1 429 Slow\r\n\r\n" },
    }),
  ],
  ["bd", compileHttpPolicy({ name: "bd", forwardFor: { header: "X-Client" } })],
]);

describe("decideRequest()", () => {
  it("a context function is called only when a step reads the context: once at most", () => {
    const plain = compileHttpPolicy({ name: "px", defaultBackend: "px" });
    const withFwd = compileHttpPolicy({ name: "px", defaultBackend: "px", forwardFor: {} });
    for (const [p, want] of [[plain, 0], [withFwd, 1]] as const) {
      let calls = 0;
      const c = ctx(get("/"));
      const d = decideRequest(p, new Map([["px", p]]), () => (calls++, c));
      assert.deepEqual([d, calls], [{ kind: "forward", backend: "px" }, want]);
    }
    // Rules, switching and forwarding read one context, made once.
    let calls = 0;
    const c = ctx(get("/a/b"));
    assert.deepEqual(decideRequest(fe, backends, () => (calls++, c)), { kind: "forward", backend: "b1" });
    assert.equal(calls, 1);
    assert.match(text(serializeHead(c.request)), /x-fe: fe\r\nx-be: b1\r\nx-forwarded-for: 127\.0\.0\.1/);
  });

  it("use_backend rules in order, the first match wins: /a/b goes to b1 (path_beg /a) before b2", () => {
    assert.equal(selectBackend(fe, ctx(get("/a/b"))), "b1");
    assert.equal(selectBackend(fe, ctx(get("/x"))), "bd");
    assert.equal(selectBackend(fe, ctx("POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n")), "b3");
  });

  it("frontend rules run before switching, backend rules after; forwarding last, backend's header name", () => {
    const c = ctx(get("/a/b"));
    assert.deepEqual(decideRequest(fe, backends, c), { kind: "forward", backend: "b1" });
    assert.equal(
      text(serializeHead(c.request)),
      "GET /a/b HTTP/1.1\r\nx-fe: fe\r\nx-be: b1\r\nx-forwarded-for: 127.0.0.1\r\n\r\n",
    );
    const d = ctx(get("/x"));
    assert.deepEqual(decideRequest(fe, backends, d), { kind: "forward", backend: "bd" });
    assert.equal(text(serializeHead(d.request)), "GET /x HTTP/1.1\r\nx-fe: fe\r\nx-client: 127.0.0.1\r\n\r\n");
  });

  it("a backend rule's reply uses the backend's errorfile and names the backend", () => {
    const out = decideRequest(fe, backends, ctx("POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n"));
    assert.equal(out.kind, "reply");
    assert.ok(out.kind === "reply");
    assert.equal(out.termination, "PR--");
    assert.equal(out.backend, "b3");
    assert.equal(out.status, 429);
    assert.equal(out.reply?.head.reason, "Slow");
  });

  it("no rule and no default_backend: 503, SC--, HAProxy's message", () => {
    const lonely = compileHttpPolicy({ name: "f_nodef", useBackends: [{ backend: "b1", condition: "if FALSE" }] });
    const out = decideRequest(lonely, backends, ctx(get("/")));
    assert.ok(out.kind === "reply");
    assert.equal(out.termination, "SC--");
    assert.equal(
      text(out.reply!.body),
      "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
    );
  });

  it("a frontend deny stops before switching; return and redirect are LR--", () => {
    const denying = compileHttpPolicy({
      name: "fe2",
      httpRequest: [
        { action: "deny", condition: "if { path /d }" },
        {
          action: "return",
          status: 200,
          contentType: "text/plain",
          lfString: "%[be_name]",
          condition: "if { path /r }",
        },
        { action: "redirect", type: "scheme", value: "https", condition: "if { path /s }" },
      ],
      defaultBackend: "b2",
    });
    const d = decideRequest(denying, backends, ctx(get("/d")));
    assert.ok(d.kind === "reply");
    assert.deepEqual([d.status, d.termination, d.backend], [403, "PR--", undefined]);
    const r = decideRequest(denying, backends, ctx(get("/r")));
    assert.ok(r.kind === "reply");
    assert.deepEqual([r.status, r.termination, text(r.reply!.body)], [200, "LR--", "fe2"]);
    const s = decideRequest(denying, backends, ctx(get("/s", "Host: h")));
    assert.ok(s.kind === "reply");
    assert.deepEqual([s.status, s.termination], [302, "LR--"]);
  });

  it("a backend named as the frontend (a listen section) runs its rules and forwarding once", () => {
    const input: HttpPolicyInput = {
      name: "app",
      httpRequest: [{ action: "add-header", name: "X-Once", value: "1" }],
      forwardFor: {},
    };
    const listenFe = compileHttpPolicy({ ...input, defaultBackend: "app" });
    const listenBe = compileHttpPolicy(input);
    const c = ctx(get("/"));
    decideRequest(listenFe, new Map([["app", listenBe]]), c);
    assert.equal(text(serializeHead(c.request)), "GET / HTTP/1.1\r\nx-once: 1\r\nx-forwarded-for: 127.0.0.1\r\n\r\n");
  });
});

describe("decideResponse()", () => {
  const response = (): ResponseHead => ({
    kind: "response",
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headers: [["server", "s"]],
  });

  it("the backend's http-response rules run first, then the frontend's", () => {
    const f = compileHttpPolicy({
      name: "f",
      httpResponse: [{ action: "set-header", name: "X-Order", value: "%[res.hdr(x-order)]fe" }],
    });
    const b = compileHttpPolicy({
      name: "b",
      httpResponse: [{ action: "set-header", name: "X-Order", value: "be-" }, { action: "del-header", name: "server" }],
    });
    const res = response();
    assert.deepEqual(decideResponse(f, b, () => ctx(get("/"), { response: res })), { kind: "forward" });
    assert.equal(text(serializeHead(res)), "HTTP/1.1 200 OK\r\nx-order: be-fe\r\n\r\n");
  });

  it("without http-response rules the sample context is never built", () => {
    const f = compileHttpPolicy({ name: "f" });
    const b = compileHttpPolicy({ name: "b" });
    let built = 0;
    const lazy = () => (built++, ctx(get("/"), { response: response() }));
    assert.deepEqual(decideResponse(f, b, lazy), { kind: "forward" });
    assert.deepEqual(decideResponse(f, undefined, lazy), { kind: "forward" });
    assert.equal(built, 0);
  });

  it("a failed rewrite answers 500, PH--", () => {
    const f = compileHttpPolicy({
      name: "f",
      httpResponse: [{ action: "set-header", name: "X", value: "%[str(a\rb)]" }],
    });
    const out = decideResponse(f, undefined, () => ctx(get("/", "x: a"), { response: response() }));
    assert.ok(out.kind === "reply");
    assert.deepEqual([out.reply?.status, out.termination], [500, "PH--"]);
  });
});

describe("compileHttpPolicy() errors name the key", () => {
  const refuses = (input: HttpPolicyInput, key: string, message: string) => {
    assert.throws(() => compileHttpPolicy(input), (e: unknown) => {
      assert.ok(e instanceof PolicyError, String(e));
      assert.equal(e.key, key);
      assert.equal(e.message, message);
      return true;
    });
  };

  it("ACLs, conditions, rules, error files", () => {
    refuses(
      { name: "f", acls: [{ name: "a", expr: "nosuch x" }] },
      "acls[0]",
      "error detected while parsing ACL 'a' : unknown fetch method 'nosuch' in ACL expression 'nosuch'.",
    );
    refuses(
      { name: "f", useBackends: [{ backend: "b", condition: "if nope" }] },
      "useBackends[0].condition",
      "no such ACL : 'nope'",
    );
    refuses(
      { name: "f", httpRequest: [{ action: "deny", status: 299 }] },
      "httpRequest[0]",
      "status code '299' not handled by default with 'default-errorfiles' argument.",
    );
    refuses(
      { name: "f", httpRequest: [{ action: "set-header", name: "a", value: "b", condition: "if x" }] },
      "httpRequest[0].condition",
      "no such ACL : 'x'",
    );
    refuses(
      { name: "f", httpResponse: [{ action: "deny" } as never] },
      "httpResponse[0]",
      "'http-response' expects 'add-header', 'del-header', 'replace-header', 'replace-value', 'set-header', but got 'deny'",
    );
    refuses(
      { name: "f", httpRequest: [{ action: "set-header", name: "a b", value: "c" }] },
      "httpRequest[0]",
      "invalid header name 'a b': must be an HTTP token",
    );
    refuses(
      { name: "f", httpRequest: [{ action: "set-header", name: "a", value: "b\r\nc: d" }] },
      "httpRequest[0]",
      "'value' holds a CR, LF, NUL or a char above U+00FF, which would break the message",
    );
    refuses(
      { name: "f", errorFiles: { 503: "garbage" } },
      "errorFiles",
      "errorfile : 'errorFiles[503]': unable to parse headers (error offset: 0)",
    );
    refuses({ name: "f", errorFiles: { 418: "" } }, "errorFiles", "errorfile : status code '418' not handled.");
  });
});
