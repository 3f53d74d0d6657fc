/**
 * `tcp-request inspect-delay` and `tcp-request content` in haproxy.cfg and in the typed
 * configuration: what they read into, HAProxy 2.6's error messages after `file:line:`, the
 * checks of the typed configuration naming their key, and what the ProxyServer refuses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { type HaproxyConfigOptions, parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { MemoryNetwork } from "../../adapters/memory.ts";
import { tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";

const { path: haproxy, skip } = peer("haproxy");

function parse(lines: readonly string[], options: HaproxyConfigOptions = {}) {
  const warnings: string[] = [];
  const cfg = parseHaproxyConfig(lines.join("\n"), "t.cfg", { ...options, onWarning: (m) => warnings.push(m) });
  return { cfg, warnings };
}

function refuses(lines: readonly string[], line: number, message: string): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "t.cfg"), (e: unknown) => {
    assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
    assert.equal(e.message, `t.cfg:${line}: ${message}`);
    return true;
  });
}

const BACKENDS = ["backend be_a", "  server s 127.0.0.1:1", "backend be_def", "  server s 127.0.0.1:2"];
/** A tcp frontend `pt` whose lines start at line 6. */
const pt = (...lines: string[]) => [
  "defaults tcp",
  "  mode tcp",
  "  tcp-request inspect-delay 5s",
  "frontend pt",
  "  bind 127.0.0.1:8443",
  ...lines,
  "  default_backend be_def",
  ...BACKENDS,
];

const SNI = pt(
  "  acl is_a req.ssl_sni -i a.test",
  "  tcp-request content accept if { req.ssl_hello_type 1 }",
  "  tcp-request content set-dst-port int(443) if is_a",
  "  tcp-request content reject unless { req.len gt 0 }",
  "  use_backend be_a if is_a",
);

describe("tcp-request in haproxy.cfg", () => {
  it("reads inspect-delay (inherited from defaults) and content rules in order; use_backend runs in mode tcp", () => {
    const { cfg, warnings } = parse(SNI);
    assert.deepEqual(warnings, []);
    assert.deepEqual(cfg.frontends[0]?.tcpRequest, {
      inspectDelayMs: 5000,
      content: [
        { action: "accept", condition: ["if", "{", "req.ssl_hello_type", "1", "}"] },
        { action: "set-dst-port", expr: "int(443)", condition: ["if", "is_a"] },
        { action: "reject", condition: ["unless", "{", "req.len", "gt", "0", "}"] },
      ],
    });
    assert.deepEqual(cfg.frontends[0]?.useBackends, [{ backend: "be_a", condition: ["if", "is_a"] }]);
    const resolved = resolveConfig(cfg);
    assert.equal(resolved.frontends[0]?.tcpRequest.content.length, 3);
    assert.ok(new ProxyServer(cfg, { network: new MemoryNetwork() }));
  });

  it("the same lines are valid for real HAProxy (haproxy -c)", { skip }, () => {
    const f = tempFile("sni.cfg", SNI);
    try {
      const r = spawnSync(haproxy!, ["-c", "-f", f.path], { encoding: "utf8" });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      f.remove();
    }
  });

  it("refuses with HAProxy 2.6's messages", () => {
    refuses(
      pt("  tcp-request inspect-delay"),
      6,
      "'tcp-request inspect-delay' expects a positive delay in milliseconds, in frontend 'pt'",
    );
    assert.throws(
      () => parseHaproxyConfig(pt("  tcp-request inspect-delay abc").join("\n"), "t.cfg"),
      /t\.cfg:6: 'tcp-request inspect-delay' expects a positive delay in milliseconds, in frontend 'pt' \(/,
    );
    refuses(
      pt("  tcp-request content accept foo"),
      6,
      "'tcp-request content accept' only accepts 'if' or 'unless', in frontend 'pt' (got 'foo')",
    );
    refuses(
      pt("  tcp-request content accept if nosuch"),
      6,
      "'tcp-request content accept' : error detected in frontend 'pt' while parsing 'if' condition : no such ACL : 'nosuch'",
    );
    refuses(pt("  tcp-request content set-dst"), 6, "missing fetch method");
    assert.throws(
      () => parseHaproxyConfig(pt("  tcp-request content foo").join("\n"), "t.cfg"),
      /t\.cfg:6: 'tcp-request content' expects 'accept', 'reject', .* in frontend 'pt' \(got 'foo'\)\.$/,
    );
  });

  it("an action HAProxy knows but proxykit does not run is unsupported: an error, a warning when lenient", () => {
    assert.throws(
      () => parseHaproxyConfig(pt("  tcp-request content track-sc0 src").join("\n"), "t.cfg"),
      /t\.cfg:6: 'tcp-request content' in section 'frontend pt': action 'track-sc0' is not supported/,
    );
    const { cfg, warnings } = parse(pt("  tcp-request content track-sc0 src"), { lenient: true });
    assert.equal(warnings.length, 1);
    assert.equal(cfg.frontends[0]?.tcpRequest?.content, undefined);
  });

  it("inspect-delay is refused in an anonymous defaults section, as HAProxy does", () => {
    refuses(
      ["defaults", "  tcp-request inspect-delay 1s"],
      2,
      "tcp-request inspect-delay is not allowed in anonymous 'defaults' sections",
    );
  });

  it("content rules are not allowed in defaults; a backend ignores them with a warning", () => {
    assert.throws(
      () => parseHaproxyConfig(["defaults", "  tcp-request content accept", ...pt()].join("\n"), "t.cfg"),
      /t\.cfg:2: .*not allowed in 'defaults' section/,
    );
    const { warnings } = parse([...pt(), "  tcp-request content accept"]);
    assert.match(warnings[0] ?? "", /ignored because backend 'be_def' has no frontend capability/);
  });
});

const typed = (tcpRequest: unknown, more: Record<string, unknown> = {}): ProxyConfig => ({
  frontends: [
    {
      name: "pt",
      binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 1 }],
      defaultBackend: "be",
      tcpRequest,
      ...more,
    } as ProxyConfig["frontends"][number],
  ],
  backends: [{ name: "be", servers: [{ name: "s", address: { transport: "tcp", hostname: "127.0.0.1", port: 2 } }] }],
});

