/**
 * The proxy server's public surface (`src/proxy.ts`) on the in-memory network with a fake
 * clock: a stop that loses nothing, hooks, views, and a program's own balancer.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import type { StreamLogRecord } from "../src/log.ts";
import type { Balancer, LbServer } from "../src/balance/types.ts";
import { enc } from "./_helpers.ts";

describe("ProxyServer.stop()", () => {
  it("resolves only once every killed stream has logged and left the counters", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    for (let i = 0; i < 3; i++) await h.client();
    await h.clock.advance(10);
    assert.equal(h.proxy.counters.current, 3);
    await h.proxy.stop();
    assert.equal(h.lines.length, 3, "three log lines before stop() resolved");
    assert.ok(h.lines.every((l) => Harness.fields(l).term === "KD"));
    assert.equal(h.proxy.counters.current, 0);
    assert.equal(h.proxy.backends[0]!.counters.current, 0);
    assert.equal(h.proxy.backends[0]!.servers[0]!.counters.current, 0);
  });

  it("kills a stream in the queue too, and resolves after its line", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({
      balance: { kind: "first" },
      timeouts: { queueMs: 60_000 },
      servers: [{ name: "s1", address: srvAddr(1), maxconn: 1 }],
    }));
    await h.client();
    await h.client(); // queued behind the first
    await h.clock.advance(10);
    await h.proxy.stop();
    assert.deepEqual(h.lines.map((l) => Harness.fields(l).term).sort(), ["KD", "KQ"]);
  });

  it("with a grace period, a stream that finishes in time logs normally", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }));
    const c = await h.client();
    const stopping = h.proxy.stop({ graceMs: 5000 });
    c.socket.write(enc("bye"));
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    await stopping;
    assert.equal(Harness.fields(h.lines[0]!).term, "--");
    assert.ok(h.clock.now() - 1_767_225_600_000 < 5000, "did not wait for the whole grace period");
  });

  it("`await using` stops the proxy when the scope ends", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    {
      await using proxy = await h.start(config({ servers: servers(1) }));
      assert.equal(proxy.addresses.length, 1);
      await h.client();
      await h.clock.advance(10);
    }
    assert.equal(h.lines.length, 1);
    await assert.rejects(h.net.connect({ address: FRONT }), { code: "ECONNREFUSED" });
  });
});

describe("ProxyServer hooks and views", () => {
  it("onStreamEnd receives every stream's record, even from a frontend that does not log", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    const records: StreamLogRecord[] = [];
    h.hooks = { onStreamEnd: (r) => records.push(r) };
    const base = config({ servers: servers(1) });
    const { log: _log, ...quiet } = base.frontends[0]!;
    await h.start({ ...base, frontends: [quiet] });
    await h.exchange("hello");
    assert.equal(h.lines.length, 0, "no log line");
    assert.equal(records.length, 1);
    assert.deepEqual(
      [records[0]!.server, records[0]!.termination, records[0]!.bytesToClient, records[0]!.bytesFromClient],
      ["s1", "--", 5, 5],
    );
  });

  it("a hook that throws is reported on stderr and the proxy goes on", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    h.hooks = {
      onStreamEnd: () => {
        throw new Error("boom");
      },
    };
    await h.start(config({ servers: servers(1) }));
    assert.equal((await h.exchange("a")).text(), "a");
    assert.equal((await h.exchange("b")).text(), "b");
    assert.equal(h.lines.filter((l) => l === "proxykit: a hook threw: boom").length, 2);
  });

  it("exposes frontends, backends and servers as read-only views with live counters", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(2, { check: {} }) }));
    const fe = h.proxy.frontends[0]!;
    assert.deepEqual([fe.name, fe.addresses], ["fe", [FRONT]]);
    const be = h.proxy.backends[0]!;
    assert.equal(be.server("s2")?.name, "s2");
    assert.equal(be.server("nope"), undefined);
    const s1 = be.server("s1")!;
    assert.deepEqual([s1.state, s1.weight, s1.maxconn, s1.served, s1.queued], ["UP", 1, 0, 0, 0]);
    assert.equal(s1.check?.health, 2, "checked servers start at rise: UP, falling at the first failure");
    await h.exchange();
    assert.equal(be.counters.total, 1);
  });
});

describe("balance: a program's own balancer", () => {
  it("elects with the custom factory, which sees the backend's servers", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.server("s2", srvAddr(2));
    let seen: readonly LbServer[] = [];
    const lastUsable = (list: readonly LbServer[]): Balancer => {
      seen = list;
      return {
        pick: () => [...list].reverse().find((s) => s.usable),
        update: () => {},
        hasUsableServer: () => list.some((s) => s.usable),
      };
    };
    await h.start(config({ balance: { kind: "custom", name: "last", create: lastUsable }, servers: servers(2) }));
    await h.exchange();
    await h.exchange();
    assert.deepEqual(seen.map((s) => s.name), ["s1", "s2"]);
    assert.deepEqual(h.sequence, ["s2", "s2"]);
  });

  it("refuses a custom balance without a factory, naming the key", async () => {
    const h = new Harness();
    await assert.rejects(
      h.start(config({ balance: { kind: "custom" } as never, servers: servers(1) })),
      /backends\[0\]\.balance\.create: must be a function returning a Balancer/,
    );
  });
});
