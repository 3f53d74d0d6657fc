/**
 * Stats, Prometheus and monitor-uri through a real proxy on loopback, loaded from haproxy.cfg
 * text, with curl as the client and a scripted origin: the counters move after traffic, the
 * page and its CSV agree, `monitor-uri` answers without a server and without a log line.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { internalsOf, ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import type { Network } from "../../src/net.ts";
import { freePorts, nativeNetwork, tcp } from "../_helpers.ts";
import { curl, runCurl } from "../_curl.ts";
import { Origin } from "../http/_origin.ts";

/** The value of one sample line of a scrape. */
function sample(text: string, line: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`${line} `))?.slice(line.length + 1);
}

describe("stats page, Prometheus exporter and monitor-uri on loopback", { skip: curl.skip }, () => {
  let net: Network;
  let origin: Origin;
  let proxy: ProxyServer;
  let url: string;
  let secure: string;
  const lines: string[] = [];

  before(async () => {
    net = await nativeNetwork();
    const [fePort, originPort, securePort] = await freePorts(net, 3) as [number, number, number];
    origin = await new Origin().listen(net, tcp("127.0.0.1", originPort));
    const cfg = [
      "defaults",
      "  mode http",
      "  timeout connect 2s",
      "  timeout client 10s",
      "  timeout server 10s",
      "  log stdout format raw local0",
      "  option httplog",
      "frontend fe",
      `  bind 127.0.0.1:${fePort}`,
      "  http-request use-service prometheus-exporter if { path /metrics }",
      "  stats enable",
      "  stats uri /stats",
      "  stats refresh 5s",
      "  monitor-uri /healthz",
      "  acl maint hdr(x-maint) -m found",
      "  monitor fail if maint",
      "  monitor fail if { nbsrv(be) lt 1 }",
      "  default_backend be",
      "frontend secure",
      `  bind 127.0.0.1:${securePort}`,
      "  stats uri /stats",
      "  stats auth admin:s3cret",
      "  stats auth ops:hunter2",
      "  stats realm Ops\\ only",
      "  default_backend be",
      "backend be",
      `  server s1 127.0.0.1:${originPort}`,
    ].join("\n");
    proxy = new ProxyServer(parseHaproxyConfig(cfg, "stats.cfg"), { network: net, log: (l) => lines.push(l) });
    await proxy.start();
    url = `http://127.0.0.1:${fePort}`;
    secure = `http://127.0.0.1:${securePort}`;
  });

  after(async () => {
    await proxy?.stop();
    for (const s of origin?.sockets ?? []) s.close();
    await origin?.listener?.close();
  });

  it("/metrics: HAProxy's headers, and the counters move after three requests through the proxy", async () => {
    const first = await runCurl(["-i", `${url}/metrics`]);
    const [headText, body0] = first.split("\r\n\r\n", 2) as [string, string];
    assert.match(headText, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(headText, /\r\ncache-control: no-cache\r\n/);
    assert.match(headText, /\r\ncontent-type: text\/plain; version=0\.0\.4\r\n/);
    assert.equal(sample(body0, 'haproxy_backend_http_responses_total{proxy="be",code="2xx"}'), "0");
    assert.equal(await runCurl([`${url}/a`, `${url}/b`, `${url}/c`]), "/a on 0/b on 0/c on 0");
    const body = await runCurl([`${url}/metrics`]);
    assert.equal(sample(body, 'haproxy_backend_http_responses_total{proxy="be",code="2xx"}'), "3");
    assert.equal(sample(body, 'haproxy_server_http_responses_total{proxy="be",server="s1",code="2xx"}'), "3");
    assert.equal(sample(body, 'haproxy_backend_http_requests_total{proxy="be"}'), "3");
    assert.equal(sample(body, 'haproxy_server_sessions_total{proxy="be",server="s1"}'), "3");
    assert.equal(sample(body, 'haproxy_server_connection_attempts_total{proxy="be",server="s1"}'), "1");
    assert.equal(sample(body, 'haproxy_server_connection_reuses_total{proxy="be",server="s1"}'), "2");
    assert.equal(sample(body, 'haproxy_server_status{proxy="be",server="s1",state="UP"}'), "1");
    // The first scrape counts as an intercepted request of the frontend, with its 2xx.
    assert.ok(Number(sample(body, 'haproxy_frontend_intercepted_requests_total{proxy="fe"}')) >= 1);
    assert.ok(Number(sample(body, 'haproxy_frontend_http_responses_total{proxy="fe",code="2xx"}')) >= 4);
    assert.match(sample(body, 'haproxy_backend_total_time_average_seconds{proxy="be"}')!, /^\d+\.\d{6}$/);
    // Logged as HAProxy 2.6 logs its exporter: `fe/<PROMEX> TR/0/0/0/Ta 200 ... LR--`.
    assert.match(lines[0]!, / fe fe\/<PROMEX> \d+\/0\/0\/0\/\d+ 200 \d+ - - LR-- .* "GET \/metrics HTTP\/1\.1"$/);
    // HEAD: the same head, no body.
    const head = await runCurl(["-I", `${url}/metrics`]);
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.endsWith("\r\n\r\n"), head);
    const only = await runCurl([`${url}/metrics?scope=server`]);
    assert.ok(only.split("\n").filter((l) => l !== "").every((l) => l.includes("haproxy_server_")));
  });

  it("the stats page lists the server, refreshes, and its ;csv agrees with the counters", async () => {
    const page = await runCurl(["-i", `${url}/stats`]);
    assert.match(page, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(page, /\r\ncontent-type: text\/html\r\n/);
    assert.match(page, /\r\nrefresh: 5\r\n/);
    assert.match(page, /<tr class="server nocheck"><td class="name">s1<small>127\.0\.0\.1:\d+<\/small>/);
    const csv = await runCurl([`${url}/stats;csv`]);
    assert.match(lines.at(-1)!, / fe fe\/<STATS> \d+\/0\/0\/0\/\d+ 200 \d+ - - LR-- .* "GET \/stats;csv HTTP\/1\.1"$/);
    const [header, ...rows] = csv.split("\n").filter((l) => l !== "");
    assert.ok(header!.startsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,"));
    const names = header!.slice(2).split(",");
    const s1 = Object.fromEntries(rows.find((r) => r.startsWith("be,s1,"))!.split(",").map((v, i) => [names[i], v]));
    assert.equal(s1.status, "no check");
    assert.ok(Number(s1.hrsp_2xx) >= 3);
    assert.equal(s1.reuse, String(proxy.backends[0]!.servers[0]!.pool!.counters.reused));
    assert.deepEqual(rows.map((r) => r.split(",").slice(0, 2).join("/")), [
      "fe/FRONTEND",
      "secure/FRONTEND",
      "be/s1",
      "be/BACKEND",
    ]);
  });

  it("stats auth: 401 with the realm's challenge without the right credentials, the page with them", async () => {
    for (const creds of [[], ["-u", "admin:wrong"], ["-u", "nobody:s3cret"]]) {
      const denied = await runCurl(["-i", ...creds, `${secure}/stats`]);
      assert.match(denied, /^HTTP\/1\.1 401 Unauthorized\r\n/, creds.join(" "));
      assert.match(denied, /\r\nwww-authenticate: Basic realm="Ops only"\r\n/);
      assert.ok(!denied.includes("<table"), "no page without credentials");
    }
    assert.match(lines.at(-1)!, / secure secure\/<\S+> .* 401 .* PR-- .*"GET \/stats HTTP\/1\.1"$/);
    for (const user of ["admin:s3cret", "ops:hunter2"]) {
      const page = await runCurl(["-i", "-u", user, `${secure}/stats;csv`]);
      assert.match(page, /^HTTP\/1\.1 200 OK\r\n/, user);
      assert.match(page, /\r\n# pxname,svname,/);
    }
  });

  it("monitor-uri: 200 without a server, 503 when a 'monitor fail' condition holds (nbsrv), neither logged", async () => {
    const served = origin.requests.length;
    const logged = lines.length;
    const okReply = await runCurl(["-i", `${url}/healthz`]);
    assert.match(okReply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(okReply, /Service ready\./);
    const fail = await runCurl(["-i", "-H", "x-maint: 1", `${url}/healthz`]);
    assert.match(fail, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    // No usable server left in `be`: `nbsrv(be) lt 1` holds.
    const s1 = internalsOf(proxy).backends[0]!.servers[0]!;
    s1.setState("MAINT");
    assert.match(await runCurl(["-i", `${url}/healthz`]), /^HTTP\/1\.1 503 /);
    s1.setState("UP");
    assert.match(await runCurl(["-i", `${url}/healthz`]), /^HTTP\/1\.1 200 /);
    // Another URI is forwarded as usual (and logged).
    assert.equal(await runCurl([`${url}/healthz?x`]), "/healthz?x on 1");
    assert.equal(origin.requests.length, served + 1);
    const requests = lines.slice(logged).filter((l) => l.includes('"GET '));
    assert.equal(requests.length, 1, lines.slice(logged).join("\n"));
    assert.match(requests[0]!, / fe be\/s1 .* 200 .*"GET \/healthz\?x HTTP\/1\.1"$/);
  });
});
