/**
 * Bun adapter cases beyond the shared conformance suite: chunk ownership (Bun must not reuse
 * the memory it hands to `data`), the write queue over Bun's partial writes, handlers never
 * running inside socket methods, SNI for IP literals, mutual TLS, unsupported multi-cert
 * listeners and connect cancellation during the TLS handshake. They run under Bun only.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket, TlsServerOptions } from "../../src/net.ts";
import {
  concat,
  deferred,
  enc,
  fixture,
  patternBuffer,
  PatternChecker,
  portOf,
  pump,
  Recorder,
  runtime,
  tcp,
  within,
} from "../_helpers.ts";

const skip = runtime !== "bun" && "Bun adapter only";
const WAIT_MS = 10_000;

const load = async (): Promise<Network> => (await import("../../adapters/bun.ts")).network;
const localhostCert = { cert: fixture("localhost.pem"), key: fixture("localhost.key") };

/** A listener on 127.0.0.1 and one connection to it, with the accepted socket. */
async function pair(
  net: Network,
  tls?: { server: TlsServerOptions; client: { serverName?: string; cert?: string; key?: string } },
): Promise<{ listener: Listener; client: Socket; server: Socket }> {
  const accepted = deferred<Socket>();
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (s) => accepted.resolve(s),
    ...(tls === undefined ? {} : { tls: tls.server }),
  });
  const client = await within(
    net.connect({
      address: tcp("127.0.0.1", portOf(listener.address)),
      ...(tls === undefined ? {} : { tls: { caCerts: [fixture("ca.pem")], ...tls.client } }),
    }),
    WAIT_MS,
    "connect",
  );
  return { listener, client, server: await within(accepted.promise, WAIT_MS, "accept") };
}

/** Sends `total` pattern bytes one way and checks, after the end, every chunk the receiver kept. */
async function heldChunksStayIntact(net: Network, tls: boolean): Promise<void> {
  const p = await pair(
    net,
    tls ? { server: { certificates: [localhostCert] }, client: { serverName: "localhost" } } : undefined,
  );
  const total = 16 << 20;
  const pattern = patternBuffer(1 << 20, 11);
  const c = new Recorder();
  const s = new Recorder();
  p.client.setHandlers(c);
  p.server.setHandlers(s);
  await within(pump(p.client, c, pattern, total).then(() => p.client.shutdownWrite()), 30_000, "writes");
  await within(s.ended.promise, 30_000, "EOF");
  assert.ok(s.chunks.length > 1, "more than one read");
  const check = new PatternChecker(pattern);
  check.feed(concat(s.chunks));
  assert.ok(check.ok(total), `held chunks changed: mismatch at ${check.mismatchAt} of ${check.offset}`);
  assert.equal(new Set(s.chunks.map((x) => x.buffer)).size, s.chunks.length, "each chunk owns its memory");
  p.server.close();
  await within(Promise.all([c.closed.promise, s.closed.promise]), WAIT_MS, "close");
  await p.listener.close();
}

