/**
 * TLS through `ProxyServer` on the runtime's own adapter, with real peers: termination checked
 * with `openssl s_client -servername` (the certificate served per name, wildcard, default)
 * and curl over HTTPS; origination to TLS origins on the adapter (verification, wrong CA,
 * SNI mismatch, `verify none`, ALPN, client certificate, `check-ssl`). What an adapter cannot
 * do (its `capabilities`) is asserted as a refusal instead.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { Network, TlsCertificate } from "../../src/net.ts";
import { isProxyError } from "../../src/errors.ts";
import { echoRecorder, enc, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";
import { peer } from "../_peers.ts";
import { testCerts } from "../_certs.ts";
import { countingNetwork, run, servedCn, tlsEchoOrigin } from "../_tls_peers.ts";
import { Origin } from "../http/_origin.ts";

const openssl = peer("openssl");
const curl = peer("curl");
const net: Network = await nativeNetwork();
const caps = net.capabilities;
const certs = testCerts();
const cert = (c: { cert: string; key: string }): TlsCertificate => ({ cert: c.cert, key: c.key });

const proxies: ProxyServer[] = [];
after(async () => {
  for (const p of proxies) await p.stop();
});

async function startProxy(
  config: ProxyConfig,
  network: Network = net,
): Promise<{ proxy: ProxyServer; lines: string[] }> {
  const lines: string[] = [];
  const proxy = new ProxyServer(config, { network, log: (l) => lines.push(l) });
  proxies.push(proxy);
  await proxy.start();
  return { proxy, lines };
}

/** A plain TCP echo server on 127.0.0.1. */
async function echoServer(): Promise<number> {
  const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.setHandlers(echoRecorder(s)) });
  after(() => l.close());
  return portOf(l.address);
}

/** Sends `text` through a plain connection to `port`, half-closes, resolves with the echo. */
async function exchange(port: number, text: string): Promise<string> {
  const s = await net.connect({ address: tcp("127.0.0.1", port) });
  const rec = new Recorder();
  s.setHandlers(rec);
  s.write(enc(text));
  s.shutdownWrite();
  await within(rec.closed.promise, 10_000, "the proxied stream to close");
  return rec.text();
}

function refusesCapability(fn: () => unknown, cap: string): void {
  assert.throws(fn, (e: unknown) => isProxyError(e) && e.code === "ERR_CAPABILITY_MISSING" && e.message.includes(cap));
}

describe(`TLS termination through ProxyServer on ${net.name}`, { skip: openssl.skip }, () => {
  const tlsFrontend = (certificates: TlsCertificate[], echo: number): ProxyConfig => ({
    frontends: [{
      name: "fe",
      binds: [{ address: tcp("127.0.0.1", 0), tls: { certificates } }],
      defaultBackend: "be",
      log: { target: "stdout", format: "tcplog" },
    }],
    backends: [{ name: "be", servers: [{ name: "s1", address: tcp("127.0.0.1", echo) }] }],
  });

  it("serves the certificate of the SNI (exact, case-insensitive, wildcard one label deep), else the first", async () => {
    const echo = await echoServer();
    const config = tlsFrontend([cert(certs.a), cert(certs.b), cert(certs.wild)], echo);
    if (!caps.tlsSniMultiCert) {
      return refusesCapability(() => new ProxyServer(config, { network: net }), "tlsSniMultiCert");
    }
    const { proxy, lines } = await startProxy(config);
    const port = portOf(proxy.addresses[0]);
    const cn = (sni: string | undefined) => servedCn(openssl.path!, port, sni);
    assert.equal(await cn("a.test"), "a.test");
    assert.equal(await cn("b.test"), "b.test");
    assert.equal(await cn("B.TEST"), "b.test");
    assert.equal(await cn("x.wild.test"), "*.wild.test");
    assert.equal(await cn("a.b.wild.test"), "a.test", "a wildcard covers one label only: the default");
    assert.equal(await cn("unknown.test"), "a.test");
    assert.equal(await cn(undefined), "a.test");
    await until(() => lines.length >= 7, 10_000, "7 log lines");
    assert.match(lines[0]!, /\] fe~ be\/s1 /);
  });

  it("one certificate works on every adapter with a TLS server", async () => {
    const echo = await echoServer();
    const { proxy } = await startProxy(tlsFrontend([cert(certs.b)], echo));
    const port = portOf(proxy.addresses[0]);
    assert.equal(await servedCn(openssl.path!, port, "b.test"), "b.test");
    // New certificates without a restart, where the adapter can (`tlsReload`).
    if (!caps.tlsReload) {
      return refusesCapability(() => proxy.setBindTls("fe", "1", { certificates: [cert(certs.a)] }), "tlsReload");
    }
    proxy.setBindTls("fe", "1", { certificates: [cert(certs.a)] });
    assert.equal(await servedCn(openssl.path!, port, "b.test"), "a.test");
  });
});

