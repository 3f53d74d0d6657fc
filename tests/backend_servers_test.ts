/**
 * Server sets through the whole proxy on the in-memory network with a fake clock: backup
 * servers, slowstart, leastconn and source affinity, maxqueue overflow, the JSON log, and a
 * haproxy.cfg file driving the proxy.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { enc, Recorder, tcp } from "./_helpers.ts";
import { ProxyServer } from "../src/proxy.ts";

describe("backend: server sets", () => {
  it("uses only the first backup while every active server is down, and comes back to the active", async () => {
    const h = new Harness();
    for (const [n, i] of [["s1", 1], ["b1", 2], ["b2", 3]] as const) await h.server(n, srvAddr(i));
    await h.start(config({
      balance: { kind: "roundrobin" },
      servers: [
        { name: "s1", address: srvAddr(1), disabled: true },
        { name: "b1", address: srvAddr(2), backup: true },
        { name: "b2", address: srvAddr(3), backup: true },
      ],
    }));
    for (let i = 0; i < 3; i++) await h.exchange();
    assert.deepEqual(h.sequence, ["b1", "b1", "b1"]);
    h.backends[0]!.servers[0]!.setState("UP", "admin");
    await h.exchange();
    assert.deepEqual(h.sequence, ["b1", "b1", "b1", "s1"]);
  });

  it("a server with weight 0 is in DRAIN and gets no load-balanced stream", async () => {
    const h = new Harness();
    for (let i = 1; i <= 2; i++) await h.server(`s${i}`, srvAddr(i));
    await h.start(
      config({
        balance: { kind: "roundrobin" },
        servers: [{ name: "s1", address: srvAddr(1), weight: 0 }, { name: "s2", address: srvAddr(2) }],
      }),
    );
    assert.equal(h.backends[0]!.servers[0]!.state, "DRAIN");
    for (let i = 0; i < 3; i++) await h.exchange();
    assert.deepEqual(h.sequence, ["s2", "s2", "s2"]);
  });

  it("option allbackups spreads over every backup", async () => {
    const h = new Harness();
    for (const [n, i] of [["b1", 2], ["b2", 3]] as const) await h.server(n, srvAddr(i));
    await h.start(config({
      balance: { kind: "roundrobin" },
      allBackups: true,
      servers: [
        { name: "s1", address: srvAddr(1), disabled: true },
        { name: "b1", address: srvAddr(2), backup: true },
        { name: "b2", address: srvAddr(3), backup: true },
      ],
    }));
    for (let i = 0; i < 4; i++) await h.exchange();
    assert.deepEqual(h.sequence, ["b1", "b2", "b1", "b2"]);
  });

  it("slowstart ramps weight (in 1/16ths) and maxconn by whole seconds after a server comes back UP", async () => {
    const h = new Harness();
    await h.start(
      config({
        balance: { kind: "roundrobin" },
        servers: servers(1, { weight: 10, maxconn: 100, slowstartMs: 10_000 }),
      }),
    );
    const s = h.backends[0]!.servers[0]!;
    assert.deepEqual([s.weight, s.maxconn], [10, 100], "no ramp at start-up, as HAProxy");
    await h.clock.advance(1000 - (h.clock.now() % 1000) + 200); // 200 ms into a second
    s.setState("DOWN", "test");
    s.setState("UP", "test");
    // server_recalc_eweight(): factor (16 × elapsed_s + 10) / 10; srv_dynamic_maxconn():
    // max(1, 100 × (100 × elapsed_s / 10) / 100).
    assert.deepEqual([s.weight, s.maxconn], [10 / 16, 1], "1/16 of the weight, maxconn 1");
    await h.clock.advance(799);
    assert.deepEqual([s.weight, s.maxconn], [10 / 16, 1], "same second: no step yet");
    await h.clock.advance(1);
    assert.deepEqual([s.weight, s.maxconn], [(10 * 2) / 16, 10], "next second: factor 2/16, 10 %");
    await h.clock.advance(2000);
    assert.deepEqual([s.weight, s.maxconn], [(10 * 5) / 16, 30]);
    await h.clock.advance(7000);
    assert.deepEqual([s.weight, s.maxconn], [10, 100], "over after 10 s");
  });

  it("slowstart leaves the weight of a static algorithm alone (maxconn still ramps)", async () => {
    const h = new Harness();
    await h.start(
      config({
        balance: { kind: "static-rr" },
        servers: servers(1, { weight: 10, maxconn: 100, slowstartMs: 10_000 }),
      }),
    );
    const s = h.backends[0]!.servers[0]!;
    s.setState("DOWN", "test");
    s.setState("UP", "test");
    assert.deepEqual([s.weight, s.maxconn], [10, 1]);
  });

  it("leastconn sends a new stream to the server with the fewest streams", async () => {
    const h = new Harness();
    for (let i = 1; i <= 3; i++) await h.server(`s${i}`, srvAddr(i));
    await h.start(config({ balance: { kind: "leastconn" }, servers: servers(3) }));
    const open = [await h.client(), await h.client(), await h.client()];
    await h.clock.advance(0);
    assert.deepEqual(h.sequence, ["s1", "s2", "s3"]);
    const onS2 = open[1]!;
    onS2.socket.shutdownWrite();
    await h.until(() => onS2.rec.closeCount === 1);
    await h.client();
    await h.clock.advance(0);
    assert.deepEqual(h.sequence, ["s1", "s2", "s3", "s2"]);
  });

  it("source keeps a client on one server", async () => {
    const h = new Harness();
    for (let i = 1; i <= 3; i++) await h.server(`s${i}`, srvAddr(i));
    await h.start(config({ balance: { kind: "source" }, servers: servers(3) }));
    for (let i = 0; i < 5; i++) await h.exchange();
    assert.equal(new Set(h.sequence).size, 1, `one server for one client address: ${h.sequence}`);
  });

  it("a server whose queue is at maxqueue refuses the next stream with SQ", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(
      config({
        balance: { kind: "source" },
        timeouts: { queueMs: 60_000 },
        servers: servers(1, { maxconn: 1, maxqueue: 1 }),
      }),
    );
    await h.client();
    await h.client();
    const third = await h.client();
    await h.until(() => third.rec.endCount === 1 && h.lines.length === 1);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "SQ");
    assert.equal(h.backends[0]!.servers[0]!.queue.length, 1);
  });
});

describe("logs and configuration files", () => {
  it("option tcplog json writes one JSON object per stream", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }, { log: { target: "stdout", format: "json" } }));
    await h.exchange("hello");
    const rec = JSON.parse(h.lines[0]!);
    assert.equal(rec.frontend, "fe");
    assert.equal(rec.backend, "be");
    assert.equal(rec.server, "s1");
    assert.equal(rec.termination_state, "--");
    assert.equal(rec.bytes_read, 5);
    assert.equal(rec.bytes_uploaded, 5);
    assert.equal(rec.retries, 0);
    assert.equal(rec.accept_date, "2026-01-01T00:00:00.000Z");
  });

  it("a haproxy.cfg drives the proxy: listen section, balance first, checks, log", async () => {
    const h = new Harness();
    const text = readFileSync(new URL("./fixtures/haproxy/listen.cfg", import.meta.url), "utf8");
    const cfg = parseHaproxyConfig(text, "listen.cfg");
    await h.server("r1", tcp("127.0.0.1", 16380));
    h.proxy = new ProxyServer(cfg, { network: h.net, clock: h.clock, log: (l) => h.lines.push(l) });
    await h.proxy.start();
    assert.deepEqual(h.proxy.addresses, [tcp("127.0.0.1", 16379)]);
    await h.until(() => h.backends[0]!.servers[1]!.state === "DOWN");
    assert.match(
      h.lines[0]!,
      /^Server redis\/r2 is DOWN, reason: Layer4 connection problem, info: "Connection refused"/,
    );
    const c = await h.net.connect({ address: tcp("127.0.0.1", 16379) });
    const rec = new Recorder();
    c.setHandlers(rec);
    c.write(enc("PING\r\n"));
    c.shutdownWrite();
    await h.until(() => rec.closeCount === 1);
    assert.equal(rec.text(), "PING\r\n");
    assert.match(h.lines.at(-1)!, / redis redis\/r1 \d+\/\d+\/\d+ 6 -- /);
    await h.proxy.stop();
  });
});