describe("bun adapter", () => {
  it("hands over data chunks it never reuses (plain TCP)", { skip }, async () => {
    await heldChunksStayIntact(await load(), false);
  });

  it("hands over data chunks it never reuses (TLS)", { skip }, async () => {
    await heldChunksStayIntact(await load(), true);
  });

  it("queues what Bun's write() does not take, returns false past 64 KiB and drains once", { skip }, async () => {
    const p = await pair(await load());
    const c = new Recorder();
    const s = new Recorder();
    s.keep = false;
    const pattern = patternBuffer(1 << 20, 5);
    const check = new PatternChecker(pattern);
    s.onDataHook = (chunk) => check.feed(chunk);
    p.client.setHandlers(c);
    p.server.setHandlers(s);
    p.server.pause();
    // Without backpressure handling: keep writing until the adapter says stop, then a bit more.
    let written = 0;
    let refused = 0;
    while (refused < 3 && written < 256 << 20) {
      if (!p.client.write(pattern)) refused++;
      written += pattern.length;
    }
    assert.equal(refused, 3, "write() returned false once the kernel was full");
    assert.ok(p.client.bufferedAmount > 65536, `bufferedAmount ${p.client.bufferedAmount}`);
    assert.ok(p.client.bufferedAmount <= 3 * pattern.length + 65536 + pattern.length);
    assert.deepEqual(c.events, [], "no handler ran inside write()");
    p.server.resume();
    await within(c.drained.promise, 30_000, "drain");
    assert.equal(p.client.bufferedAmount, 0);
    await within(s.waitBytes(written), 30_000, "every byte");
    assert.ok(check.ok(written), `mismatch at ${check.mismatchAt}`);
    assert.deepEqual(c.events, ["drain"]);
    p.client.abort();
    p.server.abort();
    await p.listener.close();
  });

  it("runs no handler inside close(), shutdownWrite() or write() after the peer left", { skip }, async () => {
    const net = await load();
    const p = await pair(net);
    const c = new Recorder();
    const s = new Recorder();
    p.client.setHandlers(c);
    p.server.setHandlers(s);
    p.client.shutdownWrite();
    await within(s.ended.promise, WAIT_MS, "server EOF");
    // Our side already saw EOF: Bun closes the socket as soon as this shutdown is sent.
    p.server.shutdownWrite();
    assert.deepEqual(s.events, ["end"], "onClose ran inside shutdownWrite()");
    await within(Promise.all([s.closed.promise, c.closed.promise]), WAIT_MS, "both closed");
    assert.deepEqual(c.events, ["end", "close"]);
    assert.equal(p.server.write(enc("late")), false, "write after close is refused");

    const q = await pair(net);
    const r = new Recorder();
    q.client.setHandlers(r);
    q.server.setHandlers(new Recorder());
    q.client.write(enc("bye"));
    q.client.close();
    assert.deepEqual(r.events, [], "onClose ran inside close()");
    assert.equal(await within(r.closed.promise, WAIT_MS, "close"), undefined);
    q.server.abort();
    await Promise.all([p.listener.close(), q.listener.close()]);
  });

  it("sends no SNI to an IP literal and still verifies the address", { skip }, async () => {
    const p = await pair(await load(), {
      server: { certificates: [localhostCert], alpnProtocols: ["h2", "http/1.1"] },
      client: {},
    });
    assert.equal(p.server.tls?.serverName, undefined, "server saw an SNI");
    assert.equal(p.client.tls?.authorized, true);
    assert.equal(p.client.tls?.peerCommonName, "localhost");
    assert.equal(p.client.tls?.alpnProtocol, null, "no ALPN offered");
    assert.match(p.client.tls?.protocol ?? "", /^TLSv1\.[23]$/);
    p.client.abort();
    p.server.abort();
    await p.listener.close();
  });

  it("verifies client certificates (mutual TLS) and never reports refused clients", { skip }, async () => {
    const net = await load();
    const server: TlsServerOptions = {
      certificates: [localhostCert],
      requestClientCert: true,
      requireClientCert: true,
      caCerts: [fixture("ca.pem")],
    };
    const p = await pair(net, {
      server,
      client: { serverName: "localhost", cert: fixture("a.test.pem"), key: fixture("a.test.key") },
    });
    assert.equal(p.server.tls?.authorized, true);
    assert.equal(p.server.tls?.peerCommonName, "a.test");
    assert.equal(p.server.tls?.serverName, "localhost");
    p.client.abort();
    p.server.abort();
    await p.listener.close();

    let accepted = 0;
    const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => (accepted++, s.abort()), tls: server });
    const outcome = await within(
      net
        .connect({
          address: tcp("127.0.0.1", portOf(l.address)),
          tls: { serverName: "localhost", caCerts: [fixture("ca.pem")] },
        })
        .then(async (sock) => {
          // TLS 1.3: the client finishes first; the server's refusal arrives as a close.
          const r = new Recorder();
          sock.setHandlers(r);
          return (await within(r.closed.promise, WAIT_MS, "refusal")) === undefined ? "closed" : "closed with error";
        }, (e: { code?: string }) => `rejected ${e.code}`),
      WAIT_MS,
      "refused client",
    );
    assert.match(outcome, /closed|rejected/);
    assert.equal(accepted, 0, "a client without certificate was accepted");
    await l.close();
  });

  it("serves a listener with several certificates through node:tls (Bun.listen takes one)", { skip }, async () => {
    const net = await load();
    assert.equal(net.capabilities.tlsSniMultiCert, true);
    const accepted = deferred<Socket>();
    const l = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => accepted.resolve(s),
      tls: {
        certificates: [localhostCert, {
          cert: fixture("a.test.pem"),
          key: fixture("a.test.key"),
          serverNames: ["a.test"],
        }],
      },
    });
    const c = await net.connect({
      address: tcp("127.0.0.1", portOf(l.address)),
      tls: { serverName: "a.test", caCerts: [fixture("ca.pem")] },
    });
    const s = await within(accepted.promise, 10_000, "accept");
    assert.equal(s.tls?.serverName, "a.test");
    assert.equal(c.tls?.peerCommonName, "a.test");
    c.abort();
    s.abort();
    await l.close();
  });

  it("aborting a connect during the TLS handshake rejects with ECANCELED and drops the socket", { skip }, async () => {
    const net = await load();
    // A plain listener never answers the ClientHello: the handshake hangs until the abort.
    const accepted = deferred<Socket>();
    const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => accepted.resolve(s) });
    const ac = new AbortController();
    const connecting = net.connect({
      address: tcp("127.0.0.1", portOf(l.address)),
      tls: { serverName: "localhost" },
      signal: ac.signal,
    });
    const server = await within(accepted.promise, WAIT_MS, "accept");
    const s = new Recorder();
    server.setHandlers(s);
    await within(s.waitBytes(1), WAIT_MS, "ClientHello");
    ac.abort();
    await assert.rejects(within(connecting, WAIT_MS, "abort"), { code: "ECANCELED" });
    // Terminated mid-handshake, Bun's TLS socket ends with a FIN (measured), not a reset.
    await within(Promise.race([s.ended.promise, s.closed.promise]), WAIT_MS, "the abandoned socket ends");
    server.abort();
    await l.close();
  });

  it("connects with verify: false to an untrusted certificate and says so", { skip }, async () => {
    const net = await load();
    const l = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => s.abort(),
      tls: { certificates: [localhostCert] },
    });
    const sock = await within(
      net.connect({ address: tcp("127.0.0.1", portOf(l.address)), tls: { serverName: "localhost", verify: false } }),
      WAIT_MS,
      "connect",
    );
    assert.equal(sock.tls?.authorized, false);
    sock.abort();
    await l.close();
  });
});
