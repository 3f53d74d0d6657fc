/**
 * The accept pipeline (`src/accept.ts`, `src/tcp_rules.ts`) and transparent servers
 * (`Server.destination`), on the in-memory network with a fake clock: `tcp-request
 * connection` rules, the PROXY header (`accept-proxy`, `expect-proxy`) and the destinations a
 * transparent server takes from it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { enc, Recorder, tcp } from "./_helpers.ts";
import type { BindConfig, ProxyConfig } from "../mod.ts";

const PP = (src: string, dst: string, sp: number, dp: number) => `PROXY TCP4 ${src} ${dst} ${sp} ${dp}\r\n`;

/** The harness config with one bind carrying options, and frontend extras. */
function withBind(
  bind: Omit<BindConfig, "address">,
  backend: Parameters<typeof config>[0],
  frontend: Parameters<typeof config>[1] = {},
): ProxyConfig {
  return config(backend, { binds: [{ address: FRONT, ...bind }], ...frontend });
}

describe("accept-proxy", () => {
  it("takes the header's addresses and forwards what followed it in the same chunk", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(withBind({ acceptProxy: true }, { servers: servers(1) }));
    const c = await h.client();
    c.socket.write(enc(PP("192.0.2.7", "198.51.100.1", 40000, 443) + "hello"));
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    assert.equal(srv.accepted.length, 1);
    assert.match(h.lines[0]!, /^192\.0\.2\.7:40000 \[/);
    assert.equal(c.rec.text(), "hello", "the bytes after the header reached the server (echoed)");
  });

  it("waits for a header split across chunks", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(withBind({ acceptProxy: true }, { servers: servers(1) }));
    const c = await h.client();
    const header = PP("192.0.2.7", "198.51.100.1", 40000, 443);
    c.socket.write(enc(header.slice(0, 9)));
    await h.clock.advance(100);
    assert.equal(srv.accepted.length, 0, "no server connection before the header is complete");
    c.socket.write(enc(header.slice(9) + "x"));
    await h.until(() => srv.recorders[0]?.text() === "x");
  });

  it("closes a connection whose first bytes are not a header, with HAProxy's error line", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(withBind({ acceptProxy: true, name: "pp" }, { servers: servers(1) }));
    const c = await h.client();
    c.socket.write(enc("GET / HTTP/1.1\r\n\r\n"));
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(srv.accepted.length, 0);
    assert.equal(h.lines.length, 1);
    assert.match(
      h.lines[0]!,
      /^127\.0\.0\.1:\d+ \[[^\]]+\] fe\/pp: Received something which does not look like a PROXY protocol header$/,
    );
    assert.equal(h.proxy.counters.current, 0);
    // The next connection is not disturbed.
    const d = await h.client();
    d.socket.write(enc(PP("192.0.2.8", "198.51.100.1", 1, 2) + "ok"));
    await h.until(() => srv.recorders[0]?.text() === "ok");
  });

  it("gives up on a header that does not come within timeout client", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(withBind({ acceptProxy: true }, { servers: servers(1) }, { clientTimeoutMs: 3000 }));
    const c = await h.client();
    c.socket.write(enc("PROXY TCP4"));
    await h.clock.advance(2999);
    assert.equal(c.rec.closeCount, 0);
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(srv.accepted.length, 0);
    assert.match(h.lines[0]!, /fe\/1: Timeout while waiting for PROXY protocol header$/);
  });

  it("a client that leaves before sending anything is logged as such", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(withBind({ acceptProxy: true }, { servers: servers(1) }));
    const c = await h.client();
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    assert.match(h.lines[0]!, /Connection closed while waiting for PROXY protocol header$/);
    await h.until(() => c.rec.closeCount === 1);
  });

  it("stop() ends connections still waiting for their header, without a line", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1));
    await h.start(withBind({ acceptProxy: true }, { servers: servers(1) }));
    const c = await h.client();
    assert.equal(h.proxy.counters.current, 1);
    await h.proxy.stop();
    assert.equal(h.proxy.counters.current, 0);
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(h.lines.length, 0);
  });
});

describe("tcp-request connection", () => {
  it("reject closes at once, counts the connection as denied and logs nothing", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1) }, {
      acls: [{ name: "all", expr: "src 0.0.0.0/0" }],
      tcpRequest: { connection: [{ action: "reject", condition: "if all" }] },
    }));
    const c = await h.client();
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(srv.accepted.length, 0);
    assert.equal(h.proxy.counters.denied, 1);
    assert.equal(h.proxy.frontends[0]!.counters.denied, 1);
    assert.equal(h.proxy.counters.current, 0);
    assert.equal(h.lines.length, 0);
  });

  it("accept ends the evaluation before a later reject", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1) }, {
      tcpRequest: {
        connection: [
          { action: "accept", condition: "if { src 127.0.0.0/8 }" },
          { action: "reject" },
        ],
      },
    }));
    const c = await h.client();
    c.socket.write(enc("in"));
    await h.until(() => srv.recorders[0]?.text() === "in");
  });

  it("expect-proxy layer4 asks a header only from the sources its condition names", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1));
    await h.start(config({ servers: servers(1) }, {
      tcpRequest: { connection: [{ action: "expect-proxy", condition: "if { src 127.0.0.0/8 }" }] },
    }));
    const c = await h.client();
    c.socket.write(enc(PP("203.0.113.9", "198.51.100.1", 5, 6) + "via-lb"));
    c.socket.shutdownWrite();
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(c.rec.text(), "via-lb");
    assert.equal(srv.accepted.length, 1);
    await h.until(() => h.lines.length === 1);
    assert.match(h.lines[0]!, /^203\.0\.113\.9:5 /);
  });

  it("an unknown ACL in a rule is refused when the proxy is built, naming the key", async () => {
    const h = new Harness();
    await assert.rejects(
      () =>
        h.start(config({ servers: servers(1) }, {
          tcpRequest: { connection: [{ action: "reject", condition: "if nope" }] },
        })),
      /frontends\[0\]\.tcpRequest\.connection\[0\]\.condition: no such ACL : 'nope'/,
    );
  });
});

