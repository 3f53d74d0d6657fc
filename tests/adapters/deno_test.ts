/**
 * Deno adapter cases beyond the shared conformance suite: what Deno cannot do is refused
 * cleanly, connect cancellation (pending TCP connect, TLS handshake), TLS details (verify: false
 * refused, ALPN, EOF without close_notify), socket options, pause around EOF,
 * backpressure and port release. They run under Deno only.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket, TlsServerOptions } from "../../src/net.ts";
import { deferred, enc, fixture, portOf, Recorder, runtime, tcp, within } from "../_helpers.ts";

const skip = runtime !== "deno" && "Deno adapter only";
const mod = runtime === "deno" ? await import("../../adapters/deno.ts") : undefined;
const net: Network | undefined = mod?.network;
const WAIT_MS = 10_000;

/** The raw Deno API the tests drive peers with (no Deno types under tsc). */
interface RawConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  handshake?(): Promise<unknown>;
}
interface RawListener {
  readonly addr: { readonly port: number };
  accept(): Promise<RawConn>;
  close(): void;
}
interface RawDeno {
  listen(o: { hostname: string; port: number; tcpBacklog?: number }): RawListener;
  listenTls(o: { hostname: string; port: number; cert: string; key: string }): RawListener;
  connect(o: { hostname: string; port: number }): Promise<RawConn>;
  connectTls(o: { hostname: string; port: number; unsafelyDisableHostnameVerification?: boolean }): Promise<RawConn>;
}
const raw = (): RawDeno => (globalThis as unknown as { Deno: RawDeno }).Deno;

const serverTls = (extra: Partial<TlsServerOptions> = {}): TlsServerOptions => ({
  certificates: [{ cert: fixture("localhost.pem"), key: fixture("localhost.key") }],
  ...extra,
});
const ca = (): string[] => [fixture("ca.pem")];

/** A listener handing accepted sockets to `next()`. */
async function serve(tls?: TlsServerOptions, n = net!): Promise<{ listener: Listener; next(): Promise<Socket> }> {
  const queue: Socket[] = [];
  let waiting = deferred<void>();
  const listener = await n.listen({
    address: tcp("127.0.0.1", 0),
    onAccept(s) {
      queue.push(s);
      waiting.resolve();
    },
    ...(tls !== undefined ? { tls } : {}),
  });
  return {
    listener,
    async next() {
      while (queue.length === 0) {
        await within(waiting.promise, WAIT_MS, "accept");
        waiting = deferred<void>();
      }
      return queue.shift()!;
    },
  };
}