describe(`HTTPS termination with curl on ${net.name}`, { skip: curl.skip }, () => {
  it("curl --cacert reaches the origin over HTTP/1.1; ssl_fc and ssl_fc_sni in rules", async () => {
    const origin = await new Origin().listen(net, tcp("127.0.0.1", 0));
    after(() => origin.listener?.close());
    const { proxy, lines } = await startProxy({
      frontends: [
        {
          name: "fe",
          mode: "http",
          binds: [{ address: tcp("127.0.0.1", 0), tls: { certificates: [cert(certs.a)] } }],
          defaultBackend: "be",
          log: { target: "stdout", format: "httplog" },
          httpRequest: [
            { action: "set-header", name: "X-Forwarded-Proto", value: "https", condition: "if { ssl_fc }" },
            { action: "set-header", name: "X-SNI", value: "%[ssl_fc_sni]" },
          ],
        } as ProxyConfig["frontends"][number],
      ],
      backends: [{ name: "be", mode: "http", servers: [{ name: "s1", address: origin.listener!.address }] }],
    });
    const port = portOf(proxy.addresses[0]);
    const r = await run(curl.path!, [
      "-s",
      "--max-time",
      "10",
      "--cacert",
      certs.ca.file,
      "--resolve",
      `a.test:${port}:127.0.0.1`,
      `https://a.test:${port}/x`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "/x on 0");
    assert.equal(origin.requests[0]!.headers.get("x-forwarded-proto"), "https");
    // The client's SNI is known where the adapter reads it (not Deno's listenTls: RUNTIMES.md 8b).
    if (caps.tlsPeerInfo) assert.equal(origin.requests[0]!.headers.get("x-sni"), "a.test");
    await until(() => lines.length === 1, 5000, "the httplog line");
    assert.match(lines[0]!, /\] fe~ be\/s1 .* 200 .*"GET \/x HTTP\/1\.1"$/);
  });

  it("a client certificate's subject reaches the origin in a header (verify optional + ca-file)", async () => {
    const origin = await new Origin().listen(net, tcp("127.0.0.1", 0));
    after(() => origin.listener?.close());
    const config = {
      frontends: [{
        name: "fe",
        mode: "http",
        binds: [{
          address: tcp("127.0.0.1", 0),
          tls: { certificates: [cert(certs.a)], requestClientCert: true, caCerts: [certs.ca.cert] },
        }],
        defaultBackend: "be",
        httpRequest: [
          { action: "set-header", name: "X-SSL-Client-Used", value: "%[ssl_c_used]" },
          { action: "set-header", name: "X-SSL-Client-DN", value: "%{+Q}[ssl_c_s_dn]" },
        ],
      }],
      backends: [{ name: "be", mode: "http", servers: [{ name: "s1", address: origin.listener!.address }] }],
    } as ProxyConfig;
    if (!caps.tlsServerClientAuth) {
      return refusesCapability(() => new ProxyServer(config, { network: net }), "tlsServerClientAuth");
    }
    const { proxy } = await startProxy(config);
    const port = portOf(proxy.addresses[0]);
    const r = await run(curl.path!, [
      "-s",
      "--max-time",
      "10",
      "--cacert",
      certs.ca.file,
      "--cert",
      certs.client.certFile,
      "--key",
      certs.client.keyFile,
      "--resolve",
      `a.test:${port}:127.0.0.1`,
      `https://a.test:${port}/`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const h = origin.requests[0]!.headers;
    assert.equal(h.get("x-ssl-client-used"), "1");
    // `TlsInfo.peerSubject` comes from the adapter: an adapter that reports only the CN leaves
    // the DN empty (the fetch finds nothing), never wrong.
    const dn = h.get("x-ssl-client-dn") ?? "";
    if (dn === "") {
      console.warn(`NOTE (${net.name}): the adapter reports no TlsInfo.peerSubject yet; ssl_c_s_dn is empty`);
    } else assert.equal(dn, "/C=FR/O=Acme/CN=client1");
  });
});

describe(`TLS origination to TLS origins on ${net.name}`, () => {
  const tcpProxy = (
    tls: Record<string, unknown>,
    originPort: number,
    extra: Record<string, unknown> = {},
  ): ProxyConfig => ({
    frontends: [{
      name: "fe",
      binds: [tcp("127.0.0.1", 0)],
      defaultBackend: "be",
      log: { target: "stdout", format: "tcplog" },
    }],
    backends: [{
      name: "be",
      retries: 2,
      timeouts: { connectMs: 100 },
      servers: [{ name: "s1", address: tcp("127.0.0.1", originPort), tls, ...extra }],
      ...(extra.backend as object ?? {}),
    }],
  } as ProxyConfig);

  it("verifies against the CA with the SNI given by `sni`, and the bytes flow", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.a)] });
    after(() => origin.listener.close());
    const { proxy, lines } = await startProxy(tcpProxy({ caCerts: [certs.ca.cert], sni: "str(a.test)" }, origin.port));
    assert.equal(await exchange(portOf(proxy.addresses[0]), "hello"), "hello");
    await until(() => lines.length === 1, 5000, "the log line");
    assert.match(lines[0]!, / be\/s1 \S+ 5 -- /);
    if (origin.sockets[0]!.tls?.serverName !== undefined) assert.equal(origin.sockets[0]!.tls.serverName, "a.test");
  });

  it("an untrusted certificate fails the connect: retried, then SC with 0 bytes", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.rogue)] });
    after(() => origin.listener.close());
    const counted = countingNetwork(net);
    const { proxy, lines } = await startProxy(
      tcpProxy({ caCerts: [certs.ca.cert], sni: "str(a.test)" }, origin.port),
      counted.net,
    );
    assert.equal(await exchange(portOf(proxy.addresses[0]), "hello"), "");
    await until(() => lines.length === 1, 5000, "the log line");
    assert.match(lines[0]!, / be\/s1 \S+ 0 SC \d+\/\d+\/\d+\/\d+\/2 /);
    assert.equal(counted.count.tls, 3);
  });

  it("an expired certificate fails the connect too", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.expired)] });
    after(() => origin.listener.close());
    const { proxy, lines } = await startProxy(tcpProxy({ caCerts: [certs.ca.cert], sni: "str(a.test)" }, origin.port));
    assert.equal(await exchange(portOf(proxy.addresses[0]), "hello"), "");
    await until(() => lines.length === 1, 5000, "the log line");
    assert.match(lines[0]!, / be\/s1 \S+ 0 SC \d+\/\d+\/\d+\/\d+\/2 /);
  });

  it("a certificate not matching the SNI is not retried (retries shown at the maximum)", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.a)] });
    after(() => origin.listener.close());
    const counted = countingNetwork(net);
    const { proxy, lines } = await startProxy(
      tcpProxy({ caCerts: [certs.ca.cert], sni: "str(wrong.test)" }, origin.port),
      counted.net,
    );
    assert.equal(await exchange(portOf(proxy.addresses[0]), "hello"), "");
    await until(() => lines.length === 1, 5000, "the log line");
    assert.match(lines[0]!, / SC \d+\/\d+\/\d+\/\d+\/2 /);
    assert.equal(counted.count.tls, 1);
  });

  it("verify none accepts an untrusted certificate (or is refused where the adapter cannot skip verification)", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.rogue)] });
    after(() => origin.listener.close());
    const config = tcpProxy({ verify: false }, origin.port);
    if (!caps.tlsClientNoVerify) {
      return refusesCapability(() => new ProxyServer(config, { network: net }), "tlsClientNoVerify");
    }
    const { proxy } = await startProxy(config);
    assert.equal(await exchange(portOf(proxy.addresses[0]), "hi"), "hi");
  });

  it("offers the server's ALPN list", async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.a)], alpnProtocols: ["h2", "http/1.1"] });
    after(() => origin.listener.close());
    const { proxy } = await startProxy(
      tcpProxy({ caCerts: [certs.ca.cert], sni: "str(a.test)", alpnProtocols: ["h2"] }, origin.port),
    );
    assert.equal(await exchange(portOf(proxy.addresses[0]), "x"), "x");
    assert.equal(origin.sockets[0]!.tls!.alpnProtocol, "h2");
  });

  it("presents the client certificate (crt) when the origin asks", async () => {
    // No `sni`: Deno sends a client certificate only when the SNI is the address dialled.
    const wantsCert = caps.tlsServerClientAuth;
    const origin = await tlsEchoOrigin(net, {
      certificates: [cert(certs.a)],
      ...(wantsCert ? { requestClientCert: true, requireClientCert: true, caCerts: [certs.ca.cert] } : {}),
    });
    after(() => origin.listener.close());
    const { proxy } = await startProxy(
      tcpProxy({ caCerts: [certs.ca.cert], cert: certs.client.cert, key: certs.client.key }, origin.port),
    );
    assert.equal(await exchange(portOf(proxy.addresses[0]), "x"), "x");
    if (wantsCert) assert.equal(origin.sockets[0]!.tls!.peerCommonName, "client1");
  });

  it("HTTP mode: a wrong CA gives the client a 503", { skip: curl.skip }, async () => {
    const origin = await tlsEchoOrigin(net, { certificates: [cert(certs.rogue)] });
    after(() => origin.listener.close());
    const { proxy, lines } = await startProxy({
      frontends: [{
        name: "fe",
        mode: "http",
        binds: [tcp("127.0.0.1", 0)],
        defaultBackend: "be",
        log: { target: "stdout", format: "httplog" },
      }],
      backends: [{
        name: "be",
        mode: "http",
        retries: 1,
        timeouts: { connectMs: 100 },
        servers: [{ name: "s1", address: tcp("127.0.0.1", origin.port), tls: { caCerts: [certs.ca.cert] } }],
      }],
    });
    const r = await run(curl.path!, [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://127.0.0.1:${portOf(proxy.addresses[0])}/`,
    ]);
    assert.equal(r.stdout, "503");
    await until(() => lines.length === 1, 5000, "the httplog line");
    assert.match(lines[0]!, / 503 \d+ - - SC-- \S+\/1 /);
  });

  it("check-ssl: UP with Layer6 check passed against the right CA, DOWN with Layer6 invalid response against a wrong one", async () => {
    const good = await tlsEchoOrigin(net, { certificates: [cert(certs.a)] });
    const bad = await tlsEchoOrigin(net, { certificates: [cert(certs.rogue)] });
    after(() => good.listener.close());
    after(() => bad.listener.close());
    const tls = { caCerts: [certs.ca.cert] };
    const check = { interMs: 100, fall: 1, rise: 1 };
    const { proxy, lines } = await startProxy({
      frontends: [{ name: "fe", binds: [tcp("127.0.0.1", 0)], defaultBackend: "chk" }],
      backends: [{
        name: "chk",
        servers: [
          { name: "good", address: tcp("127.0.0.1", good.port), tls, check },
          { name: "bad", address: tcp("127.0.0.1", bad.port), tls, check },
        ],
      }],
    });
    await until(() => lines.some((l) => l.startsWith("Server chk/bad is DOWN")), 10_000, "bad going DOWN");
    assert.match(
      lines.find((l) => l.startsWith("Server chk/bad is DOWN"))!,
      /reason: Layer6 invalid response, info: "SSL handshake failure", check duration: \d+ms/,
    );
    const good1 = proxy.backends[0]!.servers[0]!;
    await until(() => good1.check?.last !== undefined, 10_000, "good's first check");
    assert.equal(good1.check!.last!.reason, "Layer6 check passed");
    assert.equal(good1.state, "UP");
  });
});

