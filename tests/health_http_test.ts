/**
 * HTTP health checks against a real HTTP server on 127.0.0.1 (`http-check send` headers,
 * `expect status | rstatus | string`, HAProxy's wording of each outcome), and passive
 * `observe layer7` fed response statuses through `Server.observe()`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { systemClock } from "../src/clock.ts";
import { FakeClock } from "../src/clock.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { Server } from "../src/server.ts";
import { describeCheck, HealthChecker, type HealthSettings } from "../src/health.ts";
import type { ResolvedHealthCheck } from "../src/config/resolved.ts";
import { httpCheckRequest } from "../src/health_http.ts";
import { nativeNetwork, tcp } from "./_helpers.ts";

const net = await nativeNetwork();
/** What the test server saw of the last check request. */
let last: { method: string; url: string; headers: IncomingMessage["headers"] } | undefined;
let http: HttpServer;
let port = 0;

before(async () => {
  http = createServer((req, res) => {
    last = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    const [path, query] = (req.url ?? "/").split("?");
    const status = Number(new URLSearchParams(query).get("status") ?? "200");
    res.statusCode = status;
    res.statusMessage = status === 200 ? "OK" : status === 503 ? "Service Unavailable" : "Nope";
    res.setHeader("connection", "close");
    res.end(path === "/body" ? "state: ready\n" : "");
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  port = (http.address() as { port: number }).port;
});

after(async () => {
  await new Promise<void>((r) => http.close(() => r()));
});

const httpKind = (over: Partial<Extract<ResolvedHealthCheck, { kind: "http" }>> = {}): ResolvedHealthCheck => ({
  kind: "http",
  method: "GET",
  uri: "/health",
  version: "HTTP/1.1",
  expectStatus: undefined,
  headers: [["host", "app.test"], ["x-probe", "proxykit"]],
  expect: undefined,
  ...over,
});

function checker(kind: ResolvedHealthCheck): HealthChecker {
  const server = new Server(
    {
      name: "s1",
      address: tcp("127.0.0.1", port),
      id: 1,
      weight: 1,
      maxconn: 0,
      maxqueue: 0,
      backup: false,
      disabled: false,
      slowstartMs: 0,
    },
    systemClock,
  );
  const settings: HealthSettings = {
    check: { interMs: 5000, fastinterMs: 5000, downinterMs: 5000, rise: 2, fall: 3, port: undefined },
    kind,
    connectTimeoutMs: undefined,
    checkTimeoutMs: undefined,
    observe: undefined,
    errorLimit: 10,
    onError: "fail-check",
    startDelayMs: 0,
  };
  return new HealthChecker(server, settings, net, systemClock);
}

describe("HTTP checks against a real server", () => {
  it("send: request line and headers, then connection: close and content-length: 0", async () => {
    const r = await checker(httpKind()).runOnce();
    assert.deepEqual([r.ok, r.reason, r.code, r.info], [true, "Layer7 check passed", 200, undefined]);
    assert.equal(last?.method, "GET");
    assert.equal(last?.url, "/health");
    assert.equal(last?.headers["host"], "app.test");
    assert.equal(last?.headers["x-probe"], "proxykit");
    assert.equal(last?.headers["connection"], "close");
    assert.equal(
      httpCheckRequest(httpKind() as never).endsWith("connection: close\r\ncontent-length: 0\r\n\r\n"),
      true,
    );
  });

  it("a 5xx fails as Layer7 wrong status with the reason phrase; the default accepts 2xx and 3xx", async () => {
    const r = await checker(httpKind({ uri: "/?status=503" })).runOnce();
    assert.deepEqual([r.ok, r.reason, r.code, r.info], [false, "Layer7 wrong status", 503, "Service Unavailable"]);
    assert.match(
      describeCheck(r),
      /^Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms$/,
    );
    assert.equal((await checker(httpKind({ uri: "/?status=302" })).runOnce()).ok, true);
  });

  it("expect status, rstatus and their negation", async () => {
    const st = (codes: number[], negate = false) => ({ kind: "status" as const, codes, negate });
    assert.equal((await checker(httpKind({ uri: "/?status=404", expect: st([404]) })).runOnce()).ok, true);
    assert.equal((await checker(httpKind({ expect: st([500], true) })).runOnce()).ok, true);
    const re = { kind: "rstatus" as const, pattern: "^4", negate: false };
    assert.equal((await checker(httpKind({ uri: "/?status=418", expect: re })).runOnce()).ok, true);
    const miss = await checker(httpKind({ expect: re })).runOnce();
    assert.deepEqual([miss.ok, miss.reason, miss.code], [false, "Layer7 wrong status", 200]);
  });

  it("expect string looks into the body: a miss is Layer7 invalid response, without a code", async () => {
    const text = (t: string, negate = false) => ({ kind: "string" as const, text: t, negate });
    const ok = await checker(httpKind({ uri: "/body", expect: text("ready") })).runOnce();
    assert.deepEqual([ok.ok, ok.reason], [true, "Layer7 check passed"]);
    const miss = await checker(httpKind({ uri: "/body", expect: text("maintenance") })).runOnce();
    assert.equal(
      describeCheck({ ...miss, durationMs: 0 }),
      'Layer7 invalid response, info: "HTTP content check did not match", check duration: 0ms',
    );
    const unwanted = await checker(httpKind({ uri: "/body", expect: text("ready", true) })).runOnce();
    assert.deepEqual([unwanted.ok, unwanted.info], [false, "HTTP check matched unwanted content"]);
    const empty = await checker(httpKind({ uri: "/health", expect: text("ready") })).runOnce();
    assert.deepEqual([empty.ok, empty.info], [false, "HTTP content check could not find a response body"]);
  });
});

describe("observe layer7", () => {
  /** A checked server of a memory backend whose checks never run (inter 1 h). */
  function observed(observe: "layer4" | "layer7", errorLimit: number, onError: HealthSettings["onError"]) {
    const clock = new FakeClock();
    const srv = new Server(
      {
        name: "s1",
        address: tcp("10.1.0.1", 80),
        id: 1,
        weight: 1,
        maxconn: 0,
        maxqueue: 0,
        backup: false,
        disabled: false,
        slowstartMs: 0,
      },
      clock,
    );
    const hc = new HealthChecker(
      srv,
      {
        check: {
          interMs: 3_600_000,
          fastinterMs: 3_600_000,
          downinterMs: 3_600_000,
          rise: 2,
          fall: 3,
          port: undefined,
        },
        kind: { kind: "tcp" },
        connectTimeoutMs: undefined,
        checkTimeoutMs: undefined,
        observe,
        errorLimit,
        onError,
        startDelayMs: 0,
      },
      new MemoryNetwork({ clock }),
      clock,
    );
    srv.observer = (o) => hc.observe(o);
    return { srv, hc };
  }

  it("counts 5xx (but 501 and 505) as errors; a good response resets the count", () => {
    const { srv, hc } = observed("layer7", 3, "mark-down");
    for (const s of [500, 502, 200, 503, 501, 505, 404, 504, 502]) srv.observe(s);
    assert.equal(srv.state, "UP", "never 3 errors in a row");
    assert.equal(hc.consecutiveErrors, 2);
    srv.observe(503);
    assert.equal(srv.state, "DOWN");
    assert.equal(hc.counters.observedFailures, 1);
    assert.equal(hc.last?.info, "Detected 3 consecutive errors, last one was: Wrong http response");
  });

  it("layer7 counts failed connects but not successful ones; layer4 ignores HTTP statuses", () => {
    const l7 = observed("layer7", 2, "mark-down");
    l7.srv.observe("conn-error");
    l7.srv.observe("conn-ok");
    l7.srv.observe("read-timeout");
    assert.equal(l7.srv.state, "DOWN", "conn-ok does not reset layer7's count");
    assert.equal(l7.hc.last?.info, "Detected 2 consecutive errors, last one was: Read timeout (http)");
    const l4 = observed("layer4", 2, "mark-down");
    for (const s of [500, 503, 502]) l4.srv.observe(s);
    assert.equal(l4.srv.state, "UP");
    l4.srv.observe("conn-error");
    l4.srv.observe("conn-ok");
    l4.srv.observe("conn-error");
    assert.equal(l4.srv.state, "UP", "conn-ok resets layer4's count");
  });

  it("fail-check counts one failed check per error-limit errors (fall 3 from fully up)", () => {
    const { srv, hc } = observed("layer7", 1, "fail-check");
    hc.health = 4;
    srv.observe(500);
    srv.observe(500);
    assert.equal(srv.state, "UP");
    srv.observe(500);
    assert.equal(srv.state, "DOWN");
  });
});
