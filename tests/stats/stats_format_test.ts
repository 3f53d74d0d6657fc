/**
 * The stats formats against what HAProxy 2.6 printed for the same configuration
 * (tests/fixtures/stats/, captured from `haproxy -db` 2.6.12 with the haproxy.cfg below: one
 * HTTP frontend, a backend with a checked server whose port is closed and an unchecked one):
 * `show stat` CSV, `show info`, the Prometheus scrape; and the HTML page.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { showStat, STAT_HEADER } from "../../src/stats/csv.ts";
import { showInfo } from "../../src/stats/info.ts";
import { prometheusMetrics, prometheusQuery } from "../../src/stats/prometheus.ts";
import { statsPage } from "../../src/stats/page.ts";
import { proxyOrder } from "../../src/stats/model.ts";
import { countTimes, newTimeCounts, TIME_SAMPLES } from "../../src/_counters.ts";
import { tcp } from "../_helpers.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/stats/${name}`, import.meta.url), "utf8");

/** The configuration HAProxy 2.6 ran for the fixtures (its `stats socket` and ports aside). */
const CFG = `
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 10.0.0.1:19081
  http-request use-service prometheus-exporter if { path /metrics }
  stats enable
  stats uri /stats
  monitor-uri /healthz
  default_backend be
backend be
  server s1 127.0.0.1:19091 check
  server s2 127.0.0.1:19092
`;

/** The proxy after s1's first check failed (connection refused), as HAProxy was when scraped. */
async function scraped(): Promise<{ proxy: ProxyServer; clock: FakeClock }> {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  network.refuse(tcp("127.0.0.1", 19091));
  const proxy = new ProxyServer(parseHaproxyConfig(CFG, "h.cfg"), { network, clock });
  await proxy.start();
  await clock.advance(100);
  assert.equal(proxy.backends[0]!.server("s1")!.state, "DOWN");
  return { proxy, clock };
}

/** CSV lines into records by header field. */
function csvRows(text: string): Record<string, string>[] {
  const [head, ...rows] = text.split("\n").filter((l) => l !== "");
  const names = head!.slice(2).split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [names[i]!, v])));
}

describe("show stat (CSV), against HAProxy 2.6", () => {
  it("prints HAProxy's header verbatim, every row as wide as it, and a blank line at the end", async () => {
    const { proxy } = await scraped();
    const ours = showStat(proxy);
    const theirs = fixture("haproxy26_stat.csv");
    assert.equal(ours.split("\n")[0], theirs.split("\n")[0]);
    assert.equal(STAT_HEADER, theirs.split("\n")[0]);
    assert.ok(ours.endsWith(",\n\n"));
    const width = STAT_HEADER.split(",").length;
    for (const line of [...ours.split("\n"), ...theirs.split("\n")].filter((l) => l !== "")) {
      assert.equal(line.split(",").length, width, line);
    }
    await proxy.stop();
  });

  it("fills the rows FRONTEND, s1, s2, BACKEND as HAProxy does for the fields proxykit keeps", async () => {
    const { proxy } = await scraped();
    const ours = csvRows(showStat(proxy));
    const theirs = csvRows(fixture("haproxy26_stat.csv"));
    assert.deepEqual(ours.map((r) => `${r.pxname}/${r.svname}`), theirs.map((r) => `${r.pxname}/${r.svname}`));
    // Fields whose values do not depend on the traffic HAProxy had served when scraped.
    const same = [
      "status",
      "weight",
      "act",
      "bck",
      "chkfail",
      "chkdown",
      "pid",
      "iid",
      "sid",
      "type",
      "check_status",
      "last_chk",
      "check_desc",
      "check_rise",
      "check_fall",
      "check_health",
      "mode",
      "qcur",
      "qmax",
      "econ",
      "wretr",
      "wredis",
      "hrsp_1xx",
      "hrsp_3xx",
      "uweight",
      "cli_abrt",
      "srv_abrt",
      "lastsess",
    ];
    ours.forEach((row, i) => {
      for (const f of same) {
        // proxykit leaves a field empty where it has no counter; where it has one, it agrees.
        if (row[f] === "") continue;
        assert.equal(row[f], theirs[i]![f], `${row.pxname}/${row.svname} ${f}`);
      }
    });
    // Time-driven fields (src/_rates.ts): their values depend on when HAProxy was scraped (1 s
    // after its start, 2 requests in), so only which rows fill them is compared: FRONTEND has
    // no lastchg/downtime, a server without check no downtime/chkdown, only FRONTEND req_rate.
    const timed = ["chkdown", "lastchg", "downtime", "rate", "rate_max", "req_rate", "req_rate_max", "conn_rate"];
    ours.forEach((row, i) => {
      for (const f of [...timed, "conn_rate_max"]) {
        assert.equal(row[f] === "", theirs[i]![f] === "", `${row.pxname}/${row.svname} ${f} filled as HAProxy's`);
      }
    });
    assert.equal(ours[1]!.addr, "127.0.0.1:19091");
    assert.equal(ours[2]!.status, "no check");
    await proxy.stop();
  });
});

