/**
 * The adapter conformance suite: the same cases for every {@link Network} implementation.
 * A wrapper file per adapter calls {@link conformance}. A case an adapter cannot pass because
 * of a runtime gap is skipped only through a `false` capability, whose reason is printed.
 * The cases of this file are about bytes, half-close, errors and addresses; those about when
 * handlers run are in `_conformance_events.ts`, the TLS ones in `_conformance_tls.ts`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Network } from "../../src/net.ts";
import { deferred, enc, patternBuffer, PatternChecker, portOf, pump, Recorder, tcp, within } from "../_helpers.ts";
import { pair, skipUnless, WAIT_MS } from "./_conformance_kit.ts";
import { eventCases } from "./_conformance_events.ts";
import { tlsCases } from "./_conformance_tls.ts";
import { tlsServerCases } from "./_conformance_tls_server.ts";
import { tlsDeferredCases } from "./_conformance_tls_deferred.ts";

/** Size of the bulk transfer in each direction. */
const BULK_BYTES = 32 * 1024 * 1024;

/**
 * Registers the conformance cases for `net` under a `describe` named after it. Wrappers load
 * the adapter with a top-level `await`, so capabilities are known when cases are registered.
 */
export function conformance(label: string, net: Network): void {
  describe(`adapter conformance: ${label}`, () => {
    it("connects, accepts and carries bytes both ways", async () => {
      const p = await pair(net);
      p.s.onDataHook = (chunk) => p.server.write(chunk.slice());
      p.client.write(enc("hello"));
      await within(p.c.waitBytes(5), WAIT_MS, "echo");
      assert.equal(p.c.text(), "hello");
      assert.equal(p.s.text(), "hello");
      await p.done();
    });

    it("reports local and peer addresses on both sides", async () => {
      const p = await pair(net);
      const port = portOf(p.listener.address);
      assert.ok(port > 0, "listener reports the real port");
      assert.deepEqual(p.client.remoteAddress, tcp("127.0.0.1", port));
      assert.deepEqual(p.server.localAddress, tcp("127.0.0.1", port));
      assert.equal(p.client.localAddress?.transport, "tcp");
      assert.deepEqual(p.server.remoteAddress, p.client.localAddress);
      await p.done();
    });

    it("holds data, EOF and close for the first setHandlers()", async () => {
      const p = await pair(net, { attachServer: false });
      p.server.write(enc("early"));
      p.server.shutdownWrite();
      await within(p.c.ended.promise, WAIT_MS, "client EOF");
      const late = new Recorder();
      await new Promise((r) => setTimeout(r, 20));
      p.server.setHandlers(late);
      p.client.write(enc("late"));
      p.client.shutdownWrite();
      await within(late.ended.promise, WAIT_MS, "server EOF");
      assert.equal(late.text(), "late");
      assert.equal(p.c.text(), "early");
      await within(p.c.closed.promise, WAIT_MS, "client close");
      await p.listener.close();
    });

    it("rejects a connect to a closed port with ECONNREFUSED", async () => {
      const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.abort() });
      const port = portOf(l.address);
      await l.close();
      await assert.rejects(within(net.connect({ address: tcp("127.0.0.1", port) }), WAIT_MS, "refusal"), {
        code: "ECONNREFUSED",
      });
    });

    it("rejects a second listener on the same port with EADDRINUSE", async () => {
      const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.abort() });
      await assert.rejects(net.listen({ address: tcp("127.0.0.1", portOf(l.address)), onAccept: (s) => s.abort() }), {
        code: "EADDRINUSE",
      });
      await l.close();
    });

    it("rejects an already aborted connect with ECANCELED", async () => {
      const l = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.abort() });
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(net.connect({ address: tcp("127.0.0.1", portOf(l.address)), signal: ac.signal }), {
        code: "ECANCELED",
      });
      await l.close();
    });

    it(`moves ${BULK_BYTES / 1048576} MiB each way intact, with half-close`, async () => {
      const p = await pair(net);
      const pattern = patternBuffer(1 << 20);
      const toServer = new PatternChecker(pattern);
      const toClient = new PatternChecker(pattern);
      p.s.keep = false;
      p.c.keep = false;
      p.s.onDataHook = (c) => toServer.feed(c);
      p.c.onDataHook = (c) => toClient.feed(c);
      await within(
        Promise.all([
          pump(p.client, p.c, pattern, BULK_BYTES).then(() => p.client.shutdownWrite()),
          pump(p.server, p.s, pattern, BULK_BYTES).then(() => p.server.shutdownWrite()),
        ]),
        60_000,
        "bulk writes",
      );
      await within(Promise.all([p.s.ended.promise, p.c.ended.promise]), 60_000, "EOF both ways");
      assert.ok(toServer.ok(BULK_BYTES), `client→server: ${toServer.offset} bytes, mismatch at ${toServer.mismatchAt}`);
      assert.ok(toClient.ok(BULK_BYTES), `server→client: ${toClient.offset} bytes, mismatch at ${toClient.mismatchAt}`);
      const [ce, se] = await within(
        Promise.all([p.c.closed.promise, p.s.closed.promise]),
        WAIT_MS,
        "close after both FINs",
      );
      assert.equal(ce, undefined);
      assert.equal(se, undefined);
      await p.listener.close();
    });

    it("pausing the reader blocks the writer; resuming delivers everything", async () => {
      const p = await pair(net);
      p.server.pause();
      const total = 8 * 1024 * 1024;
      const pattern = patternBuffer(1 << 16, 7);
      const check = new PatternChecker(pattern);
      p.s.keep = false;
      p.s.onDataHook = (c) => check.feed(c);
      const writing = pump(p.client, p.c, pattern, total);
      let finished = false;
      writing.then(() => (finished = true));
      // The writer must block: 8 MiB exceeds what socket buffers hold on loopback.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(finished, false, "writer finished although the reader was paused");
      assert.equal(p.s.bytes, 0, "onData was called while paused");
      p.server.resume();
      await within(writing, 30_000, "writer unblocked");
      await within(p.s.waitBytes(total), 30_000, "all bytes after resume");
      assert.ok(check.ok(total));
      await p.done();
    });

    it("half-closes client→server; the server still answers", async () => {
      const p = await pair(net);
      p.client.write(enc("ping"));
      p.client.shutdownWrite();
      await within(p.s.ended.promise, WAIT_MS, "server sees EOF");
      assert.equal(p.s.text(), "ping");
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(p.server.write(enc("pong")), true);
      p.server.shutdownWrite();
      await within(p.c.ended.promise, WAIT_MS, "client sees EOF");
      assert.equal(p.c.text(), "pong");
      await within(Promise.all([p.c.closed.promise, p.s.closed.promise]), WAIT_MS, "both closed");
      assert.deepEqual(p.c.events, ["data", "end", "close"]);
      assert.equal(p.s.closeCount, 1);
      await p.listener.close();
    });

    it("half-closes server→client; the client still answers", async () => {
      const p = await pair(net);
      p.server.write(enc("banner"));
      p.server.shutdownWrite();
      await within(p.c.ended.promise, WAIT_MS, "client sees EOF");
      await new Promise((r) => setTimeout(r, 50));
      p.client.write(enc("reply"));
      p.client.close();
      await within(p.s.ended.promise, WAIT_MS, "server sees EOF");
      assert.equal(p.s.text(), "reply");
      assert.equal(p.c.text(), "banner");
      await within(Promise.all([p.c.closed.promise, p.s.closed.promise]), WAIT_MS, "both closed");
      await p.listener.close();
    });

    it("a paused socket keeps the peer's EOF and the close behind it until resume(), in order", async () => {
      // Both sides half-close while the server's owner is paused (a proxy holding a server
      // back while its client drains): Node closes such a socket by itself on the FIN, and
      // delivering that close before the held EOF read as a server abort (SD) in the logs.
      const p = await pair(net);
      p.server.pause();
      p.server.shutdownWrite();
      await within(p.c.ended.promise, WAIT_MS, "client sees EOF");
      p.client.close();
      await within(p.c.closed.promise, WAIT_MS, "client closed");
      // Only strengthens the check: time for the runtime to report the FIN and its own close.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(p.s.events, [], "nothing is delivered while paused");
      p.server.resume();
      assert.equal(await within(p.s.closed.promise, WAIT_MS, "server close"), undefined);
      assert.deepEqual(p.s.events, ["end", "close"]);
      await p.listener.close();
    });

    it("abort() closes locally without error and the peer sees the connection end", async () => {
      const p = await pair(net);
      let syncClose = true;
      p.c.onDataHook = undefined;
      const origClose = p.c.onClose.bind(p.c);
      p.c.onClose = (e) => {
        assert.equal(syncClose, false, "onClose ran synchronously inside abort()");
        origClose(e);
      };
      p.client.abort();
      syncClose = false;
      assert.equal(await within(p.c.closed.promise, WAIT_MS, "local close"), undefined);
      if (net.capabilities.abortSendsReset) {
        const peerErr = await within(p.s.closed.promise, WAIT_MS, "peer close");
        assert.equal((peerErr as { code?: string } | undefined)?.code, "ECONNRESET", "peer sees a reset");
      } else {
        // A FIN without a reset reads as an orderly EOF; the peer's socket then stays half-open
        // (contract) until its owner closes it.
        await within(p.s.ended.promise, WAIT_MS, "peer EOF");
        p.server.close();
        assert.equal(await within(p.s.closed.promise, WAIT_MS, "peer close"), undefined);
      }
      assert.equal(p.client.write(enc("x")), false, "write after abort is refused");
      assert.equal(p.c.closeCount, 1);
      await p.listener.close();
    });

    it("a reset from the peer closes with ECONNRESET", { skip: skipUnless(net, "abortSendsReset") }, async () => {
      const p = await pair(net);
      p.client.write(enc("x"));
      await within(p.s.waitBytes(1), WAIT_MS, "data");
      p.server.abort();
      const err = await within(p.c.closed.promise, WAIT_MS, "client close");
      assert.equal((err as { code?: string } | undefined)?.code, "ECONNRESET");
      await p.listener.close();
    });

    it("keeps accepting after a burst of clients that abort right after connecting", async () => {
      // A connection reset while still in the accept queue makes some runtimes' accept() throw
      // (Deno: ENOTCONN from its peer-address lookup); the listener must go on regardless.
      // Aborted clients may or may not reach onAccept; the one after them must, with its bytes.
      const survivor = deferred<string>();
      const listener = await net.listen({
        address: tcp("127.0.0.1", 0),
        onAccept: (s) => {
          const r = new Recorder();
          r.onEnd = () => {
            if (r.text() !== "") survivor.resolve(r.text());
            s.close();
          };
          s.setHandlers(r);
        },
      });
      const target = tcp("127.0.0.1", portOf(listener.address));
      await Promise.all(Array.from({ length: 20 }, async () => (await net.connect({ address: target })).abort()));
      const c = await within(net.connect({ address: target }), WAIT_MS, "connect after the burst");
      c.setHandlers(new Recorder());
      c.write(enc("still here"));
      c.shutdownWrite();
      assert.equal(await within(survivor.promise, WAIT_MS, "the client after the burst is served"), "still here");
      c.close();
      await listener.close();
    });

    it("close() flushes queued bytes before closing", async () => {
      const p = await pair(net);
      const pattern = patternBuffer(1 << 20, 3);
      for (let i = 0; i < 4; i++) p.server.write(pattern);
      p.server.close();
      await within(p.c.ended.promise, WAIT_MS, "EOF");
      assert.equal(p.c.bytes, 4 << 20);
      await within(p.s.closed.promise, WAIT_MS, "server close");
      await p.done();
    });

    it("works over IPv6 loopback", { skip: skipUnless(net, "ipv6") }, async () => {
      const p = await pair(net, { address: tcp("::1", 0) });
      p.s.onDataHook = (chunk) => p.server.write(chunk.slice());
      p.client.write(enc("v6"));
      await within(p.c.waitBytes(2), WAIT_MS, "echo");
      assert.equal(p.c.text(), "v6");
      assert.equal(p.server.remoteAddress?.transport === "tcp" && p.server.remoteAddress.hostname, "::1");
      await p.done();
    });

    it("works over a Unix socket", { skip: skipUnless(net, "unix") }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "proxykit-"));
      const path = join(dir, "s.sock");
      try {
        const p = await pair(net, { address: { transport: "unix", path } });
        p.s.onDataHook = (chunk) => p.server.write(chunk.slice());
        p.client.write(enc("unix"));
        await within(p.c.waitBytes(4), WAIT_MS, "echo");
        assert.equal(p.c.text(), "unix");
        assert.equal(p.server.remoteAddress, undefined);
        await p.done();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("resolve(): an IP literal is itself, without a lookup; a name that does not exist rejects ENOTFOUND", async () => {
      assert.deepEqual(await net.resolve("127.0.0.1"), ["127.0.0.1"]);
      assert.deepEqual(await net.resolve("::1"), ["::1"]);
      assert.deepEqual(await net.resolve("[::1]"), ["::1"]);
      // RFC 6761: `.invalid` never resolves.
      await assert.rejects(within(net.resolve("nothing-here.invalid"), WAIT_MS, "resolve"), (e: unknown) => {
        assert.equal((e as { code?: string }).code, "ENOTFOUND");
        return true;
      });
    });

    tlsCases(net);
    tlsServerCases(net);
    tlsDeferredCases(net);
    eventCases(net);
  });
}
