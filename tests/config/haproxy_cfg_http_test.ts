/**
 * The haproxy.cfg loader in HTTP mode: `mode http`, `acl`, `use_backend`, `http-request`,
 * `http-response`, `option forwardfor`, `option forwarded`, `errorfile`, each refused with
 * HAProxy 2.6's own message after `file:line:`; `mode tcp` drops rules as HAProxy ignores
 * them (with its warning); the ProxyServer refuses what is not wired yet.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type HaproxyConfigOptions, parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import { isProxyError } from "../../src/errors.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { MemoryNetwork } from "../../adapters/memory.ts";
import { compileProxyPolicies, decideRequest } from "../../src/http/policy.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { peer } from "../_peers.ts";
import { ctx, get } from "../acl/_ctx.ts";
import { text } from "../http/_h1.ts";

const FIXTURE = new URL("../fixtures/haproxy/http.cfg", import.meta.url);
const readFile = (p: string) => readFileSync(p);

function parse(lines: readonly string[], options: HaproxyConfigOptions = {}) {
  const warnings: string[] = [];
  const cfg = parseHaproxyConfig(lines.join("\n"), "t.cfg", {
    readFile,
    ...options,
    onWarning: (m) => warnings.push(m),
  });
  return { cfg, warnings };
}

/** Asserts the loader refuses `lines` with exactly `t.cfg:<line>: <message>`. */
function refuses(lines: readonly string[], line: number, message: string | RegExp): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "t.cfg", { readFile }), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    if (typeof message === "string") assert.equal(e.message, `t.cfg:${line}: ${message}`);
    else {
      assert.ok(e.message.startsWith(`t.cfg:${line}: `), e.message);
      assert.match(e.message, message);
    }
    return true;
  });
}

const HTTP = ["defaults", "  mode http", "frontend fe", "  bind 127.0.0.1:18480"];
const BACKENDS = ["backend be", "  server s1 127.0.0.1:1", "backend b2", "  server s1 127.0.0.1:1"];
/** A frontend `fe` with `lines` (from line 5), then backends `be` and `b2`. */
const fe = (...lines: string[]) => [...HTTP, ...lines, "  default_backend be", ...BACKENDS];

