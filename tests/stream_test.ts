/**
 * The data path of a stream on the in-memory network with a fake clock: bytes both ways,
 * half-close in both directions, backpressure, resets, inactivity timeouts, and the
 * termination state each ends with.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { enc, patternBuffer, PatternChecker, pump, Recorder } from "./_helpers.ts";
import type { Socket } from "../src/net.ts";

describe("stream: forwarding", () => {
  it("carries bytes both ways and propagates a client half-close", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const rec = await h.exchange("hello");
    assert.equal(rec.text(), "hello");
    assert.deepEqual(rec.events, ["data", "end", "close"]);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "--");
    assert.equal(f.bytes, "5");
    const fe = h.frontends[0]!;
    assert.deepEqual([fe.counters.total, fe.counters.current, fe.counters.bytesIn, fe.counters.bytesOut], [1, 0, 5, 5]);
    const srv = h.backends[0]!.servers[0]!;
    assert.deepEqual([srv.counters.bytesIn, srv.counters.bytesOut, srv.counters.current], [5, 5, 0]);
    assert.deepEqual(h.lastStream!.front.history, ["INI", "EST", "CLO"]);
    assert.deepEqual(h.lastStream!.back.history, ["INI", "REQ", "ASS", "CON", "EST", "DIS", "CLO"]);
  });

  it("propagates a server half-close first (server speaks first), then the client's", async () => {
    const h = new Harness();
    const got = new Recorder();
    await h.net.listen({
      address: srvAddr(1),
      onAccept: (s: Socket) => {
        s.setHandlers(got);
        s.write(enc("220 banner"));
        s.shutdownWrite();
      },
    });
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    await h.until(() => c.rec.endCount === 1);
    assert.equal(c.rec.text(), "220 banner");
    c.socket.write(enc("QUIT"));
    c.socket.shutdownWrite();
    await h.until(() => got.endCount === 1 && c.rec.closeCount === 1);
    assert.equal(got.text(), "QUIT");
    assert.equal(Harness.fields(h.lines[0]!).term, "--");
  });

  it("holds client bytes sent before the server connects and forwards them in order", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    h.net.setLatency(srvAddr(1), 250);
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    c.socket.write(enc("early-"));
    c.socket.write(enc("bytes"));
    c.socket.shutdownWrite();
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(c.rec.text(), "early-bytes");
    assert.equal(Harness.fields(h.lines[0]!).timers.split("/")[1], "250", "%Tc is the connect time");
  });

  it("a reader that does not read pauses the writer; nothing grows without bound", async () => {
    const h = new Harness();
    let server!: Socket;
    const srvRec = new Recorder();
    const pattern = patternBuffer(1 << 16, 11);
    const check = new PatternChecker(pattern);
    srvRec.keep = false;
    srvRec.onDataHook = (c) => check.feed(c);
    await h.net.listen({
      address: srvAddr(1),
      onAccept: (s) => {
        server = s;
        s.setHandlers(srvRec);
        s.pause();
      },
    });
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    const total = 8 << 20;
    let done = false;
    const writing = pump(c.socket, c.rec, pattern, total).then(() => (done = true));
    await h.clock.advance(1000);
    assert.equal(done, false, "the client is blocked");
    assert.equal(srvRec.bytes, 0);
    const held = h.lastStream!.bytesIn;
    assert.ok(held < 2 << 20, `the proxy took ${held} bytes from a client whose server is not reading`);
    server.resume();
    await h.until(() => done && srvRec.bytes === total);
    await writing;
    assert.ok(check.ok(total), `mismatch at ${check.mismatchAt}`);
  });
});

describe("stream: aborts and timeouts", () => {
  it("a client reset mid-stream closes the server side and logs CD", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    c.socket.write(enc("partial"));
    await h.until(() => srv.recorders[0]?.bytes === 7);
    c.socket.abort();
    await h.until(() => srv.recorders[0]!.closeCount === 1 && h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).term, "CD");
  });

  it("a server reset mid-stream closes the client cleanly and logs SD", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    c.socket.write(enc("abc"));
    await h.until(() => c.rec.bytes === 3);
    srv.accepted[0]!.abort();
    await h.until(() => c.rec.endCount === 1 && h.lines.length === 1);
    assert.equal(c.rec.text(), "abc");
    assert.equal(Harness.fields(h.lines[0]!).term, "SD");
  });

  it("timeout client half-closes toward the server (FIN); the stream ends cD once the server finishes", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(config({ timeouts: { serverMs: 60_000 }, servers: servers(1) }, { clientTimeoutMs: 5000 }));
    const c = await h.client();
    c.socket.write(enc("x"));
    await h.clock.advance(3000);
    c.socket.write(enc("y"));
    await h.clock.advance(4999);
    assert.equal(srv.recorders[0]!.endCount, 0, "nothing before 5 s of inactivity");
    // At t=8 s the client's read is shut and the server gets a FIN; the echo server answers
    // with its own FIN, which ends the other direction: the client sees an orderly EOF.
    await h.until(() => h.lines.length === 1);
    assert.equal(srv.recorders[0]!.endCount, 1, "the server got a FIN");
    assert.deepEqual(c.rec.events, ["data", "end"], "the client got both echoes, then an orderly EOF, no reset");
    assert.equal(c.rec.text(), "xy");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "cD");
    assert.match(f.timers, /\/8000$/, "5 s after the last activity at t=3 s");
  });

  it("timeout server half-closes toward the client; a client that closes on EOF ends it sD", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ timeouts: { serverMs: 2000 }, servers: servers(1) }, { clientTimeoutMs: 60_000 }));
    const c = await h.client();
    const t0 = h.clock.now();
    await h.until(() => c.rec.endCount === 1);
    assert.equal(h.clock.now() - t0, 2000);
    assert.deepEqual(c.rec.events, ["end"]);
    c.socket.close();
    await h.until(() => h.lines.length === 1);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "sD");
    assert.match(f.timers, /\/2000$/);
  });

  it("after a read timeout the other direction lives on until it times out too (HAProxy: Tt is the longer timeout)", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ timeouts: { serverMs: 2000 }, servers: servers(1) }, { clientTimeoutMs: 6000 }));
    const c = await h.client();
    const t0 = h.clock.now();
    await h.until(() => c.rec.endCount === 1);
    assert.equal(h.clock.now() - t0, 2000, "FIN to the client at timeout server");
    assert.equal(srv.recorders[0]!.endCount, 0, "the client→server direction is still open");
    await h.until(() => h.lines.length === 1);
    assert.equal(srv.recorders[0]!.endCount + srv.recorders[0]!.closeCount > 0, true, "the server side was closed");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "sD", "the first timeout names the termination");
    assert.match(f.timers, /\/6000$/);
  });

  it("a write timeout (the client stopped reading) aborts both sides with cD", async () => {
    const h = new Harness();
    let server!: Socket;
    const srvRec = new Recorder();
    await h.net.listen({ address: srvAddr(1), onAccept: (s) => ((server = s), s.setHandlers(srvRec)) });
    await h.start(config({ timeouts: { serverMs: 60_000 }, servers: servers(1) }, { clientTimeoutMs: 1000 }));
    const c = await h.client();
    c.socket.pause();
    await h.until(() => server !== undefined);
    const big = patternBuffer(1 << 16, 5);
    // Fill the path to the paused client until the server itself is told to wait.
    await h.until(() => !server.write(big.slice()), 10_000, 1);
    const t0 = h.clock.now();
    await h.until(() => srvRec.closeCount === 1 && h.lines.length === 1);
    assert.equal(srvRec.events.at(-1), "close:ECONNRESET", "the server side was reset");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "cD");
    assert.ok(h.clock.now() - t0 <= 1000, "within timeout client of the last drain");
  });

  it("timeout tunnel supersedes client and server timeouts once connected", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(
      config({ timeouts: { serverMs: 1000, tunnelMs: 10_000 }, servers: servers(1) }, { clientTimeoutMs: 1000 }),
    );
    const c = await h.client();
    await h.clock.advance(9999);
    assert.equal(c.rec.endCount, 0, "still open after 9.999 s");
    await h.until(() => c.rec.endCount === 1 && h.lines.length === 1);
    assert.match(Harness.fields(h.lines[0]!).timers, /\/10000$/);
  });

  it("stop() kills streams in progress with K and releases the port", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    await h.clock.advance(10);
    await h.proxy.stop();
    await h.until(() => c.rec.closeCount === 1 && h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).term, "KD");
    await assert.rejects(h.net.connect({ address: FRONT }), { code: "ECONNREFUSED" });
  });

  it("stop({ graceMs }) lets a stream finish within the grace period, then kills the rest", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const quick = await h.client();
    const slow = await h.client();
    const stopping = h.proxy.stop({ graceMs: 5000 });
    await h.clock.advance(1000);
    quick.socket.write(enc("bye"));
    quick.socket.shutdownWrite();
    await h.until(() => quick.rec.closeCount === 1 && h.lines.length === 1);
    assert.equal(quick.rec.text(), "bye");
    assert.equal(Harness.fields(h.lines[0]!).term, "--");
    await h.until(() => h.lines.length === 2);
    await stopping;
    assert.equal(h.clock.now() - 1_767_225_600_000, 5000, "the rest is killed when the grace period ends");
    assert.equal(Harness.fields(h.lines[1]!).term, "KD");
    await h.until(() => slow.rec.closeCount === 1);
    assert.equal((await slow.rec.closed.promise as { code?: string } | undefined)?.code, "ECONNRESET", "killed: reset");
  });

  it("global maxconn refuses connections over the process-wide limit", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start({ ...config({ servers: servers(1) }), maxconn: 2 });
    await h.client();
    await h.client();
    const third = await h.client();
    await h.until(() => third.rec.closeCount === 1);
    assert.equal(h.proxy.counters.denied, 1);
    assert.equal(h.proxy.counters.current, 2);
  });

  it("frontend maxconn refuses the connection over the limit and counts it", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }, { maxconn: 1 }));
    await h.client();
    const second = await h.client();
    await h.until(() => second.rec.closeCount === 1);
    assert.equal(h.frontends[0]!.counters.denied, 1);
    assert.equal(h.proxy.counters.current, 1);
  });
});
