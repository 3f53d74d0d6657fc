/**
 * `retry-on` (layer-7 retries) on the in-memory network with a fake clock: each condition
 * triggers a replay of the request on a new connection, counted in `retries` and `%rc`,
 * following `option redispatch`; requests that were not received whole, or are larger than
 * 16 KiB, are never replayed; `retry-on none` does not even retry a failed connect.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { enc, type Recorder } from "../_helpers.ts";
import type { BackendConfig, RetryOnConfig } from "../../src/config/types.ts";
import type { Socket } from "../../src/net.ts";
import { ok, Origin, type OriginAction, type OriginRequest } from "./_origin.ts";
import { httpConfig, httplog, statuses } from "./_httplog.ts";
import { compileRetryOn, REPLAY_BUFFER_BYTES } from "../../src/http/retry_on.ts";

/** One origin on srvAddr(1) answering `first` to the first request, then `ok`. */
async function setup(
  retryOn: RetryOnConfig | undefined,
  first: OriginAction | ((r: OriginRequest) => OriginAction),
  be: Partial<BackendConfig> = {},
): Promise<{ h: Harness; origin: Origin }> {
  const h = new Harness();
  const origin = await new Origin().listen(h.net, srvAddr(1));
  let n = 0;
  origin.respond = (r) => (n++ === 0 ? (typeof first === "function" ? first(r) : first) : ok(r));
  await h.start(httpConfig({ ...(retryOn !== undefined ? { retryOn } : {}), ...be }));
  return { h, origin };
}

