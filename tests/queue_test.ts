/**
 * The queue module (`src/queue.ts`, HAProxy's queue.c) and the lease a stream holds
 * (`src/lease.ts`), through the whole proxy on the in-memory network with a fake clock:
 * slots handed out, grabbed by a server coming UP, redistributed when one goes DOWN, and
 * released exactly once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, srvAddr } from "./_proxy_harness.ts";
import { Backend } from "../src/backend.ts";
import { FakeClock } from "../src/clock.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { toBackendSettings } from "../src/_settings.ts";
import { resolveConfig } from "../src/config/defaults.ts";
import type { ServerStateEvent } from "../src/log.ts";

/** One active server with one slot and a backup, balanced by source: a second client queues on s1. */
function sourceWithBackup(redispatch: number): Parameters<Harness["start"]>[0] {
  return config({
    balance: { kind: "source" },
    redispatch,
    timeouts: { queueMs: 10_000 },
    servers: [
      { name: "s1", address: srvAddr(1), maxconn: 1 },
      { name: "b1", address: srvAddr(2), backup: true },
    ],
  });
}

describe("queue: pendconn_redistribute", () => {
  it("a server going DOWN with option redispatch sends its own queue back to election", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.server("b1", srvAddr(2));
    await h.start(sourceWithBackup(-1));
    const a = await h.client();
    const b = await h.client();
    await h.clock.advance(100);
    const s1 = h.backends[0]!.servers[0]!;
    assert.equal(s1.queue.length, 1, "the second client waits in s1's own queue (source affinity)");
    assert.deepEqual(h.sequence, ["s1"]);
    s1.setState("DOWN", "test");
    await h.clock.advance(0);
    assert.equal(
      h.lines[0],
      "Server be/s1 is DOWN, reason: test. 0 active and 1 backup servers left. Running on backup. " +
        "1 sessions active, 1 requeued, 0 remaining in queue.",
    );
    assert.deepEqual(h.sequence, ["s1", "b1"], "the waiter was elected again and went to the backup");
    b.socket.shutdownWrite();
    await h.until(() => b.rec.closeCount === 1);
    const f = Harness.fields(h.lines.at(-1)!);
    assert.equal(f.server, "b1");
    assert.match(f.conns, /\/\+0$/, "counted as a redispatch, as assign_server_and_queue() does");
    assert.equal(f.queues, "1/0", "%sq: it was at the head of s1's queue");
    a.socket.abort();
  });

  it("without option redispatch the waiters stay in the DOWN server's queue (0 requeued)", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.server("b1", srvAddr(2));
    await h.start(sourceWithBackup(0));
    await h.client();
    await h.client();
    await h.clock.advance(100);
    const s1 = h.backends[0]!.servers[0]!;
    s1.setState("DOWN", "test");
    await h.clock.advance(0);
    assert.match(h.lines[0]!, /\. 1 sessions active, 0 requeued, 1 remaining in queue\.$/);
    assert.deepEqual(h.sequence, ["s1"]);
    assert.equal(s1.queue.length, 1);
  });

  it("every observer sees what the queues did, whatever the order it registered in", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.server("b1", srvAddr(2));
    const fromHook: ServerStateEvent[] = [];
    h.hooks = { onServerStateChange: (e) => fromHook.push(e) };
    await h.start(sourceWithBackup(-1));
    const fromLater: number[] = [];
    h.backends[0]!.onServerStateChange((e) => fromLater.push(e.requeued));
    await h.client();
    await h.client();
    await h.clock.advance(100);
    h.backends[0]!.servers[0]!.setState("DOWN", "test");
    assert.deepEqual(fromHook.map((e) => [e.server, e.from, e.to, e.requeued]), [["s1", "UP", "DOWN", 1]]);
    assert.deepEqual(fromLater, [1]);
    assert.match(h.lines[0]!, / 1 requeued, /);
  });
});

describe("queue: a redistributed stream with nowhere to go", () => {
  it("logs <NOSRV> SC and a redispatch, as assign_server() forgets the server it left", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({
      balance: { kind: "source" },
      redispatch: -1,
      timeouts: { queueMs: 10_000 },
      servers: [{ name: "s1", address: srvAddr(1), maxconn: 1 }],
    }));
    const a = await h.client();
    const b = await h.client();
    await h.clock.advance(100);
    h.backends[0]!.servers[0]!.setState("DOWN", "test");
    await h.until(() => b.rec.endCount === 1);
    assert.equal(h.lines[1], "backend be has no server available!");
    const f = Harness.fields(h.lines[2]!);
    assert.deepEqual([f.server, f.term], ["<NOSRV>", "SC"]);
    assert.match(f.conns, /\/\+0$/, "it left s1: a redispatch, as assign_server_and_queue() counts it");
    a.socket.abort();
  });
});

describe("lease", () => {
  const settings = toBackendSettings(
    resolveConfig({
      frontends: [],
      backends: [{ name: "be", servers: [{ name: "s1", address: srvAddr(1), maxconn: 1 }] }],
    }).backends[0]!,
  );

  it("counts the stream in the backend until released, and gives back its slot exactly once", () => {
    const be = new Backend(settings, new MemoryNetwork(), new FakeClock());
    const s1 = be.servers[0]!;
    const lease = be.admit(undefined);
    assert.equal(be.counters.current, 1);
    lease.server = s1;
    be.queues.take(lease, s1);
    assert.equal(s1.counters.current, 1);
    assert.ok(s1.full);
    lease.release(10, 20);
    lease.release(10, 20);
    assert.equal(lease.released, true);
    assert.equal(be.counters.current, 0, "counted out once");
    assert.equal(s1.counters.current, 0, "slot given back once");
    assert.deepEqual([be.counters.bytesIn, be.counters.bytesOut], [10, 20]);
    assert.deepEqual([s1.counters.bytesIn, s1.counters.bytesOut], [10, 20]);
  });

  it("refuses a second slot while one is held", () => {
    const be = new Backend(settings, new MemoryNetwork(), new FakeClock());
    const s1 = be.servers[0]!;
    const lease = be.admit(undefined);
    be.queues.take(lease, s1);
    assert.throws(() => be.queues.take(lease, s1), /already holds a slot on s1/);
  });
});
