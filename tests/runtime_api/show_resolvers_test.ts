/**
 * `show resolvers [<section>]` (management.txt 9.3) in HAProxy 2.6's text, its typed
 * equivalent `proxy.admin.resolvers()`, and the sums across workers (src/dns/show.ts), on the
 * memory network with a fake clock and a DNS server answering on it.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { RuntimeApiSession } from "../../src/runtime_api.ts";
import { StatsPeers, statsSnapshot } from "../../src/stats/peers.ts";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { TestDnsServer } from "../_dns_server.ts";

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of stops.splice(0).reverse()) await f();
});

const CFG = `resolvers dns
  nameserver ns1 10.0.0.53:53
  nameserver ns2 10.0.0.54:53
  timeout resolve 1s
  timeout retry 500ms
resolvers other
  nameserver x 10.0.0.55:53
defaults
  timeout connect 1s
  timeout client 5s
  timeout server 5s
backend be
  server-template web 2 app.test:8080 resolvers dns resolve-prefer ipv4
`;

/** A proxy resolving app.test through ns1 (ns2 and x have no DNS server behind them). */
async function setup(statsPeers?: StatsPeers) {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock });
  const dns = new TestDnsServer();
  await dns.start(net, "10.0.0.53", 53);
  stops.push(() => dns.close());
  dns.a("app.test", "10.0.1.1");
  const proxy = new ProxyServer(parseHaproxyConfig(CFG, "dns.cfg"), {
    network: net,
    clock,
    log: () => {},
    ...(statsPeers === undefined ? {} : { statsPeers }),
  });
  stops.push(() => proxy.stop());
  await proxy.start();
  await clock.advance(0);
  return { clock, proxy, cli: new RuntimeApiSession(proxy, "user") };
}

/** HAProxy 2.6's block of one nameserver, with the counters given (the others 0). */
function block(name: string, c: Record<string, number> = {}): string {
  // HAProxy 2.6's order (TLS_ACL_OPS H, observed).
  const keys =
    "sent snd_error valid update cname cname_error any_err nx timeout refused other invalid too_big truncated outdated"
      .split(" ");
  return ` nameserver ${name}:\n` + keys.map((k) => `  ${(k + ":").padEnd(13)}${c[k] ?? 0}\n`).join("");
}

describe("show resolvers", () => {
  it("prints every section and nameserver in HAProxy 2.6's text, at user level", async () => {
    const { cli } = await setup();
    const out = cli.execute("show resolvers");
    assert.equal(
      out,
      "Resolvers section dns\n" + block("ns1", { sent: 1, valid: 1 }) + block("ns2", { sent: 1 }) +
        "Resolvers section other\n" + block("x") + "\n",
    );
    // The lines as HAProxy aligns them.
    assert.ok(out.includes("\n  sent:        1\n  snd_error:   0\n"));
    assert.ok(out.includes("\n  cname_error: 0\n"));
  });

  it("show resolvers <id> prints one section; an unknown one answers HAProxy's error", async () => {
    const { cli, proxy } = await setup();
    assert.equal(cli.execute("show resolvers other"), "Resolvers section other\n" + block("x") + "\n");
    assert.equal(cli.execute("show resolvers nope"), "Can't find that resolvers section\n\n");
    assert.throws(() => proxy.admin.resolvers("nope"), { code: "ERR_NO_SUCH_OBJECT" });
  });

  it("counts resolutions as time goes on; the typed API gives the same counters", async () => {
    const { cli, proxy, clock } = await setup();
    await clock.advance(1000);
    const [dns] = proxy.admin.resolvers("dns");
    assert.equal(dns!.section, "dns");
    assert.deepEqual(dns!.nameservers.map((n) => n.name), ["ns1", "ns2"]);
    assert.equal(dns!.nameservers[0]!.counters.valid, 2);
    assert.equal(dns!.nameservers[0]!.counters.sent, 2);
    assert.ok(cli.execute("show resolvers dns").includes(" nameserver ns1:\n  sent:        2\n"));
  });

  it("a proxy without resolvers sections prints nothing", () => {
    const proxy = new ProxyServer({ frontends: [], backends: [] }, { network: new MemoryNetwork() });
    assert.equal(new RuntimeApiSession(proxy, "user").execute("show resolvers"), "\n");
    assert.deepEqual(proxy.admin.resolvers(), []);
  });

  it("adds up the workers' counters, as show stat does", async () => {
    const peers = new StatsPeers();
    const two = await setup();
    const one = await setup(peers);
    peers.set(2, JSON.parse(JSON.stringify(statsSnapshot(two.proxy))));
    const ns1 = one.proxy.admin.resolvers("dns")[0]!.nameservers[0]!;
    assert.equal(ns1.counters.sent, 2);
    assert.equal(ns1.counters.valid, 2);
    assert.ok(
      one.cli.execute("show resolvers dns").startsWith("Resolvers section dns\n nameserver ns1:\n  sent:        2\n"),
    );
    // A worker from before `show resolvers` (no counters in its snapshot) adds nothing.
    peers.set(3, { rows: {} });
    assert.equal(one.proxy.admin.resolvers("dns")[0]!.nameservers[0]!.counters.sent, 2);
  });
});