describe("tcpRequest in the typed configuration", () => {
  const invalid = (cfg: ProxyConfig, re: RegExp) =>
    assert.throws(() => resolveConfig(cfg), (e: unknown) => {
      assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
      assert.match(e.message, re);
      return true;
    });

  it("defaults to no delay and no rules", () => {
    assert.deepEqual(resolveConfig(typed(undefined)).frontends[0]?.tcpRequest, {
      inspectDelayMs: 0,
      connection: [],
      content: [],
    });
  });

  it("refuses a bad action, condition or expression, naming the key", () => {
    invalid(typed({ content: [{ action: "drop" }] }), /^frontends\[0\]\.tcpRequest\.content\[0\]\.action: /);
    invalid(
      typed({ content: [{ action: "accept" }, { action: "reject", condition: "if nosuch" }] }),
      /^frontends\[0\]\.tcpRequest\.content\[1\]\.condition: no such ACL : 'nosuch'/,
    );
    invalid(typed({ content: [{ action: "set-dst", expr: "nosuch(1)" }] }), /content\[0\]\.expr: /);
    invalid(typed({ inspectDelayMs: -1 }), /tcpRequest\.inspectDelayMs/);
    // Conditions see the frontend's ACLs.
    assert.ok(resolveConfig(typed(
      { content: [{ action: "accept", condition: "if tls" }] },
      { acls: [{ name: "tls", expr: "req.ssl_hello_type 1" }] },
    )));
  });

  it("the ProxyServer runs content rules in mode http; a tcp frontend may route to an http backend", () => {
    const net = new MemoryNetwork();
    const http = typed({ content: [{ action: "accept" }] }, { mode: "http" });
    assert.ok(new ProxyServer({ ...http, backends: [{ ...http.backends[0]!, mode: "http" }] }, { network: net }));
    const cfg = typed({}, { useBackends: [{ backend: "web", condition: "if TRUE" }] });
    const withHttp = {
      ...cfg,
      backends: [...cfg.backends, { ...cfg.backends[0]!, name: "web", mode: "http" as const }],
    };
    assert.ok(new ProxyServer(withHttp, { network: net }));
  });
});
