/**
 * `stats`, `monitor-uri`, `monitor fail` and `http-request use-service` in haproxy.cfg and in
 * the typed configuration: what they become, and the errors that name the key or the line.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { tcp } from "../_helpers.ts";

const head = ["defaults", "  mode http", "  timeout client 5s"];

function cfg(lines: readonly string[], warnings: string[] = []): ProxyConfig {
  return parseHaproxyConfig([...head, ...lines].join("\n"), "s.cfg", { onWarning: (w) => warnings.push(w) });
}

function refused(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
    assert.match((e as Error).message, re);
    return true;
  });
}

const FE = ["frontend fe", "  bind 127.0.0.1:8080", "  default_backend be"];
const BE = ["backend be", "  server s1 127.0.0.1:9001"];

describe("haproxy.cfg: stats, monitor-uri, monitor fail, use-service", () => {
  it("stats enable / uri / refresh, monitor-uri and monitor fail become the frontend's settings", () => {
    const c = cfg([
      ...FE,
      "  acl down hdr(x-down) -m found",
      "  stats enable",
      "  stats uri /admin?stats",
      "  stats refresh 10s",
      "  monitor-uri /healthz",
      "  monitor fail if down",
      "  monitor fail unless { src 127.0.0.0/8 }",
      "  http-request use-service prometheus-exporter if { path /metrics }",
      ...BE,
    ]);
    const fe = c.frontends[0]!;
    assert.deepEqual(fe.stats, { uri: "/admin?stats", refreshMs: 10_000 });
    assert.deepEqual(fe.monitor, {
      uri: "/healthz",
      fail: [["if", "down"], ["unless", "{", "src", "127.0.0.0/8", "}"]],
    });
    assert.deepEqual(fe.httpRequest, [{
      action: "use-service",
      service: "prometheus-exporter",
      condition: ["if", "{", "path", "/metrics", "}"],
    }]);
    assert.equal(c.backends[0]!.stats, undefined);
  });

  it("stats auth lines add users, stats realm names the realm; a realm without a user asks for nothing", () => {
    const c = cfg([...FE, "  stats auth a:1", "  stats auth b:x:y", "  stats realm My\\ stats", ...BE]);
    assert.deepEqual(c.frontends[0]!.stats, { auth: { users: { a: "1", b: "x:y" }, realm: "My stats" } });
    assert.deepEqual(cfg([...FE, "  stats realm R", ...BE]).frontends[0]!.stats, {});
    const resolved = resolveConfig(c);
    assert.equal(resolved.frontends[0]!.http?.stats?.auth?.realm, "My stats");
  });

  it("'stats enable' alone takes HAProxy's default URI; defaults pass stats and monitor-uri on", () => {
    const c = cfg(["  stats enable", "  monitor-uri /ping", ...FE, ...BE]);
    assert.deepEqual(c.frontends[0]!.stats, {});
    assert.equal(resolveConfig(c).frontends[0]!.http?.stats?.uri, "/haproxy?stats");
    assert.equal(c.frontends[0]!.monitor?.uri, "/ping");
    // A backend section serves the page too (requests routed to it), a listen on its frontend half.
    const l = cfg(["listen app", "  bind 127.0.0.1:8080", "  stats uri /s", "  server s1 127.0.0.1:9001"]);
    assert.deepEqual(l.frontends[0]!.stats, { uri: "/s" });
    assert.equal(l.backends[0]!.stats, undefined);
  });

  it("in mode tcp: inherited from defaults, dropped with HAProxy's warning; set in the section, refused", () => {
    const warnings: string[] = [];
    const c = cfg([
      "  stats enable",
      "frontend fe",
      "  mode tcp",
      "  bind 127.0.0.1:8080",
      "  default_backend be",
      "backend be",
      "  mode tcp",
      "  server s1 127.0.0.1:9001",
    ], warnings);
    assert.equal(c.frontends[0]!.stats, undefined);
    assert.ok(
      warnings.some((w) => w.includes("'stats' statement ignored for frontend 'fe' as it requires HTTP mode.")),
      warnings.join("\n"),
    );
    refused(
      () =>
        cfg([
          "frontend fe",
          "  mode tcp",
          "  bind 127.0.0.1:8080",
          "  monitor-uri /h",
          "  default_backend be",
          "backend be",
          "  mode tcp",
          "  server s1 127.0.0.1:9001",
        ]),
      /^s\.cfg: frontends\[0\]\.monitor: 'monitor-uri' requires mode http/,
    );
  });

  it("bad lines name the file and line", () => {
    refused(() => cfg([...FE, "  stats", ...BE]), /s\.cfg:7: 'stats' in section 'frontend fe': expects/);
    refused(() => cfg([...FE, "  stats uri", ...BE]), /s\.cfg:7: .*a URI prefix/);
    refused(() => cfg([...FE, "  stats refresh x", ...BE]), /s\.cfg:7: /);
    refused(() => cfg([...FE, "  stats bogus", ...BE]), /unknown stats parameter 'bogus'/);
    refused(() => cfg([...FE, "  stats scope fe", ...BE]), /'stats scope' is not supported/);
    refused(() => cfg([...FE, "  stats auth nocolon", ...BE]), /s\.cfg:7: .*'stats auth' expects <user>:<passwd>/);
    refused(
      () => cfg([...FE, "  monitor-uri", ...BE]),
      /s\.cfg:7: 'monitor-uri' in section 'frontend fe': expects a URI/,
    );
    refused(() => cfg([...FE, "  monitor fail", ...BE]), /s\.cfg:7: 'monitor fail' expects either 'if' or 'unless'/);
    refused(() => cfg([...FE, "  monitor fail if nosuch", ...BE]), /s\.cfg:7: .*no such ACL : 'nosuch'/);
    refused(() => cfg([...FE, "  http-request use-service lua.x", ...BE]), /s\.cfg:7: .*unknown service 'lua\.x'/);
    refused(() => cfg(["  monitor fail if TRUE", ...FE, ...BE]), /not allowed in 'defaults' section/);
  });
});

describe("typed configuration: stats and monitor", () => {
  const base = (fe: Record<string, unknown>, mode: "tcp" | "http" = "http"): ProxyConfig => ({
    frontends: [{ name: "fe", mode, binds: [tcp("127.0.0.1", 0)], defaultBackend: "be", ...fe }],
    backends: [{ name: "be", mode, servers: [{ name: "s1", address: tcp("127.0.0.1", 9) }] }],
  });

  it("defaults applied; conditions compiled", () => {
    const r = resolveConfig(base({ stats: {}, monitor: { uri: "/h", fail: ["if { src 10.0.0.0/8 }"] } }));
    assert.deepEqual(r.frontends[0]!.http?.stats, { uri: "/haproxy?stats", refreshMs: 0 });
    assert.equal(r.frontends[0]!.http?.monitor?.uri, "/h");
  });

  it("errors name the key", () => {
    refused(() => resolveConfig(base({ stats: {} }, "tcp")), /^frontends\[0\]\.stats: 'stats' requires mode http/);
    refused(() => resolveConfig(base({ monitor: { uri: "/h" } }, "tcp")), /^frontends\[0\]\.monitor: /);
    refused(() => resolveConfig(base({ stats: { uri: "" } })), /^frontends\[0\]\.stats\.uri: /);
    refused(() => resolveConfig(base({ stats: { refreshMs: -1 } })), /^frontends\[0\]\.stats\.refreshMs: /);
    refused(() => resolveConfig(base({ monitor: { uri: "a b" } })), /^frontends\[0\]\.monitor\.uri: /);
    refused(
      () => resolveConfig(base({ monitor: { uri: "/h", fail: ["down"] } })),
      /^frontends\[0\]\.monitor\.fail\[0\]: /,
    );
    refused(
      () => resolveConfig(base({ monitor: { uri: "/h", fail: ["if nosuch"] } })),
      /^frontends\[0\]\.monitor\.fail\[0\]: no such ACL/,
    );
    refused(
      () => resolveConfig(base({ httpRequest: [{ action: "use-service", service: "nope" }] })),
      /^frontends\[0\]\.httpRequest\[0\]: .*unknown service 'nope'/,
    );
    const be: ProxyConfig = {
      frontends: base({}).frontends,
      backends: [{ name: "be", mode: "http", monitor: { uri: "/h" }, servers: [] }],
    };
    refused(() => resolveConfig(be), /^backends\[0\]\.monitor: 'monitor-uri' is a frontend setting/);
  });
});
