/**
 * DNS service discovery with the memory network and a fake clock (src/dns/discovery.ts,
 * resolution.ts, client.ts): servers filled from A and SRV answers, records that disappear,
 * a DNS server that stops answering (`hold timeout`), `init-addr`, and the log lines.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { TestDnsServer } from "../_dns_server.ts";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { Origin } from "../http/_origin.ts";
import { httpConfig } from "../http/_httplog.ts";
import { enc, tcp } from "../_helpers.ts";

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of stops.splice(0).reverse()) await f();
});

const DNS = "10.0.0.53";

async function setup(backend: string, resolvers = "") {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock });
  const dns = new TestDnsServer();
  await dns.start(net, DNS, 53);
  stops.push(() => dns.close());
  const cfg = parseHaproxyConfig(
    `resolvers dns
  nameserver ns1 ${DNS}:53
  timeout resolve 1s
  timeout retry 500ms
${resolvers}
defaults
  timeout connect 1s
  timeout client 5s
  timeout server 5s
backend be
${backend}
`,
    "dns.cfg",
  );
  const lines: string[] = [];
  const proxy = new ProxyServer(cfg, { network: net, clock, log: (l) => lines.push(l) });
  stops.push(() => proxy.stop());
  return { clock, net, dns, proxy, lines, be: proxy.backends[0]! };
}

const view = (be: { servers: readonly { name: string; state: string; address: unknown; weight: number }[] }) =>
  be.servers.map((s) => {
    const a = s.address as { hostname: string; port: number };
    return `${s.name} ${s.state} ${s.state === "MAINT" ? "-" : `${a.hostname}:${a.port}`}`;
  });

describe("dns discovery", () => {
  it("server-template: servers take distinct A records, extra ones stay in MAINT (No IP for server)", async () => {
    const t = await setup("  server-template web 3 multi.test:8080 resolvers dns");
    t.dns.a("multi.test", "10.0.1.1", "10.0.1.2");
    assert.deepEqual(view(t.be), ["web1 MAINT -", "web2 MAINT -", "web3 MAINT -"]);
    await t.proxy.start();
    await t.clock.advance(0);
    assert.deepEqual(view(t.be), ["web1 UP 10.0.1.1:8080", "web2 UP 10.0.1.2:8080", "web3 MAINT -"]);
    assert.ok(t.lines.includes("'server be/web1' : could not resolve address 'multi.test', disabling server."));
    assert.ok(t.lines.includes("be/web1 changed its IP from (none) to 10.0.1.1 by dns/ns1."), t.lines.join("\n"));
    assert.ok(t.lines.includes("Server be/web1 administratively READY thanks to valid DNS answer."));
    assert.ok(t.lines.includes("Server be/web1 ('multi.test') is UP/READY (resolves again)."), t.lines.join("\n"));
    // The second address came with the same answer: HAProxy says "by DNS cache".
    assert.ok(t.lines.includes("be/web2 changed its IP from (none) to 10.0.1.2 by DNS cache."), t.lines.join("\n"));
    // AAAA is asked first (resolve-prefer ipv6 by default), then A since it had none.
    assert.deepEqual(t.dns.queries.slice(0, 2), ["AAAA multi.test", "A multi.test"]);

    // A record disappears: its server goes to maintenance at the next resolution (hold obsolete 0).
    t.lines.length = 0;
    t.dns.a("multi.test", "10.0.1.2", "10.0.1.3");
    await t.clock.advance(1000);
    assert.deepEqual(view(t.be), ["web1 UP 10.0.1.3:8080", "web2 UP 10.0.1.2:8080", "web3 MAINT -"]);
    assert.ok(t.lines.includes("be/web1 changed its IP from 10.0.1.1 to 10.0.1.3 by dns/ns1."), t.lines.join("\n"));
    t.dns.a("multi.test", "10.0.1.2");
    await t.clock.advance(1000);
    assert.deepEqual(view(t.be), ["web1 MAINT -", "web2 UP 10.0.1.2:8080", "web3 MAINT -"]);
    assert.ok(
      t.lines.some((l) => l.startsWith("Server be/web1 is going DOWN for maintenance (No IP for server ). 1 active")),
      t.lines.join("\n"),
    );
  });

  it("a disabled server gets its address from DNS but stays in maintenance", async () => {
    const t = await setup("  server s1 app.test:80 resolvers dns resolve-prefer ipv4 disabled");
    t.dns.a("app.test", "10.0.2.7");
    await t.proxy.start();
    await t.clock.advance(0);
    const s1 = t.be.server("s1")!;
    assert.deepEqual([s1.state, s1.address], ["MAINT", { transport: "tcp", hostname: "10.0.2.7", port: 80 }]);
    assert.ok(!t.lines.some((l) => l.includes("READY")), t.lines.join("\n"));
  });

  it("hold obsolete keeps a vanished address that long", async () => {
    const t = await setup("  server-template web 2 multi.test:80 resolvers dns", "  hold obsolete 3s");
    t.dns.a("multi.test", "10.0.1.1", "10.0.1.2");
    await t.proxy.start();
    await t.clock.advance(0);
    t.dns.a("multi.test", "10.0.1.2");
    await t.clock.advance(2000);
    assert.deepEqual(view(t.be), ["web1 UP 10.0.1.1:80", "web2 UP 10.0.1.2:80"]);
    await t.clock.advance(1000);
    assert.deepEqual(view(t.be), ["web1 MAINT -", "web2 UP 10.0.1.2:80"]);
  });

  it("a DNS server that stops answering keeps the servers until hold timeout, then MAINT (DNS timeout status)", async () => {
    const t = await setup("  server s1 app.test:80 resolvers dns resolve-prefer ipv4", "  hold timeout 10s");
    t.dns.a("app.test", "10.0.2.1");
    await t.proxy.start();
    await t.clock.advance(0);
    assert.deepEqual(view(t.be), ["s1 UP 10.0.2.1:80"]);
    t.dns.silent = true;
    await t.clock.advance(9000);
    assert.deepEqual(view(t.be), ["s1 UP 10.0.2.1:80"]);
    const ns = t.proxy.backends.length; // the proxy is still serving
    assert.equal(ns, 1);
    await t.clock.advance(3000);
    assert.deepEqual(view(t.be), ["s1 MAINT -"]);
    assert.ok(t.lines.some((l) => l.startsWith("Server be/s1 is going DOWN for maintenance (DNS timeout status).")));
    // Recovery is immediate on the next valid answer.
    t.dns.silent = false;
    await t.clock.advance(2000);
    assert.deepEqual(view(t.be), ["s1 UP 10.0.2.1:80"]);
  });

  it("NXDOMAIN keeps the address for hold nx, then MAINT (DNS NX status)", async () => {
    const t = await setup("  server s1 app.test:80 resolvers dns resolve-prefer ipv4", "  hold nx 2s");
    t.dns.a("app.test", "10.0.2.1");
    await t.proxy.start();
    await t.clock.advance(0);
    t.dns.zone.delete("app.test");
    await t.clock.advance(1000);
    assert.deepEqual(view(t.be), ["s1 UP 10.0.2.1:80"]);
    await t.clock.advance(2000);
    assert.deepEqual(view(t.be), ["s1 MAINT -"]);
    assert.ok(t.lines.some((l) => l.startsWith("Server be/s1 is going DOWN for maintenance (DNS NX status).")));
  });

  it("SRV: target, port and weight (w+255)/256 per server; a removed target goes to MAINT", async () => {
    const t = await setup("  server-template srv 3 _http._tcp.svc.test resolvers dns resolve-prefer ipv4");
    t.dns.srv("_http._tcp.svc.test", ["a1.svc.test", 7001, 10, "10.0.3.1"], ["a2.svc.test", 7002, 600, "10.0.3.2"]);
    await t.proxy.start();
    await t.clock.advance(0);
    assert.deepEqual(view(t.be), ["srv1 UP 10.0.3.1:7001", "srv2 UP 10.0.3.2:7002", "srv3 MAINT -"]);
    assert.deepEqual(t.be.servers.map((s) => s.weight), [1, 3, 0]);
    assert.ok(t.lines.includes("be/srv1 changed its IP from (none) to 10.0.3.1 by DNS additional record."));
    t.dns.srv("_http._tcp.svc.test", ["a2.svc.test", 7002, 600, "10.0.3.2"]);
    await t.clock.advance(1000);
    assert.deepEqual(view(t.be), ["srv1 MAINT -", "srv2 UP 10.0.3.2:7002", "srv3 MAINT -"]);
    assert.ok(
      t.lines.some((l) =>
        l.startsWith("Server be/srv1 is going DOWN for maintenance (entry removed from SRV record).")
      ),
    );
  });

  it("init-addr libc gives the address at start; an IP in init-addr too; without none an unresolvable name fails start()", async () => {
    const t = await setup(
      "  server s1 app.test:80 resolvers dns init-addr libc\n  server s2 other.test:81 resolvers dns init-addr 10.9.9.9",
    );
    t.net.setHost("app.test", ["10.0.4.1"]);
    t.dns.silent = true;
    await t.proxy.start();
    assert.deepEqual(view(t.be), ["s1 UP 10.0.4.1:80", "s2 UP 10.9.9.9:81"]);

    const u = await setup("  server s1 nowhere.test:80 resolvers dns init-addr libc");
    await assert.rejects(u.proxy.start(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ERR_CONFIG_INVALID");
      assert.match(e.message, /'server be\/s1' : could not resolve address 'nowhere.test'\./);
      return true;
    });
  });

  it("an IP change in mode http replaces the address without a state change", async () => {
    const t = await setup("  mode http\n  server s1 app.test:80 resolvers dns resolve-prefer ipv4");
    t.dns.a("app.test", "10.0.5.1");
    await t.proxy.start();
    await t.clock.advance(0);
    const s1 = t.be.server("s1")!;
    assert.deepEqual(s1.address, { transport: "tcp", hostname: "10.0.5.1", port: 80 });
    t.dns.a("app.test", "10.0.5.2");
    await t.clock.advance(1000);
    assert.deepEqual(s1.address, { transport: "tcp", hostname: "10.0.5.2", port: 80 });
    assert.equal(s1.state, "UP");
  });
});

describe("Server.setAddress() through DNS, in mode http", () => {
  it("closes the idle pooled connections to the old address; new requests go to the new one", async () => {
    const h = new Harness();
    const dns = new TestDnsServer();
    await dns.start(h.net, DNS, 53);
    stops.push(() => dns.close());
    dns.a("app.test", "10.1.0.1");
    const o1 = await new Origin().listen(h.net, srvAddr(1));
    const o2 = await new Origin().listen(h.net, srvAddr(2));
    await h.start({
      ...httpConfig({
        servers: [{
          name: "s1",
          address: tcp("app.test", 8000),
          resolve: { resolvers: "dns", fqdn: "app.test", prefer: "ipv4" },
        }],
      }),
      resolvers: [{ name: "dns", nameservers: [{ name: "ns1", address: tcp(DNS, 53) }] }],
    });
    stops.push(() => h.proxy.stop());
    await h.clock.advance(0);
    const s1 = h.proxy.backends[0]!.servers[0]!;
    assert.equal(s1.state, "UP");

    const get = async (path: string) => {
      const { socket, rec } = await h.client();
      socket.write(enc(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
      await h.until(() => rec.text().includes(`${path} on`));
      socket.close();
      await h.clock.advance(10);
    };
    await get("/a");
    assert.equal(o1.sockets.length, 1);
    assert.equal(s1.pool?.size, 1, "the server connection is idle in the pool");

    dns.a("app.test", "10.1.0.2");
    await h.clock.advance(1000);
    assert.deepEqual(s1.address, srvAddr(2));
    assert.equal(s1.pool?.size, 0);
    await h.until(() => o1.closed === 1);
    await get("/b");
    assert.deepEqual([o1.sockets.length, o2.sockets.length], [1, 1]);
    assert.ok(h.lines.includes("be/s1 changed its IP from 10.1.0.1 to 10.1.0.2 by dns/ns1."), h.lines.join("\n"));
  });
});
