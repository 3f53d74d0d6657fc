/**
 * The in-memory network's fault injection and exact numbers, on a `FakeClock`: what core
 * tests (retries, connect timeouts, backpressure, resets) rely on.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import type { Address, Socket } from "../../src/net.ts";
import {
  createNetwork,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type MemorySocket,
} from "../../adapters/memory.ts";
import { enc, Recorder, tcp } from "../_helpers.ts";

const SERVER = tcp("10.0.0.1", 80);

/** Watches a promise without awaiting it, so a test can assert it is still pending. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: { code?: string } } {
  const t: { done: boolean; value?: T; error?: { code?: string } } = { done: false };
  p.then(
    (v) => Object.assign(t, { done: true, value: v }),
    (e: { code?: string }) => Object.assign(t, { done: true, error: e }),
  );
  return t;
}

interface Setup {
  clock: FakeClock;
  net: MemoryNetwork;
  accepted: Socket[];
}

async function setup(options: MemoryNetworkOptions = {}, address: Address = SERVER): Promise<Setup> {
  const clock = new FakeClock();
  const net = createNetwork({ clock, ...options });
  const accepted: Socket[] = [];
  await net.listen({ address, onAccept: (s) => accepted.push(s) });
  return { clock, net, accepted };
}

/** A connected pair with recorders on both ends. */
async function pair(options: MemoryNetworkOptions = {}) {
  const { clock, net, accepted } = await setup(options);
  const connecting = net.connect({ address: SERVER });
  await clock.advance(0);
  const client = await connecting;
  const server = accepted[0] as MemorySocket;
  const c = new Recorder();
  const s = new Recorder();
  client.setHandlers(c);
  server.setHandlers(s);
  return { clock, net, client, server, c, s };
}

describe("MemoryNetwork connect faults (FakeClock)", () => {
  it("obeys connect latency exactly in clock time", async () => {
    const { clock, net, accepted } = await setup();
    net.setLatency(SERVER, 250);
    const t = track(net.connect({ address: SERVER }));
    await clock.advance(249);
    assert.equal(t.done, false);
    assert.equal(accepted.length, 0);
    await clock.advance(1);
    assert.equal(t.done, true);
    assert.equal(t.error, undefined);
    assert.equal(accepted.length, 1);
  });

  it("applies connectLatencyMs to refusals too", async () => {
    const { clock, net } = await setup({ connectLatencyMs: 30 });
    const t = track(net.connect({ address: tcp("10.0.0.2", 80) }));
    await clock.advance(29);
    assert.equal(t.done, false);
    await clock.advance(1);
    assert.equal(t.error?.code, "ECONNREFUSED");
  });

  it("settles a connect and its data in one advance(0) at latency 0, with no timer left", async () => {
    const { clock, client, c, s } = await pair();
    client.write(enc("hi"));
    assert.equal(s.bytes, 0, "delivery is never synchronous");
    await clock.advance(0);
    assert.equal(s.text(), "hi");
    assert.equal(c.events.length, 0);
    assert.equal(clock.pending, 0);
  });

  it("blackhole: the connect hangs until its signal aborts (a connect timeout), and nothing is accepted", async () => {
    const { clock, net, accepted } = await setup();
    net.blackhole(SERVER);
    const ac = new AbortController();
    clock.setTimer(() => ac.abort(), 5000); // what the core's connect timeout does
    const t = track(net.connect({ address: SERVER, signal: ac.signal }));
    await clock.advance(4999);
    assert.equal(t.done, false);
    await clock.advance(1);
    assert.equal(t.error?.code, "ECANCELED");
    assert.equal(accepted.length, 0);
    assert.equal(net.connectAttempts(SERVER), 1);
    assert.equal(net.openSockets, 0);
  });

  it("an abort during the latency leaks no socket to the listener", async () => {
    const { clock, net, accepted } = await setup();
    net.setLatency(SERVER, 100);
    const ac = new AbortController();
    const t = track(net.connect({ address: SERVER, signal: ac.signal }));
    await clock.advance(50);
    ac.abort();
    await clock.advance(1000);
    assert.equal(t.error?.code, "ECANCELED");
    assert.equal(accepted.length, 0);
    assert.equal(net.openSockets, 0);
    assert.equal(clock.pending, 0, "the latency timer was cancelled");
  });

  it("refuse then restore: a dead server that comes back", async () => {
    const { clock, net, accepted } = await setup();
    net.refuse(SERVER);
    await assert.rejects(net.connect({ address: SERVER }), { code: "ECONNREFUSED" });
    assert.equal(net.listenerCount(SERVER), 1, "the listener is still there");
    net.restore(SERVER);
    const t = track(net.connect({ address: SERVER }));
    await clock.advance(0);
    assert.equal(t.error, undefined);
    assert.equal(accepted.length, 1);
    assert.equal(net.connectAttempts(SERVER), 2);
    assert.equal(net.connectAttempts(), 2);
  });

  it("unreachable: EHOSTUNREACH or ENETUNREACH; port 0 covers the whole host", async () => {
    const { net } = await setup();
    net.unreachable(tcp("10.0.0.1", 0));
    await assert.rejects(net.connect({ address: SERVER }), { code: "EHOSTUNREACH" });
    await assert.rejects(net.connect({ address: tcp("10.0.0.1", 443) }), { code: "EHOSTUNREACH" });
    net.unreachable(tcp("10.9.0.1", 80), "ENETUNREACH");
    await assert.rejects(net.connect({ address: tcp("10.9.0.1", 80) }), { code: "ENETUNREACH" });
    net.restore();
    await net.connect({ address: SERVER });
  });

  it("nobody listening: ECONNREFUSED over TCP, ENOENT over Unix", async () => {
    const { net } = await setup();
    await assert.rejects(net.connect({ address: tcp("10.0.0.1", 81) }), { code: "ECONNREFUSED" });
    await assert.rejects(net.connect({ address: { transport: "unix", path: "/run/none.sock" } }), { code: "ENOENT" });
  });
});

