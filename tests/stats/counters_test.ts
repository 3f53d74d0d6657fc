/**
 * The time-driven stats fields (src/_rates.ts), read on a FakeClock: `rate`/`rate_max` and
 * `req_rate`/`req_rate_max` (HAProxy's freq_ctr: this second's count plus the previous
 * second's prorated), `lastchg`/`downtime`/`chkdown` of servers and backends, in `show stat`
 * and the exporter; and `show info` summed across workers (src/stats/peers.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { internalsOf, ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { showStat } from "../../src/stats/csv.ts";
import { showInfo } from "../../src/stats/info.ts";
import { prometheusMetrics } from "../../src/stats/prometheus.ts";
import { StatsPeers, statsSnapshot } from "../../src/stats/peers.ts";
import { FreqCounter } from "../../src/_rates.ts";
import { enc, Recorder, tcp } from "../_helpers.ts";
import { monitorWorker, statRow } from "./_workers.ts";

const row = statRow;

/** One exporter sample's value. */
function sample(text: string, line: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`${line} `))?.slice(line.length + 1);
}

describe("FreqCounter (HAProxy's freq_ctr over one second)", () => {
  it("counts this second, prorates the previous one, forgets older ones, keeps the max per second", async () => {
    const clock = new FakeClock();
    const r = new FreqCounter(clock);
    assert.equal(r.current, 0);
    r.add();
    r.add();
    r.add();
    assert.equal(r.current, 3);
    await clock.advance(500);
    assert.equal(r.current, 3, "same second");
    await clock.advance(750); // 1.25 s: 3 × 750/1000 of the previous second
    assert.equal(r.current, 2);
    r.add();
    assert.equal(r.current, 3);
    assert.equal(r.max, 3, "the most within one second, not the prorated sum");
    await clock.advance(1000); // 2.25 s: the previous second had 1
    assert.equal(r.current, 0);
    await clock.advance(2000);
    assert.equal(r.current, 0);
    r.add(5);
    assert.equal(r.max, 5);
  });
});

const TCP = `
defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 10.0.0.1:80
  default_backend be
backend be
  server s1 10.1.0.1:80 check inter 1s fall 1 rise 1
  server s2 10.1.0.2:80 disabled
`;

function tcpProxy(): { proxy: ProxyServer; network: MemoryNetwork; clock: FakeClock } {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const proxy = new ProxyServer(parseHaproxyConfig(TCP, "t.cfg"), { network, clock });
  return { proxy, network, clock };
}

/** A server on the memory network that closes each connection at once. */
function upstream(network: MemoryNetwork) {
  return network.listen({
    address: tcp("10.1.0.1", 80),
    onAccept: (s) => {
      s.setHandlers({ onData() {}, onEnd: () => s.shutdownWrite(), onDrain() {}, onClose() {} });
    },
  });
}

/** Opens a client connection through the proxy and closes it once it reached the server. */
async function session(network: MemoryNetwork, clock: FakeClock): Promise<void> {
  const c = await network.connect({ address: tcp("10.0.0.1", 80) });
  const r = new Recorder();
  c.setHandlers(r);
  c.write(enc("x"));
  c.shutdownWrite();
  await clock.advance(0);
  await r.ended.promise;
  c.close();
  await clock.advance(0);
}

