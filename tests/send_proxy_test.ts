/**
 * `send-proxy` / `send-proxy-v2` (`src/send_proxy.ts`, the backend's connect loop, health
 * checks) on the in-memory network with a fake clock: the header comes first on every server
 * connection, built from the client side, again on a retry and anew after a redispatch; checks
 * send `LOCAL` (v2) or their own addresses (v1). And the header for a TLS client, unit by unit.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { parseProxyHeader, type ProxyHeader } from "../src/proxy_protocol.ts";
import { checkProxyHeader, streamProxyHeader } from "../src/send_proxy.ts";
import { buildProxyHeaderV2 } from "../src/proxy_protocol_build.ts";
import type { Recorder } from "./_helpers.ts";
import { concat, enc, tcp } from "./_helpers.ts";
import type { Socket, TcpAddress } from "../src/net.ts";
import { Origin } from "./http/_origin.ts";
import { httpConfig } from "./http/_httplog.ts";

/** The header at the start of what server recorder `r` received, and the bytes after it. */
function received(r: Recorder): { header: ProxyHeader; rest: string } {
  const all = concat(r.chunks);
  const h = parseProxyHeader(all);
  if (h.state !== "done") assert.fail(`no PROXY header first: ${JSON.stringify(h)}`);
  return { header: h, rest: new TextDecoder().decode(all.subarray(h.length)) };
}

describe("send-proxy on server connections", () => {
  it("v1: the client's address and the frontend's, before the first byte of data", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, { sendProxy: { version: 1 } }) }));
    const c = await h.client();
    c.socket.write(enc("hello"));
    await h.until(() => (srv.recorders[0]?.bytes ?? 0) > 5);
    const text = new TextDecoder().decode(concat(srv.recorders[0]!.chunks));
    const local = c.socket.localAddress as TcpAddress;
    assert.equal(text, `PROXY TCP4 ${local.hostname} 10.0.0.1 ${local.port} 80\r\nhello`);
  });

  it("v2 with crc32c and unique-id: PROXY, TCP4, the same addresses, an empty UNIQUE_ID", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, { sendProxy: { version: 2, v2Options: ["crc32c", "unique-id"] } }) }));
    const c = await h.client();
    c.socket.write(enc("x"));
    await h.until(() => (srv.recorders[0]?.bytes ?? 0) > 16);
    const { header, rest } = received(srv.recorders[0]!);
    assert.equal(header.command, "PROXY");
    assert.deepEqual(header.source, c.socket.localAddress);
    assert.deepEqual(header.destination, tcp("10.0.0.1", 80));
    assert.equal(header.tlvs.uniqueId, "");
    assert.equal(typeof header.tlvs.crc32c, "number");
    assert.equal(rest, "x");
  });

  it("a retry sends the header again; a redispatch builds the new server's own", async () => {
    const h = new Harness();
    const s2 = await h.server("s2", srvAddr(2), false);
    await h.start(config({
      balance: { kind: "first" },
      retries: 2,
      redispatch: 1,
      servers: [
        { name: "s1", address: srvAddr(1), sendProxy: { version: 1 } },
        { name: "s2", address: srvAddr(2), sendProxy: { version: 2 } },
      ],
    }));
    const c = await h.client();
    c.socket.write(enc("data"));
    await h.until(() => (s2.recorders[0]?.bytes ?? 0) > 16);
    assert.ok(h.net.connectAttempts(srvAddr(1)) >= 1);
    const { header, rest } = received(s2.recorders[0]!);
    assert.equal(header.version, 2);
    assert.deepEqual(header.source, c.socket.localAddress);
    assert.equal(rest, "data");
  });

  it("each connect attempt to the same server carries its own copy of the header", async () => {
    const h = new Harness();
    await h.start(config({ retries: 2, servers: servers(1, { sendProxy: { version: 1 } }) }));
    const c = await h.client();
    c.socket.write(enc("late"));
    // s1 appears after the first refusal: the retry (after the turn-around delay) reaches it.
    await h.until(() => h.net.connectAttempts(srvAddr(1)) === 1);
    const srv = await h.server("s1", srvAddr(1), false);
    await h.until(() => (srv.recorders[0]?.bytes ?? 0) > 4);
    const { header, rest } = received(srv.recorders[0]!);
    assert.deepEqual(header.source, c.socket.localAddress);
    assert.equal(rest, "late");
  });
});

