// haproxy.cfg and typed configuration of HTTP-aware balancing, cookie persistence, HTTP checks
// and observe layer7: what is read, what is refused (naming file:line or the key), what is
// warned about as HAProxy does.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { BackendConfig, ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { peer } from "../_peers.ts";

const FIXTURE = new URL("../fixtures/haproxy/persist.cfg", import.meta.url);

/** Parses `lines` as `test.cfg`; warnings collected, but "nothing listens" (no frontend here). */
function parse(lines: readonly string[]): { cfg: ProxyConfig; warnings: string[] } {
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    if (!m.includes("nothing listens")) warnings.push(m);
  };
  const cfg = parseHaproxyConfig(lines.join("\n"), "test.cfg", { onWarning });
  return { cfg, warnings };
}

/** Parsing fails with ERR_CONFIG_INVALID naming `test.cfg:<line>:` and `text`. */
function refuses(lines: readonly string[], line: number, text: RegExp): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "test.cfg"), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.ok(e.message.startsWith(`test.cfg:${line}: `), e.message);
    assert.match(e.message, text);
    return true;
  });
}

const HTTP_BE = ["defaults", "  mode http", "backend be", "  server s1 127.0.0.1:1"];
const be = (lines: readonly string[]) => parse([...HTTP_BE, ...lines]).cfg.backends[0]!;

