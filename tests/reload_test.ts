/**
 * Reload (`reloadProxy`, `src/reload.ts`) on real loopback sockets of the runtime running the
 * tests: listeners on unchanged addresses are handed over (a loop of connections sees no
 * refusal), a broken configuration changes nothing, an established stream keeps running on
 * the old proxy, removed binds close and new ones open.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network } from "../src/net.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { ProxyServer } from "../src/proxy.ts";
import { reloadProxy } from "../src/reload.ts";
import {
  enc,
  exchangeOnce,
  freePorts,
  namedEchoServer,
  nativeNetwork,
  portOf,
  Recorder,
  runtime,
  tcp,
  within,
} from "./_helpers.ts";

const net: Network = await nativeNetwork();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function named(name: string): Promise<Listener> {
  const l = await namedEchoServer(net, name);
  cleanup.push(() => l.close());
  return l;
}

function config(ports: number[], server: Listener): ProxyConfig {
  return {
    frontends: ports.map((p, i) => ({ name: `fe${i}`, binds: [tcp("127.0.0.1", p)], defaultBackend: "be" })),
    backends: [{ name: "be", servers: [{ name: "s1", address: server.address }] }],
  };
}

const exchange = (port: number) => exchangeOnce(net, port);

describe(`reloadProxy() on ${runtime}`, () => {
  it("hands the listeners over: a loop of connections during five reloads sees no failure", async () => {
    const [a, b] = [await named("a"), await named("b")];
    const [port] = await freePorts(net, 1);
    let proxy = new ProxyServer(config([port!], a), { network: net });
    await proxy.start();
    cleanup.push(() => proxy.stop());
    let failures = 0;
    const seen = new Set<string>();
    let running = true;
    let n = 0;
    let waiter: { at: number; resolve: () => void } | undefined;
    const loop = (async () => {
      while (running) {
        try {
          seen.add(await exchange(port!));
        } catch (e) {
          failures++;
          console.error(e);
        }
        n++;
        if (waiter !== undefined && n >= waiter.at) waiter.resolve();
      }
      return n;
    })();
    /** Lets the loop make `k` more connections. */
    const more = (k: number) =>
      within(new Promise<void>((resolve) => (waiter = { at: n + k, resolve })), 10_000, "loop");
    for (let i = 0; i < 5; i++) {
      await more(3);
      const r = await reloadProxy(proxy, config([port!], i % 2 === 0 ? b : a), { network: net, graceMs: 5_000 });
      proxy = r.proxy;
      await within(r.drained, 10_000, "old proxy drained");
    }
    await more(3);
    running = false;
    const total = await loop;
    assert.equal(failures, 0, `${failures} failed connections out of ${total}`);
    assert.deepEqual([...seen].sort(), ["a:x", "b:x"]);
    assert.equal(await exchange(port!), "b:x", "after an odd number of reloads, the new server");
  });

  it("a broken configuration throws and the old proxy runs on", async () => {
    const a = await named("a");
    const [port] = await freePorts(net, 1);
    const proxy = new ProxyServer(config([port!], a), { network: net });
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const broken = {
      ...config([port!], a),
      frontends: [{ name: "fe0", binds: [tcp("127.0.0.1", port!)], defaultBackend: "nope" }],
    };
    await assert.rejects(reloadProxy(proxy, broken, { network: net }), /nope/);
    assert.equal(await exchange(port!), "a:x");
    assert.equal(proxy.addresses.length, 1);
  });

  it("an established stream goes on with the old server; removed binds close, new ones open", async () => {
    const [a, b] = [await named("a"), await named("b")];
    const [p1, p2] = await freePorts(net, 2);
    const proxy = new ProxyServer(config([p1!], a), { network: net });
    await proxy.start();
    const c = await net.connect({ address: tcp("127.0.0.1", p1!) });
    const r = new Recorder();
    c.setHandlers(r);
    await within(r.waitBytes(2), 10_000, "greeting");
    const next = await reloadProxy(proxy, config([p2!], b), { network: net, graceMs: 10_000 });
    cleanup.push(() => next.proxy.stop());
    // Deno's adapter may still have the refused connect in its backlog: reset rather than refused.
    await assert.rejects(net.connect({ address: tcp("127.0.0.1", p1!) }), (e: { code?: string }) => {
      return e.code === "ECONNREFUSED" || (runtime === "deno" && e.code === "ECONNRESET");
    });
    assert.equal(await exchange(p2!), "b:x");
    c.write(enc("still here"));
    await within(r.waitBytes("a:still here".length), 10_000, "echo through the old proxy");
    c.shutdownWrite();
    await within(next.drained, 10_000, "old proxy drained once its stream ended");
    assert.equal(r.text(), "a:still here");
    assert.equal(portOf(next.proxy.addresses[0]), p2);
  });

  it("the stats socket is handed over too: the same listener answers for the new proxy", async () => {
    const [a, b] = [await named("a"), await named("b")];
    const [port, admin] = await freePorts(net, 2);
    const withSocket = (server: Listener, backend: string): ProxyConfig => ({
      ...config([port!], server),
      backends: [{ name: backend, servers: [{ name: "s1", address: server.address }] }],
      frontends: [{ name: "fe0", binds: [tcp("127.0.0.1", port!)], defaultBackend: backend }],
      statsSockets: [{ address: tcp("127.0.0.1", admin!), level: "admin" }],
    });
    const proxy = new ProxyServer(withSocket(a, "old"), { network: net });
    await proxy.start();
    const ask = async (line: string): Promise<string> => {
      const c = await net.connect({ address: tcp("127.0.0.1", admin!) });
      const r = new Recorder();
      c.setHandlers(r);
      c.write(enc(`${line}\n`));
      await within(r.ended.promise, 10_000, `reply to ${line}`);
      c.close();
      return r.text();
    };
    assert.match(await ask("show servers state"), /^1 old 1 s1 /m);
    const next = await reloadProxy(proxy, withSocket(b, "new"), { network: net, graceMs: 5_000 });
    cleanup.push(() => next.proxy.stop());
    await within(next.drained, 10_000, "old proxy drained");
    assert.deepEqual(next.proxy.statsAddresses.map(portOf), [admin]);
    assert.match(await ask("show servers state"), /^1 new 1 s1 /m, "the new proxy answers on the same socket");
  });
});