describe("lastchg, downtime, chkdown", () => {
  it("servers and backends: age of the last state change, time DOWN or in MAINT, transitions", async () => {
    const { proxy, network, clock } = tcpProxy();
    await proxy.start();
    await clock.advance(2000); // s1's checks fail (nothing listens): DOWN, and the backend with it
    let s1 = row(showStat(proxy), "s1");
    assert.equal(s1.status, "DOWN");
    assert.equal(s1.chkdown, "1");
    const downAt = Number(s1.lastchg);
    await clock.advance(5000);
    s1 = row(showStat(proxy), "s1");
    assert.equal(Number(s1.lastchg), downAt + 5);
    assert.equal(s1.downtime, s1.lastchg, "down since its last change");
    const s2 = row(showStat(proxy), "s2");
    assert.equal(s2.status, "MAINT");
    assert.equal(s2.lastchg, "7", "never changed: seconds since the start");
    assert.equal(s2.downtime, "", "no check: HAProxy leaves downtime empty");
    let be = row(showStat(proxy), "BACKEND");
    assert.equal(be.status, "DOWN");
    assert.equal(be.chkdown, "1");
    assert.equal(be.lastchg, s1.lastchg);
    assert.equal(be.downtime, s1.downtime);
    assert.equal(row(showStat(proxy), "FRONTEND").lastchg, "", "frontends have none");

    const up = await upstream(network);
    await clock.advance(3000); // the next check passes: UP again
    s1 = row(showStat(proxy), "s1");
    assert.equal(s1.status, "UP");
    const down = Number(s1.downtime);
    assert.ok(down >= downAt + 5 && down <= downAt + 8, `${down}`);
    await clock.advance(4000);
    s1 = row(showStat(proxy), "s1");
    assert.equal(Number(s1.downtime), down, "no longer growing once UP");
    assert.ok(Number(s1.lastchg) >= 4 && Number(s1.lastchg) <= 7, s1.lastchg);
    be = row(showStat(proxy), "BACKEND");
    assert.equal(be.status, "UP");
    assert.equal(be.downtime, s1.downtime);
    assert.equal(be.lastchg, s1.lastchg);

    // MAINT counts as down too (HAProxy's SRV_ST_STOPPED).
    internalsOf(proxy).backends[0]!.servers[0]!.setState("MAINT", "test");
    await clock.advance(3000);
    s1 = row(showStat(proxy), "s1");
    assert.equal(s1.lastchg, "3");
    assert.equal(Number(s1.downtime), down + 3);
    assert.equal(row(showStat(proxy), "BACKEND").chkdown, "2", "the backend went down a second time");
    assert.equal(s1.chkdown, "1", "MAINT is no check failure");

    const m = prometheusMetrics(proxy);
    assert.equal(sample(m, 'haproxy_server_check_last_change_seconds{proxy="be",server="s1"}'), "3");
    assert.equal(sample(m, 'haproxy_server_downtime_seconds_total{proxy="be",server="s1"}'), String(down + 3));
    assert.equal(sample(m, 'haproxy_server_downtime_seconds_total{proxy="be",server="s2"}'), "NaN");
    assert.equal(sample(m, 'haproxy_backend_check_up_down_total{proxy="be"}'), "2");
    assert.equal(sample(m, 'haproxy_backend_check_last_change_seconds{proxy="be"}'), "3");
    assert.equal(sample(m, 'haproxy_backend_downtime_seconds_total{proxy="be"}'), String(down + 3));
    await proxy.stop();
    await up.close();
  });
});

describe("rate, rate_max", () => {
  it("sessions per second on the frontend, the backend and the server, over fake seconds", async () => {
    const { proxy, network, clock } = tcpProxy();
    const up = await upstream(network);
    await proxy.start();
    await clock.advance(1000 - (clock.now() % 1000)); // at the start of a second
    for (let i = 0; i < 4; i++) await session(network, clock);
    for (const name of ["FRONTEND", "s1", "BACKEND"]) {
      const r = row(showStat(proxy), name);
      assert.equal(r.rate, "4", name);
      assert.equal(r.rate_max, "4", name);
    }
    assert.equal(row(showStat(proxy), "FRONTEND").conn_rate, "4");
    assert.equal(row(showStat(proxy), "s2").rate, "0");
    await clock.advance(1500); // half of the previous second still counts
    assert.equal(row(showStat(proxy), "FRONTEND").rate, "2");
    await session(network, clock);
    assert.equal(row(showStat(proxy), "s1").rate, "3");
    await clock.advance(2000);
    const fe = row(showStat(proxy), "FRONTEND");
    assert.equal(fe.rate, "0");
    assert.equal(fe.rate_max, "4");
    assert.equal(fe.req_rate, "", "no HTTP: no req_rate");
    const m = prometheusMetrics(proxy);
    assert.equal(sample(m, 'haproxy_frontend_max_session_rate{proxy="fe"}'), "4");
    assert.equal(sample(m, 'haproxy_backend_max_session_rate{proxy="be"}'), "4");
    assert.equal(sample(m, 'haproxy_server_max_session_rate{proxy="be",server="s1"}'), "4");
    assert.equal(sample(m, 'haproxy_frontend_connections_rate_max{proxy="fe"}'), "4");
    assert.equal(m.includes("haproxy_frontend_http_requests_rate_max"), false, "HTTP frontends only");
    await proxy.stop();
    await up.close();
  });
});

