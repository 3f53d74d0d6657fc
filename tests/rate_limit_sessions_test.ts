/**
 * `rate-limit sessions <rate>` (configuration.txt 4.2; src/_accept_rate.ts): a frontend takes
 * at most `<rate>` new sessions per second over HAProxy's sliding window, the others wait,
 * unread, and are taken in order as the rate allows; `rate_lim` in `show stat` and
 * `haproxy_frontend_limit_session_rate` show the setting; the keyword's errors name the file.
 * Memory network and fake clock, then one run on the runtime's real sockets.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { ProxyServer } from "../src/proxy.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { RuntimeApiSession } from "../src/runtime_api.ts";
import { prometheusMetrics } from "../src/stats/prometheus.ts";
import type { Socket } from "../src/net.ts";
import { namedEchoServer, nativeNetwork, portOf, Recorder, runtime, tcp, within } from "./_helpers.ts";

/** `show stat`'s field `name` of the `fe` FRONTEND row. */
function frontendField(proxy: ProxyServer, name: string): string {
  const csv = new RuntimeApiSession(proxy, "admin").execute("show stat").split("\n");
  const names = csv[0]!.slice(2).split(",");
  return csv.find((l) => l.startsWith("fe,FRONTEND,"))!.split(",")[names.indexOf(name)]!;
}

/** A frontend at 1 session per second, one client served and one waiting. */
async function oneWaiting() {
  const h = new Harness();
  await h.server("s1", srvAddr(1));
  await h.start(config({ servers: servers(1) }, { rateLimitSessions: 1 }));
  return { h, first: await h.client(), waiting: await h.client() };
}

