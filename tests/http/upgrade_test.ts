/**
 * A `mode tcp` frontend whose stream goes to a `mode http` backend upgrades it to HTTP, as
 * HAProxy does: by `default_backend`, or by `use_backend` after content inspection (one port
 * for HTTP and another protocol). TLS bytes sent to it are an HTTP parse error (`PR`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { echoRecorder, enc } from "../_helpers.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { Origin } from "./_origin.ts";
import { clientHello } from "../tls/_client_hello.ts";

type Fe = ProxyConfig["frontends"][number];

function config(fe: Partial<Fe>): ProxyConfig {
  return {
    frontends: [{
      name: "mux",
      binds: [{ transport: "tcp", hostname: "10.0.0.1", port: 80 }],
      defaultBackend: "ssh",
      clientTimeoutMs: 30_000,
      log: { target: "stdout", format: "tcplog" },
      ...fe,
    } as Fe],
    backends: [
      {
        name: "web",
        mode: "http",
        servers: [{ name: "w1", address: srvAddr(1) }],
        httpRequest: [{ action: "set-header", name: "x-via", value: "%[be_name]" }],
      },
      { name: "ssh", servers: [{ name: "s1", address: srvAddr(2) }] },
    ],
  };
}

const GET = "GET /x HTTP/1.1\r\nhost: h\r\n\r\n";

describe("mode tcp frontend, mode http backend", () => {
  it("default_backend: each request is proxied as HTTP, the backend's rules apply, tcplog lines", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    await h.start(config({ defaultBackend: "web" }));
    const c = await h.client();
    c.socket.write(enc(GET));
    await h.until(() => c.rec.text().includes("/x on 0"));
    c.socket.write(enc(GET.replace("/x", "/y")));
    await h.until(() => c.rec.text().includes("/y on 0"));
    assert.equal(origin.requests[0]?.headers.get("x-via"), "web");
    assert.equal(h.lines.length, 2);
    assert.match(h.lines[0]!, / mux web\/w1 \d+\/\d+\/\d+ \d+ -- /);
  });

  it("use_backend web if HTTP: HTTP and another protocol share the port", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    const ssh: string[] = [];
    await h.net.listen({
      address: srvAddr(2),
      onAccept: (s) => s.setHandlers(echoRecorder(s, (chunk) => ssh.push(new TextDecoder().decode(chunk)))),
    });
    await h.start(config({
      tcpRequest: { inspectDelayMs: 5000, content: [{ action: "accept", condition: "if HTTP" }] },
      useBackends: [{ backend: "web", condition: "if HTTP" }],
    }));
    const web = await h.client();
    web.socket.write(enc("GET /x HT"));
    await h.clock.advance(100);
    web.socket.write(enc("TP/1.1\r\nhost: h\r\n\r\n"));
    await h.until(() => web.rec.text().includes("/x on 0"));
    assert.equal(origin.requests.length, 1);
    const other = await h.client();
    other.socket.write(enc("SSH-2.0-client\r\n"));
    await h.until(() => other.rec.text() === "SSH-2.0-client\r\n", 10_000);
    assert.deepEqual(ssh, ["SSH-2.0-client\r\n"]);
  });

  // HAProxy 2.6, same setup, an openssl ClientHello: `mux mux/<NOSRV> -1/-1/0 0 PR 1/1/0/0/0 0/0`
  // (and a 400 page to the client).
  it("TLS bytes routed to the HTTP backend are an HTTP parse error: PR, logged as HAProxy", async () => {
    const h = new Harness();
    await new Origin().listen(h.net, srvAddr(1));
    await h.start(config({ defaultBackend: "web" }));
    const c = await h.client();
    c.socket.write(clientHello({ sni: "a.test" }));
    await h.until(() => h.lines.length === 1);
    assert.match(h.lines[0]!, / mux mux\/<NOSRV> -1\/-1\/0 0 PR 1\/1\/0\/0\/0 0\/0$/);
    assert.match(c.rec.text(), /^HTTP\/1\.1 400 Bad request\r\n/);
  });
});
