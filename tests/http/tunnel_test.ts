/**
 * Tunnels after a 101 (WebSocket) on the in-memory network with a fake clock: `timeout
 * tunnel` counts inactivity in both directions at once and closes both sides with `cD--`;
 * a server that closes first closes the client's side; resets on either side end the
 * transaction with `SD--` / `CD--`; and nothing is left behind (sessions, counters, sockets).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { enc, type Recorder } from "../_helpers.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { Socket } from "../../src/net.ts";
import { Origin } from "./_origin.ts";
import { ended, httpConfig, httplog } from "./_httplog.ts";

const TUNNEL_MS = 60_000;

function config(): ProxyConfig {
  return httpConfig({ timeouts: { connectMs: 5000, serverMs: 5_000, tunnelMs: TUNNEL_MS } }, {
    clientTimeoutMs: 5_000,
  });
}

const UPGRADE =
  "GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: k\r\n\r\n";

/** A proxy, an origin answering 101, and a client whose tunnel is open. */
async function tunnel(): Promise<{ h: Harness; origin: Origin; socket: Socket; rec: Recorder }> {
  const h = new Harness();
  const origin = await new Origin().listen(h.net, srvAddr(1));
  origin.respond = () =>
    "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: a\r\n\r\n";
  await h.start(config());
  const { socket, rec } = await h.client();
  socket.write(enc(UPGRADE));
  await h.until(() => rec.text().includes("101 Switching"));
  return { h, origin, socket, rec };
}

/** Nothing left: no session, no stream counted anywhere. */
function assertNoLeak(h: Harness): void {
  assert.equal(h.proxy.counters.current, 0, "process");
  assert.equal(h.proxy.frontends[0]!.counters.current, 0, "frontend");
  assert.equal(h.proxy.backends[0]!.counters.current, 0, "backend");
  assert.equal(h.proxy.backends[0]!.servers[0]!.counters.current, 0, "server");
}

describe("HTTP tunnels (101)", () => {
  it("timeout tunnel: idle both ways for that long closes both sides, cD--", async () => {
    const { h, origin, rec } = await tunnel();
    const t0 = h.clock.now();
    // timeout client and server (5 s) no longer apply once tunnelled.
    await h.until(() => ended(rec));
    assert.equal(h.clock.now() - t0, TUNNEL_MS);
    await h.until(() => origin.closed === 1 && h.lines.length === 1);
    const l = httplog(h.lines[0]!);
    assert.deepEqual([l.status, l.term], ["101", "cD--"]);
    assertNoLeak(h);
    await h.proxy.stop();
    assert.equal(h.net.openSockets, 0);
  });

  it("traffic in one direction only keeps the tunnel alive (inactivity counts both ways)", async () => {
    const { h, origin, rec } = await tunnel();
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(40_000);
      origin.sockets[0]!.write(enc(`push${i}`));
      await h.until(() => rec.text().endsWith(`push${i}`));
    }
    assert.equal(ended(rec), false, "alive after 120 s of server pushes");
    const last = h.clock.now();
    await h.until(() => ended(rec));
    assert.equal(h.clock.now() - last, TUNNEL_MS);
    await h.until(() => h.lines.length === 1);
    assert.equal(httplog(h.lines[0]!).term, "cD--");
    assertNoLeak(h);
    await h.proxy.stop();
  });

  it("the server closing first closes the client's side; the end is normal once the client closes", async () => {
    const { h, origin, socket, rec } = await tunnel();
    socket.write(enc("hi"));
    await h.until(() => rec.text().endsWith("echo:hi"));
    origin.sockets[0]!.close();
    await h.until(() => rec.endCount === 1);
    assert.equal(h.lines.length, 0, "the client may still send");
    socket.close();
    await h.until(() => h.lines.length === 1);
    assert.equal(httplog(h.lines[0]!).term, "----");
    assertNoLeak(h);
    await h.proxy.stop();
    assert.equal(h.net.openSockets, 0);
  });

  it("a server reset ends the tunnel at once: the client is closed, SD--", async () => {
    const { h, origin, rec } = await tunnel();
    origin.sockets[0]!.abort();
    await h.until(() => ended(rec) && h.lines.length === 1);
    assert.equal(httplog(h.lines[0]!).term, "SD--");
    assertNoLeak(h);
    await h.proxy.stop();
  });

  it("a client reset closes the server side, CD--", async () => {
    const { h, origin, socket } = await tunnel();
    socket.write(enc("x"));
    await h.until(() => origin.tunnelled.length === 1);
    socket.abort();
    await h.until(() => origin.closed === 1 && h.lines.length === 1);
    assert.equal(httplog(h.lines[0]!).term, "CD--");
    assertNoLeak(h);
    await h.proxy.stop();
    assert.equal(h.net.openSockets, 0);
  });
});