describe("deno adapter", () => {
  it("applies no-delay and keep-alive on TCP; TlsConn has neither", { skip }, async () => {
    const { listener, next } = await serve();
    const client = await net!.connect({ address: tcp("127.0.0.1", portOf(listener.address)), noDelay: true });
    const server = await next();
    assert.equal(client.setNoDelay(true), true);
    assert.equal(server.setKeepAlive(true, 5000), true);
    assert.equal(net!.capabilities.keepAliveDelay, false);
    client.abort();
    server.abort();
    const t = await serve(serverTls());
    const tc = await net!.connect({
      address: tcp("127.0.0.1", portOf(t.listener.address)),
      tls: { serverName: "localhost", caCerts: ca() },
    });
    const ts = await t.next();
    assert.equal(tc.setNoDelay(true), false);
    assert.equal(ts.setKeepAlive(true), false);
    tc.abort();
    ts.abort();
    await Promise.all([listener.close(), t.listener.close()]);
  });

  it("serves through node:tls what Deno.listenTls and connectTls cannot do", { skip }, async () => {
    const any = tcp("127.0.0.1", 0);
    const onAccept = (s: Socket): void => s.abort();
    // Several certificates: the SNI picks a.test's.
    const two = await serve(serverTls({
      certificates: [...serverTls().certificates, {
        cert: fixture("a.test.pem"),
        key: fixture("a.test.key"),
        serverNames: ["a.test"],
      }],
    }));
    const c1 = await net!.connect({
      address: tcp("127.0.0.1", portOf(two.listener.address)),
      tls: { serverName: "a.test", caCerts: ca() },
    });
    const s1 = await two.next();
    assert.equal(s1.tls?.serverName, "a.test");
    assert.match(s1.tls?.protocol ?? "", /^TLSv1\.[23]$/, "node:tls sockets report the version");
    // A client certificate with an SNI other than the address: only node:tls can send it.
    const mtls = await serve(serverTls({ requestClientCert: true, caCerts: ca() }));
    const c2 = await net!.connect({
      address: tcp("127.0.0.1", portOf(mtls.listener.address)),
      tls: { serverName: "localhost", caCerts: ca(), cert: fixture("a.test.pem"), key: fixture("a.test.key") },
    });
    const s2 = await mtls.next();
    assert.equal(s2.tls?.authorized, true);
    assert.equal(s2.tls?.peerCommonName, "a.test");
    for (const s of [c1, s1, c2, s2]) s.abort();
    await Promise.all([two.listener.close(), mtls.listener.close()]);
    if (!net!.capabilities.reusePort) {
      await assert.rejects(net!.listen({ address: any, onAccept, reusePort: true }), { message: /unstable-net/ });
    }
    // TLS over a Unix socket goes through node:tls too: here, to nothing.
    await assert.rejects(net!.connect({ address: { transport: "unix", path: "/nonexistent" }, tls: {} }), {
      code: "ENOENT",
    });
  });

  it("cancels a connect pending on a full backlog with ECANCELED", { skip }, async () => {
    // Backlog 0 and no accept(): the first connection fills the queue, later SYNs go unanswered.
    const l = raw().listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
    const address = tcp("127.0.0.1", l.addr.port);
    const first = await within(net!.connect({ address }), WAIT_MS, "first connect");
    const ac = new AbortController();
    const pending = net!.connect({ address, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(within(pending, WAIT_MS, "cancel"), { code: "ECANCELED" });
    first.abort();
    l.close();
  });

  it("cancels a TLS handshake in progress with ECANCELED", { skip }, async () => {
    const l = raw().listen({ hostname: "127.0.0.1", port: 0 });
    const ac = new AbortController();
    const connecting = net!.connect({
      address: tcp("127.0.0.1", l.addr.port),
      signal: ac.signal,
      tls: { serverName: "localhost" },
    });
    const peer = await within(l.accept(), WAIT_MS, "raw accept");
    const hello = new Uint8Array(4096);
    assert.ok(((await within(peer.read(hello), WAIT_MS, "ClientHello")) ?? 0) > 0);
    ac.abort();
    await assert.rejects(within(connecting, WAIT_MS, "cancel"), { code: "ECANCELED" });
    // Not checked: that the peer sees the close. Deno closes a TlsConn only once its handshake
    // has finished (rustls-tokio-stream awaits it), so the socket lives until this peer closes.
    peer.close();
    l.close();
  });

  it("rejects with ETLS when the peer closes during the handshake", { skip }, async () => {
    const l = raw().listen({ hostname: "127.0.0.1", port: 0 });
    const connecting = net!.connect({ address: tcp("127.0.0.1", l.addr.port), tls: { serverName: "localhost" } });
    const peer = await within(l.accept(), WAIT_MS, "raw accept");
    await within(peer.read(new Uint8Array(4096)), WAIT_MS, "ClientHello");
    peer.close();
    await assert.rejects(within(connecting, WAIT_MS, "TLS failure"), { code: "ETLS" });
    l.close();
  });

  it("verify: false goes through node:tls: Deno's own API can skip the name check only, never the chain", {
    skip,
  }, async () => {
    const { listener, next } = await serve({
      certificates: [{ cert: fixture("self-signed.pem"), key: fixture("self-signed.key") }],
    });
    const port = portOf(listener.address);
    // The measured limit of the native client. If this ever connects, Deno gained a way to
    // skip chain verification and the node:tls route can be dropped for it.
    const conn = await raw().connectTls({
      hostname: "localhost",
      port,
      unsafelyDisableHostnameVerification: true,
    });
    await assert.rejects(conn.handshake!(), (e: Error) => /invalid peer certificate/.test(e.message));
    conn.close();
    assert.equal(net!.capabilities.tlsClientNoVerify, true);
    const client = await net!.connect({
      address: tcp("127.0.0.1", port),
      tls: { serverName: "localhost", verify: false },
    });
    assert.equal(client.tls?.authorized, false);
    client.abort();
    (await next()).abort();
    await listener.close();
  });

  it("reports ALPN on both sides, null when none was agreed", { skip }, async () => {
    const h2 = await serve(serverTls({ alpnProtocols: ["h2", "http/1.1"] }));
    const c1 = await net!.connect({
      address: tcp("127.0.0.1", portOf(h2.listener.address)),
      tls: { caCerts: ca(), alpnProtocols: ["http/1.1"] },
    });
    const s1 = await h2.next();
    assert.equal(c1.tls?.alpnProtocol, "http/1.1");
    assert.equal(s1.tls?.alpnProtocol, "http/1.1");
    assert.equal(c1.tls?.serverName, undefined, "an IP literal sends no SNI");
    const none = await serve(serverTls());
    const c2 = await net!.connect({
      address: tcp("127.0.0.1", portOf(none.listener.address)),
      tls: { caCerts: ca(), alpnProtocols: ["h2"] },
    });
    const s2 = await none.next();
    assert.equal(c2.tls?.alpnProtocol, null);
    assert.equal(s2.tls?.alpnProtocol, null);
    for (const s of [c1, s1, c2, s2]) s.abort();
    await Promise.all([h2.listener.close(), none.listener.close()]);
  });

  it("reads a TLS peer closing without close_notify as EOF, not an error", { skip }, async () => {
    // server (raw Deno TLS) <-> relay <-> adapter client; the relay then sends a bare FIN.
    const server = raw().listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: fixture("localhost.pem"),
      key: fixture("localhost.key"),
    });
    const relay = raw().listen({ hostname: "127.0.0.1", port: 0 });
    const connecting = net!.connect({
      address: tcp("127.0.0.1", relay.addr.port),
      tls: { serverName: "localhost", caCerts: ca() },
    });
    const front = await within(relay.accept(), WAIT_MS, "relay accept");
    const back = await raw().connect({ hostname: "127.0.0.1", port: server.addr.port });
    const pipe = async (from: RawConn, to: RawConn): Promise<void> => {
      const b = new Uint8Array(65536);
      for (let n = await from.read(b).catch(() => null); n !== null; n = await from.read(b).catch(() => null)) {
        await to.write(b.subarray(0, n));
      }
    };
    void pipe(front, back);
    void pipe(back, front);
    const peer = await within(server.accept(), WAIT_MS, "TLS accept");
    const client = await within(connecting, WAIT_MS, "TLS connect");
    const c = new Recorder();
    client.setHandlers(c);
    await peer.write(enc("bye"));
    await within(c.waitBytes(3), WAIT_MS, "data");
    await front.closeWrite();
    await within(c.ended.promise, WAIT_MS, "EOF");
    client.close();
    assert.equal(await within(c.closed.promise, WAIT_MS, "close"), undefined);
    assert.deepEqual(c.events, ["data", "end", "close"]);
    for (const x of [peer, front, back]) x.close();
    server.close();
    relay.close();
  });

  it("holds EOF while paused and delivers it, then close, after resume", { skip }, async () => {
    const { listener, next } = await serve();
    const client = await net!.connect({ address: tcp("127.0.0.1", portOf(listener.address)) });
    const server = await next();
    const s = new Recorder();
    server.setHandlers(s);
    server.pause();
    client.setHandlers(new Recorder());
    client.write(enc("last words"));
    client.shutdownWrite();
    server.shutdownWrite();
    // Nothing may arrive while paused; give the bytes and the FIN time to reach the kernel.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(s.events, []);
    server.resume();
    await within(s.closed.promise, WAIT_MS, "close after resume");
    assert.deepEqual(s.events, ["data", "end", "close"]);
    assert.equal(s.text(), "last words");
    client.abort();
    await listener.close();
  });

  it("write() returns false above highWaterMarkBytes, then onDrain", { skip }, async () => {
    const small = mod!.createNetwork({ highWaterMarkBytes: 1024 });
    const { listener, next } = await serve(undefined, small);
    const client = await small.connect({ address: tcp("127.0.0.1", portOf(listener.address)) });
    const server = await next();
    const c = new Recorder();
    const s = new Recorder();
    client.setHandlers(c);
    server.setHandlers(s);
    assert.equal(client.write(new Uint8Array(1024)), true);
    assert.equal(client.write(new Uint8Array(1)), false);
    assert.ok(client.bufferedAmount > 0 && client.bufferedAmount <= 1025);
    await within(c.drained.promise, WAIT_MS, "drain");
    await within(s.waitBytes(1025), WAIT_MS, "bytes");
    client.shutdownWrite();
    assert.equal(client.write(enc("late")), false, "write after shutdownWrite is refused");
    assert.throws(() => mod!.createNetwork({ tlsHandshakeTimeoutMs: Number.NaN }), /tlsHandshakeTimeoutMs.*NaN/);
    client.abort();
    server.abort();
    await listener.close();
  });

  it("listener.close() releases the port at once", { skip }, async () => {
    const a = await net!.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.abort() });
    const port = portOf(a.address);
    await a.close();
    const b = await net!.listen({ address: tcp("127.0.0.1", port), onAccept: (s) => s.abort() });
    assert.equal(portOf(b.address), port);
    await b.close();
  });
});