describe("show info, against HAProxy 2.6", () => {
  it("prints Name: value lines, a subset of HAProxy's in its order, then a blank line", async () => {
    const { proxy } = await scraped();
    const ours = showInfo(proxy, { pid: 42, startedAt: 1_000_000, now: 3_723_000 + 1_000_000, version: "1.2.3" });
    assert.ok(ours.startsWith("Name: proxykit\nVersion: 1.2.3\n"), ours);
    assert.ok(ours.endsWith("Tainted: 0\n\n"));
    assert.match(ours, /^Pid: 42$/m);
    assert.match(ours, /^Uptime: 0d 1h02m03s$/m);
    assert.match(ours, /^Uptime_sec: 3723$/m);
    const keys = (t: string) => t.split("\n").filter((l) => l !== "").map((l) => l.slice(0, l.indexOf(":")));
    const theirs = keys(fixture("haproxy26_info.txt"));
    const positions = keys(ours).map((k) => theirs.indexOf(k));
    assert.ok(positions.every((p) => p >= 0), `unknown keys: ${keys(ours).filter((k) => !theirs.includes(k))}`);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b), "HAProxy's order");
    await proxy.stop();
  });
});

/** A scrape's families: name to HELP, TYPE and sample lines. */
function families(text: string): Map<string, { help: string; type: string; lines: string[] }> {
  const out = new Map<string, { help: string; type: string; lines: string[] }>();
  for (const l of text.split("\n").filter((x) => x !== "")) {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(l);
    if (m !== null) {
      const f = out.get(m[2]!) ?? { help: "", type: "", lines: [] };
      if (m[1] === "HELP") f.help = m[3]!;
      else f.type = m[3]!;
      out.set(m[2]!, f);
      continue;
    }
    const name = /^[a-z_]+/.exec(l)![0];
    out.get(name)!.lines.push(l);
  }
  return out;
}