describe("haproxy.cfg in mode http", () => {
  it("reads the connection keywords: timeouts, modes, httplog, http-reuse and the pool options", () => {
    const { cfg } = parse([
      "defaults",
      "  mode http",
      "  timeout http-request 2s",
      "  timeout http-keep-alive 500",
      "  option http-server-close",
      "frontend fe",
      "  bind 127.0.0.1:18480",
      "  log stdout format raw local0",
      "  option httplog",
      "  default_backend be",
      "backend be",
      "  option httpclose",
      "  http-reuse aggressive",
      "  server s1 127.0.0.1:1 pool-max-conn 10 pool-purge-delay 2s max-reuse 100",
    ]);
    const f = cfg.frontends[0]!;
    assert.deepEqual(
      [f.httpRequestTimeoutMs, f.httpKeepAliveTimeoutMs, f.httpConnectionMode, f.log?.format],
      [2000, 500, "server-close", "httplog"],
    );
    const b = cfg.backends[0]!;
    assert.deepEqual([b.httpConnectionMode, b.httpReuse], ["close", "aggressive"]);
    const s = b.servers[0]!;
    assert.deepEqual([s.poolMaxConn, s.poolPurgeDelayMs, s.maxReuse], [10, 2000, 100]);
    refuses([...HTTP, "  default_backend be", "backend be", "  http-reuse sometimes"], 7, /'never', 'safe'/);
  });

  it("reads the fixture into typed HTTP settings, which resolve and route", () => {
    const warnings: string[] = [];
    const cfg = parseHaproxyConfig(readFileSync(FIXTURE, "utf8"), "http.cfg", {
      readFile,
      onWarning: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    const www = cfg.frontends[0]!;
    assert.equal(www.mode, "http");
    assert.deepEqual(www.acls?.map((a) => a.name), ["is_api", "is_api", "is_admin", "static"]);
    assert.deepEqual(www.useBackends, [
      { backend: "api", condition: ["if", "is_api"] },
      { backend: "static", condition: ["if", "static", "!is_api", "||", "METH_GET", "{", "path_beg", "/assets", "}"] },
    ]);
    assert.deepEqual(www.httpRequest?.[0], {
      action: "deny",
      status: 429,
      condition: ["if", "{", "req.hdr_cnt(x-flood)", "gt", "3", "}"],
    });
    assert.deepEqual(www.httpRequest?.[2], {
      action: "return",
      status: 200,
      contentType: "text/plain",
      string: "ok",
      condition: ["if", "{", "path", "/health", "}"],
    });
    assert.deepEqual(www.forwardFor, { except: "127.0.0.0/8" });
    assert.deepEqual(cfg.backends.find((b) => b.name === "web")?.forwardFor, { header: "X-Client-IP" });
    assert.ok(String.fromCharCode(...(www.errorFiles?.[503] as Uint8Array)).startsWith("HTTP/1.1 503"));

    const policies = compileProxyPolicies(resolveConfig(cfg));
    const www0 = policies.frontends.get("www")!;
    const c = ctx(get("/api/x", "Host: www.example.com", "X-Version: V1", "X-Internal: 1", "Accept-Encoding: gzip"), {
      src: { address: "192.0.2.9", port: 5 },
    });
    assert.deepEqual(decideRequest(www0, policies.backends, c), { kind: "forward", backend: "api" });
    assert.equal(
      text(serializeHead(c.request)),
      "GET /v2/api/x HTTP/1.1\r\nhost: www.example.com\r\nx-version: V1\r\naccept-encoding: identity\r\n" +
        "x-api-version: v1\r\nx-forwarded-for: 192.0.2.9\r\n\r\n",
    );
    const health = decideRequest(www0, policies.backends, ctx(get("/health")));
    assert.ok(health.kind === "reply");
    assert.equal(text(health.reply!.body), "ok");
  });

  const { path: haproxy, skip } = peer("haproxy");
  it("the fixture is valid for real HAProxy (haproxy -c)", { skip }, () => {
    const r = spawnSync(haproxy!, ["-c", "-f", FIXTURE.pathname], { encoding: "utf8" });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it("mode http is inherited from defaults; frontends without default_backend are allowed", () => {
    const { cfg } = parse([...HTTP, "  use_backend be if TRUE", ...BACKENDS]);
    assert.equal(cfg.frontends[0]?.mode, "http");
    assert.equal(cfg.frontends[0]?.defaultBackend, undefined);
    assert.equal(cfg.backends[0]?.mode, "http");
  });

  it("a listen section gives its ACLs and rules to both halves", () => {
    const { cfg } = parse([
      "listen app",
      "  mode http",
      "  bind 127.0.0.1:1",
      "  acl a path /x",
      "  http-request deny if a",
      "  server s 127.0.0.1:2",
    ]);
    assert.deepEqual(cfg.frontends[0]?.httpRequest, [{ action: "deny", condition: ["if", "a"] }]);
    assert.deepEqual(cfg.backends[0]?.httpRequest, [{ action: "deny", condition: ["if", "a"] }]);
    assert.deepEqual(cfg.frontends[0]?.acls, [{ name: "a", expr: ["path", "/x"] }]);
  });

  it("ProxyServer runs tcp use_backend and a tcp frontend on an http backend; mode http runs", () => {
    const net = new MemoryNetwork();
    const runs = (lines: string[]) => assert.ok(new ProxyServer(parse(lines).cfg, { network: net }));
    runs(fe());
    runs(["frontend fe", "  bind 127.0.0.1:1", "  use_backend b2 if TRUE", "  default_backend be", ...BACKENDS]);
    runs([
      "frontend fe",
      "  bind 127.0.0.1:1",
      "  default_backend be",
      "backend be",
      "  mode http",
      "  server s 127.0.0.1:2",
    ]);
    runs([
      "frontend fe",
      "  bind 127.0.0.1:1",
      "  acl a src 10.0.0.0/8",
      "  errorfile 503 tests/fixtures/haproxy/errors/503.http",
      "  default_backend be",
      ...BACKENDS,
    ]);
  });
});

describe("haproxy.cfg HTTP keyword errors: HAProxy 2.6's messages after file:line", () => {
  it("acl", () => {
    refuses(
      fe("  acl a path -m foo /x"),
      5,
      "error detected while parsing ACL 'a' : unknown matching method 'foo' when parsing ACL expression.",
    );
    refuses(
      fe("  acl a src 10.0.0.0/33"),
      5,
      "error detected while parsing ACL 'a' : '10.0.0.0/33' is not a valid IPv4 or IPv6 address.",
    );
    refuses(fe("  acl a-b!c path /x"), 5, "character '!' is not permitted in acl name 'a-b!c'.");
    refuses(fe("  acl a"), 5, "error detected while parsing ACL 'a' : missing fetch method in ACL expression ''.");
    refuses(
      fe("  acl a nosuchfetch /x"),
      5,
      "error detected while parsing ACL 'a' : unknown fetch method 'nosuchfetch' in ACL expression 'nosuchfetch'.",
    );
    refuses(["defaults", "  acl a path /x"], 2, /'acl' in section 'defaults': not allowed in 'defaults' section/);
  });

  it("use_backend", () => {
    refuses(
      fe("  use_backend b2 if undefined_acl"),
      5,
      "error detected while parsing switching rule : no such ACL : 'undefined_acl'.",
    );
    refuses(
      fe("  use_backend b2 if {path /x}"),
      5,
      "error detected while parsing switching rule : no such ACL : '{path'.",
    );
    refuses(
      fe("  use_backend b2 if { path /x"),
      5,
      "error detected while parsing switching rule : missing closing '}' in condition.",
    );
    refuses(
      fe("  use_backend b2 a"),
      5,
      "unexpected keyword 'a' after switching rule, only 'if' and 'unless' are allowed.",
    );
    refuses(fe("  use_backend"), 5, "'use_backend' expects a backend name.");
    refuses(fe("  use_backend nosuch if TRUE"), 5, "Proxy 'fe': unable to find required use_backend: 'nosuch'.");
    // An ACL is known from its line on, as HAProxy reads them.
    refuses(
      fe("  use_backend b2 if later", "  acl later path /x"),
      5,
      "error detected while parsing switching rule : no such ACL : 'later'.",
    );
    refuses(
      [
        ...HTTP,
        "  use_backend t if TRUE",
        "  default_backend be",
        ...BACKENDS,
        "backend t",
        "  mode tcp",
        "  server s 127.0.0.1:2",
      ],
      5,
      "http frontend 'fe' (t.cfg:3) tries to use incompatible tcp backend 't' (t.cfg:11) in a 'use_backend' rule (see 'mode').",
    );
    refuses(
      [
        "frontend fe",
        "  mode http",
        "  bind 127.0.0.1:1",
        "  default_backend be",
        "backend be",
        "  server s 127.0.0.1:2",
      ],
      4,
      "http frontend 'fe' (t.cfg:1) tries to use incompatible tcp backend 'be' (t.cfg:5) as its default backend (see 'mode').",
    );
    refuses(["defaults", "  use_backend b2"], 2, /not allowed in 'defaults' section/);
  });

  it("http-request / http-response", () => {
    refuses(
      fe("  http-request set-header X-A"),
      5,
      "error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    );
    refuses(
      fe("  http-request deny deny_status 299"),
      5,
      "error detected in frontend 'fe' while parsing 'http-request deny' rule : status code '299' not handled by default with 'default-errorfiles' argument..",
    );
    refuses(
      fe("  http-request deny if nosuch"),
      5,
      "error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuch'.",
    );
    refuses(
      fe("  http-request set-header x y foo"),
      5,
      "'http-request set-header' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
    );
    refuses(
      fe("  http-request redirect location /x code 305"),
      5,
      "error detected in frontend 'fe' while parsing 'http-request redirect' rule : 'code': unsupported HTTP code '305' (must be one of 301, 302, 303, 307 or 308).",
    );
    refuses(
      fe("  http-response set-header X-A"),
      5,
      "error detected in frontend 'fe' while parsing 'http-response set-header' rule : expects exactly 2 arguments.",
    );
    refuses(
      ["backend be", "  mode http", "  http-request set-header X-A", "  server s 127.0.0.1:2"],
      3,
      "error detected in backend 'be' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    );
    refuses(["defaults", "  http-request deny"], 2, /not allowed in 'defaults' section/);
  });

  it("option forwardfor, option forwarded, errorfile", () => {
    refuses(
      fe("  option forwardfor except foo"),
      5,
      "'option forwardfor except' expects <address>[/mask] as argument.",
    );
    refuses(fe("  option forwardfor header"), 5, "'option forwardfor header' expects <header_name> as argument.");
    refuses(
      fe("  option forwardfor bar"),
      5,
      "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.",
    );
    refuses(fe("  errorfile 503 /nonexistent"), 5, "errorfile : error opening file '/nonexistent'.");
    refuses(fe("  errorfile 299 /dev/null"), 5, "errorfile : status code '299' not handled.");
    refuses(fe("  errorfile 503"), 5, "errorfile : expects <status_code> and <file> as arguments.");
    assert.throws(
      () => parseHaproxyConfig(fe("  errorfile 503 /dev/null").join("\n"), "t.cfg"),
      /t\.cfg:5: errorfile : cannot read '\/dev\/null': no file reader was given/,
    );
    refuses(
      ["backend be", "  mode http", "  option forwarded secret", "  server s 127.0.0.1:2"],
      3,
      /unexpected argument 'secret'/,
    );
  });

  it("errorfile contents are checked as HAProxy checks them", () => {
    const files: Record<string, string> = {
      "/e1": "garbage",
      "/e3": "HTTP/1.1 503 Oops\r\nContent-Length: 10\r\n\r\nbody",
      "/e10": "HTTP/1.1 503 Oops\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
    };
    const read = (p: string) => {
      const f = files[p];
      if (f === undefined) throw new Error("ENOENT");
      return f;
    };
    const msg = (p: string) => {
      try {
        parseHaproxyConfig(fe(`  errorfile 503 ${p}`).join("\n"), "t.cfg", { readFile: read });
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    assert.equal(msg("/e1"), "t.cfg:5: errorfile : '/e1': unable to parse headers (error offset: 0)");
    assert.equal(
      msg("/e3"),
      "t.cfg:5: errorfile : '/e3': payload size does not match the announced content-length (4 != 10)",
    );
    assert.equal(msg("/e10"), "t.cfg:5: errorfile : '/e10': chunk-encoded payload not supported");
  });
});

describe("haproxy.cfg in mode tcp: what HAProxy ignores is dropped with its warning", () => {
  it("rules and forwarding options", () => {
    const { cfg, warnings } = parse([
      "frontend fe",
      "  bind 127.0.0.1:1",
      "  http-request deny",
      "  http-response del-header x",
      "  option forwardfor",
      "  acl a src 10.0.0.0/8",
      "  use_backend b2 if a",
      "  default_backend be",
      ...BACKENDS,
      "listen l",
      "  bind 127.0.0.1:2",
      "  http-request deny",
      "  server s 127.0.0.1:3",
    ]);
    assert.deepEqual(warnings, [
      "t.cfg:1: 'http-request' rules ignored for frontend 'fe' as they require HTTP mode.",
      "t.cfg:1: 'http-response' rules ignored for frontend 'fe' as they require HTTP mode.",
      "t.cfg:1: 'option forwardfor' ignored for frontend 'fe' as it requires HTTP mode.",
      "t.cfg:13: 'http-request' rules ignored for proxy 'l' as they require HTTP mode.",
    ]);
    assert.equal(cfg.frontends[0]?.httpRequest, undefined);
    assert.equal(cfg.frontends[0]?.forwardFor, undefined);
    assert.deepEqual(cfg.frontends[0]?.useBackends, [{ backend: "b2", condition: ["if", "a"] }]);
  });

  it("an ACL without pattern is a warning, as in HAProxy", () => {
    const { warnings } = parse(fe("  acl a path"));
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^t\.cfg:5: 'acl' in section 'frontend fe': parsing acl keyword 'path' : no pattern to match against/,
    );
  });
});