describe("send-proxy on health checks", () => {
  const checked = (extra: Record<string, unknown>, check: Record<string, unknown> = {}) =>
    servers(1, { check: { interMs: 60_000, ...check }, ...extra });

  it("v2: LOCAL with no address; v1: the check connection's own addresses", async () => {
    for (const version of [2, 1] as const) {
      const h = new Harness();
      const srv = await h.server("s1", srvAddr(1), false);
      await h.start(config({ servers: checked({ sendProxy: { version } }) }));
      await h.until(() =>
        (srv.recorders[0]?.bytes ?? 0) > 0 && srv.recorders[0]!.endCount + srv.recorders[0]!.closeCount > 0
      );
      const { header } = received(srv.recorders[0]!);
      if (version === 2) {
        assert.equal(header.command, "LOCAL");
        assert.equal(header.length, 16);
      } else {
        const s = srv.accepted[0]!;
        assert.equal(header.family, "TCP4");
        assert.deepEqual(header.source, s.remoteAddress);
        assert.deepEqual(header.destination, srvAddr(1));
      }
    }
  });

  it("a check port turns it off unless check-send-proxy; check-send-proxy alone sends v1", async () => {
    const h = new Harness();
    const port = await h.server("p", tcp("10.1.0.1", 9000), false);
    await h.start(config({ servers: checked({ sendProxy: { version: 2 } }, { port: 9000 }) }));
    await h.until(() => (port.recorders[0]?.endCount ?? 0) + (port.recorders[0]?.closeCount ?? 0) > 0);
    assert.equal(port.recorders[0]!.bytes, 0);

    const h2 = new Harness();
    const p2 = await h2.server("p", tcp("10.1.0.1", 9000), false);
    await h2.start(config({ servers: checked({ sendProxy: { version: 2 } }, { port: 9000, sendProxy: true }) }));
    await h2.until(() => (p2.recorders[0]?.bytes ?? 0) >= 16);
    assert.equal(received(p2.recorders[0]!).header.command, "LOCAL");

    const h3 = new Harness();
    const p3 = await h3.server("s1", srvAddr(1), false);
    await h3.start(config({ servers: checked({}, { sendProxy: true }) }));
    await h3.until(() => (p3.recorders[0]?.endCount ?? 0) > 0);
    assert.equal(received(p3.recorders[0]!).header.version, 1);
  });

  it("an HTTP check writes the header, then its request", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ healthCheck: { kind: "http" }, servers: checked({ sendProxy: { version: 2 } }) }));
    await h.until(() => (srv.recorders[0]?.bytes ?? 0) > 16);
    const { header, rest } = received(srv.recorders[0]!);
    assert.equal(header.command, "LOCAL");
    assert.match(rest, /^OPTIONS \/ HTTP\/1\.0\r\n/);
  });
});

describe("streamProxyHeader() from a TLS client", () => {
  const client = {
    src: tcp("203.0.113.7", 51000),
    dst: tcp("198.51.100.1", 443),
    tls: {
      alpnProtocol: "h2",
      serverName: "api.example",
      protocol: "TLSv1.3",
      peerCommonName: "alice",
      authorized: true,
      cipher: "TLS_AES_128_GCM_SHA256",
    },
  };

  it("ALPN always; authority from SNI; SSL with version, CN and cipher as the options ask", () => {
    const h = parseProxyHeader(
      streamProxyHeader({ version: 2, v2Options: ["ssl", "cert-cn", "ssl-cipher", "authority"] }, client),
    );
    assert.equal(h.state, "done");
    if (h.state !== "done") return;
    assert.equal(h.tlvs.alpn, "h2");
    assert.equal(h.tlvs.authority, "api.example");
    assert.deepEqual(h.tlvs.ssl, {
      client: 7,
      verify: 0,
      version: "TLSv1.3",
      cn: "alice",
      cipher: "TLS_AES_128_GCM_SHA256",
      others: [],
    });
  });

  it("a received AUTHORITY passes on, a received UNIQUE_ID does not (the stream's id goes); a failed client certificate gives a non-zero verify", () => {
    const from = {
      ...client,
      tls: { alpnProtocol: null, authorized: false, verifyError: "CERT_HAS_EXPIRED", resumed: true },
      received: { authority: "from-pp.example", uniqueId: "abc", others: [] },
    };
    const cfg = { version: 2, v2Options: ["ssl", "authority", "unique-id"] } as const;
    const h = parseProxyHeader(streamProxyHeader(cfg, from));
    if (h.state !== "done") return assert.fail(JSON.stringify(h));
    assert.equal(h.tlvs.alpn, undefined);
    assert.equal(h.tlvs.authority, "from-pp.example");
    assert.equal(h.tlvs.uniqueId, "");
    assert.deepEqual(h.tlvs.ssl, { client: 1 | 4, verify: 10, others: [] });
    const stream = { acceptedAt: 0, counter: 7, uniqueId: () => "id-7" };
    const withId = parseProxyHeader(streamProxyHeader(cfg, from, stream));
    assert.equal(withId.state === "done" && withId.tlvs.uniqueId, "id-7");
  });

  it("v1 ignores TLS; a Unix client gives UNKNOWN / LOCAL", () => {
    assert.equal(
      new TextDecoder().decode(streamProxyHeader({ version: 1 }, client)),
      "PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n",
    );
    const unix = { src: undefined, dst: { transport: "unix" as const, path: "/s" } };
    assert.equal(new TextDecoder().decode(streamProxyHeader({ version: 1 }, unix)), "PROXY UNKNOWN\r\n");
    const h = parseProxyHeader(streamProxyHeader({ version: 2 }, unix));
    assert.equal(h.state === "done" && h.command, "LOCAL");
  });

  it("checkProxyHeader(): v1 from the socket's own addresses", () => {
    const socket = { localAddress: tcp("::1", 40000), remoteAddress: tcp("::1", 8000) } as Socket;
    assert.equal(
      new TextDecoder().decode(checkProxyHeader({ version: 1 }, socket)),
      "PROXY TCP6 ::1 ::1 40000 8000\r\n",
    );
  });
});

