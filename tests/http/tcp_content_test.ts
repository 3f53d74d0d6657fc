/**
 * `tcp-request content` rules in a `mode http` frontend (src/http_session.ts) on the in-memory
 * network: run on each request head, a kept-alive connection's too, before the `http-request`
 * rules; a `reject` closes without an answer and logs as HAProxy 2.6 does
 * (`fe/<NOSRV> -1/-1/-1/-1/0 -1 0 - - PR-- ... "<BADREQ>"`, `dreq` and `hrsp_other` counted,
 * `req_tot` not), observed on HAProxy 2.6.12.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { enc, type Recorder } from "../_helpers.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { TcpContentRule } from "../../src/config/tls_types.ts";
import type { Socket } from "../../src/net.ts";
import { Origin } from "./_origin.ts";
import { ended, httpConfig, httplog, statuses } from "./_httplog.ts";

type Fe = Partial<ProxyConfig["frontends"][number]>;

/** A harness with an origin on srvAddr(1), the proxy started with `content` rules on `fe`. */
async function setup(content: TcpContentRule[], fe: Fe = {}): Promise<{ h: Harness; origin: Origin }> {
  const h = new Harness();
  const origin = await new Origin().listen(h.net, srvAddr(1));
  await h.start(httpConfig({}, { tcpRequest: { content }, ...fe }));
  return { h, origin };
}

/** A client connection that records what it receives. */
async function client(h: Harness): Promise<{ socket: Socket; rec: Recorder; send: (s: string) => void }> {
  const { socket, rec } = await h.client();
  return { socket, rec, send: (s: string) => void socket.write(enc(s)) };
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;

/** `be timers status bytes term "req"` of an httplog line. */
function summary(line: string): string {
  const l = httplog(line);
  return `${l.be} ${l.timers} ${l.status} ${l.bytes} ${l.term} "${l.req}"`;
}

describe("tcp-request content in mode http", () => {
  it("reject if { src 127.0.0.1 }: closed without an answer, logged PR-- <BADREQ>, counted in dreq", async () => {
    const { h, origin } = await setup([{ action: "reject", condition: "if { src 127.0.0.1 }" }]);
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => ended(c.rec));
    assert.equal(c.rec.text(), "");
    assert.equal(origin.requests.length, 0);
    assert.deepEqual(h.lines.map(summary), ['fe/<NOSRV> -1/-1/-1/-1/0 -1 0 PR-- "<BADREQ>"']);
    const fe = h.proxy.frontends[0]!.counters;
    assert.deepEqual([fe.denied, fe.http.requests, fe.http.responses], [1, 0, [0, 0, 0, 0, 0, 1]]);
    await h.proxy.stop();
  });

  it("accept if COND: the request goes on to the backend as usual", async () => {
    const { h, origin } = await setup([
      { action: "accept", condition: "if { src 127.0.0.1 }" },
      { action: "reject" },
    ]);
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => c.rec.text().includes("/a on 0"));
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK"]);
    assert.equal(origin.requests.length, 1);
    assert.equal(h.lines.length, 1);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.status, l.term, l.req], ["be/s1", "200", "----", "GET /a HTTP/1.1"]);
    assert.equal(h.proxy.frontends[0]!.counters.denied, 0);
    await h.proxy.stop();
  });

  it("runs again on each request of a kept-alive connection, on its headers", async () => {
    const { h, origin } = await setup([{ action: "reject", condition: "if { req.hdr(x-bad) -m found }" }]);
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => c.rec.text().includes("/a on 0"));
    c.send(GET("/b", "x-bad: 1\r\n"));
    await h.until(() => ended(c.rec));
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK"]);
    assert.deepEqual(origin.requests.map((r) => r.line), ["GET /a HTTP/1.1"]);
    assert.equal(h.lines.length, 2);
    assert.equal(summary(h.lines[1]!), 'fe/<NOSRV> -1/-1/-1/-1/0 -1 0 PR-- "<BADREQ>"');
    const fe = h.proxy.frontends[0]!.counters;
    assert.deepEqual([fe.denied, fe.http.requests, fe.http.responses], [1, 1, [0, 1, 0, 0, 0, 1]]);
    await h.proxy.stop();
  });

  it("runs before the http-request rules", async () => {
    const { h } = await setup([{ action: "reject", condition: "if { path /x }" }], {
      httpRequest: [{ action: "deny", condition: "if { path_beg /x /d }" }],
    });
    const d = await client(h);
    d.send(GET("/d"));
    await h.until(() => statuses(d.rec).length === 1);
    assert.deepEqual(statuses(d.rec), ["HTTP/1.1 403 Forbidden"]);
    const c = await client(h);
    c.send(GET("/x"));
    await h.until(() => ended(c.rec));
    assert.equal(c.rec.text(), "");
    assert.deepEqual(h.lines.map((l) => httplog(l).term), ["PR--", "PR--"]);
    await h.proxy.stop();
  });

  it("layer 6 fetches read the parsed request: req.len its HTX size, req.payload nothing", async () => {
    const { h, origin } = await setup([
      { action: "accept", condition: "if { req.payload(0,3) -m str GET }" },
      { action: "accept", condition: "if { req.len gt 0 } { path /len }" },
      { action: "reject" },
    ]);
    const a = await client(h);
    a.send(GET("/len"));
    await h.until(() => a.rec.text().includes("/len on 0"));
    const b = await client(h);
    b.send(GET("/other"));
    await h.until(() => ended(b.rec));
    assert.equal(b.rec.text(), "");
    assert.equal(origin.requests.length, 1);
    await h.proxy.stop();
  });

  it("set-dst-port changes what dst_port reads for the rules after it and use_backend", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    const other = await new Origin().listen(h.net, srvAddr(2));
    const cfg = httpConfig({}, {
      tcpRequest: { content: [{ action: "set-dst-port", expr: "int(8443)" }] },
      useBackends: [{ backend: "be2", condition: "if { dst_port 8443 }" }],
    });
    await h.start({
      ...cfg,
      backends: [...cfg.backends, { ...cfg.backends[0]!, name: "be2", servers: [{ name: "s2", address: srvAddr(2) }] }],
    });
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => statuses(c.rec).length === 1);
    assert.deepEqual([origin.requests.length, other.requests.length], [0, 1]);
    assert.equal(httplog(h.lines[0]!).be, "be2/s2");
    await h.proxy.stop();
  });
});
