/**
 * `cli_abrt`, `srv_abrt` and `lastsess` of backends and servers (management.txt 9.1), on a
 * FakeClock and the memory network: a transfer the client resets counts one client abort, one
 * the server resets one server abort, a clean one none, in `mode tcp` (process_stream()'s
 * data-phase errors) and `mode http` (http_ana.c's body forwarding); a server closing before
 * its response counts none (that is `eresp` in HAProxy). `lastsess` is the age in seconds of
 * the last session, -1 before any. Also their exporter families and the sum across workers.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { ProxyServer } from "../../src/proxy.ts";
import type { HttpLogRecord, StreamLogRecord } from "../../src/log.ts";
import type { Socket } from "../../src/net.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { showStat } from "../../src/stats/csv.ts";
import { prometheusMetrics } from "../../src/stats/prometheus.ts";
import { StatsPeers, statsSnapshot } from "../../src/stats/peers.ts";
import { statsPage } from "../../src/stats/page.ts";
import { collectStats } from "../../src/stats/model.ts";
import { deferred, enc, Recorder, tcp, within } from "../_helpers.ts";
import { statRow } from "./_workers.ts";

const cfg = (mode: "tcp" | "http", option = "") => `
defaults
  mode ${mode}
  timeout client 5s
  timeout server 5s
  timeout connect 1s
frontend fe
  default_backend be
  bind 10.0.0.1:80
backend be${option === "" ? "" : `\n  option ${option}`}
  server s1 10.1.0.1:80
  server s2 10.1.0.2:80 disabled
`;

/** What the scripted server does with each connection once it received the client's first bytes. */
type Behaviour = (s: Socket) => void;

/** A proxy in `mode`, its server scripted by `behaviour`, with its ended streams awaitable. */
async function setup(mode: "tcp" | "http", behaviour: Behaviour, option = "") {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  let ended = deferred<StreamLogRecord>();
  const proxy = new ProxyServer(parseHaproxyConfig(cfg(mode, option), "a.cfg"), {
    network,
    clock,
    hooks: { onStreamEnd: (r) => ended.resolve(r) },
  });
  const server = await network.listen({
    address: tcp("10.1.0.1", 80),
    onAccept: (s) => {
      let first = true;
      s.setHandlers({
        onData: () => {
          if (first) behaviour(s);
          first = false;
        },
        onEnd: () => s.shutdownWrite(),
        onDrain() {},
        onClose() {},
      });
    },
  });
  await proxy.start();
  /** Waits for the next stream (or HTTP transaction) to end; its log record. */
  const next = async (): Promise<StreamLogRecord> => {
    await clock.advance(0);
    const r = await within(ended.promise, 2000, "the stream's end");
    ended = deferred<StreamLogRecord>();
    return r;
  };
  const stop = async () => {
    await proxy.stop();
    await server.close();
  };
  return { proxy, network, clock, next, stop };
}

/** Opens a client, sends `text` and waits for `bytes` back. */
async function client(network: MemoryNetwork, text: string, bytes: number): Promise<{ c: Socket; r: Recorder }> {
  const c = await network.connect({ address: tcp("10.0.0.1", 80) });
  const r = new Recorder();
  c.setHandlers(r);
  c.write(enc(text));
  await within(r.waitBytes(bytes), 2000, `${bytes} bytes back`);
  return { c, r };
}

/** `cli_abrt` / `srv_abrt` of s1 and BACKEND. */
function aborts(proxy: ProxyServer): string[] {
  const csv = showStat(proxy);
  return ["s1", "BACKEND"].map((n) => `${n} ${statRow(csv, n).cli_abrt}/${statRow(csv, n).srv_abrt}`);
}

const partial = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789";

describe("cli_abrt, srv_abrt in mode tcp", () => {
  it("a clean stream counts no abort; the frontend leaves the fields empty as HAProxy", async () => {
    const t = await setup("tcp", (s) => s.write(enc("pong")));
    const { c, r } = await client(t.network, "ping", 4);
    c.shutdownWrite();
    await within(r.ended.promise, 2000, "EOF");
    c.close();
    assert.equal((await t.next()).termination, "--");
    assert.deepEqual(aborts(t.proxy), ["s1 0/0", "BACKEND 0/0"]);
    const fe = statRow(showStat(t.proxy), "FRONTEND");
    assert.deepEqual([fe.cli_abrt, fe.srv_abrt, fe.lastsess], ["", "", ""]);
    await t.stop();
  });

  it("a client that resets mid-transfer counts one client abort on its backend and server", async () => {
    const t = await setup("tcp", (s) => s.write(enc("part")));
    const { c } = await client(t.network, "ping", 4);
    c.abort();
    assert.equal((await t.next()).termination, "CD");
    assert.deepEqual(aborts(t.proxy), ["s1 1/0", "BACKEND 1/0"]);
    assert.equal(statRow(showStat(t.proxy), "s2").cli_abrt, "0");
    await t.stop();
  });

  it("a server that resets mid-response counts one server abort", async () => {
    const t = await setup("tcp", (s) => {
      s.write(enc("part"));
      s.abort();
    });
    await client(t.network, "ping", 4);
    assert.equal((await t.next()).termination, "SD");
    assert.deepEqual(aborts(t.proxy), ["s1 0/1", "BACKEND 0/1"]);
    await t.stop();
  });
});

