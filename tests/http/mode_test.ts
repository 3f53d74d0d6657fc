/**
 * HTTP mode end to end on the in-memory network with a fake clock: keep-alive on both sides,
 * pipelining, server connection reuse (`http-reuse`), connection modes, the errors the proxy
 * produces with their log lines (HAProxy 2.6's, see docs/http.md), timeouts, tunnels and stop.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { enc, type Recorder } from "../_helpers.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { Socket } from "../../src/net.ts";
import { ok, Origin } from "./_origin.ts";
import { ended, httpConfig, httplog, statuses } from "./_httplog.ts";
import { DRAIN_IDLE_MS } from "../../src/http_session.ts";

type Fe = Partial<ProxyConfig["frontends"][number]>;
type Be = Partial<ProxyConfig["backends"][number]>;

/** A harness with an origin on srvAddr(1) and the proxy started. */
async function setup(be: Be = {}, fe: Fe = {}): Promise<{ h: Harness; origin: Origin }> {
  const h = new Harness();
  const origin = await new Origin().listen(h.net, srvAddr(1));
  await h.start(httpConfig(be, fe));
  return { h, origin };
}

/** A client connection that records what it receives. */
async function client(h: Harness): Promise<{ socket: Socket; rec: Recorder; send: (s: string) => void }> {
  const { socket, rec } = await h.client();
  return { socket, rec, send: (s: string) => void socket.write(enc(s)) };
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;

describe("HTTP mode", () => {
  it("keeps both sides alive: two requests, one client and one server connection, two log lines", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => c.rec.text().includes("/a on 0"));
    c.send(GET("/b"));
    await h.until(() => c.rec.text().includes("/b on 0"));
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.equal(origin.sockets.length, 1);
    assert.equal(ended(c.rec), false);
    assert.equal(h.lines.length, 2);
    const l = httplog(h.lines[1]!);
    assert.deepEqual([l.be, l.status, l.term, l.req], ["be/s1", "200", "----", "GET /b HTTP/1.1"]);
    const srv = h.proxy.backends[0]!.servers[0]!;
    assert.equal(srv.counters.total, 2);
    // Counters: requests and 2xx on the frontend, backend and server; one connection opened, reused once.
    for (const c of [h.proxy.frontends[0]!.counters, h.proxy.backends[0]!.counters, srv.counters]) {
      assert.deepEqual([c.http.requests, c.http.responses], [2, [0, 2, 0, 0, 0, 0]]);
    }
    assert.deepEqual([srv.pool!.counters.opened, srv.pool!.counters.reused], [1, 1]);
    await h.proxy.stop();
  });

  it("answers pipelined requests in order, one at a time over one server connection", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send(GET("/1") + GET("/2") + GET("/3"));
    await h.until(() => c.rec.text().includes("/3 on 0"));
    const t = c.rec.text();
    assert.ok(t.indexOf("/1 on 0") < t.indexOf("/2 on 0") && t.indexOf("/2 on 0") < t.indexOf("/3 on 0"));
    assert.deepEqual(origin.requests.map((r) => r.line), ["GET /1 HTTP/1.1", "GET /2 HTTP/1.1", "GET /3 HTTP/1.1"]);
    assert.equal(origin.sockets.length, 1);
    await h.proxy.stop();
  });

  it("http-reuse safe: a client's first request never takes an idle connection, later ones do", async () => {
    const { h, origin } = await setup();
    const a = await client(h);
    a.send(GET("/a1"));
    await h.until(() => a.rec.text().includes("/a1 on 0"));
    // b's first request opens its own connection while a's is idle and could serve it.
    const b = await client(h);
    const origin1 = origin.respond;
    origin.respond = (r) => (r.path === "/b1" ? "hang" : origin1(r));
    b.send(GET("/b1"));
    await h.until(() => origin.requests.length === 2);
    assert.equal(origin.requests[1]!.conn, 1);
    // Meanwhile a's second request takes its idle connection (both in use at once now).
    a.send(GET("/a2"));
    await h.until(() => a.rec.text().includes("/a2 on 0"));
    origin.sockets[1]!.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nb1"));
    await h.until(() => b.rec.text().endsWith("b1"));
    b.send(GET("/b2"));
    // Both connections are idle in the pool; the most recent (1, b's own) is taken first.
    await h.until(() => b.rec.text().includes("/b2 on 1"));
    assert.equal(origin.sockets.length, 2);
    const pool = h.backends[0]!.servers[0]!.pool!;
    assert.equal(pool.counters.reused, 2);
    await h.proxy.stop();
  });

  it("idle connections are kept up to what the server needed at once, not one per past client", async () => {
    const { h, origin } = await setup();
    // Ten clients one after the other, one request each: under http-reuse safe each first
    // request opens its own server connection, but one at a time was ever needed.
    for (let i = 0; i < 10; i++) {
      const c = await client(h);
      c.send(GET(`/${i}`, "connection: close\r\n"));
      await h.until(() => ended(c.rec));
    }
    await h.until(() => origin.closed === 9);
    assert.equal(origin.sockets.length, 10);
    assert.equal(h.backends[0]!.servers[0]!.pool!.size, 1);
    await h.proxy.stop();
  });

  it("http-reuse always: a new client's first request takes an idle connection", async () => {
    const { h, origin } = await setup({ httpReuse: "always" });
    const a = await client(h);
    a.send(GET("/a1"));
    await h.until(() => a.rec.text().includes("/a1 on 0"));
    const b = await client(h);
    b.send(GET("/b1"));
    await h.until(() => b.rec.text().includes("/b1 on 0"));
    assert.equal(origin.sockets.length, 1);
    await h.proxy.stop();
  });

  it("http-server-close: a new server connection per request, the client kept", async () => {
    const { h, origin } = await setup({ httpConnectionMode: "server-close" });
    const c = await client(h);
    c.send(GET("/1"));
    await h.until(() => c.rec.text().includes("/1 on 0"));
    c.send(GET("/2"));
    await h.until(() => c.rec.text().includes("/2 on 1"));
    assert.equal(ended(c.rec), false, "the client stays alive");
    assert.equal(origin.requests[0]!.headers.get("connection"), "close");
    await h.proxy.stop();
  });

  it("http-reuse never: a client's connection serves only its own requests", async () => {
    const { h, origin } = await setup({ httpReuse: "never" });
    const a = await client(h);
    a.send(GET("/a1"));
    await h.until(() => a.rec.text().includes("/a1 on 0"));
    const b = await client(h);
    b.send(GET("/b1"));
    await h.until(() => b.rec.text().includes("/b1 on 1"));
    a.send(GET("/a2"));
    b.send(GET("/b2"));
    await h.until(() => a.rec.text().includes("/a2 on 0") && b.rec.text().includes("/b2 on 1"));
    assert.equal(origin.sockets.length, 2);
    assert.equal(h.backends[0]!.servers[0]!.pool!.size, 0, "nothing in the shared pool");
    a.socket.shutdownWrite();
    await h.until(() => origin.closed === 1, 10_000);
    await h.proxy.stop();
  });

  it("a response asking NTLM authentication binds the server connection to its client", async () => {
    const { h, origin } = await setup({ httpReuse: "always" });
    origin.respond = (r) =>
      r.path === "/login"
        ? "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: NTLM TlRMTVNT\r\ncontent-length: 0\r\n\r\n"
        : ok(r);
    const a = await client(h);
    a.send(GET("/login"));
    await h.until(() => h.lines.length === 1);
    const b = await client(h);
    b.send(GET("/other"));
    await h.until(() => b.rec.text().includes("/other on 1"), 10_000);
    a.send(GET("/again"));
    await h.until(() => a.rec.text().includes("/again on 0"));
    await h.proxy.stop();
  });

  it("Connection: close from the client: stripped toward the server, echoed to the client, then closed", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send(GET("/a", "connection: close\r\n") + GET("/ignored"));
    await h.until(() => ended(c.rec));
    assert.match(c.rec.text(), /^HTTP\/1\.1 200 OK\r\n(.*\r\n)*connection: close\r\n\r\n\/a on 0$/);
    assert.equal(origin.requests.length, 1);
    assert.equal(origin.requests[0]!.headers.has("connection"), false);
    // The server connection was parked: the client's close did not cost it.
    assert.equal(h.backends[0]!.servers[0]!.pool!.size, 1);
    await h.proxy.stop();
  });

  it("HTTP/1.0 client: keep-alive toward the server, connection: close to the client, closed", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send("GET /old HTTP/1.0\r\n\r\n");
    await h.until(() => ended(c.rec));
    assert.match(c.rec.text(), /\/old on 0$/);
    // HAProxy says `close` to the HTTP/1.0 client because the response is HTTP/1.1.
    assert.match(c.rec.text(), /connection: close\r\n/);
    assert.equal(origin.requests[0]!.headers.get("connection"), "keep-alive");
    await h.proxy.stop();
  });

  it("HTTP/1.0 client asking keep-alive: echoed, kept", async () => {
    const { h } = await setup();
    const c = await client(h);
    c.send("GET /1 HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
    await h.until(() => c.rec.text().includes("/1 on 0"));
    assert.match(c.rec.text(), /connection: keep-alive\r\n/);
    assert.equal(ended(c.rec), false);
    await h.proxy.stop();
  });

  it("option httpclose: connection: close both ways, both connections closed", async () => {
    const { h, origin } = await setup({}, { httpConnectionMode: "close" });
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => ended(c.rec));
    assert.match(c.rec.text(), /connection: close\r\n/);
    assert.equal(origin.requests[0]!.headers.get("connection"), "close");
    await h.until(() => origin.closed === 1);
    await h.proxy.stop();
  });

  it("re-frames chunked bodies both ways and forwards trailers", async () => {
    const { h, origin } = await setup();
    origin.respond = () => "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
    const c = await client(h);
    c.send(
      "POST /up HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n2;e=v\r\nhi\r\na\r\n0123456789\r\n0\r\n\r\n",
    );
    await h.until(() => c.rec.text().endsWith("\r\n\r\n") && c.rec.text().includes("x-t: 1"));
    // What one read brought is one chunk, as HAProxy re-chunks it.
    assert.equal(origin.requests[0]!.body, "C\r\nhi0123456789\r\n0\r\n\r\n");
    assert.match(c.rec.text(), /\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n$/);
    await h.proxy.stop();
  });

  it("HEAD, 204 and 304 responses have no body; the connection goes on", async () => {
    const { h, origin } = await setup();
    origin.respond = (r) =>
      r.path === "/204"
        ? "HTTP/1.1 204 No Content\r\n\r\n"
        : r.path === "/304"
        ? "HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n"
        : "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n";
    const c = await client(h);
    c.send("HEAD /h HTTP/1.1\r\nhost: x\r\n\r\n" + GET("/204") + GET("/304") + GET("/last"));
    await h.until(() => h.lines.length === 4);
    assert.deepEqual(statuses(c.rec), [
      "HTTP/1.1 200 OK",
      "HTTP/1.1 204 No Content",
      "HTTP/1.1 304 Not Modified",
      "HTTP/1.1 200 OK",
    ]);
    assert.equal(origin.sockets.length, 1);
    await h.proxy.stop();
  });

  it("forwards 100-continue ahead of the final response", async () => {
    const { h, origin } = await setup();
    origin.respond = () => "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";
    const c = await client(h);
    c.send("PUT /p HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\nok");
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"]);
    assert.equal(origin.requests[0]!.headers.get("expect"), "100-continue");
    await h.proxy.stop();
  });

  it("a malformed request: canned 400 with Connection: close, PR-- and <BADREQ>, nothing sent to the server", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send("GET / HTTP/1.1\r\nhost : x\r\n\r\n");
    await h.until(() => ended(c.rec));
    assert.match(
      c.rec.text(),
      /^HTTP\/1\.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\n/,
    );
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.timers, l.status, l.bytes, l.term, l.req], [
      "fe/<NOSRV>",
      "-1/-1/-1/-1/0",
      "400",
      "0",
      "PR--",
      "<BADREQ>",
    ]);
    assert.equal(origin.sockets.length, 0);
    await h.proxy.stop();
  });

  it("http-request deny: 403 and the client stays alive", async () => {
    const { h } = await setup({}, { httpRequest: [{ action: "deny", condition: "if { path_beg /admin }" }] });
    const c = await client(h);
    c.send(GET("/admin/x"));
    await h.until(() => h.lines.length === 1);
    c.send(GET("/ok"));
    await h.until(() => c.rec.text().includes("/ok on 0"));
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 403 Forbidden", "HTTP/1.1 200 OK"]);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.timers, l.status, l.term], ["fe/<NOSRV>", "0/-1/-1/-1/0", "403", "PR--"]);
    await h.proxy.stop();
  });

  it("use_backend chooses the backend per request", async () => {
    const h = new Harness();
    const o1 = await new Origin().listen(h.net, srvAddr(1));
    const o2 = await new Origin().listen(h.net, srvAddr(2));
    const cfg = httpConfig();
    await h.start({
      frontends: [{ ...cfg.frontends[0]!, useBackends: [{ backend: "api", condition: "if { path_beg /api }" }] }],
      backends: [cfg.backends[0]!, {
        ...cfg.backends[0]!,
        name: "api",
        servers: [{ name: "a1", address: srvAddr(2) }],
      }],
    });
    const c = await client(h);
    c.send(GET("/api/x") + GET("/www"));
    await h.until(() => h.lines.length === 2);
    assert.deepEqual([o1.requests.length, o2.requests.length], [1, 1]);
    assert.deepEqual(h.lines.map((l) => httplog(l).be), ["api/a1", "be/s1"]);
    await h.proxy.stop();
  });

  it("timeout http-request: a partial head gets a 408 and cR--", async () => {
    const { h } = await setup({}, { httpRequestTimeoutMs: 2000 });
    const c = await client(h);
    c.send("GET / HTTP/1.1\r\nhost");
    await h.until(() => ended(c.rec));
    assert.match(c.rec.text(), /^HTTP\/1\.1 408 Request Time-out\r\n/);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.status, l.term, l.req, l.timers], ["408", "cR--", "<BADREQ>", "-1/-1/-1/-1/2000"]);
    await h.proxy.stop();
  });

  it("timeout http-keep-alive: an idle kept-alive connection closes silently", async () => {
    const { h } = await setup({}, { httpKeepAliveTimeoutMs: 1000, httpRequestTimeoutMs: 5000 });
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    const t0 = h.clock.now();
    await h.until(() => ended(c.rec));
    assert.equal(h.clock.now() - t0, 1000);
    assert.equal(h.lines.length, 1, "no log line for the idle close");
    assert.equal(statuses(c.rec).length, 1);
    await h.proxy.stop();
  });

  it("timeout server before the response head: 504 sH--, the client stays alive", async () => {
    const { h, origin } = await setup({ timeouts: { serverMs: 1000 } });
    origin.respond = (r) => (r.path === "/slow" ? "hang" : ok(r));
    const c = await client(h);
    c.send(GET("/slow"));
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 504 Gateway Time-out"]);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.status, l.term], ["504", "sH--"]);
    assert.equal(ended(c.rec), false);
    c.send(GET("/next"));
    await h.until(() => c.rec.text().includes("/next on 1"));
    await h.proxy.stop();
  });

  it("one runtime timer serves a keep-alive connection's waits and requests; a shorter timeout than the one left strikes on time", async () => {
    const h = new Harness();
    const o1 = await new Origin().listen(h.net, srvAddr(1));
    const o2 = await new Origin().listen(h.net, srvAddr(2));
    o2.respond = () => "hang";
    const cfg = httpConfig();
    await h.start({
      frontends: [{ ...cfg.frontends[0]!, useBackends: [{ backend: "short", condition: "if { path_beg /short }" }] }],
      backends: [cfg.backends[0]!, {
        ...cfg.backends[0]!,
        name: "short",
        servers: [{ name: "b1", address: srvAddr(2) }],
        timeouts: { connectMs: 5000, serverMs: 1000 },
      }],
    });
    let timers = 0;
    const setTimer = h.clock.setTimer.bind(h.clock);
    h.clock.setTimer = (fn, ms) => (timers++, setTimer(fn, ms));
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    const first = timers;
    for (let i = 2; i <= 5; i++) {
      c.send(GET(`/a${i}`));
      await h.until(() => h.lines.length === i);
    }
    // The keep-alive waits and the transactions after the first adopt the timer the first one
    // left (30 s from a start no later than theirs): no runtime timer set for them.
    assert.equal(timers, first, "no timer set after the first request");
    assert.equal(o1.requests.length, 5);
    // The timer left is due 30 s after the first request; a request to `short` needs 1 s.
    const t0 = h.clock.now();
    c.send(GET("/short"));
    await h.until(() => h.lines.length === 6);
    assert.equal(h.clock.now() - t0, 1000);
    assert.deepEqual([httplog(h.lines[5]!).status, httplog(h.lines[5]!).term], ["504", "sH--"]);
    // A last request leaves its timer pending, which the keep-alive wait takes over; the
    // client's close ends the session, which clears it: only the pools' timers stay.
    c.send(GET("/a7"));
    await h.until(() => h.lines.length === 7);
    const pending = h.clock.pending;
    c.socket.close();
    await h.until(() => h.proxy.frontends[0]!.counters.current === 0);
    assert.equal(h.clock.pending, pending - 1, "the connection's one timer cleared");
    await h.proxy.stop();
  });

  it("an invalid response: 502 PH--; a server closing without a byte: 502 SH--", async () => {
    const { h, origin } = await setup();
    origin.respond = (r) => (r.path === "/junk" ? "HTTP/1.1 2x0 OK\r\n\r\n" : r.path === "/close" ? "close" : ok(r));
    const c = await client(h);
    c.send(GET("/junk"));
    await h.until(() => h.lines.length === 1);
    c.send(GET("/close"));
    await h.until(() => h.lines.length === 2);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 502 Bad Gateway", "HTTP/1.1 502 Bad Gateway"]);
    assert.deepEqual(h.lines.map((l) => httplog(l).term), ["PH--", "SH--"]);
    await h.proxy.stop();
  });

  it("no server: 503 SC--, keep-alive", async () => {
    const h = new Harness();
    await h.start(httpConfig({ retries: 0, timeouts: { connectMs: 100 } }));
    const c = await client(h);
    c.send(GET("/x"));
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 503 Service Unavailable"]);
    assert.equal(httplog(h.lines[0]!).term, "SC--");
    assert.equal(ended(c.rec), false);
    await h.proxy.stop();
  });

  it("an idle connection the server closes leaves the pool and costs no request", async () => {
    const { h, origin } = await setup();
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    const pool = h.backends[0]!.servers[0]!.pool!;
    assert.equal(pool.size, 1);
    origin.sockets[0]!.close();
    await h.until(() => pool.size === 0);
    assert.equal(pool.counters.closedByServer, 1);
    c.send(GET("/b"));
    await h.until(() => c.rec.text().includes("/b on 1"));
    await h.proxy.stop();
  });

  it("a GET that fails on a reused connection is sent again on a new one; a POST gets 502", async () => {
    const { h, origin } = await setup();
    // Connection 0 dies on its second request without a byte: the race of a server closing an
    // idle connection while the proxy reuses it.
    origin.respond = (
      r,
    ) => (r.conn === 0 && origin.requests.filter((q) => q.conn === 0).length === 2 ? "close" : ok(r));
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    c.send(GET("/b"));
    await h.until(() => h.lines.length === 2);
    assert.match(c.rec.text(), /\/b on 1$/);
    assert.equal(httplog(h.lines[1]!).term, "----");

    origin.respond = (r) => (r.conn === 1 ? "close" : ok(r));
    c.send("POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nx");
    await h.until(() => h.lines.length === 3);
    assert.equal(statuses(c.rec)[2], "HTTP/1.1 502 Bad Gateway");
    assert.equal(httplog(h.lines[2]!).term, "SH--");
    await h.proxy.stop();
  });

  it("an Upgrade answered 101 becomes a tunnel; either side's end closes both", async () => {
    const { h, origin } = await setup({ timeouts: { serverMs: 30_000, tunnelMs: 60_000 } });
    origin.respond = () =>
      "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: a\r\n\r\n";
    const c = await client(h);
    c.send("GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: k\r\n\r\n");
    await h.until(() => c.rec.text().includes("101 Switching"));
    c.send("frame1");
    await h.until(() => c.rec.text().endsWith("echo:frame1"));
    c.socket.shutdownWrite();
    await h.until(() => ended(c.rec));
    await h.until(() => origin.closed === 1);
    assert.deepEqual(origin.tunnelled, ["frame1"]);
    assert.equal(httplog(h.lines[0]!).status, "101");
    await h.proxy.stop();
  });

  it("stop: an idle connection gets DRAIN_IDLE_MS for a last request, a request in progress finishes; both with connection: close", async () => {
    const { h, origin } = await setup();
    origin.respond = (r) => (r.path === "/slow" ? "hang" : ok(r));
    const idle = await client(h);
    idle.send(GET("/a"));
    const quiet = await client(h);
    quiet.send(GET("/q"));
    await h.until(() => h.lines.length === 2);
    const busy = await client(h);
    busy.send(GET("/slow"));
    await h.until(() => origin.requests.length === 3);
    const stopped = h.proxy.stop({ graceMs: 10_000 });
    await h.clock.advance(DRAIN_IDLE_MS - 1);
    assert.ok(!ended(idle.rec) && !ended(quiet.rec), "idle connections wait for a last request");
    // A request sent as the drain starts is served, then the connection closes.
    idle.send(GET("/last"));
    await h.until(() => ended(idle.rec));
    assert.match(idle.rec.text(), /connection: close\r\n\r\n[^]*$/);
    assert.equal(h.lines.filter((l) => l.includes("GET /last")).length, 1);
    // One that sends nothing is closed silently once the window is over.
    const t0 = h.clock.now();
    await h.until(() => ended(quiet.rec));
    assert.ok(h.clock.now() - t0 <= 1, "closed at the end of the window");
    origin.sockets[2]!.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    await h.until(() => ended(busy.rec));
    await stopped;
    assert.match(busy.rec.text(), /connection: close\r\n\r\nok$/);
    assert.equal(h.lines.length, 4, "no line for the connection closed silently");
    assert.equal(h.proxy.counters.current, 0);
  });

  it("option abortonclose: a client FIN while queued abandons the request (CQ); without it, it is served", async () => {
    for (const abortOnClose of [true, false]) {
      const { h, origin } = await setup({
        abortOnClose,
        servers: [{ name: "s1", address: srvAddr(1), maxconn: 1 }],
        timeouts: { connectMs: 5000, serverMs: 30_000, queueMs: 30_000 },
      });
      origin.respond = (r) => (r.path === "/slow" ? "hang" : ok(r));
      const first = await client(h);
      first.send(GET("/slow"));
      await h.until(() => origin.requests.length === 1);
      const second = await client(h);
      second.send(GET("/queued"));
      await h.clock.advance(0);
      assert.equal(h.proxy.backends[0]!.counters.queueCurrent + h.backends[0]!.servers[0]!.queued, 1);
      second.socket.shutdownWrite();
      await h.clock.advance(0);
      origin.sockets[0]!.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
      await h.until(() => h.lines.length === 2);
      const queued = httplog(h.lines.find((l) => l.includes("/queued"))!);
      if (abortOnClose) {
        assert.deepEqual([queued.status, queued.term], ["-1", "CQ--"]);
        assert.equal(origin.requests.length, 1);
      } else {
        assert.deepEqual([queued.status, queued.term], ["200", "----"]);
        assert.match(second.rec.text(), /\/queued on 1$/);
      }
      await h.proxy.stop();
    }
  });

  it("option abortonclose: a FIN while connecting gets 400 CH--; once the request is sent, the response", async () => {
    const { h, origin } = await setup({ abortOnClose: true });
    origin.respond = (r) => (r.path === "/slow" ? "hang" : ok(r));
    const c = await client(h);
    // The request and the FIN before the server connection is up.
    c.send(GET("/now"));
    c.socket.shutdownWrite();
    await h.until(() => ended(c.rec));
    assert.match(c.rec.text(), /^HTTP\/1\.1 400 Bad request\r\n/);
    assert.deepEqual([httplog(h.lines[0]!).status, httplog(h.lines[0]!).term], ["400", "CH--"]);
    // Sent, then the FIN: the response still comes.
    const d = await client(h);
    d.send(GET("/slow"));
    await h.until(() => origin.requests.some((r) => r.path === "/slow"));
    d.socket.shutdownWrite();
    await h.clock.advance(0);
    const slow = origin.requests.find((r) => r.path === "/slow")!;
    origin.sockets[slow.conn]!.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    await h.until(() => ended(d.rec));
    assert.match(d.rec.text(), /^HTTP\/1\.1 200 OK\r\n[^]*ok$/);
    await h.proxy.stop();
  });

  it("option http-buffer-request: 100-continue from the proxy, the whole body before connecting", async () => {
    const { h, origin } = await setup({ httpBufferRequest: true });
    const c = await client(h);
    c.send("PUT /up HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 10\r\n\r\n");
    await h.until(() => c.rec.text() === "HTTP/1.1 100 Continue\r\n\r\n");
    assert.equal(origin.sockets.length, 0, "no server connection while the body is awaited");
    c.send("01234");
    await h.clock.advance(0);
    assert.equal(origin.sockets.length, 0);
    c.send("56789");
    await h.until(() => h.lines.length === 1);
    assert.equal(origin.requests[0]!.body, "0123456789");
    assert.equal(origin.requests[0]!.headers.has("expect"), false);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK"]);
    // A body that does not come: 408 cR-- after timeout http-request.
    await h.proxy.stop();
    const slow = await setup({ httpBufferRequest: true }, { httpRequestTimeoutMs: 1000 });
    const d = await client(slow.h);
    d.send("POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nab");
    await slow.h.until(() => ended(d.rec));
    assert.match(d.rec.text(), /^HTTP\/1\.1 408 Request Time-out\r\n/);
    assert.equal(httplog(slow.h.lines[0]!).term, "cR--");
    assert.equal(slow.origin.sockets.length, 0);
    await slow.h.proxy.stop();
  });

  it("a client that aborts during the response: CD--, the server connection is not reused", async () => {
    const { h, origin } = await setup();
    origin.respond = () => "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => c.rec.text().endsWith("abc"));
    c.socket.abort();
    await h.until(() => h.lines.length === 1);
    assert.equal(httplog(h.lines[0]!).term, "CD--");
    await h.until(() => origin.closed === 1);
    assert.equal(h.backends[0]!.servers[0]!.pool!.size, 0);
    await h.proxy.stop();
  });
});

