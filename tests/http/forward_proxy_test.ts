/**
 * Proxy mode (`option http_proxy`) on the in-memory network with a fake clock: absolute-URI
 * requests reach the origin they name (in origin-form, `Host` set, proxy headers removed),
 * CONNECT becomes a tunnel, the allow-list refuses with 403 (names resolving to private
 * addresses included), Basic proxy authentication answers 407, retries stay on the
 * destination, and the log shows `<NOSRV>`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FRONT, Harness } from "../_proxy_harness.ts";
import { enc, type Recorder, tcp } from "../_helpers.ts";
import type { BackendConfig, ProxyConfig } from "../../src/config/types.ts";
import type { Socket } from "../../src/net.ts";
import { Origin } from "./_origin.ts";
import { ended, httplog, statuses } from "./_httplog.ts";

const A = tcp("203.0.113.10", 8000);
const B = tcp("203.0.113.20", 8080);
const RAW = tcp("203.0.113.30", 443);
const PRIVATE = tcp("10.1.0.1", 8000);

function proxyConfig(be: Partial<BackendConfig> = {}): ProxyConfig {
  return {
    frontends: [{
      name: "fe",
      mode: "http",
      binds: [FRONT],
      defaultBackend: "fwd",
      log: { target: "stdout", format: "httplog" },
      clientTimeoutMs: 30_000,
    }],
    backends: [{
      name: "fwd",
      mode: "http",
      servers: [],
      timeouts: { connectMs: 5000, serverMs: 30_000, tunnelMs: 60_000 },
      forwardProxy: { allow: ["*.test:443,8000,8080"] },
      ...be,
    }],
  };
}

/** Origins at A (a.test), B (b.test) and PRIVATE (c.test, 10.1.0.1), an echo server at RAW (raw.test). */
async function setup(be: Partial<BackendConfig> = {}): Promise<{ h: Harness; a: Origin; b: Origin; p: Origin }> {
  const h = new Harness();
  h.net.setHost("a.test", [A.hostname]);
  h.net.setHost("b.test", [B.hostname]);
  h.net.setHost("c.test", [PRIVATE.hostname]);
  h.net.setHost("raw.test", [RAW.hostname]);
  const a = await new Origin().listen(h.net, A);
  const b = await new Origin().listen(h.net, B);
  const p = await new Origin().listen(h.net, PRIVATE);
  await h.server("raw", RAW);
  await h.start(proxyConfig(be));
  return { h, a, b, p };
}

async function client(h: Harness): Promise<{ socket: Socket; rec: Recorder; send: (s: string) => void }> {
  const { socket, rec } = await h.client();
  return { socket, rec, send: (s: string) => void socket.write(enc(s)) };
}

