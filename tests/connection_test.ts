import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CO_FL, Connection, flagNames, RAW } from "../src/connection.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { FakeClock } from "../src/clock.ts";
import { deferred, Recorder, tcp, within } from "./_helpers.ts";
import type { Socket } from "../src/net.ts";

/** A socket that records which of its methods were called, in order. */
function callRecorder(): { socket: Socket; calls: string[] } {
  const calls: string[] = [];
  const socket = {
    localAddress: undefined,
    remoteAddress: undefined,
    tls: undefined,
    bufferedAmount: 0,
    setHandlers: () => calls.push("setHandlers"),
    write: () => (calls.push("write"), true),
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
    shutdownWrite: () => calls.push("shutdownWrite"),
    close: () => calls.push("close"),
    abort: () => calls.push("abort"),
    setNoDelay: () => true,
    setKeepAlive: () => true,
  } as unknown as Socket;
  return { socket, calls };
}

describe("Connection", () => {
  it("sets addresses incrementally and records which are known", () => {
    const c = new Connection();
    assert.equal(c.flags, 0);
    c.setDst(tcp("10.0.0.1", 80));
    assert.deepEqual(flagNames(c.flags), ["ADDR_TO_SET"]);
    c.setSrc(tcp("10.0.0.2", 5555));
    assert.deepEqual(flagNames(c.flags), ["ADDR_FROM_SET", "ADDR_TO_SET"]);
  });

  it("chooses the control and transport layers separately", () => {
    const c = new Connection();
    const net = new MemoryNetwork();
    c.prepareCtrl(net);
    assert.equal(c.ctrl, net);
    assert.equal(c.xprt, undefined);
    c.prepareXprt({ kind: "tls", options: { serverName: "a.test" } });
    assert.deepEqual(c.xprt as unknown, { kind: "tls", options: { serverName: "a.test" } });
    assert.equal(c.flags & (CO_FL.CTRL_READY | CO_FL.XPRT_READY), 0, "choosing layers does not make them ready");
  });

  it("keeps its destination after a refused connect, so a retry reuses it", async () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork({ clock });
    const c = new Connection();
    c.setDst(tcp("10.0.0.1", 80));
    c.prepareCtrl(net);
    c.prepareXprt(RAW);
    await assert.rejects(c.connect(), { code: "ECONNREFUSED" });
    assert.deepEqual(flagNames(c.flags), ["ADDR_TO_SET", "ERROR"]);
    assert.deepEqual(c.dst, tcp("10.0.0.1", 80));
    const l = await net.listen({ address: tcp("10.0.0.1", 80), onAccept: (s) => s.setHandlers(new Recorder()) });
    const sock = await within(c.connect(), 2000, "second connect");
    assert.equal(c.attempts, 2);
    assert.ok(c.connected);
    assert.deepEqual(flagNames(c.flags), ["ADDR_FROM_SET", "ADDR_TO_SET", "CTRL_READY", "XPRT_READY", "CONNECTED"]);
    assert.equal(c.socket, sock);
    c.closeCtrl(true);
    assert.deepEqual(flagNames(c.flags), ["ADDR_FROM_SET", "ADDR_TO_SET"], "closing the socket keeps the addresses");
    await l.close();
  });

  it("marks the L4 wait while a connect is in flight and ERROR when it is abandoned", async () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork({ clock });
    net.blackhole(tcp("10.0.0.9", 443));
    const c = new Connection();
    c.setDst(tcp("10.0.0.9", 443));
    c.prepareCtrl(net);
    c.prepareXprt(RAW);
    const ac = new AbortController();
    const p = c.connect(ac.signal);
    assert.deepEqual(flagNames(c.flags), ["ADDR_TO_SET", "WAIT_L4_CONN"]);
    ac.abort();
    await assert.rejects(p, { code: "ECANCELED" });
    assert.deepEqual(flagNames(c.flags), ["ADDR_TO_SET", "ERROR"]);
  });

  it("clear() forgets addresses and layers for a redispatch, without a new object", () => {
    const c = new Connection();
    c.setDst(tcp("10.0.0.1", 80));
    c.setSrc(tcp("10.0.0.2", 1));
    c.prepareCtrl(new MemoryNetwork());
    c.prepareXprt(RAW);
    c.clear();
    assert.equal(c.flags, 0);
    assert.equal(c.dst, undefined);
    assert.equal(c.src, undefined);
    assert.equal(c.ctrl, undefined);
    assert.equal(c.xprt, undefined);
  });

  it("builds an accepted connection with both addresses and every layer ready", async () => {
    const net = new MemoryNetwork();
    const got = deferred<Connection>();
    const l = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        got.resolve(Connection.accepted(net, s));
        s.setHandlers(new Recorder());
      },
    });
    const client = await net.connect({ address: l.address });
    client.setHandlers(new Recorder());
    const accepted = await within(got.promise, 2000, "accept");
    assert.deepEqual(flagNames(accepted.flags), [
      "ADDR_FROM_SET",
      "ADDR_TO_SET",
      "CTRL_READY",
      "XPRT_READY",
      "CONNECTED",
    ]);
    assert.deepEqual(accepted.src, client.localAddress);
    assert.deepEqual(accepted.dst, l.address);
    client.abort();
    await l.close();
  });

  it("closes TLS in two steps: close_notify with the write side's shutdown, then the socket", () => {
    const { socket, calls } = callRecorder();
    const c = Connection.accepted(new MemoryNetwork(), socket, { kind: "tls", options: {} });
    c.close();
    assert.deepEqual(calls, ["shutdownWrite", "close"]);
    assert.deepEqual(
      flagNames(c.flags),
      ["ADDR_FROM_SET", "ADDR_TO_SET", "SOCK_WR_SH"],
      "both layers gone; the addresses and the shut write side stay known",
    );
  });

  it("closes a raw transport with the socket alone, and an abort never sends close_notify", () => {
    const raw = callRecorder();
    Connection.accepted(new MemoryNetwork(), raw.socket).close();
    assert.deepEqual(raw.calls, ["close"]);
    const tls = callRecorder();
    Connection.accepted(new MemoryNetwork(), tls.socket, { kind: "tls", options: {} }).close(true);
    assert.deepEqual(tls.calls, ["abort"]);
  });

  it("shuts the write side once, and remembers EOF and shutdown after the socket closed", () => {
    const { socket, calls } = callRecorder();
    const c = Connection.accepted(new MemoryNetwork(), socket);
    c.shutw();
    c.shutw();
    c.read0();
    assert.deepEqual(calls, ["shutdownWrite"]);
    c.closed();
    assert.deepEqual(flagNames(c.flags), ["ADDR_FROM_SET", "ADDR_TO_SET", "SOCK_RD_SH", "SOCK_WR_SH"]);
    c.shutw();
    assert.deepEqual(calls, ["shutdownWrite"], "nothing is written to a closed socket");
  });

  it("reads an accepted socket's addresses on first use, once", () => {
    const reads: string[] = [];
    const { socket } = callRecorder();
    Object.defineProperty(socket, "remoteAddress", {
      get: () => (reads.push("remote"), tcp("10.0.0.2", 5555)),
    });
    Object.defineProperty(socket, "localAddress", { get: () => (reads.push("local"), tcp("10.0.0.1", 80)) });
    const c = Connection.accepted(new MemoryNetwork(), socket);
    assert.deepEqual(reads, [], "nothing read at accept");
    assert.deepEqual(flagNames(c.flags).slice(0, 2), ["ADDR_FROM_SET", "ADDR_TO_SET"], "both known to the socket");
    assert.deepEqual(c.src, tcp("10.0.0.2", 5555));
    assert.deepEqual(c.src, tcp("10.0.0.2", 5555));
    assert.deepEqual(reads, ["remote"], "read once, then kept");
    assert.deepEqual(c.dst, tcp("10.0.0.1", 80));
    assert.deepEqual(reads, ["remote", "local"]);
  });
});
