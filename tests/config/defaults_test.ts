import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_BALANCE,
  DEFAULT_ERROR_LIMIT,
  DEFAULT_FALL,
  DEFAULT_INTER_MS,
  DEFAULT_RETRIES,
  DEFAULT_RISE,
  resolveConfig,
} from "../../src/config/defaults.ts";
import { DEFAULT_RETRY_ON } from "../../src/http/retry_on.ts";
import type { BackendConfig, FrontendConfig, ProxyConfig, ServerConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import type { Address } from "../../src/net.ts";

const tcp = (hostname: string, port: number): Address => ({ transport: "tcp", hostname, port });
const srv = (name: string, port: number, extra: Partial<ServerConfig> = {}): ServerConfig => ({
  name,
  address: tcp("127.0.0.1", port),
  ...extra,
});
const fe = (extra: Partial<FrontendConfig> = {}): FrontendConfig => ({
  name: "fe",
  binds: [tcp("127.0.0.1", 0)],
  defaultBackend: "be",
  ...extra,
});
const be = (extra: Partial<BackendConfig> = {}): BackendConfig => ({
  name: "be",
  servers: [srv("s1", 9001)],
  ...extra,
});
const config = (f: Partial<FrontendConfig> = {}, b: Partial<BackendConfig> = {}): ProxyConfig => ({
  frontends: [fe(f)],
  backends: [be(b)],
});

/** Asserts resolveConfig() refuses `cfg` with ERR_CONFIG_INVALID, the message starting with `path`. */
function refuses(cfg: unknown, path: string, detail: RegExp): void {
  assert.throws(() => resolveConfig(cfg as ProxyConfig), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, detail);
    return true;
  });
}

