/**
 * Differential test of DNS service discovery: the same haproxy.cfg (`resolvers`,
 * `server-template`) run by HAProxy 2.6 and by proxykit (`examples/proxy.ts --config`) against
 * one dnsmasq, compared on the log lines each writes as records appear and disappear
 * (configuration.txt 5.3; server.c `snr_resolution_cb()`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Child, startProgram, startProxy, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import { startDnsmasq } from "../_dnsmasq.ts";
import { peer } from "../_peers.ts";
import { freePorts, nativeNetwork, until } from "../_helpers.ts";

const haproxy = peer("haproxy");
const dnsmasq = peer("dnsmasq");
const net = await nativeNetwork();

/** The DNS lines an engine wrote so far, in order (HAProxy's `[WARNING]` copies on stderr left out). */
const dnsLines = (c: Child): string[] =>
  c.stdout.filter((l) => /changed its IP|UP\/READY|administratively READY|for maintenance/.test(l));

describe("DNS discovery: proxykit and HAProxy 2.6 write the same lines", { skip: haproxy.skip || dnsmasq.skip }, () => {
  it("A records appear, then one disappears", async () => {
    const [dnsPort, hPort, pPort] = await freePorts(net, 3) as [number, number, number];
    const dns = await startDnsmasq(dnsmasq.path!, dnsPort, "127.0.0.2 app.test\n127.0.0.3 app.test\n");
    const cfg = (port: number) => [
      ...TCPLOG_PREAMBLE,
      "    timeout connect 1s",
      "    timeout client 5s",
      "    timeout server 5s",
      "resolvers dns",
      `    nameserver ns1 127.0.0.1:${dnsPort}`,
      "    timeout resolve 200ms",
      "    timeout retry 200ms",
      "frontend fe",
      `    bind 127.0.0.1:${port}`,
      "    default_backend be",
      "backend be",
      "    server-template web 3 app.test:9000 resolvers dns resolve-prefer ipv4",
    ];
    const hFile = tempFile("haproxy.cfg", cfg(hPort));
    const pFile = tempFile("proxykit.cfg", cfg(pPort));
    const engines = [startProgram(haproxy.path!, ["-db", "-f", hFile.path]), startProxy(["--config", pFile.path])];
    try {
      for (const e of engines) {
        await until(() => dnsLines(e).length >= 6, 20_000, `two servers UP (${dnsLines(e).join(" | ")} ${e.stderr()})`);
      }
      await dns.setHosts("127.0.0.3 app.test\n");
      for (const e of engines) {
        await until(() => dnsLines(e).length >= 7, 20_000, `one server down (${dnsLines(e).join(" | ")})`);
      }
      // Which server takes which address depends on the answer's order, which dnsmasq rotates
      // (and HAProxy's slot choice is not stable either): the servers and IPs are masked.
      const [h, p] = engines.map((e) =>
        dnsLines(e).map((l) => l.replace(/web\d/g, "webN").replace(/127\.0\.0\.\d/g, "IP"))
      );
      assert.deepEqual(p, h);
      assert.deepEqual(h!.slice(0, 4), [
        "be/webN changed its IP from (none) to IP by dns/ns1.",
        "Server be/webN ('app.test') is UP/READY (resolves again).",
        "Server be/webN administratively READY thanks to valid DNS answer.",
        "be/webN changed its IP from (none) to IP by DNS cache.",
      ]);
      assert.match(h![6]!, /^Server be\/webN is going DOWN for maintenance \(No IP for server \)\. 1 active/);
    } finally {
      for (const e of engines) e.child.kill("SIGKILL");
      await dns.stop();
      hFile.remove();
      pFile.remove();
    }
  });
});