describe("send-proxy and HTTP connection reuse", () => {
  const GET = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;

  it("an idle connection serves only streams that would send the same header (http-reuse always)", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    origin.acceptProxy = true;
    await h.start(httpConfig({
      httpReuse: "always",
      servers: [{ name: "s1", address: srvAddr(1), sendProxy: { version: 2 } }],
    }));
    const a = await h.client();
    a.socket.write(enc(GET("/a1")));
    await h.until(() => a.rec.text().includes("/a1 on 0"));
    // Another client: its header differs (its address), so it gets a connection of its own.
    const b = await h.client();
    b.socket.write(enc(GET("/b1")));
    await h.until(() => b.rec.text().includes("/b1 on 1"));
    // The first client again: its own connection, header unchanged, is reused.
    a.socket.write(enc(GET("/a2")));
    await h.until(() => a.rec.text().includes("/a2 on "));
    assert.equal(origin.sockets.length, 2);
    assert.match(a.rec.text(), /\/a2 on 0/);
    assert.deepEqual(origin.proxyHeaders.map((p) => p.source), [a.socket.localAddress, b.socket.localAddress]);
    await h.proxy.stop();
  });
});

describe("accept-proxy then send-proxy-v2 in HTTP mode", () => {
  it("the header's client is the stream's: X-Forwarded-For, the log line, the next header and its TLVs (unique-id-format %[fc_pp_unique_id] passes the id on)", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    origin.acceptProxy = true;
    await h.start(httpConfig(
      {
        servers: [{
          name: "s1",
          address: srvAddr(1),
          sendProxy: { version: 2, v2Options: ["authority", "unique-id"] },
        }],
      },
      { binds: [{ address: FRONT, acceptProxy: true }], forwardFor: {}, uniqueIdFormat: "%[fc_pp_unique_id]" },
    ));
    const c = await h.client();
    c.socket.write(buildProxyHeaderV2({
      source: tcp("203.0.113.9", 40404),
      destination: tcp("198.51.100.2", 443),
      authority: "shop.example",
      uniqueId: "edge-1",
    }));
    c.socket.write(enc("GET /x HTTP/1.1\r\nhost: shop.example\r\n\r\n"));
    await h.until(() => c.rec.text().includes("/x on 0") && h.lines.length === 1);
    assert.equal(origin.requests[0]!.headers.get("x-forwarded-for"), "203.0.113.9");
    const pp = origin.proxyHeaders[0]!;
    assert.deepEqual([pp.source, pp.destination], [tcp("203.0.113.9", 40404), tcp("198.51.100.2", 443)]);
    assert.equal(pp.tlvs.authority, "shop.example");
    assert.equal(pp.tlvs.uniqueId, "edge-1");
    assert.match(h.lines[0]!, /^203\.0\.113\.9:40404 \[/);
    await h.proxy.stop();
  });
});
