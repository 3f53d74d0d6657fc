/**
 * The adapters' TLS against HAProxy 2.6, on the runtime running the tests:
 * - HAProxy as the client: `server ... ssl sni str(b.test) crt client.pem send-proxy-v2` sends
 *   a PROXY v2 header then its ClientHello (in one TCP segment, as seen here); a `tlsDeferred`
 *   listener reads the header and starts TLS with `startServerTls()` on what followed it. The
 *   server reads the SNI and HAProxy's client certificate back.
 * - HAProxy as the server: `bind ... accept-proxy ssl crt a.pem`; the adapter's client sends
 *   its PROXY v1 line as a `preamble`, then TLS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { concat, enc, freePorts, nativeNetwork, Recorder, runtime, tcp, within } from "../_helpers.ts";
import { certs, Queue } from "./_tls_kit.ts";

// A missing HAProxy fails this file unless PROXYKIT_ALLOW_MISSING_PEERS=1 (tests/_peers.ts).
const { path: HAPROXY, skip } = peer("haproxy");
const net: Network = await nativeNetwork();
const WAIT_MS = 10_000;
/** PROXY protocol v2 signature (doc/proxy-protocol.txt 2.2). */
const V2_SIG = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);

/** Length of the PROXY v2 header at the start of `b`, or `undefined` while incomplete. */
function v2Length(b: Uint8Array): number | undefined {
  if (b.length < 16) return undefined;
  assert.deepEqual(b.subarray(0, 12), V2_SIG, "a PROXY v2 signature");
  const n = 16 + ((b[14]! << 8) | b[15]!);
  return b.length >= n ? n : undefined;
}

/** Connects to `port`, writes `text`, resolves with what comes back once `text.length` bytes did. */
async function echoThrough(port: number, text: string): Promise<string> {
  const s = await within(net.connect({ address: tcp("127.0.0.1", port) }), WAIT_MS, "connect to HAProxy");
  const r = new Recorder();
  s.setHandlers(r);
  s.write(enc(text));
  try {
    await within(r.waitBytes(text.length), WAIT_MS, "echo through HAProxy");
    return r.text();
  } finally {
    s.abort();
  }
}

describe(`TLS with HAProxy 2.6 (${runtime})`, { skip }, () => {
  const c = certs();
  const f = c.files;
  let haproxy: Child | undefined;
  let cfg: { path: string; remove(): void } | undefined;
  let deferredListener: Listener | undefined;
  let echo: Listener | undefined;
  const open: Socket[] = [];
  /** Per connection on the deferred listener: bytes in the header's chunk past it, and the TLS socket. */
  const heads = new Queue<Uint8Array>();
  const secured = new Queue<Socket | Error>();
  let front = 0;
  let tlsFront = 0;

  before(async () => {
    deferredListener = await net.listen({
      address: tcp("127.0.0.1", 0),
      tls: {
        certificates: [c.a, c.b],
        requestClientCert: true,
        caCerts: [c.ca],
      },
      tlsDeferred: true,
      onAccept: (plain) => {
        open.push(plain);
        let got: Uint8Array = new Uint8Array(0);
        let first = true;
        plain.setHandlers({
          onData(chunk) {
            got = concat([got, chunk]);
            const n = v2Length(got);
            if (n === undefined) return;
            plain.pause();
            // What came in the header's own chunk, past the header.
            heads.push(first ? got.slice(n) : new Uint8Array(0));
            first = false;
            net.startServerTls!(plain, got.slice(n)).then((s) => {
              open.push(s);
              const r = new Recorder();
              r.onDataHook = (d) => s.write(d.slice());
              s.setHandlers(r);
              secured.push(s);
            }, (e: Error) => secured.push(e));
          },
          onEnd() {},
          onDrain() {},
          onClose() {},
        });
      },
    });
    echo = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        open.push(s);
        const r = new Recorder();
        r.onDataHook = (d) => s.write(d.slice());
        s.setHandlers(r);
      },
    });
    [front, tlsFront] = await freePorts(net, 2) as [number, number];
    const port = (l: Listener) => (l.address.transport === "tcp" ? l.address.port : 0);
    cfg = tempFile("tls.cfg", [
      "global",
      "    log stdout format raw local0",
      "defaults",
      "    mode tcp",
      "    timeout connect 5s",
      "    timeout client 30s",
      "    timeout server 30s",
      "frontend to_ours",
      `    bind 127.0.0.1:${front}`,
      "    default_backend ours",
      "backend ours",
      `    server s1 127.0.0.1:${
        port(deferredListener)
      } ssl verify required ca-file ${f.ca.file} sni str(b.test) crt ${f.client.pemFile} send-proxy-v2`,
      "frontend from_ours",
      `    bind 127.0.0.1:${tlsFront} accept-proxy ssl crt ${f.a.pemFile}`,
      "    default_backend echo",
      "backend echo",
      `    server e1 127.0.0.1:${port(echo)}`,
    ]);
    haproxy = startProgram(HAPROXY!, ["-db", "-f", cfg.path]);
    for (let i = 0;; i++) {
      try {
        const s = await net.connect({ address: tcp("127.0.0.1", tlsFront) });
        s.abort();
        break;
      } catch (e) {
        if (i > 100) throw new Error(`HAProxy did not start: ${haproxy.stderr()} (${e})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    haproxy?.child.kill("SIGKILL");
    cfg?.remove();
    for (const s of open) s.abort();
    await deferredListener?.close();
    await echo?.close();
  });

  it("HAProxy's send-proxy-v2 + ssl reaches a tlsDeferred listener: SNI and client certificate read", async () => {
    const reply = echoThrough(front, "through HAProxy, PROXY v2 then TLS");
    const head = await heads.next("PROXY v2 header");
    const s = await secured.next("TLS after the header");
    if (s instanceof Error) throw s;
    assert.equal(await reply, "through HAProxy, PROXY v2 then TLS");
    assert.equal(s.tls?.serverName, "b.test");
    assert.equal(s.tls?.authorized, true);
    assert.equal(s.tls?.peerSubject, "/C=FR/O=Acme/CN=client1");
    // Whether HAProxy's ClientHello shared the header's segment is its business: both work.
    assert.ok(head.length === 0 || head[0] === 22, "what followed the header is the ClientHello");
  });

  it("the adapter's client: a PROXY v1 preamble, then TLS, to HAProxy's accept-proxy ssl", async () => {
    const client = await within(
      net.connect({
        address: tcp("127.0.0.1", tlsFront),
        preamble: enc("PROXY TCP4 192.0.2.10 192.0.2.20 40000 443\r\n"),
        tls: { serverName: "a.test", caCerts: [c.ca] },
      }),
      WAIT_MS,
      "TLS connect to HAProxy",
    );
    open.push(client);
    const r = new Recorder();
    client.setHandlers(r);
    client.write(enc("over TLS, after PROXY v1"));
    await within(r.waitBytes(24), WAIT_MS, "echo");
    assert.equal(r.text(), "over TLS, after PROXY v1");
    assert.equal(client.tls?.peerCommonName ?? "a.test", "a.test");
  });
});
