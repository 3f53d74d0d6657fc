/**
 * Health checks on the in-memory network with a fake clock: HAProxy's rise/fall counting,
 * intervals, TCP and HTTP checks, passive observe layer4, and the log lines they produce.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { enc, tcp } from "./_helpers.ts";
import type { Listener } from "../src/net.ts";

const check = (extra: Record<string, unknown> = {}) => ({
  check: { interMs: 2000, fastinterMs: 500, rise: 2, fall: 3, ...extra },
});

/** A server that answers every request with `status` (HTTP/1.0, then closes). */
async function httpServer(h: Harness, addr: ReturnType<typeof srvAddr>, status: string): Promise<Listener> {
  return await h.net.listen({
    address: addr,
    onAccept: (s) =>
      s.setHandlers({
        onData() {
          s.write(enc(`HTTP/1.0 ${status}\r\ncontent-length: 0\r\n\r\n`));
          s.close();
        },
        onEnd() {},
        onDrain() {},
        onClose() {},
      }),
  });
}

describe("health checks", () => {
  it("a server that fails its first check goes DOWN at once and logs it as HAProxy does", async () => {
    const h = new Harness();
    await h.start(config({ servers: servers(1, check()) }));
    await h.until(() => h.backends[0]!.servers[0]!.state === "DOWN");
    assert.equal(h.clock.now() - 1_767_225_600_000, 0, "first check at start");
    assert.deepEqual(h.lines, [
      'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      "backend be has no server available!",
    ]);
  });

  it("comes UP after exactly `rise` passes (downinter, then fastinter), and goes DOWN after exactly `fall` failures at fastinter", async () => {
    const h = new Harness();
    await h.start(config({ servers: servers(1, check({ downinterMs: 3000, rise: 2, fall: 3 })) }));
    const srv = h.backends[0]!.servers[0]!;
    const hc = h.checkers[0]!;
    const t0 = h.clock.now();
    await h.until(() => srv.state === "DOWN");
    await h.server("s1", srvAddr(1));
    await h.until(() => srv.state === "UP");
    // DOWN: next check after downinter (t=3 s, pass: transitional); then fastinter (t=3.5 s: UP).
    assert.equal(h.clock.now() - t0, 3500);
    assert.equal(hc.health, 4, "fully up: rise + fall - 1");
    assert.equal(hc.nextIntervalMs(), 2000);
    await h.servers.get("s1")!.listener.close();
    const tDown = h.clock.now();
    await h.until(() => srv.state === "DOWN");
    assert.equal(h.clock.now() - tDown, 2000 + 500 + 500, "fail at inter, then twice at fastinter");
    assert.equal(srv.counters.downTransitions, 2);
    assert.match(
      h.lines.find((l) => l.includes("is UP"))!,
      /^Server be\/s1 is UP, reason: Layer4 check passed, check duration: 0ms\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/,
    );
  });

  it("a server marked DOWN stops getting new streams; traffic moves to the others", async () => {
    const h = new Harness();
    await h.server("s2", srvAddr(2));
    await h.start(config({ balance: { kind: "roundrobin" }, servers: servers(2, check()) }));
    await h.until(() => h.backends[0]!.servers[0]!.state === "DOWN");
    for (let i = 0; i < 3; i++) await h.exchange();
    assert.deepEqual(h.sequence, ["s2", "s2", "s2"]);
    assert.equal(h.net.connectAttempts(srvAddr(1)), 1, "only the health check tried s1");
  });

  it("option httpchk marks a server answering 503 DOWN with the status in the reason", async () => {
    const h = new Harness();
    await httpServer(h, srvAddr(1), "503 Service Unavailable");
    await h.start(config({ healthCheck: { kind: "http" }, servers: servers(1, check()) }));
    await h.until(() => h.backends[0]!.servers[0]!.state === "DOWN");
    assert.match(
      h.lines[0]!,
      /^Server be\/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 0ms\./,
    );
  });

  it("http-check expect status accepts exactly the listed status", async () => {
    const h = new Harness();
    await httpServer(h, srvAddr(1), "503 Service Unavailable");
    await h.start(config({ healthCheck: { kind: "http", expectStatus: [503] }, servers: servers(1, check()) }));
    await h.clock.advance(10_000);
    const hc = h.checkers[0]!;
    assert.equal(h.backends[0]!.servers[0]!.state, "UP");
    assert.equal(hc.counters.passed, 6);
    assert.equal(hc.last?.code, 503);
  });

  it("a check that gets no connection within inter fails with Layer4 timeout", async () => {
    const h = new Harness();
    h.net.blackhole(srvAddr(1));
    await h.start(config({ servers: servers(1, check()) }));
    await h.until(() => h.backends[0]!.servers[0]!.state === "DOWN");
    assert.equal(h.clock.now() - 1_767_225_600_000, 2000);
    assert.match(h.lines[0]!, /reason: Layer4 timeout, check duration: 2000ms/);
  });

  it("observe layer4 with on-error mark-down takes a server DOWN after error-limit failed connects", async () => {
    const h = new Harness();
    // Checks go to port 9000, which answers; real traffic goes to port 8000, which refuses.
    await h.net.listen({ address: tcp("10.1.0.1", 9000), onAccept: (s) => s.abort() });
    await h.server("s2", srvAddr(2));
    await h.start(config({
      balance: { kind: "first" },
      retries: 0,
      servers: [
        {
          name: "s1",
          address: srvAddr(1),
          ...check({ port: 9000, interMs: 60_000 }),
          observe: "layer4",
          errorLimit: 2,
          onError: "mark-down",
        },
        { name: "s2", address: srvAddr(2) },
      ],
    }));
    const s1 = h.backends[0]!.servers[0]!;
    await h.clock.advance(0);
    assert.equal(s1.state, "UP");
    await h.exchange();
    assert.equal(s1.state, "UP", "one error is below error-limit");
    await h.exchange();
    assert.equal(s1.state, "DOWN");
    assert.match(
      h.lines.find((l) => l.startsWith("Server"))!,
      /is DOWN, reason: Health analyze, info: "Detected 2 consecutive errors, last one was: L4 unsuccessful connection"/,
    );
    await h.exchange();
    assert.deepEqual(h.sequence, ["s2"], "the third stream goes to s2 directly");
    assert.equal(h.checkers[0]!.counters.observedFailures, 1);
  });

  it("servers in maintenance are not checked", async () => {
    const h = new Harness();
    await h.server("s2", srvAddr(2));
    await h.start(
      config({
        servers: [{ name: "s1", address: srvAddr(1), disabled: true, ...check() }, { name: "s2", address: srvAddr(2) }],
      }),
    );
    await h.clock.advance(10_000);
    assert.equal(h.net.connectAttempts(srvAddr(1)), 0);
    assert.equal(h.backends[0]!.servers[0]!.state, "MAINT");
  });
});