describe(`PROXY header before TLS on ${net.name}`, () => {
  it("an expect-proxy rule on a TLS bind (no accept-proxy): the header in clear, then the handshake", async () => {
    const origin = await echoServer();
    const { proxy, lines } = await startProxy({
      frontends: [{
        name: "fe",
        binds: [{ address: tcp("127.0.0.1", 0), tls: { certificates: [cert(certs.a)] } }],
        tcpRequest: { connection: [{ action: "expect-proxy", condition: "if { src 127.0.0.1 }" }] },
        defaultBackend: "be",
        log: { target: "stdout", format: "tcplog" },
      }],
      backends: [{ name: "be", servers: [{ name: "s", address: tcp("127.0.0.1", origin) }] }],
    });
    const s = await within(
      net.connect({
        address: tcp("127.0.0.1", portOf(proxy.addresses[0])),
        tls: { serverName: "a.test", caCerts: [certs.ca.cert] },
        preamble: enc("PROXY TCP4 192.0.2.44 127.0.0.1 5000 443\r\n"),
      }),
      10_000,
      "TLS after the PROXY header",
    );
    const rec = new Recorder();
    s.setHandlers(rec);
    s.write(enc("over tls"));
    s.shutdownWrite();
    await within(rec.closed.promise, 10_000, "the proxied stream to close");
    assert.equal(rec.text(), "over tls");
    await until(() => lines.length === 1, 10_000, "the log line");
    assert.match(lines[0]!, /^192\.0\.2\.44:5000 \[[^\]]+\] fe~ be\/s /);
  });
});
