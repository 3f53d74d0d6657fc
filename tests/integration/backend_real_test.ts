/**
 * Backend semantics on real loopback sockets with the runtime's own adapter and the real
 * clock: refused server then redispatch, a server killed mid-run marked DOWN by its checks
 * with traffic moving away, and maxconn 1 with a queue timeout.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import type { ProxyConfig, ServerConfig } from "../../src/config/types.ts";
import type { Listener, Network, Socket } from "../../src/net.ts";
import {
  echoRecorder,
  enc,
  freePort,
  nativeNetwork,
  portOf,
  Recorder,
  runtime,
  tcp,
  until,
  within,
} from "../_helpers.ts";

const net: Network = await nativeNetwork();
/** Everything a test opened, closed after it whatever happened. */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * An echo server that records its name into `seen` for every connection that sends data
 * (health checks connect and close without data, and are not recorded).
 */
async function echo(name: string, seen: string[]): Promise<Listener> {
  const l = await net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (s: Socket) => {
      s.setHandlers(echoRecorder(s, (c, r) => {
        if (r.bytes === c.length) seen.push(name);
      }));
    },
  });
  cleanup.push(() => l.close());
  return l;
}

async function proxyFor(backend: Omit<ProxyConfig["backends"][number], "name">, lines: string[]): Promise<ProxyServer> {
  const p = new ProxyServer({
    frontends: [{
      name: "fe",
      binds: [tcp("127.0.0.1", 0)],
      defaultBackend: "be",
      log: { target: "stdout", format: "tcplog" },
    }],
    backends: [{ name: "be", ...backend }],
  }, { network: net, log: (l) => lines.push(l) });
  cleanup.push(() => p.stop());
  await p.start();
  return p;
}

/** One request/response through the proxy; resolves with what came back. */
async function roundTrip(p: ProxyServer, text = "ping"): Promise<string> {
  const c = await net.connect({ address: p.addresses[0]! });
  const r = new Recorder();
  c.setHandlers(r);
  c.write(enc(text));
  c.shutdownWrite();
  await within(r.ended.promise, 10_000, "response EOF");
  c.close();
  return r.text();
}

const srv = (name: string, port: number, extra: Partial<ServerConfig> = {}): ServerConfig => ({
  name,
  address: tcp("127.0.0.1", port),
  ...extra,
});

describe(`backend on real sockets (${runtime})`, () => {
  it("a refused server is redispatched to a live one at once", async () => {
    const seen: string[] = [];
    const live = await echo("live", seen);
    const lines: string[] = [];
    const p = await proxyFor({
      balance: { kind: "roundrobin" },
      redispatch: -1,
      servers: [srv("dead", await freePort(net)), srv("live", portOf(live.address))],
    }, lines);
    assert.equal(await roundTrip(p, "a"), "a");
    assert.equal(await roundTrip(p, "b"), "b");
    assert.deepEqual(seen, ["live", "live"]);
    await until(() => lines.length === 2, 5000, "log lines");
    assert.match(lines[0]!, / fe be\/live \d+\/\d+\/\d+ 1 -- \d+\/\d+\/\d+\/\d+\/\+1 0\/0$/);
    assert.equal(p.backends[0]!.counters.redispatches, 2);
    await p.stop();
    await live.close();
  });

  it("a server killed mid-run is marked DOWN by its checks and traffic moves to the other", async () => {
    const seen: string[] = [];
    const a = await echo("a", seen);
    const b = await echo("b", seen);
    const lines: string[] = [];
    const check = { interMs: 100, fastinterMs: 50, rise: 1, fall: 2 };
    const p = await proxyFor({
      balance: { kind: "roundrobin" },
      servers: [srv("a", portOf(a.address), { check }), srv("b", portOf(b.address), { check })],
    }, lines);
    for (let i = 0; i < 4; i++) await roundTrip(p);
    assert.deepEqual(seen, ["a", "b", "a", "b"]);
    await a.close();
    const sa = p.backends[0]!.servers[0]!;
    await until(() => sa.state === "DOWN", 5000, "server a DOWN");
    assert.ok(
      lines.some((l) => /^Server be\/a is DOWN, reason: Layer4 connection problem, info: "Connection refused"/.test(l)),
      lines.join("\n"),
    );
    seen.length = 0;
    for (let i = 0; i < 4; i++) assert.equal(await roundTrip(p, `x${i}`), `x${i}`);
    assert.deepEqual(seen, ["b", "b", "b", "b"]);
    await p.stop();
    await b.close();
  });

  it("maxconn 1 queues the second client, and timeout queue ends it with sQ", async () => {
    // A server that holds connections open without answering.
    const held: Socket[] = [];
    const slow = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        held.push(s);
        s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
      },
    });
    const lines: string[] = [];
    const p = await proxyFor({
      timeouts: { connectMs: 1000, queueMs: 300 },
      servers: [srv("s", portOf(slow.address), { maxconn: 1 })],
    }, lines);
    const first = await net.connect({ address: p.addresses[0]! });
    first.setHandlers(new Recorder());
    await until(() => held.length === 1, 5000, "first connection reaches the server");
    const t0 = Date.now();
    const second = await net.connect({ address: p.addresses[0]! });
    const r2 = new Recorder();
    second.setHandlers(r2);
    await within(r2.ended.promise, 5000, "queued client closed");
    const waited = Date.now() - t0;
    assert.ok(waited >= 290, `closed after ${waited} ms, before timeout queue`);
    await until(() => lines.length === 1, 5000, "log line");
    // Queued in the backend queue, the stream never had a server: <NOSRV>, as in HAProxy.
    assert.match(lines[0]!, / fe be\/<NOSRV> \d+\/-1\/\d+ 0 sQ /);
    assert.equal(held.length, 1, "the server never saw the queued client");
    assert.equal(p.backends[0]!.counters.queueMax, 1);
    second.close();
    first.abort();
    await p.stop();
    await slow.close();
  });
});
