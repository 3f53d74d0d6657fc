/**
 * Proxy mode and `retry-on` in haproxy.cfg (`option http_proxy`, `http-proxy-allow`,
 * `http-proxy-auth`, `retry-on`) and in the typed configuration: what they become, what is
 * refused (with the line or the key path), and what `defaults` passes on.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import { isProxyError } from "../../src/errors.ts";
import type { BackendConfig, ProxyConfig } from "../../src/config/types.ts";
import { parseDestinationRule } from "../../src/http/proxy_allow.ts";
import { tcp } from "../_helpers.ts";

const parse = (lines: readonly string[]) => parseHaproxyConfig(lines.join("\n"), "t.cfg");

function refuses(lines: readonly string[], message: RegExp): void {
  assert.throws(() => parse(lines), (e: unknown) => {
    assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
    assert.match(e.message, message);
    return true;
  });
}

const FE = ["frontend fe", "  mode http", "  bind 127.0.0.1:3128", "  default_backend fwd"];

describe("haproxy.cfg: proxy mode and retry-on", () => {
  it("option http_proxy, http-proxy-allow (cumulative), http-proxy-auth, retry-on", () => {
    const cfg = parse([
      ...FE,
      "backend fwd",
      "  mode http",
      "  option http_proxy",
      "  http-proxy-allow .example.com:80,443 10.1.0.0/16:*",
      "  http-proxy-allow [fd00::]/8:8080",
      "  http-proxy-auth realm office alice:s3cret bob:pw:with:colons",
      "  retry-on conn-failure 503 empty-response",
    ]);
    const be = cfg.backends[0]!;
    assert.deepEqual(be.forwardProxy, {
      allow: [".example.com:80,443", "10.1.0.0/16:*", "[fd00::]/8:8080"],
      auth: { realm: "office", users: { alice: "s3cret", bob: "pw:with:colons" } },
    });
    assert.deepEqual(be.retryOn, ["conn-failure", 503, "empty-response"]);
    const r = resolveConfig(cfg).backends[0]!;
    assert.equal(r.forwardProxy?.allow.length, 3);
    assert.equal(r.forwardProxy?.auth?.users.get("bob"), "pw:with:colons");
    assert.deepEqual([r.retryOn.connFailure, r.retryOn.emptyResponse, [...r.retryOn.statuses]], [true, true, [503]]);
  });

  it("defaults pass them on; no option http_proxy and a later retry-on replace them", () => {
    const cfg = parse([
      "defaults",
      "  mode http",
      "  option http_proxy",
      "  http-proxy-allow *:80",
      "  retry-on all-retryable-errors",
      ...FE.slice(0, 1),
      ...FE.slice(2),
      "backend fwd",
      "backend plain",
      "  no option http_proxy",
      "  retry-on none",
      "  server s1 127.0.0.1:8000",
    ]);
    assert.deepEqual(cfg.backends[0]!.forwardProxy, { allow: ["*:80"] });
    assert.deepEqual(cfg.backends[0]!.retryOn, ["all-retryable-errors"]);
    assert.equal(cfg.backends[1]!.forwardProxy, undefined);
    assert.deepEqual(cfg.backends[1]!.retryOn, ["none"]);
  });

  it("refuses bad rules, statuses and combinations with the line", () => {
    const be = (...l: string[]) => [...FE, "backend fwd", "  mode http", "  option http_proxy", ...l];
    refuses(be("  http-proxy-allow ::1:80"), /^t\.cfg:8: .*write IPv6 addresses in brackets/);
    refuses(be("  http-proxy-allow example.com:0"), /^t\.cfg:8: .*invalid port/);
    refuses(be("  http-proxy-allow"), /^t\.cfg:8: .*at least one rule/);
    refuses(be("  http-proxy-auth alice"), /^t\.cfg:8: .*<user>:<password>/);
    refuses(be("  retry-on 429"), /^t\.cfg:8: .*status 429 is not retryable/);
    refuses(be("  retry-on none 503"), /^t\.cfg:8: .*'none' cannot be combined/);
    refuses(be("  retry-on sometimes"), /^t\.cfg:8: .*unknown keyword 'sometimes'/);
    refuses(be("  server s1 127.0.0.1:80"), /proxy mode has no servers|has no servers/);
  });
});

describe("typed configuration: forwardProxy and retryOn", () => {
  const cfg = (be: Partial<BackendConfig>): ProxyConfig => ({
    frontends: [{ name: "fe", mode: "http", binds: [tcp("127.0.0.1", 0)], defaultBackend: "b" }],
    backends: [{ name: "b", mode: "http", servers: [], ...be }],
  });
  const bad = (be: Partial<BackendConfig>, message: RegExp) =>
    assert.throws(() => resolveConfig(cfg(be)), (e: unknown) => isProxyError(e) && message.test(e.message));

  it("defaults: no proxy mode, retry-on conn-failure", () => {
    const r = resolveConfig(cfg({ servers: [{ name: "s", address: tcp("127.0.0.1", 1) }] })).backends[0]!;
    assert.equal(r.forwardProxy, undefined);
    assert.deepEqual([r.retryOn.connFailure, r.retryOn.emptyResponse, r.retryOn.statuses.size], [true, false, 0]);
    assert.deepEqual(resolveConfig(cfg({ forwardProxy: {} })).backends[0]!.forwardProxy, {
      allow: [],
      auth: undefined,
    });
  });

  it("refuses with the key path", () => {
    bad({ forwardProxy: { allow: ["bad host!"] } }, /^backends\[0\]\.forwardProxy\.allow\[0\]: .*invalid host name/);
    bad({ forwardProxy: { auth: { users: {} } } }, /^backends\[0\]\.forwardProxy\.auth\.users: must name at least one/);
    bad({ forwardProxy: { auth: { realm: 'a"b', users: { u: "p" } } } }, /^backends\[0\]\.forwardProxy\.auth\.realm/);
    bad({ forwardProxy: {}, servers: [{ name: "s", address: tcp("127.0.0.1", 1) }] }, /has no servers/);
    bad({ forwardProxy: {}, mode: "tcp" }, /needs mode http/);
    bad({ retryOn: [] }, /^backends\[0\]\.retryOn: expects at least one/);
    bad({ retryOn: [404, 421 as never] }, /^backends\[0\]\.retryOn: status 421/);
  });

  it("parseDestinationRule: the forms of a rule", () => {
    const k = (t: string) => {
      const r = parseDestinationRule(t);
      return typeof r === "string" ? r : [r.kind, r.ports.map((p) => `${p.from}-${p.to}`).join(",")];
    };
    assert.deepEqual(k("*"), ["any", "80-80,443-443"]);
    assert.deepEqual(k("Example.COM:8080"), ["name", "8080-8080"]);
    assert.deepEqual(k(".example.com:*"), ["suffix", "1-65535"]);
    assert.deepEqual(k("*.example.com:80,8000-8100"), ["suffix", "80-80,8000-8100"]);
    assert.deepEqual(k("10.0.0.0/8:22"), ["net", "22-22"]);
    assert.deepEqual(k("[::1]:443"), ["net", "443-443"]);
    assert.equal(typeof parseDestinationRule("10.0.0.300"), "string");
    assert.equal(typeof parseDestinationRule("a.com:9-1"), "string");
  });
});