describe("proxy mode (option http_proxy)", () => {
  it("sends absolute-URI requests to the origins they name, in origin-form, one client connection", async () => {
    const { h, a, b } = await setup();
    const c = await client(h);
    c.send("GET http://a.test:8000/x?y=1 HTTP/1.1\r\nhost: a.test:8000\r\nproxy-connection: keep-alive\r\n\r\n");
    await h.until(() => c.rec.text().includes("/x?y=1 on 0"));
    c.send("GET http://B.test:8080?q HTTP/1.1\r\nuser-agent: t\r\n\r\n");
    await h.until(() => c.rec.text().includes("/?q on 0"));
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.equal(a.requests[0]!.line, "GET /x?y=1 HTTP/1.1");
    assert.equal(a.requests[0]!.headers.get("host"), "a.test:8000");
    assert.equal(a.requests[0]!.headers.has("proxy-connection"), false);
    // No Host from the client: set from the target (RFC 9112 3.2.2).
    assert.equal(b.requests[0]!.line, "GET /?q HTTP/1.1");
    assert.equal(b.requests[0]!.headers.get("host"), "b.test:8080");
    assert.equal(ended(c.rec), false);
    const logs = h.lines.map(httplog);
    assert.deepEqual(logs.map((l) => [l.be, l.status, l.term]), [
      ["fwd/<NOSRV>", "200", "----"],
      ["fwd/<NOSRV>", "200", "----"],
    ]);
    assert.equal(logs[0]!.req, "GET http://a.test:8000/x?y=1 HTTP/1.1");
    assert.equal(h.proxy.backends[0]!.counters.total, 2);
    await h.proxy.stop();
    assert.equal(h.proxy.counters.current, 0);
  });

  it("CONNECT: 200 Connection established, then bytes both ways until the ends, under <NOSRV>", async () => {
    const { h } = await setup();
    const c = await client(h);
    c.send("CONNECT raw.test:443 HTTP/1.1\r\nhost: raw.test:443\r\n\r\nearly");
    await h.until(() => c.rec.text().endsWith("early"));
    assert.equal(c.rec.text(), "HTTP/1.1 200 Connection established\r\n\r\nearly");
    c.send("ping");
    await h.until(() => c.rec.text().endsWith("earlyping"));
    const srv = h.servers.get("raw")!;
    assert.equal(srv.recorders[0]!.bytes, "earlyping".length, "nothing of the CONNECT reached the destination");
    c.socket.shutdownWrite();
    await h.until(() => ended(c.rec) && h.lines.length === 1);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.status, l.term, l.req], ["fwd/<NOSRV>", "200", "----", "CONNECT raw.test:443 HTTP/1.1"]);
    assert.equal(h.proxy.counters.current, 0);
    assert.equal(h.proxy.backends[0]!.counters.current, 0);
    await h.proxy.stop();
  });

  it("the allow-list: unknown names, ports and private addresses get 403 PR--, the client stays", async () => {
    const { h, a, p } = await setup();
    const c = await client(h);
    c.send("GET http://evil.example/ HTTP/1.1\r\n\r\n"); // no rule: refused before any lookup
    c.send("GET http://a.test:22/ HTTP/1.1\r\n\r\n"); // port not allowed
    c.send("GET http://c.test:8000/ HTTP/1.1\r\n\r\n"); // a name rule never reaches 10.1.0.1
    c.send("GET http://10.1.0.1:8000/ HTTP/1.1\r\n\r\n"); // nor does `*` a private literal
    c.send("CONNECT a.test:25 HTTP/1.1\r\n\r\n");
    await h.until(() => h.lines.length === 5);
    c.send("GET http://a.test:8000/ok HTTP/1.1\r\n\r\n");
    await h.until(() => c.rec.text().includes("/ok on 0"));
    assert.deepEqual(statuses(c.rec).slice(0, 5), Array(5).fill("HTTP/1.1 403 Forbidden"));
    assert.deepEqual(h.lines.slice(0, 5).map((l) => httplog(l).term), Array(5).fill("PR--"));
    assert.deepEqual([a.requests.length, p.requests.length], [1, 0]);
    assert.equal(h.net.connectAttempts(PRIVATE), 0);
    await h.proxy.stop();
  });

  it("an address rule reaches exactly the private network it names", async () => {
    const { h, p } = await setup({ forwardProxy: { allow: ["10.1.0.0/16:8000"] } });
    const c = await client(h);
    c.send("GET http://10.1.0.1:8000/in HTTP/1.1\r\n\r\n");
    await h.until(() => c.rec.text().includes("/in on 0"));
    c.send("GET http://c.test:8000/byname HTTP/1.1\r\n\r\n"); // resolves into the network: allowed
    await h.until(() => c.rec.text().includes("/byname on 1"));
    c.send("GET http://10.2.0.1:8000/out HTTP/1.1\r\n\r\n");
    await h.until(() => h.lines.length === 3);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"]);
    assert.equal(p.requests[0]!.headers.get("host"), "10.1.0.1:8000");
    await h.proxy.stop();
  });

  it("Basic proxy authentication: 407 with Proxy-Authenticate, LR--; good credentials pass and are not forwarded", async () => {
    const { h, a } = await setup({
      forwardProxy: { allow: ["*.test:8000"], auth: { realm: "office", users: { alice: "s3cret" } } },
    });
    const c = await client(h);
    c.send("GET http://a.test:8000/1 HTTP/1.1\r\n\r\n");
    await h.until(() => h.lines.length === 1);
    c.send(`GET http://a.test:8000/2 HTTP/1.1\r\nproxy-authorization: Basic ${btoa("alice:wrong")}\r\n\r\n`);
    await h.until(() => h.lines.length === 2);
    c.send(`GET http://a.test:8000/3 HTTP/1.1\r\nproxy-authorization: Basic ${btoa("alice:s3cret")}\r\n\r\n`);
    await h.until(() => c.rec.text().includes("/3 on 0"));
    assert.deepEqual(statuses(c.rec), [
      "HTTP/1.1 407 Unauthorized",
      "HTTP/1.1 407 Unauthorized",
      "HTTP/1.1 200 OK",
    ]);
    assert.match(c.rec.text(), /\r\nproxy-authenticate: Basic realm="office"\r\n/);
    assert.deepEqual(h.lines.map((l) => httplog(l).term), ["LR--", "LR--", "----"]);
    assert.equal(a.requests.length, 1);
    assert.equal(a.requests[0]!.headers.has("proxy-authorization"), false);
    await h.proxy.stop();
  });

  it("an origin-form request gets 400 (and the close); a name that does not resolve gets 503 SC--", async () => {
    const { h } = await setup();
    const c = await client(h);
    c.send("GET /not-absolute HTTP/1.1\r\nhost: a.test\r\n\r\n");
    await h.until(() => h.lines.length === 1 && ended(c.rec));
    const d = await client(h);
    d.send("GET http://nowhere.test:8000/ HTTP/1.1\r\n\r\n");
    await h.until(() => h.lines.length === 2);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 400 Bad request"]);
    assert.deepEqual(statuses(d.rec), ["HTTP/1.1 503 Service Unavailable"]);
    assert.deepEqual(h.lines.map((l) => httplog(l).term), ["PR--", "SC--"]);
    await h.proxy.stop();
  });

  it("connect retries stay on the destination: 1 + retries attempts, then 503 SC-- with %rc", async () => {
    const h = new Harness();
    h.net.setHost("down.test", ["203.0.113.40"]);
    await h.start(proxyConfig({ retries: 2, redispatch: -1 }));
    const c = await client(h);
    c.send("GET http://down.test:8000/ HTTP/1.1\r\n\r\n");
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 503 Service Unavailable"]);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.term, l.conns.split("/")[4]], ["fwd/<NOSRV>", "SC--", "2"]);
    assert.equal(h.net.connectAttempts(tcp("203.0.113.40", 8000)), 3);
    assert.equal(h.proxy.backends[0]!.counters.retries, 2);
    assert.equal(h.proxy.backends[0]!.counters.redispatches, 0);
    await h.proxy.stop();
  });
});