describe("haproxy.cfg: HTTP-aware balancing and persistence", () => {
  it("reads the fixture", () => {
    const { cfg, warnings } = parse(readFileSync(FIXTURE, "utf8").split("\n"));
    assert.deepEqual(warnings, []);
    const [caches, app, tenants, users] = cfg.backends as BackendConfig[];
    assert.deepEqual(caches!.balance, { kind: "uri", whole: true, depth: 3, len: 64 });
    assert.deepEqual(caches!.hashType, { method: "consistent" });
    assert.deepEqual(caches!.servers.map((s) => [s.observe, s.errorLimit, s.onError]), [
      ["layer7", 5, "mark-down"],
      ["layer7", undefined, undefined],
    ]);
    assert.deepEqual(app!.cookie, {
      name: "SRV",
      mode: "insert",
      indirect: true,
      nocache: true,
      httponly: true,
      secure: true,
      domains: [".example.com"],
      maxIdleMs: 1_800_000,
      maxLifeMs: 28_800_000,
    });
    assert.equal(app!.persist, true);
    assert.deepEqual(app!.servers.map((s) => s.cookie), ["a1", "a2"]);
    assert.deepEqual(app!.healthCheck, {
      kind: "http",
      method: "GET",
      uri: "/health",
      version: "HTTP/1.1",
      headers: [["Host", "app.example.com"], ["X-Probe", "1"]],
      expect: { kind: "string", text: "maintenance", negate: true },
    });
    assert.deepEqual(tenants!.balance, { kind: "hdr", header: "Host", useDomainOnly: true });
    assert.deepEqual(tenants!.hashType, { method: "map-based", function: "djb2", avalanche: true });
    assert.deepEqual(tenants!.healthCheck, {
      kind: "http",
      method: "HEAD",
      uri: "/ping",
      expect: { kind: "rstatus", pattern: "^(2|3)", negate: false },
    });
    assert.deepEqual(users!.balance, { kind: "url_param", param: "uid" });
    assert.deepEqual(users!.cookie, { name: "JSESSIONID", mode: "prefix" });
    // And the resolved view: consistent without a function is sdbm with the avalanche.
    const r = resolveConfig(cfg);
    assert.deepEqual(r.backends[0]!.hashType, { method: "consistent", function: "sdbm", avalanche: true });
    assert.equal(r.backends[1]!.cookie?.maxIdleSec, 1800);
    assert.equal(r.backends[2]!.persist, false);
  });

  const { path: haproxy, skip } = peer("haproxy");
  it("the fixture is valid for real HAProxy (haproxy -c)", { skip }, () => {
    const r = spawnSync(haproxy!, ["-c", "-f", FIXTURE.pathname], { encoding: "utf8" });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it("hash-type: defaults, functions, avalanche", () => {
    assert.deepEqual(be(["  hash-type map-based"]).hashType, { method: "map-based" });
    assert.deepEqual(be(["  hash-type consistent wt6"]).hashType, {
      method: "consistent",
      function: "wt6",
      avalanche: false,
    });
    refuses([...HTTP_BE, "  hash-type ring"], 5, /'hash-type' only supports 'consistent' and 'map-based'/);
    refuses([...HTTP_BE, "  hash-type consistent md5"], 5, /only supports 'sdbm', 'djb2', 'crc32', or 'wt6'/);
    refuses([...HTTP_BE, "  hash-type consistent sdbm mix"], 5, /only supports 'avalanche' as a modifier/);
    refuses([...HTTP_BE, "  hash-type avalanche"], 5, /not supported anymore/);
  });

  it("balance uri / url_param / hdr: arguments refused with HAProxy's words", () => {
    refuses([...HTTP_BE, "  balance uri depth 0"], 5, /'depth' expects a positive integer \(got '0'\)/);
    refuses(
      [...HTTP_BE, "  balance uri deep"],
      5,
      /uri only accepts parameters 'len', 'depth', 'path-only', and 'whole'/,
    );
    refuses([...HTTP_BE, "  balance url_param"], 5, /url_param requires an URL parameter name/);
    refuses([...HTTP_BE, "  balance url_param u post"], 5, /only accepts 'check_post' modifier \(got 'post'\)/);
    refuses([...HTTP_BE, "  balance url_param u check_post"], 5, /'check_post' is not supported/);
    refuses([...HTTP_BE, "  balance hdr()"], 5, /hdr requires an http header field name/);
    refuses([...HTTP_BE, "  balance hdr(host) domain"], 5, /only accepts 'use_domain_only' modifier/);
    assert.deepEqual(be(["  balance uri path-only"]).balance, { kind: "uri", pathOnly: true });
  });

  it("cookie: modes and options; incompatible ones refused as HAProxy refuses them", () => {
    assert.deepEqual(be(["  cookie SRV"]).cookie, { name: "SRV" });
    assert.deepEqual(be(["  cookie SRV rewrite attr SameSite=Lax attr Partitioned"]).cookie, {
      name: "SRV",
      mode: "rewrite",
      attrs: ["SameSite=Lax", "Partitioned"],
    });
    refuses([...HTTP_BE, "  cookie"], 5, /'cookie' expects <cookie_name> as argument/);
    refuses([...HTTP_BE, "  cookie SRV rewrite indirect"], 5, /'rewrite' and 'indirect' modes are incompatible/);
    refuses([...HTTP_BE, "  cookie SRV insert prefix"], 5, /'rewrite', 'insert' and 'prefix' modes are incompatible/);
    refuses([...HTTP_BE, "  cookie SRV preserve"], 5, /'preserve' requires at least 'insert' or 'indirect'/);
    refuses([...HTTP_BE, "  cookie SRV insert maxidle 0"], 5, /timer underflow/);
    refuses([...HTTP_BE, "  cookie SRV insert sticky"], 5, /supports 'rewrite', 'insert', 'prefix'/);
    refuses([...HTTP_BE, "  cookie SRV insert dynamic"], 5, /'dynamic' cookies are not supported/);
    const { warnings } = parse([...HTTP_BE, "  cookie SRV insert domain local"]);
    assert.match(warnings[0]!, /test\.cfg:5: .*domain 'local' contains no embedded dot/);
  });

  it("mode tcp: L7 algorithms fall back to round-robin and cookies are ignored, with HAProxy's warnings", () => {
    const { cfg, warnings } = parse([
      "backend be",
      "  balance url_param u",
      "  cookie SRV insert",
      "  server s1 127.0.0.1:1 cookie a",
    ]);
    assert.deepEqual(cfg.backends[0]!.balance, { kind: "roundrobin" });
    assert.equal(cfg.backends[0]!.cookie, undefined);
    assert.equal(cfg.backends[0]!.servers[0]!.cookie, undefined);
    assert.deepEqual(warnings, [
      "test.cfg:1: Layer 7 hash not possible for backend 'be' (needs 'mode http'). Falling back to round robin.",
      "test.cfg:1: cookie will be ignored for backend 'be' (needs 'mode http').",
      "test.cfg:4: backend 'be' : ignoring cookie for server 's1' as HTTP mode is disabled.",
    ]);
  });

  it("warns about a cookie value shared by two active servers, and http-check without option httpchk", () => {
    const { warnings } = parse([
      ...HTTP_BE.slice(0, 3),
      "  cookie SRV insert",
      "  http-check send meth GET",
      "  server s1 127.0.0.1:1 cookie x",
      "  server s2 127.0.0.1:2 cookie x",
      "  server b 127.0.0.1:3 cookie x backup",
    ]);
    assert.deepEqual(warnings.map((w) => w.replace(/^test\.cfg:\d+: /, "")).sort(), [
      "'server s2' : same cookie value is set for a previous non-backup server in the same backend, it may break connection persistence",
      "backend 'be' uses 'http-check send' without 'option httpchk': ignored (as HAProxy)",
    ]);
  });

  it("http-check send and expect: what is supported, what is refused", () => {
    refuses([...HTTP_BE, "  http-check send meth"], 5, /'meth' expects a string as argument/);
    refuses([...HTTP_BE, "  http-check send hdr X"], 5, /'hdr' expects <name> and <value>/);
    refuses([...HTTP_BE, "  http-check send body x"], 5, /'body' is not supported/);
    refuses([...HTTP_BE, "  http-check expect status"], 5, /'status' expects <pattern>/);
    refuses([...HTTP_BE, "  http-check expect rstatus ("], 5, /invalid regex/);
    refuses([...HTTP_BE, "  http-check expect hdr name x"], 5, /only 'http-check expect \[!\] status\|rstatus\|string/);
  });

  it("option persist, observe layer7|none", () => {
    assert.equal(be(["  option persist"]).persist, true);
    assert.equal(
      parse([...HTTP_BE, "  option persist", "backend b2", "  server s 127.0.0.1:1"]).cfg
        .backends[1]!.persist,
      undefined,
      "not inherited from a sibling",
    );
    const d = parse([
      "defaults",
      "  mode http",
      "  option persist",
      "  default-server observe layer7",
      "backend be",
      "  no option persist",
      "  server s1 127.0.0.1:1 observe none",
      "  server s2 127.0.0.1:2",
    ]).cfg.backends[0]!;
    assert.equal(d.persist, false);
    assert.deepEqual(d.servers.map((s) => s.observe), [undefined, "layer7"]);
  });
});

describe("typed configuration: HTTP-aware balancing and persistence", () => {
  const cfg = (backend: Partial<BackendConfig>): ProxyConfig => ({
    frontends: [],
    backends: [{
      name: "be",
      mode: "http",
      servers: [{ name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 1 } }],
      ...backend,
    }],
  });
  const rejects = (c: ProxyConfig, key: string, text: RegExp) =>
    assert.throws(() => resolveConfig(c), (e: unknown) => {
      assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
      assert.ok(e.message.startsWith(`${key}: `), e.message);
      assert.match(e.message, text);
      return true;
    });

  it("names the key of each invalid value", () => {
    rejects(cfg({ balance: { kind: "uri", len: 0 } }), "backends[0].balance.len", /1\.\./);
    rejects(cfg({ balance: { kind: "url_param", param: "" } }), "backends[0].balance.param", /non-empty/);
    rejects(cfg({ balance: { kind: "hdr", header: "bad header" } }), "backends[0].balance.header", /token/);
    rejects(cfg({ hashType: { method: "ring" as never } }), "backends[0].hashType.method", /map-based/);
    rejects(cfg({ hashType: { function: "md5" as never } }), "backends[0].hashType.function", /sdbm/);
    rejects(cfg({ cookie: { name: "a b" } }), "backends[0].cookie.name", /token/);
    rejects(
      cfg({ cookie: { name: "S", mode: "rewrite", indirect: true } }),
      "backends[0].cookie.indirect",
      /incompatible/,
    );
    rejects(cfg({ cookie: { name: "S", preserve: true } }), "backends[0].cookie.preserve", /requires/);
    rejects(cfg({ cookie: { name: "S", maxIdleMs: 10 } }), "backends[0].cookie.maxIdleMs", /1000\.\./);
    rejects(
      cfg({ servers: [{ name: "s1", address: { transport: "tcp", hostname: "h", port: 1 }, cookie: "a;b" }] }),
      "backends[0].servers[0].cookie",
      /cookie value/,
    );
    rejects(
      cfg({ healthCheck: { kind: "http", expect: { kind: "rstatus", pattern: "(" } } }),
      "backends[0].healthCheck.expect.pattern",
      /regular expression/,
    );
    rejects(
      cfg({ healthCheck: { kind: "http", headers: [["x y", "1"]] } }),
      "backends[0].healthCheck.headers[0][0]",
      /header name/,
    );
  });

  it("refuses HTTP algorithms and cookies in mode tcp (HAProxy would fall back or ignore)", () => {
    rejects(cfg({ mode: "tcp", balance: { kind: "hdr", header: "host" } }), "backends[0].balance", /needs mode http/);
    rejects(cfg({ mode: "tcp", cookie: { name: "S" } }), "backends[0].cookie", /needs mode http/);
    // observe layer7 is accepted in mode tcp: it then only sees connect errors, as HAProxy.
    const ok = resolveConfig(
      cfg({
        mode: "tcp",
        servers: [{ name: "s", address: { transport: "tcp", hostname: "h", port: 1 }, observe: "layer7" }],
      }),
    );
    assert.equal(ok.backends[0]!.servers[0]!.observe, "layer7");
  });
});
