/**
 * SNI passthrough on real loopback sockets: proxykit (the runtime's own adapter) routes TLS
 * connections it never terminates to two TLS origins (`openssl s_server` with the `a.test`
 * and `b.test` certificates) on the ClientHello's SNI. The bytes are untouched: `openssl
 * s_client -servername` and the runtime's TLS client each verify the certificate of the
 * origin their name selects, and talk to it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ProxyServer } from "../../src/proxy.ts";
import type { Network } from "../../src/net.ts";
import { type Child, startProgram } from "../_child.ts";
import { peer } from "../_peers.ts";
import { dec, enc, fixture, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";

const { path: OPENSSL, skip } = peer("openssl");
const net: Network = await nativeNetwork();
const file = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

/** `openssl s_server -www` with the `name` certificate; resolves with its port. */
async function origin(name: string): Promise<{ peer: Child; port: number }> {
  const p = startProgram(OPENSSL!, [
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-cert",
    file(`${name}.pem`),
    "-key",
    file(`${name}.key`),
    "-www",
  ], { stdin: "pipe" });
  const m = await p.line(/^ACCEPT 127\.0\.0\.1:(\d+)/, 10_000);
  return { peer: p, port: Number(m[1]) };
}

describe("SNI passthrough to two TLS origins", { skip }, () => {
  const origins: { peer: Child; port: number }[] = [];
  const lines: string[] = [];
  let proxy: ProxyServer;
  let port = 0;

  before(async () => {
    origins.push(await origin("a.test"), await origin("b.test"));
    proxy = new ProxyServer({
      frontends: [{
        name: "pt",
        binds: [tcp("127.0.0.1", 0)],
        defaultBackend: "be_def",
        clientTimeoutMs: 10_000,
        log: { target: "stdout", format: "tcplog" },
        tcpRequest: { inspectDelayMs: 5000, content: [{ action: "accept", condition: "if { req.ssl_hello_type 1 }" }] },
        useBackends: [
          { backend: "be_a", condition: "if { req.ssl_sni -i a.test }" },
          { backend: "be_b", condition: "if { req.ssl_sni -i b.test }" },
        ],
      }],
      backends: [
        { name: "be_a", servers: [{ name: "a", address: tcp("127.0.0.1", origins[0]!.port) }] },
        { name: "be_b", servers: [{ name: "b", address: tcp("127.0.0.1", origins[1]!.port) }] },
        // Nothing listens there: a connection routed by default is refused (SC).
        { name: "be_def", servers: [{ name: "none", address: tcp("127.0.0.1", 1) }], retries: 0 },
      ],
    }, { network: net, log: (l) => lines.push(l) });
    await proxy.start();
    port = portOf(proxy.addresses[0]);
  });

  after(async () => {
    await proxy?.stop();
    for (const o of origins) o.peer.child.kill("SIGKILL");
  });

  for (const name of ["a.test", "B.TEST"]) {
    it(`openssl s_client -servername ${name} verifies the certificate of its own origin`, async () => {
      const c = startProgram(OPENSSL!, [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        name,
        "-CAfile",
        file("ca.pem"),
        "-verify_return_error",
        "-verify_hostname",
        name.toLowerCase(),
      ], { stdin: "pipe" });
      try {
        await c.line(new RegExp(`^subject=CN = ${name.toLowerCase().replace(".", "\\.")}$`), 10_000);
        await c.line(/Verify return code: 0 \(ok\)/, 10_000);
      } finally {
        c.child.kill("SIGKILL");
        await within(c.exited, 10_000, "s_client exit");
      }
      const be = name.toLowerCase() === "a.test" ? "be_a/a" : "be_b/b";
      await until(() => lines.some((l) => l.includes(` pt ${be} `)), 10_000, `a log line for ${be}`);
    });
  }

  it("the runtime's TLS client talks to the origin its SNI selects, through proxykit", async () => {
    const s = await net.connect({
      address: tcp("127.0.0.1", port),
      tls: { serverName: "b.test", caCerts: [fixture("ca.pem")] },
    });
    const r = new Recorder();
    s.setHandlers(r);
    s.write(enc("GET / HTTP/1.0\r\n\r\n"));
    await within(r.ended.promise, 10_000, "the origin's answer");
    s.close();
    // s_server -www answers with a page describing the TLS session it served.
    assert.match(dec(r.chunks), /^HTTP\/1\.0 200 ok/);
  });

  it("a client without SNI goes to the default backend", async () => {
    const s = net.connect({ address: tcp("127.0.0.1", port), tls: { caCerts: [fixture("ca.pem")] } });
    await assert.rejects(s);
    await until(() => lines.some((l) => / pt be_def\/none .* SC /.test(l)), 10_000, "an SC line on be_def");
  });
});
