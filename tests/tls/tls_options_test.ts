/**
 * `maxVersion` and per-certificate `options` (a crt-list line's `[sslbindconf]`) on the
 * adapter of the runtime running the tests, with `openssl s_client` as the client on real
 * sockets: the version a client limited to TLS 1.2 negotiates, the version range, ALPN and
 * client certificate policy of the certificate the SNI selects. Then through `ProxyServer`
 * from a haproxy.cfg: `ssl-max-ver` in the log's `%sslv`, and a crt-list line's options.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Network } from "../../src/net.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { enc, freePort, nativeNetwork, portOf, Recorder, tcp, until } from "../_helpers.ts";
import { OPENSSL, runClient } from "../adapters/_openssl.ts";
import { certs, serveTls } from "../adapters/_tls_kit.ts";
import { helloServer } from "./_hello.ts";

const net: Network = await nativeNetwork();
const skip = (OPENSSL === undefined && "openssl is not installed (scripts/peers.sh installs it)") ||
  (!net.capabilities.tlsServer && `${net.name} has no TLS server`);

describe(`TLS version cap and per-certificate options on ${net.name}`, { skip }, () => {
  it("maxVersion TLSv1.2: a client offering 1.3 negotiates 1.2; a TLS 1.3-only client is refused", async () => {
    const c = certs();
    const srv = await serveTls(net, { certificates: [c.a], maxVersion: "TLSv1.2" });
    try {
      const run = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "a.test"]);
      assert.equal(run.protocol, "TLSv1.2", run.out.slice(-800));
      const s = await srv.accepted.next("TLS 1.2 accept");
      assert.equal(s.tls?.protocol, "TLSv1.2");
      const only13 = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "a.test", "-tls1_3"]);
      assert.equal(only13.subjectCn, undefined, only13.out.slice(-800));
      assert.equal(only13.alert, 70, `protocol_version expected:\n${only13.out.slice(-800)}`);
      await srv.failures.next("TLS 1.3-only refusal");
    } finally {
      await srv.close();
    }
  });

  it("a certificate's options apply to the handshakes its SNI selects: versions, ALPN, client certificates", async () => {
    const c = certs();
    const f = c.files;
    const srv = await serveTls(net, {
      certificates: [
        c.a,
        { ...c.b, options: { minVersion: "TLSv1.3", alpnProtocols: ["h2"] } },
        { ...c.wild, options: { maxVersion: "TLSv1.2", alpnProtocols: ["http/1.1"] } },
        {
          ...c.a,
          serverNames: ["mtls.test"],
          options: { requestClientCert: true, requireClientCert: true, caCerts: [c.ca] },
        },
      ],
      alpnProtocols: ["http/1.1", "h2"],
    });
    try {
      const alpn = ["-alpn", "h2,http/1.1"];
      // b.test: TLS 1.3 only, h2.
      const b12 = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "b.test", "-tls1_2"]);
      assert.equal(b12.alert, 70, `b.test over TLS 1.2 refused:\n${b12.out.slice(-800)}`);
      await srv.failures.next("b.test TLS 1.2 refusal");
      const b = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "b.test", ...alpn]);
      assert.equal(b.subjectCn, "b.test", b.out.slice(-800));
      assert.equal(b.protocol, "TLSv1.3");
      assert.equal(b.alpn, "h2");
      assert.equal((await srv.accepted.next("b.test")).tls?.alpnProtocol, "h2");
      // x.wild.test: at most TLS 1.2, http/1.1.
      const w = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "x.wild.test", ...alpn]);
      assert.equal(w.subjectCn, "*.wild.test", w.out.slice(-800));
      assert.equal(w.protocol, "TLSv1.2");
      assert.equal(w.alpn, "http/1.1");
      assert.equal((await srv.accepted.next("x.wild.test")).tls?.protocol, "TLSv1.2");
      // a.test and unknown names: the listener's own settings (TLS 1.3, its ALPN preference).
      for (const sni of ["a.test", "unknown.test"]) {
        const a = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", sni, ...alpn]);
        assert.equal(a.subjectCn, "a.test", a.out.slice(-800));
        assert.equal(a.protocol, "TLSv1.3");
        assert.equal(a.alpn, "http/1.1");
        await srv.accepted.next(sni);
      }
      // mtls.test: a client certificate is required; none is refused, the client's is accepted.
      const none = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "mtls.test", "-tls1_2"]);
      assert.notEqual(none.alert, undefined, `no client certificate refused:\n${none.out.slice(-800)}`);
      await srv.failures.next("mtls.test without a certificate");
      const withCert = await runClient(srv.port, [
        "-CAfile",
        c.caPath,
        "-servername",
        "mtls.test",
        "-cert",
        f.client.certFile,
        "-key",
        f.client.keyFile,
      ]);
      assert.equal(withCert.subjectCn, "a.test", withCert.out.slice(-800));
      const m = await srv.accepted.next("mtls.test with a certificate");
      assert.equal(m.tls?.peerCommonName, "client1");
      // a.test asks for no certificate.
      assert.equal((await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "a.test"])).subjectCn, "a.test");
      assert.equal((await srv.accepted.next("a.test again")).tls?.peerCommonName, undefined);
    } finally {
      await srv.close();
    }
  });
});

describe(`ssl-max-ver and crt-list options through ProxyServer on ${net.name}`, { skip }, () => {
  const proxies: ProxyServer[] = [];
  after(async () => {
    for (const p of proxies) await p.stop();
  });

  it("the log's %sslv shows the version the bind's ssl-max-ver and the crt-list line allowed", async () => {
    const echo = await helloServer(net);
    after(() => echo.close());
    const f = certs().files;
    const list = join(f.dir, "tlsopts-list.txt");
    writeFileSync(list, `${f.a.pemFile}\n${f.b.pemFile} [ssl-max-ver TLSv1.3 alpn h2] b.test\n`);
    const text = [
      "global",
      "  ssl-default-bind-options ssl-max-ver TLSv1.2",
      "frontend fe",
      "  mode tcp",
      `  bind 127.0.0.1:${await freePort(net)} ssl crt-list ${list}`,
      "  log stdout format raw local0",
      '  log-format "%[ssl_fc_sni] %sslv"',
      "  default_backend be",
      "backend be",
      "  mode tcp",
      `  server s1 127.0.0.1:${portOf(echo.address)}`,
    ].join("\n");
    const cfg = parseHaproxyConfig(text, "t.cfg", {
      readFile: (p) => readFileSync(p, "utf8"),
      readDir: (p) => (statSync(p).isDirectory() ? readdirSync(p) : undefined),
    });
    const lines: string[] = [];
    const proxy = new ProxyServer(cfg, { network: net, log: (l) => lines.push(l) });
    proxies.push(proxy);
    await proxy.start();
    const port = portOf(proxy.addresses[0]);
    const a = await runClient(port, ["-CAfile", f.ca.file, "-servername", "a.test"]);
    assert.equal(a.protocol, "TLSv1.2", a.out.slice(-800));
    await until(() => lines.length >= 1, 10_000, "a.test's log line");
    const b = await runClient(port, ["-CAfile", f.ca.file, "-servername", "b.test", "-alpn", "h2,http/1.1"]);
    assert.equal(b.protocol, "TLSv1.3", b.out.slice(-800));
    await until(() => lines.length >= 2, 10_000, "b.test's log line");
    assert.equal(b.alpn, "h2");
    assert.deepEqual(lines, ["a.test TLSv1.2", "b.test TLSv1.3"]);
  });

  it("server ... ssl-max-ver TLSv1.2: the origin's handshake is TLS 1.2 (ssl-default-server-options too)", async () => {
    const c = certs();
    const origin = await serveTls(net, { certificates: [c.a], peerInfo: true });
    after(() => origin.close());
    const cases: [option: string, global: string[]][] = [
      ["ssl-max-ver TLSv1.2", []],
      ["", ["  ssl-default-server-options ssl-max-ver TLSv1.2"]],
    ];
    for (const [option, global] of cases) {
      const text = [
        ...(global.length > 0 ? ["global", ...global] : []),
        "frontend fe",
        "  mode tcp",
        `  bind 127.0.0.1:${await freePort(net)}`,
        "  default_backend be",
        "backend be",
        "  mode tcp",
        `  server s1 127.0.0.1:${origin.port} ssl ca-file ${c.caPath} sni str(a.test) ${option}`,
      ].join("\n");
      const proxy = new ProxyServer(parseHaproxyConfig(text, "t.cfg", { readFile: (p) => readFileSync(p, "utf8") }), {
        network: net,
      });
      proxies.push(proxy);
      await proxy.start();
      const s = await net.connect({ address: tcp("127.0.0.1", portOf(proxy.addresses[0])) });
      const rec = new Recorder();
      s.setHandlers(rec);
      s.write(enc("x"));
      const up = await origin.accepted.next(`the origin's accept (${option || global[0]})`);
      assert.equal(up.tls?.protocol, "TLSv1.2");
      await until(() => rec.text() === "hello\n", 10_000, "the origin's hello");
      s.abort();
    }
  });
});