describe("resolveConfig() defaults", () => {
  it("fills every default of a minimal config, as HAProxy", () => {
    const r = resolveConfig(config());
    assert.deepEqual(r, {
      maxconn: 0,
      statsSockets: [],
      resolvers: [],
      frontends: [{
        name: "fe",
        binds: [{ address: tcp("127.0.0.1", 0), tls: undefined, acceptProxy: false, name: "1" }],
        tcpRequest: { inspectDelayMs: 0, connection: [], content: [] },
        mode: "tcp",
        defaultBackend: "be",
        http: undefined,
        clientTimeoutMs: undefined,
        maxconn: 0,
        rateLimitSessions: 0,
        log: undefined,
        httpRequestTimeoutMs: undefined,
        httpKeepAliveTimeoutMs: undefined,
        httpConnectionMode: "keep-alive",
        httpBufferRequest: false,
        uniqueIdFormat: undefined,
        uniqueIdHeader: undefined,
      }],
      backends: [{
        name: "be",
        mode: "tcp",
        http: undefined,
        balance: { kind: "random", draws: 2 },
        hashType: { method: "map-based", function: "sdbm", avalanche: false },
        cookie: undefined,
        persist: false,
        servers: [{
          name: "s1",
          address: tcp("127.0.0.1", 9001),
          weight: 1,
          maxconn: 0,
          maxqueue: 0,
          backup: false,
          disabled: false,
          slowstartMs: 0,
          check: undefined,
          observe: undefined,
          errorLimit: 10,
          onError: "fail-check",
          cookie: undefined,
          id: 1,
          poolMaxConn: -1,
          poolPurgeDelayMs: 5000,
          maxReuse: -1,
          tls: undefined,
          sendProxy: undefined,
          transparent: false,
          mapPorts: undefined,
        }],
        retries: 3,
        redispatch: 0,
        timeouts: {
          connectMs: undefined,
          serverMs: undefined,
          queueMs: undefined,
          tunnelMs: undefined,
          checkMs: undefined,
        },
        healthCheck: { kind: "tcp" },
        allBackups: false,
        abortOnClose: false,
        httpReuse: "safe",
        httpConnectionMode: "keep-alive",
        httpBufferRequest: false,
        forwardProxy: undefined,
        retryOn: DEFAULT_RETRY_ON,
      }],
    });
    assert.equal(DEFAULT_RETRIES, 3);
    assert.deepEqual(DEFAULT_BALANCE, { kind: "random", draws: 2 });
    assert.equal(DEFAULT_ERROR_LIMIT, 10);
  });

  it("check settings default to inter 2000, rise 2, fall 3, fastinter and downinter = inter", () => {
    const r = resolveConfig(config({}, {
      servers: [srv("a", 1, { check: {} }), srv("b", 2, { check: { interMs: 500, fastinterMs: 100 } })],
    }));
    const [a, b] = r.backends[0]?.servers ?? [];
    assert.deepEqual(a?.check, {
      interMs: DEFAULT_INTER_MS,
      fastinterMs: 2000,
      downinterMs: 2000,
      rise: DEFAULT_RISE,
      fall: DEFAULT_FALL,
      port: undefined,
    });
    assert.deepEqual(b?.check, { interMs: 500, fastinterMs: 100, downinterMs: 500, rise: 2, fall: 3, port: undefined });
  });

  it("timeout queue defaults to timeout connect, and 0 means infinite", () => {
    const r = resolveConfig(config({ clientTimeoutMs: 0 }, { timeouts: { connectMs: 4000, serverMs: 0 } }));
    assert.deepEqual(r.backends[0]?.timeouts, {
      connectMs: 4000,
      serverMs: undefined,
      queueMs: 4000,
      tunnelMs: undefined,
      checkMs: undefined,
    });
    assert.equal(r.frontends[0]?.clientTimeoutMs, undefined);
    const q = resolveConfig(config({}, { timeouts: { connectMs: 4000, queueMs: 100 } }));
    assert.equal(q.backends[0]?.timeouts.queueMs, 100);
    const zero = resolveConfig(config({}, { timeouts: { connectMs: 4000, queueMs: 0 } }));
    assert.equal(zero.backends[0]?.timeouts.queueMs, 4000, "a zero queue timeout is unset, so connect's applies");
  });

  it("random keeps its draws; other algorithms pass through", () => {
    assert.deepEqual(resolveConfig(config({}, { balance: { kind: "random", draws: 5 } })).backends[0]?.balance, {
      kind: "random",
      draws: 5,
    });
    assert.deepEqual(resolveConfig(config({}, { balance: { kind: "first" } })).backends[0]?.balance, { kind: "first" });
  });

  it("httpchk defaults to OPTIONS / HTTP/1.0 and any 2xx/3xx", () => {
    const r = resolveConfig(config({}, { healthCheck: { kind: "http" } }));
    assert.deepEqual(r.backends[0]?.healthCheck, {
      kind: "http",
      method: "OPTIONS",
      uri: "/",
      version: "HTTP/1.0",
      expectStatus: undefined,
      headers: [],
      expect: undefined,
    });
  });

  it("log defaults to tcplog on stdout", () => {
    assert.deepEqual(resolveConfig(config({ log: {} })).frontends[0]?.log, {
      target: "stdout",
      format: "tcplog",
      logFormat: undefined,
    });
    assert.deepEqual(resolveConfig(config({ log: { target: "stderr", format: "json" } })).frontends[0]?.log, {
      target: "stderr",
      format: "json",
      logFormat: undefined,
    });
    assert.throws(
      () => resolveConfig(config({ log: { logFormat: "%Z" } })),
      /frontends\[0\]\.log\.logFormat: no such format variable 'Z'/,
    );
  });

  it("server ids default to the smallest unused one, counting on, as HAProxy", () => {
    const r = resolveConfig(
      config({}, { servers: [srv("a", 1), srv("b", 2, { id: 1 }), srv("c", 3), srv("d", 4, { id: 3 }), srv("e", 5)] }),
    );
    assert.deepEqual(r.backends[0]?.servers.map((s) => [s.name, s.id]), [["a", 2], ["b", 1], ["c", 4], ["d", 3], [
      "e",
      5,
    ]]);
  });

  it("warns about missing timeouts, as HAProxy", () => {
    const warnings: string[] = [];
    resolveConfig(config(), { onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? "", /frontend 'fe'.*timeout client/);
    assert.match(warnings[1] ?? "", /backend 'be'.*timeout connect/);
    const none: string[] = [];
    resolveConfig(config({ clientTimeoutMs: 1000 }, { timeouts: { connectMs: 1000, serverMs: 1000 } }), {
      onWarning: (m) => none.push(m),
    });
    assert.deepEqual(none, []);
  });
});

describe("resolveConfig() validation", () => {
  it("refuses a weight outside 0..256", () => {
    refuses(
      config({}, { servers: [srv("a", 1), srv("b", 2, { weight: 300 })] }),
      "backends[0].servers[1].weight",
      /0\.\.256, got 300/,
    );
    refuses(config({}, { servers: [srv("a", 1, { weight: -1 })] }), "backends[0].servers[0].weight", /got -1/);
    refuses(config({}, { servers: [srv("a", 1, { weight: 1.5 })] }), "backends[0].servers[0].weight", /integer/);
  });

  it("refuses negative or overflowing timeouts", () => {
    refuses(config({}, { timeouts: { connectMs: -1 } }), "backends[0].timeouts.connectMs", /0\.\.2147483647, got -1/);
    refuses(config({ clientTimeoutMs: 2 ** 31 }), "frontends[0].clientTimeoutMs", /got 2147483648/);
    refuses(
      config({}, { servers: [srv("a", 1, { check: { interMs: 0 } })] }),
      "backends[0].servers[0].check.interMs",
      /1\.\./,
    );
  });

  it("refuses negative counts and retries", () => {
    refuses(config({}, { retries: -1 }), "backends[0].retries", /got -1/);
    refuses(config({ maxconn: -5 }), "frontends[0].maxconn", /got -5/);
    refuses({ ...config(), maxconn: "10" }, "maxconn", /got "10"/);
    refuses(
      config({}, { servers: [srv("a", 1, { check: { rise: 0 } })] }),
      "backends[0].servers[0].check.rise",
      /1\.\./,
    );
    refuses(config({}, { servers: [srv("a", 1, { errorLimit: 0 })] }), "backends[0].servers[0].errorLimit", /1\.\./);
  });

  it("refuses a redispatch interval pointing before the first retry", () => {
    refuses(config({}, { retries: 2, redispatch: -3 }), "backends[0].redispatch", /-2\.\./);
    assert.equal(resolveConfig(config({}, { retries: 2, redispatch: -2 })).backends[0]?.redispatch, -2);
  });

  it("refuses invalid enumerations", () => {
    refuses(config({}, { balance: { kind: "rdp-cookie" } as never }), "backends[0].balance.kind", /got "rdp-cookie"/);
    refuses(config({}, { balance: { kind: "random", draws: 0 } }), "backends[0].balance.draws", /1\.\./);
    refuses(
      config({}, { servers: [srv("a", 1, { onError: "explode" as never })] }),
      "backends[0].servers[0].onError",
      /fail-check/,
    );
    refuses(config({ mode: "udp" as never }), "frontends[0].mode", /"tcp", "http"/);
    refuses(config({ log: { target: "syslog" as never } }), "frontends[0].log.target", /stdout/);
    refuses(
      config({}, { healthCheck: { kind: "http", version: "HTTP/1.1\r\nHost: x" } }),
      "backends[0].healthCheck.version",
      /HTTP\/1\.1/,
    );
    refuses(
      config({}, { healthCheck: { kind: "http", expectStatus: [200, 99] } }),
      "backends[0].healthCheck.expectStatus[1]",
      /100\.\.599/,
    );
  });

  it("refuses bad addresses", () => {
    refuses(
      config({}, { servers: [srv("a", 0)] }),
      "backends[0].servers[0].address",
      /port must be an integer 1\.\.65535/,
    );
    refuses(config({ binds: [tcp("300.1.1.1", 80)] }), "frontends[0].binds[0]", /not an IPv4 address/);
    refuses(config({ binds: [] }), "frontends[0].binds", /at least one/);
    refuses(
      config({ binds: [tcp("127.0.0.1", 8080), tcp("127.0.0.1", 8080)] }),
      "frontends[0].binds[1]",
      /already bound/,
    );
  });

  it("refuses duplicate names and ids, invalid names, and an unknown default backend", () => {
    refuses(
      config({}, { servers: [srv("a", 1), srv("a", 2)] }),
      "backends[0].servers[1].name",
      /duplicate server name "a"/,
    );
    refuses(
      config({}, { servers: [srv("a", 1, { id: 4 }), srv("b", 2, { id: 4 })] }),
      "backends[0].servers[1].id",
      /already used/,
    );
    refuses({ frontends: [], backends: [be(), be()] }, "backends[1].name", /duplicate backend name "be"/);
    refuses(
      { frontends: [fe(), fe({ binds: [tcp("127.0.0.1", 1)] })], backends: [be()] },
      "frontends[1].name",
      /duplicate frontend/,
    );
    refuses(config({}, { name: "b/e" }), "backends[0].name", /letters, digits/);
    refuses(config({ defaultBackend: "nope" }), "frontends[0].defaultBackend", /no backend named "nope"/);
  });

  it("refuses values of the wrong type from untyped callers", () => {
    refuses(null, "config", /must be an object/);
    refuses({ frontends: [], backends: {} }, "backends", /must be an array/);
    refuses(
      config({}, { servers: [srv("a", 1, { backup: "yes" as never })] }),
      "backends[0].servers[0].backup",
      /boolean/,
    );
  });
});