describe("MemoryNetwork resets", () => {
  it("resetAll: the client reads what had arrived, then closes with ECONNRESET", async () => {
    const { clock, net, server, c, s } = await pair();
    server.write(enc("partial"));
    assert.equal(net.connections(SERVER).length, 1);
    assert.equal(net.resetAll(SERVER), 1);
    await clock.advance(0);
    assert.equal(c.text(), "partial");
    assert.deepEqual(c.events, ["data", "close:ECONNRESET"]);
    assert.deepEqual(s.events, ["close:ECONNRESET"]);
    assert.equal(net.connections(SERVER).length, 0);
    assert.equal(net.openSockets, 0);
  });

  it("a paused reader notices a reset at once and loses its unread bytes", async () => {
    const { clock, client, server, c } = await pair();
    client.pause();
    server.write(enc("unread"));
    server.reset();
    await clock.advance(0);
    assert.deepEqual(c.events, ["close:ECONNRESET"]);
  });

  it("abort(): the aborting side closes cleanly, the peer with ECONNRESET", async () => {
    const { clock, client, server, c, s } = await pair();
    server.write(enc("x"));
    client.abort();
    assert.equal(c.closeCount, 0, "onClose is never synchronous");
    await clock.advance(0);
    assert.deepEqual(c.events, ["close"]);
    assert.deepEqual(s.events, ["close:ECONNRESET"]);
    assert.equal(server.write(enc("y")), false);
  });

  it("bytes sent to a socket that closed are answered by a reset; a FIN is not", async () => {
    const a = await pair();
    a.server.close();
    await a.clock.advance(0);
    assert.deepEqual(a.c.events, ["end"]);
    assert.deepEqual(a.s.events, ["close"]);
    a.client.write(enc("late request"));
    await a.clock.advance(0);
    assert.deepEqual(a.c.events, ["end", "close:ECONNRESET"]);

    const b = await pair();
    b.server.close();
    await b.clock.advance(0);
    b.client.shutdownWrite();
    await b.clock.advance(0);
    assert.deepEqual(b.c.events, ["end", "close"]);
  });
});

describe("MemoryNetwork backpressure and chunks", () => {
  it("a paused reader lets exactly bufferBytes + highWaterMarkBytes be written", async () => {
    const { clock, client, server, c, s } = await pair({
      bufferBytes: 1000,
      highWaterMarkBytes: 300,
      maxChunkBytes: 100,
    });
    server.pause();
    assert.equal(client.write(new Uint8Array(1000)), true);
    assert.equal(client.bufferedAmount, 0, "the receive buffer took it all");
    assert.equal(client.write(new Uint8Array(300)), true);
    assert.equal(client.bufferedAmount, 300);
    assert.equal(client.write(new Uint8Array(1)), false);
    assert.equal(client.bufferedAmount, 301);
    await clock.advance(0);
    assert.equal(s.bytes, 0, "no onData while paused");
    assert.equal(c.events.length, 0, "no drain while the reader is paused");
    server.resume();
    await clock.advance(0);
    assert.equal(s.bytes, 1301);
    assert.ok(s.chunks.every((chunk) => chunk.length <= 100));
    assert.deepEqual(c.events, ["drain"]);
    assert.equal(client.bufferedAmount, 0);
  });

  it("a high-water mark of 0 reports false as soon as a byte waits", async () => {
    const { client, server } = await pair({ bufferBytes: 10, highWaterMarkBytes: 0 });
    server.pause();
    assert.equal(client.write(new Uint8Array(10)), true);
    assert.equal(client.write(new Uint8Array(1)), false);
  });

  it("a socket without handlers holds its bytes and blocks the writer too", async () => {
    const { clock, net, accepted } = await setup({ bufferBytes: 64, highWaterMarkBytes: 0 });
    const client = await net.connect({ address: SERVER });
    assert.equal(client.write(new Uint8Array(65)), false);
    await clock.advance(0);
    const s = new Recorder();
    accepted[0]?.setHandlers(s);
    await clock.advance(0);
    assert.equal(s.bytes, 65);
  });

  it("coalesces the writes of one tick and splits at maxChunkBytes", async () => {
    const a = await pair();
    for (const part of ["GET / ", "HTTP/1.1\r\n", "\r\n"]) a.client.write(enc(part));
    await a.clock.advance(0);
    assert.deepEqual(a.s.chunks.map((x) => x.length), [18]);

    const b = await pair({ maxChunkBytes: 1 });
    b.client.write(enc("abc"));
    await b.clock.advance(0);
    assert.deepEqual(b.s.chunks.map((x) => x.length), [1, 1, 1]);
    assert.equal(b.s.text(), "abc");
  });

  it("hands the receiver fresh memory, never the sender's", async () => {
    const { clock, client, s } = await pair();
    const sent = enc("hello");
    client.write(sent);
    await clock.advance(0);
    const got = s.chunks[0] as Uint8Array;
    assert.notEqual(got.buffer, sent.buffer);
    got[0] = 0;
    assert.equal(sent[0], "h".charCodeAt(0));
  });

  it("half-close: each side closes once both EOFs are through, in contract order", async () => {
    const { clock, client, server, c, s } = await pair();
    client.write(enc("req"));
    client.shutdownWrite();
    await clock.advance(0);
    assert.deepEqual(s.events, ["data", "end"]);
    assert.equal(server.write(enc("resp")), true);
    server.shutdownWrite();
    await clock.advance(0);
    assert.deepEqual(c.events, ["data", "end", "close"]);
    assert.deepEqual(s.events, ["data", "end", "close"]);
  });
});