describe("Prometheus exporter, against HAProxy 2.6", () => {
  it("every family is one of HAProxy's, with its HELP and TYPE, in HAProxy's order", async () => {
    const { proxy } = await scraped();
    const text = prometheusMetrics(proxy);
    assert.ok(text.endsWith("\n"));
    for (const l of text.split("\n").filter((x) => x !== "" && !x.startsWith("#"))) {
      assert.match(l, /^haproxy_[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? (-?\d+|\d+\.\d{6}|NaN)$/, l);
    }
    const ours = families(text);
    const theirs = families(fixture("haproxy26_metrics.txt"));
    const order = [...theirs.keys()];
    let last = -1;
    for (const [name, f] of ours) {
      const t = theirs.get(name);
      assert.ok(t !== undefined, `HAProxy has no ${name}`);
      assert.equal(f.type, t.type, name);
      assert.equal(f.help, t.help, name);
      assert.ok(f.lines.length > 0, name);
      assert.ok(order.indexOf(name) > last, `${name} out of HAProxy's order`);
      last = order.indexOf(name);
    }
    assert.ok(ours.size >= 80, `${ours.size} families`);
    await proxy.stop();
  });

  it("state and status families print the same lines as HAProxy for the same states", async () => {
    const { proxy } = await scraped();
    const ours = families(prometheusMetrics(proxy));
    const theirs = families(fixture("haproxy26_metrics.txt"));
    for (
      const name of [
        "haproxy_frontend_status",
        "haproxy_backend_status",
        "haproxy_server_status",
        "haproxy_server_check_status",
        "haproxy_server_check_code",
        "haproxy_backend_agg_server_status",
        "haproxy_backend_agg_check_status",
        "haproxy_backend_http_responses_total",
        "haproxy_backend_active_servers",
        "haproxy_backend_weight",
        "haproxy_server_weight",
        "haproxy_server_uweight",
        "haproxy_server_check_failures_total",
        "haproxy_server_limit_sessions",
        "haproxy_server_queue_limit",
        "haproxy_server_http_responses_total",
        "haproxy_backend_client_aborts_total",
        "haproxy_backend_server_aborts_total",
        "haproxy_backend_last_session_seconds",
        "haproxy_server_client_aborts_total",
        "haproxy_server_server_aborts_total",
        "haproxy_server_last_session_seconds",
        "haproxy_process_nbthread",
      ]
    ) {
      assert.deepEqual(ours.get(name)?.lines, theirs.get(name)!.lines, name);
    }
    await proxy.stop();
  });

  it("?scope= and ?no-maint select families and servers as HAProxy's exporter", async () => {
    assert.deepEqual(prometheusQuery("scope=backend&scope=server"), {
      scopes: new Set(["backend", "server"]),
      noMaint: false,
    });
    assert.deepEqual(prometheusQuery("scope=frontend&scope=&scope=global&no-maint"), {
      scopes: new Set(["global"]),
      noMaint: true,
    });
    assert.deepEqual(prometheusQuery("scope=*").scopes!.size, 4);
    assert.deepEqual(prometheusQuery(""), { noMaint: false });
    const { proxy } = await scraped();
    const only = prometheusMetrics(proxy, { scopes: new Set(["frontend"]) });
    assert.ok(only.split("\n").filter((l) => l !== "").every((l) => /haproxy_frontend_/.test(l)));
    assert.equal(prometheusMetrics(proxy, { scopes: new Set() }), "");
    await proxy.stop();
  });
});

describe("stats page", () => {
  it("one table per proxy, server rows coloured by state, a ;csv link, no script or external asset", async () => {
    const { proxy } = await scraped();
    const html = statsPage(proxy, { uri: "/stats", refreshMs: 5000 });
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.equal(html.match(/<table>/g)?.length, 2);
    assert.match(html, /<tr class="server down"><td class="name">s1<small>127\.0\.0\.1:19091<\/small>/);
    assert.match(html, /<tr class="server nocheck"><td class="name">s2/);
    assert.match(html, /<tr class="backend up">/);
    assert.match(html, /<a href="\/stats;csv">/);
    assert.match(html, /<meta http-equiv="refresh" content="5">/);
    assert.doesNotMatch(html, /<script|https?:\/\/|<link/);
    await proxy.stop();
  });
});

describe("time averages (HAProxy's last-1024 window)", () => {
  it("the plain mean until 1024 samples, then a sliding window; unconnected streams are not counted", () => {
    const t = newTimeCounts();
    countTimes(t, 0, 10, 20, 40);
    countTimes(t, 2, 30, 40, 80);
    countTimes(t, 0, -1, -1, 5);
    assert.deepEqual([t.samples, t.queueMs, t.connectMs, t.responseMs, t.totalMs], [2, 1, 20, 30, 60]);
    assert.deepEqual([t.queueMaxMs, t.connectMaxMs, t.responseMaxMs, t.totalMaxMs], [2, 30, 40, 80]);
    for (let i = 0; i < 5000; i++) countTimes(t, 0, 100, 0, 100);
    assert.equal(t.samples, TIME_SAMPLES);
    assert.ok(Math.abs(t.connectMs - 100) < 0.1, String(t.connectMs));
  });
});

describe("proxyOrder()", () => {
  it("puts a listen after the frontends and backends declared before it", () => {
    assert.deepEqual(proxyOrder(["fe", "tcpx"], ["be", "tcpx"]), ["fe", "be", "tcpx"]);
    assert.deepEqual(proxyOrder(["a", "fe"], ["a", "be"]), ["a", "fe", "be"]);
    assert.deepEqual(proxyOrder(["fe"], ["b1", "b2"]), ["fe", "b1", "b2"]);
    assert.deepEqual(proxyOrder([], ["b"]), ["b"]);
  });
});
