/**
 * DNS service discovery against a real dnsmasq (Debian's `dnsmasq-base`) on 127.0.0.1, with
 * the runtime's own adapter (UDP through `node:dgram`) and the real clock: servers of a
 * `server-template` appear as A records are added (origins on 127.0.0.2 and 127.0.0.3) and
 * get traffic, go to maintenance when a record is removed (dnsmasq rereads its hosts file on
 * SIGHUP), and are kept when dnsmasq is killed; SRV records give each server its port.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import type { Network, Socket } from "../../src/net.ts";
import { enc, freePorts, nativeNetwork, Recorder, tcp, until, within } from "../_helpers.ts";
import { startDnsmasq } from "../_dnsmasq.ts";
import { peer } from "../_peers.ts";

const net: Network = await nativeNetwork();
const dnsmasq = peer("dnsmasq");
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** An origin on `host:port` that writes its name to each connection, then closes. */
async function origin(host: string, port: number, name: string): Promise<void> {
  const l = await net.listen({
    address: tcp(host, port),
    onAccept: (s: Socket) => {
      s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
      s.write(enc(name));
      s.close();
    },
  });
  cleanup.push(() => l.close());
}

/** One connection through the proxy: what the origin wrote. */
async function fetchName(proxy: ProxyServer): Promise<string> {
  const s = await net.connect({ address: proxy.addresses[0]! });
  const r = new Recorder();
  s.setHandlers(r);
  // The proxy forwards the origin's close as a half-close: EOF, then we close.
  await within(r.ended.promise, 5000, "origin reply");
  s.close();
  return r.text();
}

async function proxyFor(dnsPort: number, backend: string, lines: string[]): Promise<ProxyServer> {
  const [port] = await freePorts(net, 1);
  const cfg = parseHaproxyConfig(
    `resolvers dns
  nameserver ns1 127.0.0.1:${dnsPort}
  timeout resolve 200ms
  timeout retry 200ms
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
  timeout client 5s
backend be
  balance roundrobin
  timeout connect 2s
  timeout server 5s
${backend}
`,
    "dns.cfg",
  );
  const p = new ProxyServer(cfg, { network: net, log: (l) => lines.push(l) });
  cleanup.push(() => p.stop());
  return p;
}

const states = (p: ProxyServer) => p.backends[0]!.servers.map((s) => `${s.name} ${s.state}`).join(", ");

describe("dns discovery with dnsmasq", { skip: dnsmasq.skip }, () => {
  it("A records added, removed, and a dead DNS server", async () => {
    const [dnsPort, appPort] = await freePorts(net, 2) as [number, number];
    await origin("127.0.0.2", appPort, "A");
    await origin("127.0.0.3", appPort, "B");
    const dns = await startDnsmasq(dnsmasq.path!, dnsPort, "127.0.0.2 app.test\n");
    cleanup.push(() => dns.stop());

    const lines: string[] = [];
    const proxy = await proxyFor(
      dnsPort,
      `  server-template web 3 app.test:${appPort} resolvers dns resolve-prefer ipv4`,
      lines,
    );
    await proxy.start();
    await until(() => states(proxy) === "web1 UP, web2 MAINT, web3 MAINT", 10_000, `web1 UP (${states(proxy)})`);
    assert.ok(lines.includes("be/web1 changed its IP from (none) to 127.0.0.2 by dns/ns1."), lines.join("\n"));
    assert.equal(await fetchName(proxy), "A");

    // A record added: a second server appears and gets traffic.
    await dns.setHosts("127.0.0.2 app.test\n127.0.0.3 app.test\n");
    await until(() => states(proxy) === "web1 UP, web2 UP, web3 MAINT", 10_000, `web2 UP (${states(proxy)})`);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await fetchName(proxy));
    assert.deepEqual([...seen].sort(), ["A", "B"]);

    // Record removed: its server goes to maintenance, the other one takes everything.
    await dns.setHosts("127.0.0.3 app.test\n");
    await until(
      () => proxy.backends[0]!.servers.filter((s) => s.state === "UP").length === 1,
      10_000,
      `one server left (${states(proxy)}) ${lines.join("\n")} ${dns.child.stderr().slice(-600)}`,
    );
    assert.ok(lines.some((l) => /is going DOWN for maintenance \(No IP for server \)/.test(l)), lines.join("\n"));
    for (let i = 0; i < 3; i++) assert.equal(await fetchName(proxy), "B");

    // dnsmasq killed: queries time out, the servers are kept (hold timeout, 30 s by default).
    await within(dns.stop(), 5000, "dnsmasq exit");
    // A silent listener on the DNS port proves resolutions go on (and get no answer).
    let queries = 0;
    const silent = await net.openDatagram!({ bind: tcp("127.0.0.1", dnsPort), onMessage: () => void queries++ });
    cleanup.push(() => silent.close());
    await until(() => queries >= 6, 10_000, "queries to the dead DNS server");
    assert.equal(proxy.backends[0]!.servers.filter((s) => s.state === "UP").length, 1);
    assert.equal(await fetchName(proxy), "B");
  });

  it("SRV records give each server its target's port", async () => {
    const [dnsPort, p1, p2] = await freePorts(net, 3) as [number, number, number];
    await origin("127.0.0.1", p1, "one");
    await origin("127.0.0.1", p2, "two");
    const dns = await startDnsmasq(dnsmasq.path!, dnsPort, "127.0.0.1 a1.svc.test a2.svc.test\n", [
      `--srv-host=_http._tcp.svc.test,a1.svc.test,${p1},0,10`,
      `--srv-host=_http._tcp.svc.test,a2.svc.test,${p2},0,10`,
    ]);
    cleanup.push(() => dns.stop());
    const lines: string[] = [];
    const proxy = await proxyFor(
      dnsPort,
      "  server-template srv 3 _http._tcp.svc.test resolvers dns resolve-prefer ipv4",
      lines,
    );
    await proxy.start();
    await until(() => states(proxy) === "srv1 UP, srv2 UP, srv3 MAINT", 10_000, `SRV servers UP (${states(proxy)})`);
    const ports = proxy.backends[0]!.servers.slice(0, 2).map((s) => (s.address as { port: number }).port).sort();
    assert.deepEqual(ports, [p1, p2].sort());
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await fetchName(proxy));
    assert.deepEqual([...seen].sort(), ["one", "two"]);
  });
});