/** A worker that answered `connections` connections of 2 monitor requests each. */
function worker(connections: number, peers?: StatsPeers): Promise<{ proxy: ProxyServer; clock: FakeClock }> {
  return monitorWorker(connections, { perConnection: 2, ...(peers ? { peers } : {}) });
}

describe("req_rate, req_rate_max and show info across workers", () => {
  it("HTTP requests per second on the frontend", async () => {
    const { proxy, clock } = await worker(3);
    let fe = row(showStat(proxy), "FRONTEND");
    assert.equal(fe.req_tot, "6");
    assert.equal(fe.req_rate, "6");
    assert.equal(fe.req_rate_max, "6");
    assert.equal(fe.rate, "3", "three sessions");
    await clock.advance(3000);
    fe = row(showStat(proxy), "FRONTEND");
    assert.equal(fe.req_rate, "0");
    assert.equal(fe.req_rate_max, "6");
    assert.equal(row(showStat(proxy), "BACKEND").req_rate, "", "frontends only, as HAProxy");
    assert.equal(
      sample(prometheusMetrics(proxy), 'haproxy_frontend_http_requests_rate_max{proxy="fe"}'),
      "6",
    );
    await proxy.stop();
  });

  it("show info, the exporter's process families and the rates sum the peers' figures (through JSON)", async () => {
    const peers = new StatsPeers();
    const one = await worker(1, peers);
    const two = await worker(2);
    const three = await worker(4);
    const info = (p: ProxyServer) => showInfo(p, { now: 0, startedAt: 0 });
    assert.match(info(one.proxy), /^CumConns: 1$/m, "no snapshot yet");
    peers.set(2, JSON.parse(JSON.stringify(statsSnapshot(two.proxy))));
    peers.set(3, statsSnapshot(three.proxy));
    const text = info(one.proxy);
    assert.match(text, /^CurrConns: 0$/m);
    assert.match(text, /^CumConns: 7$/m);
    assert.match(text, /^CumReq: 14$/m);
    assert.match(text, /^SessRate: 7$/m);
    assert.match(text, /^ConnRate: 7$/m);
    const m = prometheusMetrics(one.proxy);
    assert.equal(sample(m, "haproxy_process_connections_total"), "7");
    assert.equal(sample(m, "haproxy_process_requests_total"), "14");
    assert.equal(sample(m, "haproxy_process_current_session_rate"), "7");
    const fe = row(showStat(one.proxy), "FRONTEND");
    assert.equal(fe.rate, "7", "rates add up");
    assert.equal(fe.rate_max, "4", "the largest maximum");
    assert.equal(fe.req_rate_max, "8");
    assert.equal(row(showStat(one.proxy), "s1").lastchg, "0", "state ages stay this process's");
    peers.delete(2);
    peers.delete(3);
    assert.match(info(one.proxy), /^CumReq: 2$/m);
    for (const w of [one, two, three]) await w.proxy.stop();
  });
});
