/**
 * Node adapter cases beyond the shared conformance suite: SNI certificate selection, mutual
 * TLS, negotiated TLS details, socket options, resets on TLS, connect cancellation, held EOF,
 * listener addresses and port release. They run under Node only.
 */
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  Address,
  ConnectOptions,
  Listener,
  ListenOptions,
  Network,
  Socket,
  TlsCertificate,
} from "../../src/net.ts";
import { Socket as NetSocket } from "node:net";
import { spawn } from "node:child_process";
import process from "node:process";
import { concat, deferred, enc, fixture, portOf, Recorder, runtime, tcp, within } from "../_helpers.ts";

const skip = runtime !== "node" && "Node adapter only";
const net: Network | undefined = runtime === "node" ? (await import("../../adapters/node.ts")).network : undefined;
const WAIT_MS = 10_000;

function cert(name: string, serverNames?: string[]): TlsCertificate {
  const c = { cert: fixture(`${name}.pem`), key: fixture(`${name}.key`) };
  return serverNames === undefined ? c : { ...c, serverNames };
}

const everAccepted = new Map<Listener, Socket[]>();

/** Aborts every socket the listeners ever accepted, then closes them: nothing keeps the process alive. */
async function shut(...listeners: Listener[]): Promise<void> {
  for (const l of listeners) for (const s of everAccepted.get(l) ?? []) s.abort();
  await Promise.all(listeners.map((l) => l.close()));
}

/** A listener whose accepted sockets queue up in `accepted` (resolved in order). */
async function serve(
  options: Omit<ListenOptions, "onAccept">,
  onAccepted?: () => void,
): Promise<{ listener: Listener; next(): Promise<Socket>; count(): number }> {
  const queue: Socket[] = [];
  let waiting = deferred<void>();
  let n = 0;
  const listener = await net!.listen({
    ...options,
    onAccept(s) {
      n++;
      everAccepted.get(listener)?.push(s);
      queue.push(s);
      waiting.resolve();
      onAccepted?.();
    },
  });
  everAccepted.set(listener, []);
  return {
    listener,
    count: () => n,
    async next() {
      while (queue.length === 0) {
        await within(waiting.promise, WAIT_MS, "accept");
        waiting = deferred<void>();
      }
      return queue.shift()!;
    },
  };
}

function dial(listener: Listener, extra: Omit<ConnectOptions, "address"> = {}): Promise<Socket> {
  const a = listener.address;
  const address: Address = a.transport === "tcp" ? tcp(a.hostname, a.port) : a;
  return within(net!.connect({ address, ...extra }), WAIT_MS, "connect");
}

/** A connected pair on `listener` (`next`: its accept queue), each side with a {@link Recorder}. */
async function connected(
  listener: Listener,
  next: () => Promise<Socket>,
): Promise<{ client: Socket; server: Socket; c: Recorder; s: Recorder }> {
  const client = await dial(listener);
  const server = await next();
  const c = new Recorder();
  const s = new Recorder();
  client.setHandlers(c);
  server.setHandlers(s);
  return { client, server, c, s };
}

/**
 * Counts the calls of `net.Socket#name` on the sockets of `port` (not the runner's stdout)
 * until `restore()`: how a test sees which of Node's paths a socket took.
 */
function countCalls(name: "write" | "_writeGeneric" | "_unrefTimer", port: number): { n: number; restore(): void } {
  const proto = NetSocket.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const original = proto[name]!;
  const counter = { n: 0, restore: () => void (proto[name] = original) };
  proto[name] = function (this: NetSocket, ...args: unknown[]) {
    if (this.localPort === port || this.remotePort === port) counter.n++;
    return original.apply(this, args);
  };
  return counter;
}

const ca = (): string[] => [fixture("ca.pem")];

