/**
 * Backend semantics on the in-memory network with a fake clock: election, retries on the
 * same server with the turn-around delay, redispatch, connect timeouts, the queue — asserted
 * on exact server sequences, connect attempts, clock times, counters and log lines.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";

describe("backend: election", () => {
  it("round-robin spreads connections over the servers in order", async () => {
    const h = new Harness();
    for (let i = 1; i <= 3; i++) await h.server(`s${i}`, srvAddr(i));
    await h.start(config({ balance: { kind: "roundrobin" }, servers: servers(3) }));
    for (let i = 0; i < 6; i++) assert.equal((await h.exchange(`m${i}`)).text(), `m${i}`);
    assert.deepEqual(h.sequence, ["s1", "s2", "s3", "s1", "s2", "s3"]);
    assert.deepEqual(h.backends[0]!.servers.map((s) => s.counters.total), [2, 2, 2]);
  });

  it("fails with SC and <NOSRV> when no server is usable", async () => {
    const h = new Harness();
    await h.start(config({ servers: servers(2, { disabled: true }) }));
    const rec = await h.exchange();
    assert.equal(rec.bytes, 0);
    assert.equal(h.lines.length, 1);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.server, "<NOSRV>");
    assert.equal(f.term, "SC");
    assert.equal(h.backends[0]!.counters.failed, 1);
  });
});

describe("backend: retries and redispatch", () => {
  it("retries a refused server `retries` times, min(timeout connect, 1s) apart, then SC", async () => {
    const h = new Harness();
    await h.start(config({ retries: 3, timeouts: { connectMs: 400 }, servers: servers(1) }));
    const t0 = h.clock.now();
    await h.exchange();
    assert.equal(h.net.connectAttempts(srvAddr(1)), 4, "1 attempt + 3 retries");
    assert.equal(h.clock.now() - t0, 3 * 400, "three turn-around delays of min(400, 1000) ms");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "SC");
    assert.equal(f.server, "s1");
    assert.match(f.conns, /\/3$/, "log %rc = 3");
    const be = h.backends[0]!;
    assert.equal(be.counters.retries, 3);
    assert.equal(be.counters.connectErrors, 1);
    assert.equal(be.servers[0]!.counters.connectErrors, 1);
    assert.equal(be.servers[0]!.counters.current, 0, "slot released");
  });

  it("waits one second between retries when timeout connect is unset", async () => {
    const h = new Harness();
    await h.start(config({ retries: 2, servers: servers(1) }));
    const t0 = h.clock.now();
    await h.exchange();
    assert.equal(h.net.connectAttempts(srvAddr(1)), 3);
    assert.equal(h.clock.now() - t0, 2000);
  });

  it("retries a connect timeout at once (no turn-around), then sC", async () => {
    const h = new Harness();
    h.net.blackhole(srvAddr(1));
    await h.start(config({ retries: 2, timeouts: { connectMs: 1000 }, servers: servers(1) }));
    const t0 = h.clock.now();
    await h.exchange();
    assert.equal(h.net.connectAttempts(srvAddr(1)), 3);
    assert.equal(h.clock.now() - t0, 3000, "three back-to-back connect timeouts");
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "sC");
    assert.match(f.timers, /^0\/-1\/3000$/);
  });

  it("keeps the same connection object and destination across retries until it connects", async () => {
    const h = new Harness();
    await h.start(config({ retries: 3, timeouts: { connectMs: 100 }, servers: servers(1) }));
    const c = await h.client();
    c.socket.write(new TextEncoder().encode("late"));
    // Two refusals, then the server comes up before the third attempt.
    await h.until(() => h.net.connectAttempts(srvAddr(1)) === 2);
    await h.server("s1", srvAddr(1));
    c.socket.shutdownWrite();
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(c.rec.text(), "late");
    const stream = h.lastStream!;
    assert.deepEqual(stream.back.history, [
      "INI",
      "REQ",
      "ASS",
      "CON",
      "CER",
      "TAR",
      "ASS",
      "CON",
      "CER",
      "TAR",
      "ASS",
      "CON",
      "EST",
      "DIS",
      "CLO",
    ]);
    assert.equal(stream.back.conn!.attempts, 3, "one Connection object served all three attempts");
    assert.equal(Harness.fields(h.lines[0]!).term, "--");
    assert.match(Harness.fields(h.lines[0]!).conns, /\/2$/);
  });

  it("with option redispatch and round-robin, the first retry goes to another server at once", async () => {
    const h = new Harness();
    await h.server("s2", srvAddr(2));
    await h.start(config({ balance: { kind: "roundrobin" }, redispatch: -1, retries: 3, servers: servers(2) }));
    const t0 = h.clock.now();
    const rec = await h.exchange("x");
    assert.equal(rec.text(), "x");
    assert.equal(h.clock.now() - t0, 0, "no turn-around delay on a redispatch");
    assert.equal(h.net.connectAttempts(srvAddr(1)), 1);
    assert.deepEqual(h.sequence, ["s2"]);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.server, "s2");
    assert.match(f.conns, /\/\+1$/, "log %rc = +1");
    const be = h.backends[0]!;
    assert.equal(be.counters.redispatches, 1);
    assert.equal(be.servers[0]!.counters.redispatches, 1);
    assert.equal(be.counters.retries, 0, "a redispatch is not counted as a retry");
  });

  it("without option redispatch, retries stay on the refusing server", async () => {
    const h = new Harness();
    await h.server("s2", srvAddr(2));
    await h.start(config({ balance: { kind: "roundrobin" }, retries: 2, servers: servers(2) }));
    await h.exchange();
    assert.equal(h.net.connectAttempts(srvAddr(1)), 3);
    assert.equal(h.net.connectAttempts(srvAddr(2)), 0);
    assert.equal(Harness.fields(h.lines[0]!).term, "SC");
  });

  it("option redispatch 2 with a hashed algorithm redispatches on every 2nd retry only", async () => {
    const h = new Harness();
    await h.server("s2", srvAddr(2));
    // `source` maps this client to one server; make it the dead one by trying both orders.
    await h.start(
      config({
        balance: { kind: "source" },
        redispatch: 2,
        retries: 3,
        timeouts: { connectMs: 50 },
        servers: servers(2),
      }),
    );
    await h.exchange();
    const a1 = h.net.connectAttempts(srvAddr(1));
    if (a1 === 0) {
      assert.deepEqual(h.sequence, ["s2"], "hash chose the live server directly");
      return;
    }
    assert.equal(a1, 2, "first try + first retry on s1, redispatch at retry 2");
    assert.deepEqual(h.sequence, ["s2"]);
    assert.match(Harness.fields(h.lines[0]!).conns, /\/\+2$/);
  });
});

describe("backend: maxconn and the queue", () => {
  it("queues beyond maxconn and serves in FIFO order when slots free up", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ timeouts: { queueMs: 10_000 }, servers: servers(1, { maxconn: 1 }) }));
    const a = await h.client();
    const b = await h.client();
    const c = await h.client();
    await h.clock.advance(0);
    const be = h.backends[0]!;
    assert.equal(be.servers[0]!.counters.current, 1);
    assert.equal(be.counters.queueCurrent, 2);
    assert.equal(be.counters.queueMax, 2);
    for (const [i, x] of [a, b, c].entries()) x.socket.write(new TextEncoder().encode(`c${i}`));
    await h.clock.advance(500);
    a.socket.shutdownWrite();
    await h.until(() => a.rec.closeCount === 1);
    b.socket.shutdownWrite();
    await h.until(() => b.rec.closeCount === 1);
    c.socket.shutdownWrite();
    await h.until(() => c.rec.closeCount === 1);
    assert.deepEqual([a.rec.text(), b.rec.text(), c.rec.text()], ["c0", "c1", "c2"]);
    assert.equal(be.servers[0]!.counters.max, 1, "never more than maxconn at once");
    const tw = h.lines.map((l) => Number(Harness.fields(l).timers.split("/")[0]));
    assert.deepEqual(tw, [0, 500, 500], "%Tw: b and c waited in the queue");
    // %bq as queue.c counts it: 1 for the head of the queue, plus every stream the queue
    // handed a slot to while this one waited (b: 1; c: b went first, so 2).
    assert.deepEqual(h.lines.map((l) => Harness.fields(l).queues), ["0/0", "0/1", "0/2"]);
  });

  it("a queued stream that waits longer than timeout queue ends with sQ", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({ timeouts: { connectMs: 5000, queueMs: 2000 }, servers: servers(1, { maxconn: 1 }) }));
    await h.client();
    const t0 = h.clock.now();
    const b = await h.client();
    await h.until(() => b.rec.endCount === 1 && h.lines.length === 1);
    assert.equal(h.clock.now() - t0, 2000);
    const f = Harness.fields(h.lines[0]!);
    assert.equal(f.term, "sQ");
    assert.match(f.timers, /^2000\/-1\/2000$/);
    assert.equal(h.backends[0]!.counters.queueCurrent, 0);
  });

  it("a server coming UP takes the streams waiting in the backend queue at once (pendconn_grab_from_px)", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.server("s2", srvAddr(2), false);
    await h.start(config({
      timeouts: { queueMs: 10_000 },
      servers: [
        { name: "s1", address: srvAddr(1), maxconn: 1 },
        { name: "s2", address: srvAddr(2), maxconn: 1 },
      ],
    }));
    const be = h.backends[0]!;
    be.servers[1]!.setState("DOWN", "test");
    await h.client();
    await h.client();
    await h.client();
    await h.clock.advance(100);
    assert.deepEqual(h.sequence, ["s1"]);
    assert.equal(be.counters.queueCurrent, 2);
    be.servers[1]!.setState("UP", "test");
    await h.clock.advance(0);
    assert.deepEqual(h.sequence, ["s1", "s2"], "the oldest waiter got s2's only slot, without waiting for s1");
    assert.equal(be.counters.queueCurrent, 1);
    assert.match(
      h.lines.find((l) => l.startsWith("Server be/s2 is UP"))!,
      /\. 1 sessions requeued, 0 total in queue\.$/,
    );
  });

  it("timeout queue defaults to timeout connect", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({ timeouts: { connectMs: 700 }, servers: servers(1, { maxconn: 1 }) }));
    await h.client();
    const t0 = h.clock.now();
    const b = await h.client();
    await h.until(() => b.rec.endCount === 1 && h.lines.length === 1);
    assert.equal(h.clock.now() - t0, 700);
  });

  it("a client leaving the queue ends with CQ and frees its place", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, { maxconn: 1 }) }));
    await h.client();
    const b = await h.client();
    await h.clock.advance(300);
    b.socket.abort();
    await h.until(() => h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).term, "CQ");
    assert.equal(h.backends[0]!.counters.queueCurrent, 0);
  });
});