describe("MemoryNetwork addresses and listeners", () => {
  it("allocates ephemeral ports, routes wildcard listeners and refuses overlapping binds", async () => {
    const clock = new FakeClock();
    const net = createNetwork({ clock });
    const accepted: Socket[] = [];
    const l = await net.listen({ address: tcp("0.0.0.0", 0), onAccept: (s) => accepted.push(s) });
    assert.deepEqual(l.address, tcp("0.0.0.0", 32768));
    const client = await net.connect({ address: tcp("10.1.2.3", 32768) });
    assert.deepEqual(client.remoteAddress, tcp("10.1.2.3", 32768));
    assert.deepEqual(client.localAddress, tcp("127.0.0.1", 32769));
    assert.deepEqual(accepted[0]?.localAddress, tcp("10.1.2.3", 32768));
    assert.deepEqual(accepted[0]?.remoteAddress, client.localAddress);
    assert.equal(net.connections(tcp("0.0.0.0", 32768)).length, 1);
    await assert.rejects(net.listen({ address: tcp("127.0.0.1", 32768), onAccept: () => {} }), { code: "EADDRINUSE" });
    const v6 = await net.connect({ address: tcp("[::1]", 32768) }).catch((e: { code: string }) => e.code);
    assert.equal(v6, "ECONNREFUSED", "0.0.0.0 does not take IPv6 connects");
  });

  it("reusePort listeners share connects in turn", async () => {
    const net = createNetwork({ clock: new FakeClock() });
    const hits: string[] = [];
    await net.listen({ address: SERVER, reusePort: true, onAccept: () => hits.push("a") });
    await net.listen({ address: SERVER, reusePort: true, onAccept: () => hits.push("b") });
    await assert.rejects(net.listen({ address: SERVER, onAccept: () => {} }), { code: "EADDRINUSE" });
    for (let i = 0; i < 4; i++) await net.connect({ address: SERVER });
    assert.deepEqual(hits, ["a", "b", "a", "b"]);
    assert.equal(net.listenerCount(SERVER), 2);
  });

  it("a closed listener frees its address; its accepted sockets live on", async () => {
    const clock = new FakeClock();
    const net = createNetwork({ clock });
    const accepted: Socket[] = [];
    const l = await net.listen({ address: SERVER, onAccept: (s) => accepted.push(s) });
    const client = await net.connect({ address: SERVER });
    await l.close();
    assert.equal(net.listenerCount(SERVER), 0);
    await assert.rejects(net.connect({ address: SERVER }), { code: "ECONNREFUSED" });
    const s = new Recorder();
    accepted[0]?.setHandlers(s);
    client.write(enc("still here"));
    await clock.advance(0);
    assert.equal(s.text(), "still here");
    assert.equal(net.connections(SERVER).length, 1);
    await net.listen({ address: SERVER, onAccept: () => {} });
  });

  it("Unix sockets: the server knows its path, peers have no address", async () => {
    const path = "/run/proxykit.sock";
    const { net, accepted } = await setup({}, { transport: "unix", path });
    const client = await net.connect({ address: { transport: "unix", path } });
    assert.equal(client.remoteAddress, undefined);
    assert.equal(accepted[0]?.remoteAddress, undefined);
    assert.deepEqual(accepted[0]?.localAddress, { transport: "unix", path });
  });
});