describe("transparent servers (the seed's second case)", () => {
  it("connect to the destination the PROXY header names; the log names the server", async () => {
    const h = new Harness();
    const origin = await h.server("origin", tcp("10.9.0.1", 7000), false);
    await h.start(withBind({ acceptProxy: true }, { servers: [{ name: "t", address: tcp("0.0.0.0", 0) }] }));
    const c = await h.client();
    c.socket.write(enc(PP("192.0.2.1", "10.9.0.1", 1234, 7000) + "direct"));
    await h.until(() => origin.recorders[0]?.text() === "direct");
    origin.accepted[0]!.close();
    c.socket.close();
    await h.until(() => h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).server, "t");
  });

  it("keep their own port when they have one, or add their offset to the client's", async () => {
    const h = new Harness();
    const fixed = await h.server("fixed", tcp("10.9.0.1", 9000), false);
    const mapped = await h.server("mapped", tcp("10.9.0.2", 8080), false);
    await h.start({
      frontends: [
        { name: "f1", binds: [{ address: tcp("10.0.0.1", 80), acceptProxy: true }], defaultBackend: "b1" },
        { name: "f2", binds: [{ address: tcp("10.0.0.1", 81), acceptProxy: true }], defaultBackend: "b2" },
      ],
      backends: [
        { name: "b1", servers: [{ name: "t", address: tcp("0.0.0.0", 9000) }] },
        { name: "b2", servers: [{ name: "m", address: tcp("10.9.0.2", 0), mapPorts: 1000 }] },
      ],
    });
    const a = await h.net.connect({ address: tcp("10.0.0.1", 80) });
    a.setHandlers(new Recorder());
    a.write(enc(PP("192.0.2.1", "10.9.0.1", 1, 443) + "a"));
    const b = await h.net.connect({ address: tcp("10.0.0.1", 81) });
    b.setHandlers(new Recorder());
    b.write(enc(PP("192.0.2.1", "10.9.9.9", 1, 7080) + "b"));
    await h.until(() => fixed.recorders[0]?.text() === "a" && mapped.recorders[0]?.text() === "b");
  });

  it("take set-dst from a connection rule", async () => {
    const h = new Harness();
    const origin = await h.server("origin", tcp("10.9.0.5", 80), false);
    await h.start(config({ servers: [{ name: "t", address: tcp("0.0.0.0", 0) }] }, {
      tcpRequest: { connection: [{ action: "set-dst", expr: "str(10.9.0.5)" }] },
    }));
    const c = await h.client();
    c.socket.write(enc("set"));
    await h.until(() => origin.recorders[0]?.text() === "set");
  });

  it("take the typed API's setDestination hook, after the PROXY header; a throwing hook changes nothing", async () => {
    const h = new Harness();
    const origin = await h.server("origin", tcp("10.9.0.7", 9443), false);
    const seen: unknown[] = [];
    h.hooks = {
      setDestination: (info) => {
        seen.push(info);
        if (info.source?.transport === "tcp" && info.source.hostname === "192.0.2.66") throw new Error("boom");
        return info.destination?.transport === "tcp"
          ? { ...info.destination, port: 9000 + info.destination.port }
          : undefined;
      },
    };
    await h.start(withBind({ acceptProxy: true }, { servers: [{ name: "t", address: tcp("0.0.0.0", 0) }] }));
    const c = await h.client();
    c.socket.write(enc(PP("192.0.2.5", "10.9.0.7", 1000, 443) + "hooked"));
    await h.until(() => origin.recorders[0]?.text() === "hooked");
    assert.deepEqual(seen[0], {
      frontend: "fe",
      source: tcp("192.0.2.5", 1000),
      destination: tcp("10.9.0.7", 443),
    });
    const d = await h.client();
    d.socket.write(enc(PP("192.0.2.66", "10.9.0.7", 1000, 9443) + "kept"));
    await h.until(() => origin.recorders[1]?.text() === "kept");
    assert.ok(h.lines.some((l) => l === "proxykit: a hook threw: boom"));
  });

  it("end a Unix client's stream with SC: no destination to take", async () => {
    const h = new Harness();
    await h.start({
      frontends: [{
        name: "fe",
        binds: [{ transport: "unix", path: "/tmp/pk.sock" }],
        defaultBackend: "be",
        log: { target: "stdout", format: "tcplog" },
      }],
      backends: [{ name: "be", servers: [{ name: "t", address: tcp("0.0.0.0", 0) }] }],
    });
    const s = await h.net.connect({ address: { transport: "unix", path: "/tmp/pk.sock" } });
    const r = new Recorder();
    s.setHandlers(r);
    await h.until(() => h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).term, "SC");
  });
});