describe("rate-limit sessions", () => {
  it("takes <rate> sessions in a second, the rest in order in the next as the window slides", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }, { rateLimitSessions: 5 }));
    const taken = () => h.frontends[0]!.counters.total;
    // 8 connections offered at once, at the start of a second (the fake clock starts on one).
    const clients = [];
    for (let i = 0; i < 8; i++) clients.push(await h.client());
    assert.equal(taken(), 5, "5 sessions in the first second");
    assert.equal(h.servers.get("s1")!.accepted.length, 5, "the others never reached the server");
    await h.clock.advance(999);
    assert.equal(taken(), 5, "still 5 at the end of that second");
    // The next second: the previous one's 5 weigh 5 * (1000 - elapsed) / 1000, so one more
    // fits each 200 ms (HAProxy's freq_ctr_remain()).
    await h.clock.advance(1);
    assert.equal(taken(), 5, "at the boundary the previous second still weighs in full");
    await h.clock.advance(1);
    assert.equal(taken(), 6);
    await h.clock.advance(200);
    assert.equal(taken(), 7);
    await h.clock.advance(200);
    assert.equal(taken(), 8, "all taken within the next second");
    // The waiting ones kept their bytes: each stream echoes what its client sent.
    const last = clients[7]!;
    last.socket.write(new TextEncoder().encode("late"));
    await h.until(() => last.rec.text() === "late");
    assert.equal(frontendField(h.proxy, "rate_lim"), "5");
    assert.ok(Number(frontendField(h.proxy, "rate_max")) <= 5, "never more than 5 in one second");
    for (const c of clients) c.socket.close();
    await h.proxy.stop();
  });

  it("a stop without grace aborts the connections still waiting; none became a session", async () => {
    const { h, first, waiting } = await oneWaiting();
    assert.equal(h.frontends[0]!.counters.total, 1);
    await h.proxy.stop();
    await h.until(() => waiting.rec.closeCount === 1 && first.rec.closeCount === 1, 1000);
    assert.equal(h.frontends[0]!.counters.total, 1);
  });

  it("a graceful stop (a reload) serves the connections still waiting, like the streams in progress", async () => {
    const { h, first, waiting } = await oneWaiting();
    const stopped = h.proxy.stop({ graceMs: 10_000 });
    await h.clock.advance(0);
    assert.equal(h.frontends[0]!.counters.total, 2, "taken at the stop");
    waiting.socket.write(new TextEncoder().encode("ok"));
    await h.until(() => waiting.rec.text() === "ok", 1000);
    for (const c of [first, waiting]) c.socket.shutdownWrite();
    await h.until(() => waiting.rec.closeCount === 1 && first.rec.closeCount === 1, 1000);
    await stopped;
  });

  it("is read from haproxy.cfg (frontend, defaults; a backend ignores it), shown in show stat and the exporter; errors name the file", () => {
    const cfg = (extra: string) =>
      parseHaproxyConfig(
        `defaults\n  mode tcp\n${extra}frontend fe\n  bind 10.0.0.1:80\n  rate-limit sessions 50\n  default_backend be\n` +
          `frontend other\n  bind 10.0.0.1:81\n  default_backend be\nbackend be\n  server s1 10.1.0.1:8000\n`,
        "rl.cfg",
      );
    const c = cfg("");
    assert.equal(c.frontends[0]!.rateLimitSessions, 50);
    assert.equal(cfg("  rate-limit sessions 7\n").frontends[1]!.rateLimitSessions, 7, "from defaults");
    const proxy = new ProxyServer(c, { network: new Harness().net });
    assert.equal(frontendField(proxy, "rate_lim"), "50");
    const metrics = prometheusMetrics(proxy);
    assert.match(metrics, /\nhaproxy_frontend_limit_session_rate\{proxy="fe"\} 50\n/);
    assert.match(metrics, /\nhaproxy_frontend_limit_session_rate\{proxy="other"\} 0\n/);
    assert.match(
      metrics,
      /# TYPE haproxy_frontend_status gauge\n[^#]*# HELP haproxy_frontend_limit_session_rate [^\n]+\n# TYPE haproxy_frontend_limit_session_rate gauge\n[^#]*# HELP haproxy_frontend_max_session_rate/,
      "between status and max_session_rate, as HAProxy 2.6",
    );
    assert.throws(
      () => cfg("  rate-limit connections 5\n"),
      /rl\.cfg:3.*'rate-limit'.*only supports 'sessions' \(got 'connections'\)/,
    );
    assert.throws(() => cfg("  rate-limit sessions\n"), /rl\.cfg:3.*'rate-limit'.*expects/);
    assert.throws(() => cfg("  rate-limit sessions x\n"), /rl\.cfg:3.*'rate-limit'/);
    // In a backend, HAProxy ignores it with a warning (no frontend capability).
    const warnings: string[] = [];
    parseHaproxyConfig("backend be\n  rate-limit sessions 5\n  server s1 10.1.0.1:8000\n", "rl.cfg", {
      onWarning: (m) => warnings.push(m),
    });
    assert.match(
      warnings.join("\n"),
      /rl\.cfg:2.*'rate-limit'.*ignored because backend 'be' has no frontend capability/,
    );
  });

  it(`on ${runtime}'s sockets: 5 connections at once at 2 per second are all served, over at least half a second`, async () => {
    const net = await nativeNetwork();
    const echo = await namedEchoServer(net, "s");
    const proxy = new ProxyServer({
      frontends: [{ name: "fe", binds: [tcp("127.0.0.1", 0)], defaultBackend: "be", rateLimitSessions: 2 }],
      backends: [{ name: "be", servers: [{ name: "s1", address: tcp("127.0.0.1", portOf(echo.address)) }] }],
    }, { network: net });
    await proxy.start();
    const port = portOf(proxy.addresses[0]);
    const held: Socket[] = [];
    try {
      const served = await Promise.all(Array.from({ length: 5 }, async () => {
        const c = await net.connect({ address: tcp("127.0.0.1", port) });
        held.push(c);
        const r = new Recorder();
        c.setHandlers(r);
        await within(r.waitBytes(2), 10_000, "the server's greeting");
        return Date.now();
      }));
      const span = Math.max(...served) - Math.min(...served);
      assert.ok(span >= 400, `5 sessions at 2/s took ${span} ms`);
      assert.equal(frontendField(proxy, "rate_lim"), "2");
      assert.ok(Number(frontendField(proxy, "rate_max")) <= 2);
    } finally {
      for (const c of held) c.close();
      await proxy.stop();
      await echo.close();
    }
  });
});