async function client(h: Harness): Promise<{ socket: Socket; rec: Recorder; send: (s: string) => void }> {
  const { socket, rec } = await h.client();
  return { socket, rec, send: (s: string) => void socket.write(enc(s)) };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;
const rc = (line: string) => httplog(line).conns.split("/")[4];

describe("retry-on", () => {
  for (
    const [cond, first] of [
      ["empty-response", "close"],
      ["junk-response", "HTTP/1.1 2x0 OK\r\n\r\n"],
      ["junk-response", "HTTP/1.1 200 OK\r\ncontent-le"],
    ] as const
  ) {
    it(`${cond}: ${JSON.stringify(first)} from the server, the request goes again on a new connection`, async () => {
      const { h, origin } = await setup([cond], first === "close" ? "close" : (_r) => `${first}`);
      if (first.endsWith("content-le")) {
        // A head cut short by the server's close.
        origin.respond = (() => {
          let n = 0;
          return (r: OriginRequest) => {
            if (n++ > 0) return ok(r);
            origin.sockets[r.conn]!.write(enc(first));
            return "close";
          };
        })();
      }
      const c = await client(h);
      c.send(GET("/a"));
      await h.until(() => h.lines.length === 1);
      assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK"]);
      assert.match(c.rec.text(), /\/a on 1$/);
      const l = httplog(h.lines[0]!);
      assert.deepEqual([l.be, l.status, l.term, rc(h.lines[0]!)], ["be/s1", "200", "----", "1"]);
      assert.equal(h.proxy.backends[0]!.counters.retries, 1);
      assert.equal(h.proxy.backends[0]!.servers[0]!.counters.retries, 1);
      await h.proxy.stop();
    });
  }

  it("without it, an empty response is final: 502 SH--", async () => {
    const { h } = await setup(undefined, "close");
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    assert.deepEqual([statuses(c.rec)[0], httplog(h.lines[0]!).term, rc(h.lines[0]!)], [
      "HTTP/1.1 502 Bad Gateway",
      "SH--",
      "0",
    ]);
    await h.proxy.stop();
  });

  it("response-timeout: timeout server before the head, then the request goes again", async () => {
    const { h } = await setup(["response-timeout"], "hang", { timeouts: { connectMs: 5000, serverMs: 1000 } });
    const c = await client(h);
    const t0 = h.clock.now();
    c.send(GET("/slow"));
    await h.until(() => h.lines.length === 1);
    assert.match(c.rec.text(), /^HTTP\/1\.1 200 OK\r\n[^]*\/slow on 1$/);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.term, rc(h.lines[0]!)], ["----", "1"]);
    assert.equal(h.clock.now() - t0, 1000);
    await h.proxy.stop();
  });

  it("a status it lists is retried before any rule; one it does not list is forwarded", async () => {
    const unavailable = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    const { h, origin } = await setup(["503"].map(Number), unavailable);
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK"]);
    origin.respond = () => "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n";
    c.send(GET("/b"));
    await h.until(() => h.lines.length === 2);
    assert.deepEqual(statuses(c.rec)[1], "HTTP/1.1 500 Internal Server Error");
    assert.equal(rc(h.lines[1]!), "0");
    await h.proxy.stop();
  });

  it("retries count against `retries`: once used up, the last response stands", async () => {
    const { h, origin } = await setup(["all-retryable-errors"], "close", { retries: 2 });
    origin.respond = () => "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 3\r\n\r\nbad";
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    assert.equal(origin.requests.length, 3);
    assert.match(c.rec.text(), /^HTTP\/1\.1 502 Bad Gateway\r\n[^]*bad$/);
    assert.deepEqual([httplog(h.lines[0]!).status, rc(h.lines[0]!)], ["502", "2"]);
    await h.proxy.stop();
  });

  it("follows option redispatch: the retry goes to another server, logged +1", async () => {
    const h = new Harness();
    const o1 = await new Origin().listen(h.net, srvAddr(1));
    const o2 = await new Origin().listen(h.net, srvAddr(2));
    o1.respond = () => "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    await h.start(httpConfig({
      retryOn: [503],
      redispatch: 1,
      balance: { kind: "roundrobin" },
      servers: [{ name: "s1", address: srvAddr(1) }, { name: "s2", address: srvAddr(2) }],
    }));
    const c = await client(h);
    c.send(GET("/a"));
    await h.until(() => h.lines.length === 1);
    assert.deepEqual([o1.requests.length, o2.requests.length], [1, 1]);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.be, l.status, l.conns.split("/")[4]], ["be/s2", "200", "+1"]);
    assert.equal(h.proxy.backends[0]!.counters.redispatches, 1);
    assert.equal(h.proxy.backends[0]!.servers[0]!.counters.current, 0);
    await h.proxy.stop();
    assert.equal(h.proxy.counters.current, 0);
  });

  it("replays a POST received whole (body and all), whatever its method, as HAProxy", async () => {
    const { h, origin } = await setup(["empty-response"], "close");
    const c = await client(h);
    c.send("POST /p HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    await h.until(() => h.lines.length === 1);
    assert.deepEqual(statuses(c.rec), ["HTTP/1.1 200 OK"]);
    assert.equal(origin.requests.length, 2);
    assert.equal(origin.requests[1]!.body, origin.requests[0]!.body);
    assert.equal(origin.requests[1]!.body, "3\r\nabc\r\n0\r\n\r\n");
    await h.proxy.stop();
  });

  it("never replays a request whose body came after it was sent, nor one over 16 KiB", async () => {
    const { h, origin } = await setup(["empty-response"], "close");
    const c = await client(h);
    c.send("POST /late HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nab");
    await h.until(() => origin.sockets.length === 1);
    c.send("cd");
    await h.until(() => h.lines.length === 1);
    assert.deepEqual([statuses(c.rec)[0], httplog(h.lines[0]!).term], ["HTTP/1.1 502 Bad Gateway", "SH--"]);

    let n = 0;
    origin.respond = (r) => (n++ === 0 ? "close" : ok(r));
    const big = "x".repeat(REPLAY_BUFFER_BYTES);
    const d = await client(h);
    d.send(`POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${big.length}\r\n\r\n${big}`);
    await h.until(() => h.lines.length === 2);
    assert.deepEqual([statuses(d.rec)[0], rc(h.lines[1]!)], ["HTTP/1.1 502 Bad Gateway", "0"]);
    await h.proxy.stop();
  });

  it("retry-on none: a failed connect is not even retried; the default retries it", async () => {
    for (const [retryOn, attempts] of [[["none"], 1], [undefined, 4]] as const) {
      const h = new Harness();
      await h.start(httpConfig({ ...(retryOn !== undefined ? { retryOn } : {}), retries: 3 }));
      const c = await client(h);
      c.send(GET("/a"));
      await h.until(() => h.lines.length === 1);
      assert.equal(statuses(c.rec)[0], "HTTP/1.1 503 Service Unavailable");
      assert.equal(h.net.connectAttempts(srvAddr(1)), attempts, `retry-on ${retryOn}`);
      await h.proxy.stop();
    }
  });

  it("compiles the keyword lists as HAProxy 2.6 documents them", () => {
    const all = compileRetryOn(["all-retryable-errors"]);
    assert.ok(typeof all !== "string");
    assert.deepEqual([...all.statuses].sort(), [500, 502, 503, 504]);
    assert.deepEqual(
      [all.connFailure, all.emptyResponse, all.junkResponse, all.responseTimeout, all.zeroRttRejected],
      [true, true, true, true, true],
    );
    const z = compileRetryOn(["0rtt-rejected"]);
    assert.ok(typeof z !== "string" && z.zeroRttRejected && !z.connFailure);
    assert.equal(typeof compileRetryOn([429]), "string", "429 is not retryable in 2.6");
    assert.equal(typeof compileRetryOn(["none", "503"] as never), "string");
    assert.equal(typeof compileRetryOn(["bogus"] as never), "string");
  });
});
