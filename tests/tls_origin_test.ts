/**
 * TLS origination in the core, on the in-memory network with fake TLS (tests/_tls_fake.ts):
 * the options each connection gets (SNI from the `sni` expression, `verifyhost`, CA, ALPN,
 * client certificate), verification failures handled as HAProxy's `back_handle_st_cer()`
 * (retried, except a certificate not matching the SNI), 503 in HTTP mode, pooled connections
 * reused only for the same SNI, and health checks over TLS.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, FRONT, Harness, srvAddr } from "./_proxy_harness.ts";
import { FakeTlsNetwork, nameMismatch, untrusted } from "./_tls_fake.ts";
import { ProxyServer } from "../src/proxy.ts";
import type { ProxyConfig, ServerTlsConfig } from "../src/config/types.ts";
import { Origin } from "./http/_origin.ts";
import { enc, Recorder } from "./_helpers.ts";
import { isSniMismatch } from "../src/tls/origin.ts";
import { readFileSync } from "node:fs";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8");
const CA = fixture("ca.pem");
const CERT = fixture("a.test.pem");
const KEY = fixture("a.test.key");

/** A harness whose proxy runs on fake TLS over its memory network. */
async function start(h: Harness, cfg: ProxyConfig): Promise<FakeTlsNetwork> {
  const net = new FakeTlsNetwork(h.net);
  h.proxy = new ProxyServer(cfg, { network: net, clock: h.clock, log: (l) => h.lines.push(l) });
  await h.proxy.start();
  return net;
}

const tlsServer = (tls: ServerTlsConfig, extra: Record<string, unknown> = {}) => [
  { name: "s1", address: srvAddr(1), tls, ...extra },
];

describe("TLS origination: options and failures (TCP mode)", () => {
  it("sends the `sni` expression's value, verifies against the CA, offers ALPN and the client certificate", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(
      h,
      config({
        servers: tlsServer({ caCerts: [CA], sni: "str(api.test)", alpnProtocols: ["h2"], cert: CERT, key: KEY }),
      }),
    );
    await h.exchange();
    await h.exchange();
    assert.equal(net.connects.length, 2);
    assert.equal(net.connects[0], net.connects[1], "one options object per SNI, not per connection");
    assert.deepEqual(net.connects[0], {
      verify: true,
      caCerts: [CA],
      alpnProtocols: ["h2"],
      cert: CERT,
      key: KEY,
      serverName: "api.test",
    });
    assert.equal(Harness.fields(h.lines[0]!).term, "--");
    await h.proxy.stop();
  });

  it("without sni, verifyhost names what the certificate must carry; with neither, only the chain", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(h, config({ servers: tlsServer({ caCerts: [CA], verifyHost: "backend.test" }) }));
    await h.exchange();
    assert.equal(net.connects[0]!.verifyName, "backend.test");
    assert.equal(net.connects[0]!.serverName, undefined);
    await h.proxy.stop();
    const h2 = new Harness();
    await h2.server("s1", srvAddr(1));
    const net2 = await start(h2, config({ servers: tlsServer({ verify: false }) }));
    await h2.exchange();
    assert.deepEqual(net2.connects[0], { verify: false });
    await h2.proxy.stop();
  });

  it("an untrusted certificate is a connect failure: retried (turn-around delays), then SC", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(
      h,
      config({ retries: 3, timeouts: { connectMs: 1000 }, servers: tlsServer({ caCerts: [CA] }) }),
    );
    net.verdict = () => untrusted();
    const t0 = h.clock.now();
    const rec = await h.exchange();
    assert.equal(net.connects.length, 4);
    assert.equal(h.clock.now() - t0, 3000, "3 × min(timeout connect, 1 s)");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "SC");
    assert.equal(f.conns.split("/")[4], "3");
    assert.equal(rec.bytes, 0);
    assert.equal(h.backends[0]!.counters.connectErrors, 1);
    await h.proxy.stop();
  });

  it("a certificate not matching the SNI sent is not retried; the retries field shows the maximum", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(h, config({ retries: 3, servers: tlsServer({ caCerts: [CA], sni: "str(wrong.test)" }) }));
    net.verdict = (o) => nameMismatch(o.serverName!);
    await h.exchange();
    assert.equal(net.connects.length, 1);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "SC");
    assert.equal(f.conns.split("/")[4], "3");
    await h.proxy.stop();
  });

  it("a name mismatch against verifyhost (no SNI sent) is retried, as HAProxy", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(h, config({ retries: 2, servers: tlsServer({ caCerts: [CA], verifyHost: "wrong.test" }) }));
    net.verdict = () => nameMismatch("wrong.test");
    await h.exchange();
    assert.equal(net.connects.length, 3);
    assert.equal(Harness.fields(h.lines[0]!).conns.split("/")[4], "2");
    await h.proxy.stop();
  });

  it("option redispatch moves a stream whose TLS failed to another server", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.server("s2", srvAddr(2));
    const tls = { caCerts: [CA] };
    const net = await start(
      h,
      config({
        retries: 1,
        redispatch: -1,
        balance: { kind: "first" },
        servers: [{ name: "s1", address: srvAddr(1), tls }, { name: "s2", address: srvAddr(2) }],
      }),
    );
    net.verdict = () => untrusted();
    const rec = await h.exchange("hello");
    assert.equal(rec.text(), "hello");
    const line = h.lines[0]!;
    assert.match(line, / be\/s2 /);
    assert.equal(Harness.fields(line).conns.split("/")[4], "+1");
    await h.proxy.stop();
  });

  it("sni ssl_fc_sni passes the client's SNI on; without one, none is sent", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(
      h,
      config(
        { servers: tlsServer({ verify: false, sni: "ssl_fc_sni" }) },
        { binds: [{ address: FRONT, tls: { certificates: [{ cert: CERT, key: KEY }] } }] },
      ),
    );
    net.acceptInfo = { alpnProtocol: null, serverName: "Client.Test" };
    await h.exchange();
    net.acceptInfo = { alpnProtocol: null };
    await h.exchange();
    assert.equal(net.connects[0]!.serverName, "Client.Test");
    assert.equal(net.connects[1]!.serverName, undefined);
    await h.proxy.stop();
  });
});

