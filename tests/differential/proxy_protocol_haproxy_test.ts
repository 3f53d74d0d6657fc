/**
 * The PROXY protocol against HAProxy 2.6 (Debian's, installed by scripts/peers.sh), both ways:
 *
 * - HAProxy as the receiver of proxykit's headers: v1 and v2 for IPv4, IPv6 and mixed
 *   families, written by the builders straight to an `accept-proxy` frontend that logs what it
 *   understood (`%ci:%cp %fi:%fp`, `fc_pp_authority`, `fc_pp_unique_id`);
 * - HAProxy as the sender into proxykit's receiver: `send-proxy` and `send-proxy-v2` (with a
 *   unique id) into a proxykit frontend with `accept-proxy`, itself sending on to the logging
 *   HAProxy, so the client's address and the TLVs are checked at the end of the chain;
 * - byte for byte: the v1 line and the v2 header (`proxy-v2-options crc32c,ssl,unique-id,
 *   authority`) HAProxy sends for a connection are the ones proxykit builds for it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { concat, fixture, freePorts, nativeNetwork, Recorder, tcp, until } from "../_helpers.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../../src/proxy_protocol_build.ts";
import { parseProxyHeader } from "../../src/proxy_protocol.ts";
import { streamProxyHeader } from "../../src/send_proxy.ts";
import type { TcpAddress } from "../../src/net.ts";

// A missing HAProxy fails this file unless PROXYKIT_ALLOW_MISSING_PEERS=1 (tests/_peers.ts).
const { path: HAPROXY, skip } = peer("haproxy");
const { path: OPENSSL } = peer("openssl");
const net: Network = await nativeNetwork();

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Connects to 127.0.0.1:`port`, writes `bytes` (if any), and returns the socket and its recorder. */
async function open(port: number, bytes?: Uint8Array): Promise<{ socket: Socket; rec: Recorder }> {
  const socket = await net.connect({ address: tcp("127.0.0.1", port) });
  const rec = new Recorder();
  socket.setHandlers(rec);
  if (bytes !== undefined) socket.write(bytes);
  return { socket, rec };
}

/**
 * `openssl s_client` to 127.0.0.1:`port`: SNI a.test, b.test's client certificate, the test CA
 * trusted (the same on every runtime; Deno's TLS client cannot send a certificate with an SNI
 * name that differs from the address).
 */
function tlsClient(port: number, ca: string): Child {
  const t = (n: string) => new URL(`../fixtures/tls/${n}`, import.meta.url).pathname;
  return startProgram(OPENSSL!, [
    "s_client",
    "-quiet",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "a.test",
    "-CAfile",
    ca,
    "-cert",
    t("b.test.pem"),
    "-key",
    t("b.test.key"),
  ], { stdin: "pipe" });
}