describe("HTTP mode: balancing and persistence", () => {
  /** Two servers s1, s2 with origins answering `<path> from <server>`. */
  async function two(be: Be): Promise<{ h: Harness; origins: Origin[] }> {
    const h = new Harness();
    const origins = [await new Origin().listen(h.net, srvAddr(1)), await new Origin().listen(h.net, srvAddr(2))];
    origins.forEach((o, i) => {
      o.respond = (r) => ok({ ...r, path: `${r.path} from s${i + 1}` });
    });
    await h.start(httpConfig({
      servers: [{ name: "s1", address: srvAddr(1), cookie: "a" }, { name: "s2", address: srvAddr(2), cookie: "b" }],
      ...be,
    }));
    return { h, origins };
  }

  it("balance uri: one URI, one server; the hash spreads URIs", async () => {
    const { h } = await two({ balance: { kind: "uri" } });
    const c = await client(h);
    const paths = ["/x", "/y", "/z", "/w", "/x", "/y", "/z", "/w"];
    for (const p of paths) c.send(GET(p));
    await h.until(() => h.lines.length === paths.length);
    const served = h.lines.map((l) => httplog(l).be);
    for (let i = 0; i < 4; i++) assert.equal(served[i], served[i + 4], `${paths[i]} twice to one server`);
    assert.equal(new Set(served).size, 2, `both servers serve some URIs: ${served}`);
    await h.proxy.stop();
  });

  it("cookie insert: the response names the server, the next request goes back to it, %tsc says so", async () => {
    const { h } = await two({
      balance: { kind: "roundrobin" },
      cookie: { name: "SRV", mode: "insert", indirect: true, nocache: true },
    });
    const c = await client(h);
    c.send(GET("/first"));
    await h.until(() => h.lines.length === 1);
    const first = httplog(h.lines[0]!);
    const srv = first.be === "be/s1" ? "a" : "b";
    assert.match(c.rec.text(), new RegExp(`set-cookie: SRV=${srv}; path=/\\r\\n`));
    assert.equal(first.term, "--NI");
    // Four requests carrying the cookie: all to that server, and the cookie is not forwarded.
    for (let i = 0; i < 4; i++) c.send(GET(`/again${i}`, `cookie: SRV=${srv}\r\n`));
    await h.until(() => h.lines.length === 5);
    for (const l of h.lines.slice(1)) assert.deepEqual([httplog(l).be, httplog(l).term], [first.be, "--VN"]);
    await h.proxy.stop();
  });

  it("observe layer7: 5xx responses take a server DOWN after error-limit", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    origin.respond = () => "HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n";
    await h.start(httpConfig({
      servers: [{
        name: "s1",
        address: srvAddr(1),
        check: { interMs: 60_000 },
        observe: "layer7",
        errorLimit: 2,
        onError: "mark-down",
      }],
    }));
    const c = await client(h);
    c.send(GET("/1") + GET("/2"));
    await h.until(() => h.proxy.backends[0]!.servers[0]!.state === "DOWN");
    assert.ok(h.lines.some((l) => /Server be\/s1 is DOWN/.test(l)), h.lines.join("\n"));
    await h.proxy.stop();
  });
});
