/**
 * resolveConfig() on the typed HTTP-mode settings: modes, backends of use_backend, refusals
 * in mode tcp, and HAProxy's messages after the key path.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { BackendConfig, FrontendConfig, ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { compileProxyPolicies } from "../../src/http/policy.ts";

const addr = { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 };
const be = (name: string, extra: Partial<BackendConfig> = {}): BackendConfig => ({
  name,
  mode: "http",
  servers: [{ name: "s", address: addr }],
  ...extra,
});
const config = (f: Partial<FrontendConfig>, backends: BackendConfig[] = [be("be"), be("b2")]): ProxyConfig => ({
  frontends: [{ name: "fe", binds: [{ ...addr, port: 0 }], mode: "http", defaultBackend: "be", ...f }],
  backends,
});

function refuses(cfg: ProxyConfig, message: string | RegExp): void {
  assert.throws(() => resolveConfig(cfg), (e: unknown) => {
    assert.ok(isProxyError(e) && e.code === "ERR_CONFIG_INVALID", String(e));
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe("resolveConfig() in mode http", () => {
  it("compiles the HTTP settings; a tcp section without any has none", () => {
    const r = resolveConfig(
      config({ acls: [{ name: "a", expr: "path /x" }], useBackends: [{ backend: "b2", condition: "if a" }] }),
    );
    const f = r.frontends[0]!;
    assert.equal(f.mode, "http");
    assert.deepEqual(f.http, {
      acls: [{ name: "a", expr: "path /x" }],
      useBackends: [{ backend: "b2", condition: "if a" }],
      httpRequest: [],
      httpResponse: [],
      forwardFor: undefined,
      forwarded: undefined,
      forwardedProto: undefined,
      errorFiles: {},
    });
    assert.deepEqual(r.backends[0]?.http?.acls, []);
    const policies = compileProxyPolicies(r);
    assert.deepEqual(policies.frontends.get("fe")?.switching.map((s) => s.backend), ["b2"]);
    assert.deepEqual([...policies.backends.keys()], ["be", "b2"]);
    const tcp = resolveConfig(config({ mode: "tcp" }, [be("be", { mode: "tcp" }), be("b2", { mode: "tcp" })]));
    assert.equal(tcp.frontends[0]?.http, undefined);
    assert.equal(tcp.backends[0]?.http, undefined);
  });

  it("default_backend is optional in mode http only", () => {
    assert.equal(resolveConfig(config({ defaultBackend: undefined } as never)).frontends[0]?.defaultBackend, undefined);
    refuses(
      config({ mode: "tcp", defaultBackend: undefined } as never, [be("be", { mode: "tcp" })]),
      /^frontends\[0\]\.defaultBackend: must be a backend name/,
    );
  });

  it("use_backend targets must exist and, for an http frontend, be http backends", () => {
    refuses(
      config({ useBackends: [{ backend: "nosuch" }] }),
      "frontends[0].useBackends[0].backend: Proxy 'fe': unable to find required use_backend: 'nosuch'.",
    );
    refuses(
      config({ useBackends: [{ backend: "t" }] }, [be("be"), be("t", { mode: "tcp" })]),
      "frontends[0].useBackends[0].backend: http frontend 'fe' tries to use incompatible tcp backend 't' in a 'use_backend' rule (see 'mode').",
    );
    refuses(
      config({}, [be("be", { mode: "tcp" })]),
      "frontends[0].defaultBackend: http frontend 'fe' tries to use incompatible tcp backend 'be' as its default backend (see 'mode').",
    );
    // A tcp frontend may use an http backend (HAProxy upgrades the stream).
    assert.doesNotThrow(() => resolveConfig(config({ mode: "tcp" })));
  });

  it("mode tcp refuses what HAProxy ignores there", () => {
    const tcp = (f: Partial<FrontendConfig>) => config({ mode: "tcp", ...f });
    refuses(
      tcp({ httpRequest: [{ action: "allow" }] }),
      "frontends[0].httpRequest: 'http-request' rules require mode http (HAProxy ignores them in mode tcp)",
    );
    refuses(
      tcp({ forwardFor: {} }),
      /^frontends\[0\]\.forwardFor: 'option forwardfor' requires mode http \(HAProxy ignores it in mode tcp\)$/,
    );
    refuses(config({}, [be("be", { mode: "tcp", httpResponse: [] }), be("b2")]), /^backends\[0\]\.httpResponse: /);
  });

  it("errors of ACLs, conditions, rules and error files after their key path", () => {
    refuses(
      config({ acls: [{ name: "a", expr: "src 10.0.0.0/33" }] }),
      "frontends[0].acls[0]: error detected while parsing ACL 'a' : '10.0.0.0/33' is not a valid IPv4 or IPv6 address.",
    );
    refuses(
      config({ useBackends: [{ backend: "b2", condition: "if nope" }] }),
      "frontends[0].useBackends[0].condition: no such ACL : 'nope'",
    );
    refuses(
      config({ httpRequest: [{ action: "redirect", type: "location", value: "/x", code: 305 as never }] }),
      "frontends[0].httpRequest[0]: 'code': unsupported HTTP code '305' (must be one of 301, 302, 303, 307 or 308)",
    );
    refuses(
      config({}, [be("be", { errorFiles: { 503: "HTTP/1.1 503 x\r\nContent-Length: 9\r\n\r\nab" } })]),
      "backends[0].errorFiles: errorfile : 'errorFiles[503]': payload size does not match the announced content-length (2 != 9)",
    );
    refuses(config({ mode: "udp" as never }), /^frontends\[0\]\.mode: must be one of "tcp", "http"/);
  });

  it("warns about an ACL without pattern, naming the frontend", () => {
    const warnings: string[] = [];
    resolveConfig(config({ acls: [{ name: "a", expr: "path" }] }), { onWarning: (w) => warnings.push(w) });
    assert.equal(warnings.filter((w) => w.includes("no pattern")).length, 1);
    assert.match(warnings.find((w) => w.includes("no pattern"))!, /^frontends\[0\]: parsing acl keyword 'path'/);
  });
});