describe("node adapter", () => {
  it("selects the certificate by SNI; unknown names get the first one", { skip }, async () => {
    const { listener, next } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [cert("a.test", ["a.test"]), cert("b.test", ["b.test", "*.w.test"])] },
    });
    try {
      for (
        const [sni, cn] of [["b.test", "b.test"], ["a.test", "a.test"], ["x.w.test", "b.test"], [
          "c.test",
          "a.test",
        ]] as const
      ) {
        // verify: false for names no certificate holds; the others are verified against the name.
        const verify = sni === "a.test" || sni === "b.test";
        const client = await dial(listener, { tls: { serverName: sni, caCerts: ca(), verify } });
        const server = await next();
        assert.equal(client.tls?.peerCommonName, cn, `certificate for ${sni}`);
        assert.equal(server.tls?.serverName, sni);
        if (verify) assert.equal(client.tls?.authorized, true);
        client.abort();
        server.abort();
      }
    } finally {
      await shut(listener);
    }
  });

  it("negotiates ALPN on an SNI-selected certificate too", { skip }, async () => {
    const { listener, next } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [cert("a.test"), cert("b.test", ["b.test"])], alpnProtocols: ["h2", "http/1.1"] },
    });
    try {
      const client = await dial(listener, {
        tls: { serverName: "b.test", caCerts: ca(), alpnProtocols: ["http/1.1"] },
      });
      const server = await next();
      assert.equal(client.tls?.alpnProtocol, "http/1.1");
      assert.equal(server.tls?.alpnProtocol, "http/1.1");
      client.abort();
      server.abort();
      // Node answers an offer with no common protocol with a fatal no_application_protocol
      // alert (RFC 7301 §3.2); HAProxy would go on without ALPN.
      await assert.rejects(dial(listener, { tls: { serverName: "a.test", caCerts: ca(), alpnProtocols: ["x"] } }), {
        code: "ETLS",
      });
    } finally {
      await shut(listener);
    }
  });

  it("reports no ALPN as null, the TLS version, and sends no SNI for IP literals", { skip }, async () => {
    const { listener, next } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [cert("localhost")] },
    });
    try {
      // Verified against the certificate's IP SAN, without SNI (RFC 6066 §3).
      const client = await dial(listener, { tls: { caCerts: ca() } });
      const server = await next();
      assert.equal(client.tls?.alpnProtocol, null);
      assert.match(client.tls?.protocol ?? "", /^TLSv1\.[23]$/);
      assert.equal(client.tls?.authorized, true);
      assert.equal(client.tls?.peerCommonName, "localhost");
      assert.equal(server.tls?.serverName, undefined);
      assert.equal(server.tls?.authorized, undefined, "no client certificate was asked for");
      client.abort();
      server.abort();
    } finally {
      await shut(listener);
    }
  });

  it("verifies client certificates (mTLS), also on SNI-selected contexts", { skip }, async () => {
    const { listener, next, count } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: {
        certificates: [cert("localhost"), cert("b.test", ["b.test"])],
        requestClientCert: true,
        requireClientCert: true,
        caCerts: ca(),
      },
    });
    try {
      for (const sni of ["localhost", "b.test"]) {
        const client = await dial(listener, {
          tls: { serverName: sni, caCerts: ca(), cert: fixture("a.test.pem"), key: fixture("a.test.key") },
        });
        const server = await next();
        assert.equal(server.tls?.authorized, true, `client certificate verified (SNI ${sni})`);
        assert.equal(server.tls?.peerCommonName, "a.test");
        client.abort();
        server.abort();
      }
      // Without a certificate: with TLS 1.3 the client finishes its handshake first and
      // learns of the refusal (certificate_required alert) as an error on the socket.
      const before = count();
      const failure = await net!.connect({ address: listener.address, tls: { serverName: "localhost", caCerts: ca() } })
        .then(
          async (client) => {
            const rec = new Recorder();
            client.setHandlers(rec);
            return await within(rec.closed.promise, WAIT_MS, "refusal");
          },
          (err: unknown) => err as Error,
        );
      assert.equal((failure as { code?: string } | undefined)?.code, "ETLS");
      assert.equal(count(), before, "the server never accepted the client");
    } finally {
      await shut(listener);
    }
  });

  it("accepts a client without certificate when one is only requested", { skip }, async () => {
    const { listener, next } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [cert("localhost")], requestClientCert: true, caCerts: ca() },
    });
    try {
      const client = await dial(listener, { tls: { serverName: "localhost", caCerts: ca() } });
      const server = await next();
      assert.equal(server.tls?.authorized, false);
      assert.equal(server.tls?.peerCommonName, undefined);
      client.abort();
      server.abort();
    } finally {
      await shut(listener);
    }
  });

  it("connects to an untrusted server with verify: false", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0), tls: { certificates: [cert("a.test")] } });
    try {
      const client = await dial(listener, { tls: { serverName: "a.test", verify: false } });
      const server = await next();
      assert.equal(client.tls?.authorized, false);
      client.abort();
      server.abort();
    } finally {
      await shut(listener);
    }
  });

  it("aborting a TLS socket resets it; the peer closes with ECONNRESET", { skip }, async () => {
    const { listener, next } = await serve({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [cert("localhost")] },
    });
    try {
      for (const side of ["client", "server"] as const) {
        const client = await dial(listener, { tls: { serverName: "localhost", caCerts: ca() } });
        const server = await next();
        const c = new Recorder();
        const s = new Recorder();
        client.setHandlers(c);
        server.setHandlers(s);
        client.write(enc("x"));
        await within(s.waitBytes(1), WAIT_MS, "data");
        const [local, peer] = side === "client" ? [client, server] : [server, client];
        const [localRec, peerRec] = side === "client" ? [c, s] : [s, c];
        local.abort();
        assert.equal(await within(localRec.closed.promise, WAIT_MS, "local close"), undefined);
        const err = await within(peerRec.closed.promise, WAIT_MS, "peer close");
        assert.equal((err as { code?: string } | undefined)?.code, "ECONNRESET", `${side} abort resets`);
        assert.equal(peer.write(enc("y")), false);
      }
    } finally {
      await shut(listener);
    }
  });

  it("cancels a connect in progress with ECANCELED (TCP and TLS handshake)", { skip }, async () => {
    const { listener } = await serve({ address: tcp("127.0.0.1", 0) });
    const silent = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      const ac = new AbortController();
      const tcpAttempt = net!.connect({ address: listener.address, signal: ac.signal });
      ac.abort();
      await assert.rejects(within(tcpAttempt, WAIT_MS, "cancel"), { code: "ECANCELED" });
      // This listener never reads (no handlers), so the TLS handshake hangs until aborted.
      const ac2 = new AbortController();
      const tlsAttempt = net!.connect({
        address: silent.listener.address,
        signal: ac2.signal,
        tls: { serverName: "localhost" },
      });
      let settled = false;
      tlsAttempt.then(() => (settled = true), () => (settled = true));
      const server = await silent.next();
      assert.equal(settled, false);
      ac2.abort();
      await assert.rejects(within(tlsAttempt, WAIT_MS, "cancel"), { code: "ECANCELED" });
      server.abort();
    } finally {
      // A late accept of the aborted plain attempt, if the SYN went out, is aborted here.
      await shut(listener, silent.listener);
    }
  });

  it("applies no-delay and keep-alive on TCP and TLS, not on Unix sockets", { skip }, async () => {
    const plain = await serve({ address: tcp("127.0.0.1", 0) });
    const secure = await serve({ address: tcp("127.0.0.1", 0), tls: { certificates: [cert("localhost")] } });
    const dir = mkdtempSync(join(tmpdir(), "proxykit-"));
    const unix = await serve({ address: { transport: "unix", path: join(dir, "s.sock") } });
    try {
      const c1 = await dial(plain.listener, { noDelay: true });
      const c2 = await dial(secure.listener, { tls: { serverName: "localhost", caCerts: ca() }, noDelay: true });
      const c3 = await dial(unix.listener);
      const accepted = [await plain.next(), await secure.next(), await unix.next()];
      for (const s of [c1, c2, accepted[0]!, accepted[1]!]) {
        assert.equal(s.setNoDelay(true), true);
        assert.equal(s.setKeepAlive(true, 5000), true);
        assert.equal(s.setKeepAlive(false), true);
      }
      for (const s of [c3, accepted[2]!]) {
        assert.equal(s.setNoDelay(true), false);
        assert.equal(s.setKeepAlive(true, 5000), false);
      }
      for (const s of [c1, c2, c3, ...accepted]) s.abort();
      assert.equal(c1.setNoDelay(true), false, "not on a closed socket");
    } finally {
      await shut(plain.listener, secure.listener, unix.listener);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("holds EOF while paused and delivers it after the data on resume", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      const client = await dial(listener);
      const server = await next();
      const c = new Recorder();
      client.pause();
      client.setHandlers(c);
      server.setHandlers(new Recorder());
      server.write(enc("tail"));
      server.shutdownWrite();
      // A negative check needs a window: nothing may arrive while paused.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(c.events, []);
      client.resume();
      await within(c.ended.promise, WAIT_MS, "EOF after resume");
      assert.equal(c.text(), "tail");
      assert.deepEqual(c.events, ["data", "end"]);
      client.close();
      assert.equal(await within(c.closed.promise, WAIT_MS, "close"), undefined);
      server.abort();
    } finally {
      await shut(listener);
    }
  });

  it(
    "reads plain TCP sockets, accepted and dialled, through the static buffer; pause() stops reads",
    { skip },
    async () => {
      const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
      try {
        const client = await dial(listener);
        const server = await next();
        const s = new Recorder(), c = new Recorder();
        server.setHandlers(s);
        client.setHandlers(c);
        client.write(enc("ping"));
        await within(s.waitBytes(4), WAIT_MS, "ping");
        server.write(enc("pong"));
        await within(c.waitBytes(4), WAIT_MS, "pong");
        // A read of Node's own comes in an array buffer of its own, sized to the read; a copy out of
        // the static buffer (adapters/node/static_read.ts) is a view of Node's shared pool.
        assert.equal(s.chunks[0]!.buffer.byteLength, Buffer.poolSize, "accepted");
        assert.equal(c.chunks[0]!.buffer.byteLength, Buffer.poolSize, "dialled");
        server.pause();
        client.write(enc("held"));
        // A negative check needs a window: nothing may arrive while paused.
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(s.text(), "ping");
        server.resume();
        await within(s.waitBytes(8), WAIT_MS, "after resume");
        assert.equal(s.text(), "pingheld");
        client.abort();
        server.abort();
      } finally {
        await shut(listener);
      }
    },
  );

  it("reads and writes plain sockets without Node's per-read and per-write JavaScript", { skip }, async () => {
    // Node's onStreamRead and _writeGeneric each refresh the socket's timer (`_unrefTimer`):
    // the handles of these sockets call the adapter's read callback, and it writes to them itself.
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    const port = portOf(listener.address);
    const refreshes = countCalls("_unrefTimer", port);
    try {
      const { client, server, c, s } = await connected(listener, next);
      refreshes.n = 0; // Node's connect refreshes it once
      for (let i = 0; i < 3; i++) {
        client.write(enc(`ping${i}`));
        await within(s.waitBytes(5 * (i + 1)), WAIT_MS, "ping");
        server.write(enc(`pong${i}`));
        await within(c.waitBytes(5 * (i + 1)), WAIT_MS, "pong");
      }
      assert.equal(s.text(), "ping0ping1ping2");
      assert.equal(c.text(), "pong0pong1pong2");
      assert.equal(refreshes.n, 0, "no read or write went through Node's stream JavaScript");
      client.shutdownWrite();
      await within(s.ended.promise, WAIT_MS, "EOF, through Node's own callback");
      server.abort();
    } finally {
      refreshes.restore();
      await shut(listener);
    }
  });

  it("holds a close, local or from a peer reset, for the first setHandlers()", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      // Local abort before any handlers: onClose() without error, after setHandlers() returns.
      const c1 = await dial(listener);
      const s1 = await next();
      s1.abort();
      const c1rec = new Recorder();
      c1.setHandlers(c1rec);
      await within(c1rec.closed.promise, WAIT_MS, "peer of the aborted socket closes");
      const late = new Recorder();
      let inside = true;
      late.onClose = (e) => {
        late.events.push(inside ? "sync close" : "close");
        late.closed.resolve(e);
      };
      s1.setHandlers(late);
      inside = false;
      assert.equal(await within(late.closed.promise, WAIT_MS, "held close"), undefined);
      assert.deepEqual(late.events, ["close"]);
      // The peer resets while this side has no handlers: the reset is its close error.
      const c2 = await dial(listener);
      const s2 = await next();
      const c2rec = new Recorder();
      c2.setHandlers(c2rec);
      c2.abort();
      await within(c2rec.closed.promise, WAIT_MS, "local abort");
      const s2rec = new Recorder();
      s2.setHandlers(s2rec);
      const err = await within(s2rec.closed.promise, WAIT_MS, "reset seen");
      assert.equal((err as { code?: string } | undefined)?.code, "ECONNRESET");
      assert.deepEqual(s2rec.events, ["close:ECONNRESET"]);
    } finally {
      await shut(listener);
    }
  });

  it("runs no handler inside write(), close() or setHandlers()", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      const client = await dial(listener);
      const server = await next();
      const c = new Recorder();
      client.setHandlers(c);
      let inside = false;
      const seen: string[] = [];
      const s = new Recorder();
      s.onDrain = () => seen.push(inside ? "sync drain" : "drain");
      s.onClose = (e) => {
        seen.push(inside ? "sync close" : "close");
        s.closed.resolve(e);
      };
      server.setHandlers(s);
      const big = new Uint8Array(1 << 20);
      inside = true;
      let refused = 0;
      while (server.write(big)) refused++;
      inside = false;
      assert.ok(server.bufferedAmount > 0);
      await within(c.waitBytes((refused + 1) << 20), WAIT_MS, "bytes");
      inside = true;
      server.close();
      inside = false;
      await within(s.closed.promise, WAIT_MS, "close");
      assert.deepEqual(seen, ["drain", "close"]);
      client.abort();
    } finally {
      await shut(listener);
    }
  });

  it("writes plain sockets below Node's stream layer: in order, backpressure, drain, then EOF", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    const port = portOf(listener.address);
    const streamWrites = countCalls("write", port);
    try {
      const { client, server, c, s } = await connected(listener, next);
      const big = new Uint8Array(4 << 20).map((_, i) => i % 251);
      // One turn: a small chunk, more than the high-water mark, a small one (a writev).
      const answers = [server.write(enc("<")), server.write(big), server.write(enc(">"))];
      assert.deepEqual(answers, [true, false, false]);
      assert.equal(server.bufferedAmount, big.length + 2, "counted before the turn ends");
      await within(s.drained.promise, WAIT_MS, "drain");
      assert.equal(server.bufferedAmount, 0);
      // Then a second turn, ended at once: its bytes go out before the FIN.
      assert.equal(server.write(enc("!")), true);
      server.shutdownWrite();
      await within(c.ended.promise, WAIT_MS, "client EOF");
      const got = concat(c.chunks);
      assert.equal(got.length, big.length + 3);
      assert.equal(got[0], "<".charCodeAt(0));
      assert.deepEqual(got.subarray(1, 1 + big.length), big);
      assert.equal(new TextDecoder().decode(got.subarray(1 + big.length)), ">!");
      assert.equal(streamWrites.n, 0, "no write went through net.Socket#write");
      assert.deepEqual(s.events, ["drain"]);
      client.abort();
    } finally {
      streamWrites.restore();
      await shut(listener);
    }
  });

  it(
    "after a socket's first write, writes go to Node's handle without _writeGeneric, sync and async",
    { skip },
    async () => {
      const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
      const port = portOf(listener.address);
      const generics = countCalls("_writeGeneric", port);
      try {
        const { client, server, c } = await connected(listener, next);
        const nextTurn = () => new Promise((r) => setImmediate(r));
        const big = new Uint8Array(8 << 20).fill(9);
        let want = 0;
        for (let i = 0; i < 5; i++) {
          server.write(enc(`${i}`));
          if (i === 2) server.write(big); // not taken whole by the kernel: completes later
          want += i === 2 ? 1 + big.length : 1;
          await nextTurn();
        }
        await within(c.waitBytes(want), WAIT_MS, "bytes");
        const got = concat(c.chunks);
        assert.equal(new TextDecoder().decode(got.subarray(0, 3)), "012");
        assert.deepEqual(got.subarray(3, 3 + big.length), big);
        assert.equal(new TextDecoder().decode(got.subarray(3 + big.length)), "34");
        assert.equal(generics.n, 0, "no write went through _writeGeneric");
        assert.equal(server.bufferedAmount, 0);
        client.abort();
      } finally {
        generics.restore();
        await shut(listener);
      }
    },
  );

  it("streams 256 MiB to another process in turns of 40 KB writes, every byte once, in order", { skip }, async () => {
    // A reader in another process frees the send buffer between the system calls of one write:
    // libuv may then finish a write the kernel took only part of inside the same call, its
    // completion still to come while its queue is empty again. Telling such a write by the
    // queue reused its request while libuv held it (an assertion of Node's, or a stall).
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    const TOTAL = 256 << 20;
    const reader = spawn(process.execPath, [
      "-e",
      `const s = require("net").connect(${portOf(listener.address)}, "127.0.0.1"); let n = 0, sum = 0;
       s.on("data", (d) => {
         for (let i = (4093 - n % 4093) % 4093; i < d.length; i += 4093) sum = (sum + d[i] * ((n + i) % 9973)) % 1000003;
         n += d.length;
       });
       s.on("end", () => { console.log(n + " " + sum); s.end(); });`,
    ], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      reader.stdout.on("data", (d) => out += d);
      const exited = new Promise((r) => reader.on("exit", r));
      const server = await next();
      const chunk = new Uint8Array(40_000).map((_, i) => i % 253);
      let sent = 0, sum = 0;
      const turn = (): void => {
        while (sent < TOTAL) {
          for (let i = (4093 - sent % 4093) % 4093; i < chunk.length; i += 4093) {
            sum = (sum + chunk[i]! * ((sent + i) % 9973)) % 1000003; // sampled bytes, by position
          }
          sent += chunk.length;
          if (!server.write(chunk)) return; // onDrain goes on
          if (sent % (3 * chunk.length) === 0) return void setImmediate(turn);
        }
        server.shutdownWrite();
      };
      server.setHandlers({ onData() {}, onEnd() {}, onDrain: turn, onClose() {} });
      turn();
      await within(exited, 30_000, "the reader's EOF");
      assert.equal(out.trim(), `${sent} ${sum}`);
      server.close();
    } finally {
      reader.kill();
      await shut(listener);
    }
  });

  it("keeps later turns' writes while one is in flight, and hands them over when ending", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      const { client, server, c } = await connected(listener, next);
      client.pause();
      const big = new Uint8Array(8 << 20).fill(7);
      const nextTurn = () => new Promise((r) => setImmediate(r));
      server.write(big);
      await nextTurn();
      await nextTurn();
      assert.ok(server.bufferedAmount > 0, "the kernel has not taken it all: a write in flight");
      server.write(enc("x"));
      await nextTurn();
      server.write(enc("y"));
      server.shutdownWrite(); // what waits goes to Node before the FIN
      client.resume();
      await within(c.ended.promise, WAIT_MS, "client EOF");
      const got = concat(c.chunks);
      assert.equal(got.length, big.length + 2);
      assert.equal(new TextDecoder().decode(got.subarray(big.length)), "xy");
      client.abort();
    } finally {
      await shut(listener);
    }
  });

  it("closes after shutdownWrite() once the peer ends too, and close() after shutdownWrite()", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("127.0.0.1", 0) });
    try {
      const { client, server, c, s } = await connected(listener, next);
      server.shutdownWrite();
      await within(c.ended.promise, WAIT_MS, "client EOF");
      assert.equal(server.write(enc("late")), false, "write after shutdownWrite() is refused");
      server.close();
      assert.equal(await within(s.closed.promise, WAIT_MS, "server close"), undefined);
      assert.deepEqual(s.events, ["close"]);
      client.abort();
    } finally {
      await shut(listener);
    }
  });

  it("reports the listener path on accepted Unix sockets, also for abstract names", { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "proxykit-"));
    try {
      for (const path of [join(dir, "s.sock"), `\0proxykit-${process.pid}-${Date.now()}`]) {
        const { listener, next } = await serve({ address: { transport: "unix", path } });
        const client = await dial(listener);
        const server = await next();
        assert.deepEqual(listener.address, { transport: "unix", path });
        assert.deepEqual(server.localAddress, { transport: "unix", path });
        assert.equal(server.remoteAddress, undefined);
        assert.equal(client.remoteAddress, undefined);
        client.abort();
        server.abort();
        await listener.close();
        // The path is free again at once (Node unlinks it).
        const again = await serve({ address: { transport: "unix", path } });
        await again.listener.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("releases a TCP port as soon as close() resolves, accepted sockets live on", { skip }, async () => {
    const first = await serve({ address: tcp("127.0.0.1", 0) });
    const port = portOf(first.listener.address);
    const client = await dial(first.listener);
    const server = await first.next();
    await first.listener.close();
    const second = await serve({ address: tcp("127.0.0.1", port) });
    try {
      const s = new Recorder();
      server.setHandlers(s);
      client.setHandlers(new Recorder());
      client.write(enc("alive"));
      await within(s.waitBytes(5), WAIT_MS, "data on the old connection");
      client.abort();
      server.abort();
    } finally {
      await shut(first.listener, second.listener);
    }
  });

  it("shares a port between reusePort listeners", { skip }, async () => {
    let total = 0;
    const all = deferred<void>();
    const counted = (): void => {
      if (++total === 16) all.resolve();
    };
    const a = await serve({ address: tcp("127.0.0.1", 0), reusePort: true }, counted);
    const port = portOf(a.listener.address);
    const b = await serve({ address: tcp("127.0.0.1", port), reusePort: true }, counted);
    try {
      const clients: Socket[] = [];
      for (let i = 0; i < 16; i++) clients.push(await dial(a.listener));
      await within(all.promise, WAIT_MS, "16 accepts");
      assert.equal(a.count() + b.count(), 16);
      for (const c of clients) c.abort();
    } finally {
      await shut(a.listener, b.listener);
    }
  });

  it("reports IPv4 peers of a dual-stack :: listener as v4-mapped on both sides", { skip }, async () => {
    const { listener, next } = await serve({ address: tcp("::", 0) });
    try {
      const port = portOf(listener.address);
      await within(net!.connect({ address: tcp("127.0.0.1", port) }), WAIT_MS, "connect").then(async (client) => {
        const server = await next();
        assert.deepEqual(client.remoteAddress, tcp("127.0.0.1", port));
        assert.deepEqual(server.localAddress, tcp("::ffff:127.0.0.1", port));
        assert.equal(server.remoteAddress?.transport === "tcp" && server.remoteAddress.hostname, "::ffff:127.0.0.1");
        client.abort();
        server.abort();
      });
    } finally {
      await shut(listener);
    }
  });

  it(
    "caches client TLS contexts by content: equal options objects share one, SNI stays per connection",
    { skip },
    async () => {
      const { clientContext } = await import("../../adapters/node/tls.ts");
      const pem = { caCerts: ca(), cert: fixture("a.test.pem"), key: fixture("a.test.key") };
      const one = clientContext({ ...pem, serverName: "a.test" });
      assert.equal(
        clientContext({ ...pem, serverName: "b.test" }),
        one,
        "a new options object, same PEM: same context",
      );
      assert.notEqual(
        clientContext({ ...pem, minVersion: "TLSv1.3" }),
        one,
        "another minimum version: another context",
      );
      assert.notEqual(clientContext({ caCerts: ca() }), one, "without the client certificate: another context");
      const { listener, next } = await serve({
        address: tcp("127.0.0.1", 0),
        tls: { certificates: [cert("localhost", ["localhost"]), cert("b.test", ["b.test"])] },
      });
      try {
        for (const sni of ["localhost", "b.test"]) {
          const client = await dial(listener, { tls: { ...pem, serverName: sni } });
          const server = await next();
          assert.equal(server.tls?.serverName, sni);
          assert.equal(client.tls?.peerCommonName, sni);
          client.abort();
          server.abort();
        }
      } finally {
        await shut(listener);
      }
    },
  );
});
