/**
 * TLS termination as the core sees it, on the in-memory network with fake TLS
 * (tests/_tls_fake.ts): what a TLS bind listens with, HAProxy's error line for a failed
 * handshake, the `~` after the frontend name, `%sslv`/`%sslc`, and the `ssl_fc*`/`ssl_c_*`
 * samples in rules (a client certificate's subject in a header the origin sees).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FRONT, Harness, srvAddr } from "./_proxy_harness.ts";
import { FakeTlsNetwork } from "./_tls_fake.ts";
import { ProxyServer } from "../src/proxy.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { Origin } from "./http/_origin.ts";
import { enc, Recorder, tcp } from "./_helpers.ts";
import { netError } from "../adapters/_errors.ts";
import type { TlsInfo } from "../src/net.ts";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8");
const FILES: Record<string, string> = {
  "/a.pem": fixture("a.test.pem") + fixture("a.test.key"),
  "/ca.pem": fixture("ca.pem"),
};
const readFile = (p: string): string => {
  const t = FILES[p];
  if (t === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  return t;
};

const CLIENT: TlsInfo = {
  alpnProtocol: null,
  serverName: "A.Test",
  protocol: "TLSv1.3",
  cipher: "TLS_AES_256_GCM_SHA384",
  authorized: true,
  peerCommonName: "client1",
  peerSubject: "/C=FR/O=Acme/CN=client1",
  peerIssuer: "/CN=Test Root CA",
};

async function start(cfgLines: string[]): Promise<{ h: Harness; net: FakeTlsNetwork }> {
  const h = new Harness();
  const net = new FakeTlsNetwork(h.net);
  net.acceptInfo = CLIENT;
  const cfg = parseHaproxyConfig(cfgLines.join("\n"), "t.cfg", { readFile });
  h.proxy = new ProxyServer(cfg, { network: net, clock: h.clock, log: (l) => h.lines.push(l) });
  await h.proxy.start();
  return { h, net };
}

const TCP = (bind: string, extra: string[] = []) => [
  "defaults",
  "  mode tcp",
  "  log stdout format raw local0",
  "  option tcplog",
  "frontend fe",
  `  bind ${bind}`,
  ...extra,
  "  default_backend be",
  "backend be",
  "  server s1 10.1.0.1:8000",
];

describe("TLS termination (core)", () => {
  it("a TLS bind listens with its TLS settings and a handshake error handler; accept-proxy binds are left to the accept pipeline", async () => {
    const { h, net } = await start(TCP("10.0.0.1:80 ssl crt /a.pem alpn h2,http/1.1 strict-sni"));
    const l = net.listens[0]!;
    assert.equal(l.tls!.certificates[0]!.serverNames?.[0], "a.test");
    assert.deepEqual(l.tls?.alpnProtocols, ["h2", "http/1.1"]);
    assert.equal(l.tls?.strictSni, true);
    assert.equal(typeof l.onHandshakeError, "function");
    await h.proxy.stop();
  });

  it("a failed handshake logs HAProxy's line: client, date, frontend/bind, reason", async () => {
    const { h, net } = await start(
      TCP("10.0.0.1:80 ssl crt /a.pem", [
        "  bind 10.0.0.1:443 ssl crt /a.pem verify required ca-file /ca.pem name mtls",
      ]),
    );
    const [plainTls, mtls] = net.listens;
    plainTls!.onHandshakeError!(netError("ETLS", "no shared cipher"), tcp("10.9.9.9", 1234));
    mtls!.onHandshakeError!(netError("ETLSVERIFY", "bad client cert"), tcp("10.9.9.9", 1235));
    mtls!.onHandshakeError!(netError("ETLS", "no client cert"), tcp("10.9.9.9", 1236));
    assert.match(
      h.lines[0]!,
      /^10\.9\.9\.9:1234 \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe\/1: SSL handshake failure$/,
    );
    assert.match(h.lines[1]!, /^10\.9\.9\.9:1235 \[[^\]]+\] fe\/mtls: SSL client certificate not trusted$/);
    assert.match(h.lines[2]!, /^10\.9\.9\.9:1236 \[[^\]]+\] fe\/mtls: SSL handshake failure$/);
    await h.proxy.stop();
  });

  it("tcplog writes the frontend with a '~' on a TLS listener; log-format gets %ft, %f, %sslv, %sslc", async () => {
    const { h } = await start(TCP("10.0.0.1:80 ssl crt /a.pem", ["  bind 10.0.0.2:80"]));
    await h.server("s1", srvAddr(1));
    await h.exchange();
    assert.match(h.lines[0]!, /\] fe~ be\/s1 /);
    const plain = await h.net.connect({ address: tcp("10.0.0.2", 80) });
    const rec = new Recorder();
    plain.setHandlers(rec);
    plain.shutdownWrite();
    await h.until(() => h.lines.length === 2);
    assert.match(h.lines[1]!, /\] fe be\/s1 /);
    await h.proxy.stop();

    const lf = await start(TCP("10.0.0.1:80 ssl crt /a.pem", ['  log-format "%ft %f %sslv %sslc %[ssl_fc_sni]"']));
    await lf.h.server("s1", srvAddr(1));
    await lf.h.exchange();
    assert.equal(lf.h.lines[0], "fe~ fe TLSv1.3 TLS_AES_256_GCM_SHA384 A.Test");
    await lf.h.proxy.stop();
  });

  it("HTTP: the client certificate's subject reaches the origin; ssl_fc drives X-Forwarded-Proto; httplog has '~'", async () => {
    const { h } = await start([
      "defaults",
      "  mode http",
      "  log stdout format raw local0",
      "  option httplog",
      "frontend fe",
      "  bind 10.0.0.1:80 ssl crt /a.pem verify optional ca-file /ca.pem",
      "  http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]",
      "  http-request set-header X-SSL-Client-CN %[ssl_c_s_dn(CN)]",
      "  http-request set-header X-SSL-Issuer %[ssl_c_i_dn]",
      "  http-request set-header X-SSL %[ssl_fc_protocol],%[ssl_c_used],%[ssl_c_verify],%[ssl_fc_has_crt]",
      "  http-request set-header X-Forwarded-Proto https if { ssl_fc }",
      "  http-request set-header X-RFC2253 %[ssl_c_s_dn(,0,rfc2253)]",
      "  default_backend be",
      "backend be",
      "  option forwarded proto",
      "  server s1 10.1.0.1:8000",
    ]);
    const origin = await new Origin().listen(h.net, srvAddr(1));
    const c = await h.net.connect({ address: FRONT });
    const rec = new Recorder();
    c.setHandlers(rec);
    c.write(enc("GET / HTTP/1.1\r\nhost: a.test\r\n\r\n"));
    await h.until(() => h.lines.length === 1);
    const hd = origin.requests[0]!.headers;
    assert.equal(hd.get("x-ssl-client-dn"), "/C=FR/O=Acme/CN=client1");
    assert.equal(hd.get("x-ssl-client-cn"), "client1");
    assert.equal(hd.get("x-ssl-issuer"), "/CN=Test Root CA");
    assert.equal(hd.get("x-ssl"), "TLSv1.3,1,0,1");
    assert.equal(hd.get("x-forwarded-proto"), "https");
    assert.equal(hd.get("x-rfc2253"), "CN=client1,O=Acme,C=FR");
    assert.equal(hd.get("forwarded"), "proto=https");
    assert.match(h.lines[0]!, /\] fe~ be\/s1 /);
    c.close();
    await h.proxy.stop();
  });

  it("setBindTls() hands new certificates to the running listener; plain or unknown binds are refused", async () => {
    const { h, net } = await start(TCP("10.0.0.1:80 ssl crt /a.pem name web", ["  bind 10.0.0.2:80"]));
    const b = { cert: fixture("b.test.pem"), key: fixture("b.test.key") };
    h.proxy.setBindTls("fe", "web", { certificates: [b] });
    assert.equal(net.reloads.length, 1);
    assert.deepEqual(net.reloads[0]!.certificates[0]!.serverNames, ["b.test"]);
    const refused = (bind: string, tls: unknown, re: RegExp) =>
      assert.throws(() => h.proxy.setBindTls("fe", bind, tls as never), (e: Error) => re.test(e.message));
    refused("2", { certificates: [b] }, /not a TLS bind/);
    refused("nope", { certificates: [b] }, /no such bind/);
    refused("web", { certificates: [] }, /tls\.certificates: must hold at least one certificate/);
    assert.equal(net.reloads.length, 1, "invalid settings leave the old ones in place");
    await h.proxy.stop();
  });
});