describe("TLS origination in HTTP mode", () => {
  async function setup(tls: ServerTlsConfig, retries = 3) {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    const net = await start(h, {
      frontends: [{
        name: "fe",
        mode: "http",
        binds: [FRONT],
        defaultBackend: "be",
        log: { target: "stdout", format: "httplog" },
      }],
      backends: [{ name: "be", mode: "http", retries, servers: [{ name: "s1", address: srvAddr(1), tls }] }],
    });
    return { h, origin, net };
  }

  async function get(h: Harness, requests: string[]): Promise<Recorder> {
    const socket = await h.net.connect({ address: FRONT });
    const rec = new Recorder();
    socket.setHandlers(rec);
    for (const [i, host] of requests.entries()) {
      const before = h.lines.length;
      socket.write(enc(`GET /${i} HTTP/1.1\r\nhost: ${host}\r\n\r\n`));
      await h.until(() => h.lines.length > before);
    }
    socket.close();
    return rec;
  }

  it("sni req.hdr(host),field(1,:) per request; a pooled TLS connection serves only the same SNI", async () => {
    const { h, origin, net } = await setup({ caCerts: [CA], sni: "req.hdr(host),field(1,:)" });
    await get(h, ["a.test:8443", "b.test", "a.test"]);
    assert.deepEqual(net.connects.map((o) => o.serverName), ["a.test", "b.test"]);
    assert.deepEqual(
      origin.requests.map((r) => r.conn),
      [0, 1, 0],
      "a.test reused its connection; b.test did not take it",
    );
    await h.proxy.stop();
  });

  it("a verification failure ends in 503 SC-- after the retries", async () => {
    const { h, net } = await setup({ caCerts: [CA] }, 2);
    net.verdict = () => untrusted();
    const rec = await get(h, ["x"]);
    assert.match(rec.text(), /^HTTP\/1\.1 503 Service Unavailable/);
    assert.match(h.lines[0]!, / 503 \d+ - - SC-- \S+\/2 /);
    assert.equal(net.connects.length, 3);
    await h.proxy.stop();
  });

  it("sni req.hdr(host) keeps the port, so the name cannot match: 503 at once, retries at the maximum", async () => {
    const { h, net } = await setup({ caCerts: [CA], sni: "req.hdr(host)" });
    net.verdict = (o) => (o.serverName === "foo.example:8080" ? nameMismatch(o.serverName) : undefined);
    const rec = await get(h, ["foo.example:8080"]);
    assert.match(rec.text(), /^HTTP\/1\.1 503 /);
    assert.match(h.lines[0]!, / SC-- \S+\/3 /);
    assert.equal(net.connects.length, 1);
    await h.proxy.stop();
  });
});

describe("health checks over TLS", () => {
  it("check on an ssl server handshakes: Layer6 check passed, or DOWN with Layer6 invalid response", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const net = await start(
      h,
      config({
        servers: tlsServer({ caCerts: [CA], sni: "str(ignored.test)" }, {
          check: { interMs: 1000, fall: 1, sni: "chk.test" },
        }),
      }),
    );
    const checker = h.checkers[0]!;
    await h.until(() => checker.last !== undefined);
    assert.equal(checker.last!.reason, "Layer6 check passed");
    assert.equal(net.connects[0]!.serverName, "chk.test", "check-sni, not the server's sni");
    net.verdict = () => untrusted();
    await h.until(() => h.proxy.backends[0]!.servers[0]!.state === "DOWN");
    assert.match(
      h.lines.find((l) => l.startsWith("Server be/s1 is DOWN"))!,
      /reason: Layer6 invalid response, info: "SSL handshake failure", check duration: \d+ms/,
    );
    await h.proxy.stop();
  });

  it("check with port elsewhere stays plain (Layer4)", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.server("chk", { ...srvAddr(1), port: 9000 });
    const net = await start(
      h,
      config({ servers: tlsServer({ verify: false }, { check: { interMs: 1000, port: 9000 } }) }),
    );
    const checker = h.checkers[0]!;
    await h.until(() => checker.last !== undefined);
    assert.equal(checker.last!.reason, "Layer4 check passed");
    assert.equal(net.connects.length, 0);
    await h.proxy.stop();
  });
});

describe("isSniMismatch()", () => {
  it("is a verification failure naming the host, on a connection that sent an SNI", () => {
    const tls = { kind: "tls", options: { serverName: "x" } } as const;
    assert.equal(isSniMismatch(nameMismatch("x"), tls), true);
    assert.equal(isSniMismatch(untrusted(), tls), false);
    assert.equal(isSniMismatch(nameMismatch("x"), { kind: "tls", options: {} }), false);
    const deno = Object.assign(new Error('invalid peer certificate: certificate not valid for name "c.test"'), {
      code: "ETLSVERIFY",
    });
    assert.equal(isSniMismatch(deno, tls), true);
  });
});