describe("PROXY protocol with HAProxy 2.6", { skip }, () => {
  // B: accept-proxy receiver that logs; A1/A2: plain frontends sending v1 / v2 to proxykit's
  // P1/P2 (accept-proxy, sending v1 / v2 on to B); C1/C2: plain frontends sending v1 / v2 to
  // our capture listener CAP.
  // A3 / C3: TLS frontends (a.test, client certificates verified) sending v2 with the SNI as
  // AUTHORITY to P2 / with the SSL TLV to CAP.
  let B = 0, A1 = 0, A2 = 0, P1 = 0, P2 = 0, C1 = 0, C2 = 0, A3 = 0, C3 = 0;
  let pemFile: { path: string; remove(): void } | undefined;
  let caFile: { path: string; remove(): void } | undefined;
  let haproxy: Child | undefined;
  let cfgFile: { path: string; remove(): void } | undefined;
  let proxy: ProxyServer | undefined;
  let capture: Listener | undefined;
  const captured: Recorder[] = [];
  const proxyLines: string[] = [];

  before(async () => {
    let CAP = 0;
    [B, A1, A2, P1, P2, C1, C2, CAP, A3, C3] = await freePorts(net, 10) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    // HAProxy wants the certificate and its key in one file.
    pemFile = tempFile("a.test.pem", [fixture("a.test.pem"), fixture("a.test.key")]);
    caFile = tempFile("ca.pem", [fixture("ca.pem")]);
    const tlsBind = `ssl crt ${pemFile.path} ca-file ${caFile.path} verify optional`;
    capture = await net.listen({
      address: tcp("127.0.0.1", CAP),
      onAccept: (s) => {
        const r = new Recorder();
        captured.push(r);
        s.setHandlers(r);
      },
    });
    const lines = [
      "global",
      "  log stdout format raw local0",
      "defaults",
      "  mode tcp",
      "  log global",
      "  timeout connect 2s",
      "  timeout client 5s",
      "  timeout server 5s",
      "frontend B",
      `  bind 127.0.0.1:${B} accept-proxy`,
      '  log-format "B ci=%ci cp=%cp fi=%fi fp=%fp uid=%[fc_pp_unique_id] auth=%[fc_pp_authority]"',
      "  tcp-request content reject",
      "frontend A1",
      `  bind 127.0.0.1:${A1}`,
      "  default_backend toP1",
      "backend toP1",
      `  server p 127.0.0.1:${P1} send-proxy`,
      "frontend A2",
      `  bind 127.0.0.1:${A2}`,
      "  unique-id-format pk-%cp",
      "  default_backend toP2",
      "backend toP2",
      `  server p 127.0.0.1:${P2} send-proxy-v2 proxy-v2-options unique-id,crc32c`,
      "frontend C1",
      `  bind 127.0.0.1:${C1}`,
      "  default_backend cap1",
      "backend cap1",
      `  server c 127.0.0.1:${CAP} send-proxy`,
      "frontend C2",
      `  bind 127.0.0.1:${C2}`,
      "  default_backend cap2",
      "backend cap2",
      `  server c 127.0.0.1:${CAP} send-proxy-v2 proxy-v2-options crc32c,ssl,unique-id,authority`,
      "frontend A3",
      `  bind 127.0.0.1:${A3} ${tlsBind}`,
      "  default_backend toP2sni",
      "backend toP2sni",
      `  server p 127.0.0.1:${P2} send-proxy-v2 proxy-v2-options authority`,
      "frontend C3",
      `  bind 127.0.0.1:${C3} ${tlsBind}`,
      "  default_backend cap3",
      "backend cap3",
      `  server c 127.0.0.1:${CAP} send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority,crc32c`,
    ];
    cfgFile = tempFile("pp.cfg", lines);
    haproxy = startProgram(HAPROXY!, ["-db", "-f", cfgFile.path]);
    const config = parseHaproxyConfig(
      [
        "defaults",
        "  mode tcp",
        "  timeout connect 2s",
        "  timeout client 5s",
        "  timeout server 5s",
        "frontend P1",
        `  bind 127.0.0.1:${P1} accept-proxy`,
        "  log stdout format raw local0",
        "  option tcplog",
        "  default_backend toB1",
        "backend toB1",
        `  server b 127.0.0.1:${B} send-proxy`,
        "frontend P2",
        `  bind 127.0.0.1:${P2} accept-proxy`,
        "  log stdout format raw local0",
        "  option tcplog",
        // HAProxy 2.6 sends the stream's own id: this format makes it the one received.
        "  unique-id-format %[fc_pp_unique_id]",
        "  default_backend toB2",
        "backend toB2",
        `  server b 127.0.0.1:${B} send-proxy-v2 proxy-v2-options unique-id,authority,crc32c`,
      ].join("\n"),
      "pk.cfg",
    );
    proxy = new ProxyServer(config, { network: net, log: (l) => proxyLines.push(l) });
    await proxy.start();
    // HAProxy is up once a plain frontend accepts and forwards to the capture listener.
    for (let i = 0; captured.length === 0; i++) {
      if (i > 100) throw new Error(`HAProxy did not start: ${haproxy.stderr()}`);
      try {
        const c = await open(C1);
        await until(() => captured.length > 0, 500, "HAProxy forwarding").catch(() => {});
        c.socket.abort();
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    haproxy?.child.kill("SIGKILL");
    cfgFile?.remove();
    pemFile?.remove();
    caFile?.remove();
    await proxy?.stop();
    await capture?.close();
  });

  /** B's log line for the connection whose (claimed) client port is `port`. */
  const bLine = async (port: number): Promise<string> =>
    (await haproxy!.line(new RegExp(`^B ci=\\S+ cp=${port} .*`), 10_000))[0];

  it("HAProxy reads proxykit's v1 and v2 headers: IPv4, IPv6 and mixed families", async () => {
    // [source, destination, what HAProxy logs for them: %ci, %fi, %fp]
    const cases: [TcpAddress, TcpAddress, string][] = [
      [tcp("192.168.0.1", 50000), tcp("192.168.0.11", 443), "ci=192.168.0.1 cp=PORT fi=192.168.0.11 fp=443"],
      [tcp("2001:db8::1", 50100), tcp("2001:db8::2", 8443), "ci=2001:db8::1 cp=PORT fi=2001:db8::2 fp=8443"],
      [tcp("10.0.0.1", 50200), tcp("::1", 80), "ci=::ffff:10.0.0.1 cp=PORT fi=::1 fp=80"],
      [tcp("::ffff:10.0.0.2", 50300), tcp("10.0.0.3", 81), "ci=10.0.0.2 cp=PORT fi=10.0.0.3 fp=81"],
    ];
    for (const [s, d, want] of cases) {
      for (const version of [1, 2] as const) {
        // Each header gets a source port of its own, so that its line can be told apart.
        const src = { ...s, port: s.port + version };
        const header = version === 1 ? buildProxyHeaderV1(src, d) : buildProxyHeaderV2({ source: src, destination: d });
        const c = await open(B, header);
        const line = await bLine(src.port);
        c.socket.abort();
        assert.equal(line, `B ${want.replace("PORT", String(src.port))} uid=- auth=-`, `v${version}`);
      }
    }
  });

  it("HAProxy reads the AUTHORITY and UNIQUE_ID TLVs proxykit passes on from its own accept-proxy", async () => {
    const header = buildProxyHeaderV2({
      source: tcp("198.51.100.9", 41234),
      destination: tcp("203.0.113.5", 443),
      authority: "api.example.com",
      uniqueId: "req-42",
    });
    const c = await open(P2, header);
    const line = await bLine(41234);
    c.socket.abort();
    assert.equal(line, "B ci=198.51.100.9 cp=41234 fi=203.0.113.5 fp=443 uid=req-42 auth=api.example.com");
  });

  it("HAProxy's send-proxy and send-proxy-v2 into proxykit's accept-proxy: the client reaches the end of the chain", async () => {
    for (const [front, uid] of [[A1, false], [A2, true]] as const) {
      const c = await open(front);
      const local = c.socket.localAddress as TcpAddress;
      const line = await bLine(local.port);
      c.socket.abort();
      // v1 carries no TLV; v2: the unique id A made (`pk-%cp`), received and sent on by proxykit
      // (`unique-id-format %[fc_pp_unique_id]`).
      assert.equal(
        line,
        `B ci=127.0.0.1 cp=${local.port} fi=127.0.0.1 fp=${front} uid=${uid ? `pk-${local.port}` : "-"} auth=-`,
      );
      // proxykit's own log line names the client HAProxy's header gave.
      await until(() => proxyLines.some((l) => l.startsWith(`127.0.0.1:${local.port} `)), 10_000, "proxykit's line");
    }
  });

  it("byte for byte: proxykit builds the v1 line and the v2 header HAProxy sent for the same connection", async () => {
    for (const [front, v2] of [[C1, false], [C2, true]] as const) {
      const before = captured.length;
      const c = await open(front);
      const local = c.socket.localAddress;
      await until(() => captured.length > before && captured[before]!.bytes >= (v2 ? 16 : 8), 10_000, "a header");
      const got = concat(captured[before]!.chunks);
      c.socket.abort();
      const h = parseProxyHeader(got);
      if (h.state !== "done") return assert.fail(`HAProxy sent ${hex(got)}: ${JSON.stringify(h)}`);
      const ours = v2
        ? streamProxyHeader(
          { version: 2, v2Options: ["ssl", "authority", "unique-id", "crc32c"] },
          { src: h.source, dst: h.destination },
        )
        : buildProxyHeaderV1(h.source, h.destination);
      assert.equal(hex(ours), hex(got.subarray(0, h.length)));
      assert.deepEqual(h.source, local);
    }
  });

  it("HAProxy's SSL TLV and AUTHORITY (a TLS client with a certificate) read by proxykit, the SNI passed on", async () => {
    // C3 -> CAP: the SSL TLV as HAProxy fills it, decoded by the parser.
    const before = captured.length;
    const c = tlsClient(C3, caFile!.path);
    await until(() => captured.length > before && captured[before]!.bytes > 16, 10_000, "a header");
    const got = concat(captured[before]!.chunks);
    const h = parseProxyHeader(got);
    c.child.kill("SIGKILL");
    if (h.state !== "done") return assert.fail(`HAProxy sent ${hex(got)}: ${JSON.stringify(h)}`);
    assert.equal(h.tlvs.authority, "a.test");
    assert.equal(typeof h.tlvs.crc32c, "number");
    assert.equal(h.tlvs.ssl?.client, 0x07, "TLS, a certificate on this connection and on the session");
    assert.equal(h.tlvs.ssl?.verify, 0);
    assert.equal(h.tlvs.ssl?.cn, "b.test");
    assert.match(h.tlvs.ssl?.version ?? "", /^TLSv1\.[23]$/);
    assert.match(h.tlvs.ssl?.cipher ?? "", /^[A-Z0-9_-]+$/);
    // A3 -> proxykit P2 -> B: the AUTHORITY HAProxy took from the SNI reaches B.
    const d = tlsClient(A3, caFile!.path);
    const line = (await haproxy!.line(new RegExp(`^B ci=\\S+ cp=\\d+ fi=127\\.0\\.0\\.1 fp=${A3} .*`), 10_000))[0];
    d.child.kill("SIGKILL");
    assert.match(line, /^B ci=127\.0\.0\.1 cp=\d+ fi=\S+ fp=\d+ uid=\S* auth=a\.test$/);
  });
});