describe("cli_abrt, srv_abrt in mode http", () => {
  const get = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";

  it("a complete response counts none", async () => {
    const t = await setup("http", (s) => s.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")));
    const { c } = await client(t.network, get, 40);
    assert.equal((await t.next()).termination, "--");
    c.close();
    assert.deepEqual(aborts(t.proxy), ["s1 0/0", "BACKEND 0/0"]);
    await t.stop();
  });

  it("a client that resets during the response body counts one client abort", async () => {
    const t = await setup("http", (s) => s.write(enc(partial)));
    const { c } = await client(t.network, get, partial.length);
    c.abort();
    assert.equal((await t.next()).termination.slice(0, 2), "CD");
    assert.deepEqual(aborts(t.proxy), ["s1 1/0", "BACKEND 1/0"]);
    await t.stop();
  });

  it("a server that resets during the response body counts one server abort", async () => {
    const t = await setup("http", (s) => {
      s.write(enc(partial));
      s.abort();
    });
    await client(t.network, get, partial.length);
    assert.equal((await t.next()).termination.slice(0, 2), "SD");
    assert.deepEqual(aborts(t.proxy), ["s1 0/1", "BACKEND 0/1"]);
    await t.stop();
  });

  it("a server that stops sending mid-body until timeout server counts one server abort (sD)", async () => {
    const t = await setup("http", (s) => s.write(enc(partial)));
    await client(t.network, get, partial.length);
    await t.clock.advance(5000);
    assert.equal((await t.next()).termination.slice(0, 2), "sD");
    assert.deepEqual(aborts(t.proxy), ["s1 0/1", "BACKEND 0/1"]);
    await t.stop();
  });

  it("option abortonclose: a client leaving while its server connection is under way (400 CH)", async () => {
    const t = await setup("http", () => {}, "abortonclose");
    const c = await t.network.connect({ address: tcp("10.0.0.1", 80) });
    c.setHandlers(new Recorder());
    c.write(enc(get));
    c.shutdownWrite();
    const r = (await t.next()) as HttpLogRecord;
    assert.deepEqual([r.termination.slice(0, 2), r.status], ["CH", 400]);
    assert.deepEqual(aborts(t.proxy), ["s1 1/0", "BACKEND 1/0"]);
    await t.stop();
  });

  it("a server that closes before any response is a 502 SH, not an abort (HAProxy's eresp)", async () => {
    const t = await setup("http", (s) => s.close());
    await client(t.network, get, 12);
    const r = await t.next();
    assert.equal(r.termination.slice(0, 2), "SH");
    assert.deepEqual(aborts(t.proxy), ["s1 0/0", "BACKEND 0/0"]);
    await t.stop();
  });
});

describe("lastsess", () => {
  it("seconds since the last session on the server and the backend, -1 before any, in every view", async () => {
    const t = await setup("tcp", (s) => s.write(enc("pong")));
    const last = () => ["s1", "s2", "BACKEND"].map((n) => statRow(showStat(t.proxy), n).lastsess);
    assert.deepEqual(last(), ["-1", "-1", "-1"]);
    await t.clock.advance(3000);
    const { c } = await client(t.network, "ping", 4);
    c.abort();
    await t.next();
    assert.deepEqual(last(), ["0", "-1", "0"]);
    await t.clock.advance(7000);
    assert.deepEqual(last(), ["7", "-1", "7"]);
    const m = prometheusMetrics(t.proxy);
    assert.match(m, /^haproxy_backend_last_session_seconds\{proxy="be"\} 7$/m);
    assert.match(m, /^haproxy_server_last_session_seconds\{proxy="be",server="s1"\} 7$/m);
    assert.match(m, /^haproxy_server_last_session_seconds\{proxy="be",server="s2"\} -1$/m);
    assert.match(m, /^haproxy_backend_client_aborts_total\{proxy="be"\} 1$/m);
    assert.match(m, /^haproxy_server_client_aborts_total\{proxy="be",server="s1"\} 1$/m);
    assert.match(m, /^haproxy_server_server_aborts_total\{proxy="be",server="s1"\} 0$/m);
    assert.equal(m.includes("haproxy_frontend_client_aborts_total"), false, "not a frontend family");
    const page = statsPage(t.proxy);
    assert.match(page, /<th>Last sess<\/th>/);
    assert.match(page, /<td>7s<\/td>/);
    assert.match(page, /<td>never<\/td>/);
    assert.match(page, /<td>1 \/ 0<\/td>/);
    await t.stop();
  });
});

describe("across workers", () => {
  it("aborts add up; lastsess is the latest session of any worker", async () => {
    const one = await setup("tcp", (s) => s.write(enc("pong")));
    const two = await setup("tcp", (s) => {
      s.write(enc("part"));
      s.abort();
    });
    const a = await client(one.network, "ping", 4);
    a.c.abort();
    await one.next();
    await one.clock.advance(9000);
    await two.clock.advance(5000);
    await client(two.network, "ping", 4);
    await two.next();
    await two.clock.advance(2000);
    const peers = new StatsPeers();
    peers.set(2, JSON.parse(JSON.stringify(statsSnapshot(two.proxy))));
    // What a worker given the peer's snapshot shows (ProxyServerOptions.statsPeers).
    const rows = peers.merge(collectStats(one.proxy, false)).flatMap((p) => p.rows);
    const s1 = rows.find((r) => r.name === "s1")!.fields;
    const be = rows.find((r) => r.name === "BACKEND")!.fields;
    assert.deepEqual([s1.cli_abrt, s1.srv_abrt, s1.lastsess], [1, 1, 2]);
    assert.deepEqual([be.cli_abrt, be.srv_abrt, be.lastsess], [1, 1, 2]);
    assert.equal(rows.find((r) => r.name === "s2")!.fields.lastsess, -1, "never, on either");
    await one.stop();
    await two.stop();
  });
});
