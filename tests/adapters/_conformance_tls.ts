/**
 * Conformance cases for the TLS transport: a round trip with SNI and ALPN, verification and
 * the declared `tlsClientNoVerify`, and which closes send `close_notify`, checked with a real
 * peer (`openssl -msg` prints every alert it receives).
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { deferred, enc, fixture, portOf, Recorder, tcp, within } from "../_helpers.ts";
import { skipUnless, WAIT_MS } from "./_conformance_kit.ts";
import type { Child } from "../_child.ts";
import { OPENSSL, RECEIVED_CLOSE_NOTIFY, startClient, startServer } from "./_openssl.ts";

/** Registers the TLS cases for `net` (inside the adapter's `describe`). */
export function tlsCases(net: Network): void {
  it(
    "round-trips over TLS with SNI and ALPN",
    { skip: skipUnless(net, "tlsServer", "tlsClient") },
    async () => {
      const accepted = deferred<Socket>();
      const listener = await net.listen({
        address: tcp("127.0.0.1", 0),
        onAccept: (s) => accepted.resolve(s),
        tls: {
          certificates: [{ cert: fixture("localhost.pem"), key: fixture("localhost.key") }],
          alpnProtocols: ["http/1.1"],
        },
      });
      const client = await within(
        net.connect({
          address: tcp("127.0.0.1", portOf(listener.address)),
          tls: { serverName: "localhost", caCerts: [fixture("ca.pem")], alpnProtocols: ["http/1.1"] },
        }),
        WAIT_MS,
        "TLS connect",
      );
      const server = await within(accepted.promise, WAIT_MS, "TLS accept");
      const c = new Recorder();
      const s = new Recorder();
      s.onDataHook = (chunk) => server.write(chunk.slice());
      client.setHandlers(c);
      server.setHandlers(s);
      client.write(enc("secret"));
      await within(c.waitBytes(6), WAIT_MS, "TLS echo");
      assert.equal(c.text(), "secret");
      assert.ok(client.tls !== undefined, "client socket reports TLS");
      assert.equal(client.tls?.alpnProtocol, "http/1.1");
      client.shutdownWrite();
      await within(s.ended.promise, WAIT_MS, "TLS EOF");
      server.close();
      await within(Promise.all([c.closed.promise, s.closed.promise]), WAIT_MS, "TLS close");
      await listener.close();
    },
  );

  it("fails a TLS connect to an untrusted certificate with ETLSVERIFY", {
    skip: skipUnless(net, "tlsServer", "tlsClient"),
  }, async () => {
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} }),
      tls: { certificates: [{ cert: fixture("localhost.pem"), key: fixture("localhost.key") }] },
    });
    await assert.rejects(
      within(
        net.connect({ address: tcp("127.0.0.1", portOf(listener.address)), tls: { serverName: "localhost" } }),
        WAIT_MS,
        "TLS failure",
      ),
      { code: "ETLSVERIFY" },
    );
    await listener.close();
  });

  it("verify: false connects to a self-signed certificate exactly when tlsClientNoVerify says so", {
    skip: skipUnless(net, "tlsServer", "tlsClient"),
  }, async () => {
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} }),
      tls: { certificates: [{ cert: fixture("self-signed.pem"), key: fixture("self-signed.key") }] },
    });
    const address = tcp("127.0.0.1", portOf(listener.address));
    try {
      // Verified, the certificate is refused everywhere.
      await assert.rejects(within(net.connect({ address, tls: { serverName: "localhost" } }), WAIT_MS, "refusal"), {
        code: "ETLSVERIFY",
      });
      const attempt = within(
        net.connect({ address, tls: { serverName: "localhost", verify: false } }),
        WAIT_MS,
        "connect",
      );
      if (net.capabilities.tlsClientNoVerify) {
        const socket = await attempt;
        assert.notEqual(socket.tls?.authorized, true, "an unverified peer is not reported as authorized");
        socket.abort();
      } else {
        const err = await attempt.then(() => undefined, (e: unknown) => e as { code?: string; message?: string });
        assert.equal(err?.code, "ETLSVERIFY", "declared tlsClientNoVerify: false, yet verify: false connected");
        assert.match(err?.message ?? "", /verify/);
      }
    } finally {
      await listener.close();
    }
  });

  for (const side of ["client", "server"] as const) {
    for (const how of ["shutdownWrite", "close", "abort"] as const) {
      const sends = how !== "abort";
      const name = sends ? "sends close_notify after the queued bytes" : "sends no close_notify";
      it(`${how}() on a TLS ${side} ${name} (openssl peer)`, {
        skip: skipUnless(net, side === "client" ? "tlsClient" : "tlsServer") ||
          (sends ? false : skipUnless(net, "abortSendsReset")) ||
          (OPENSSL === undefined && "openssl is not installed (scripts/peers.sh installs it)"),
      }, async () => {
        await closeNotifyCase(net, side, how);
      });
    }
  }
}

/** The last line written before the close: the peer must print it before any close_notify. */
const TAIL_LINE = "last line before the close";

/**
 * One end of a TLS connection is this adapter, the other `openssl` with `-msg`: the adapter
 * writes about 200 KiB and a last line, calls `how`, and the peer's transcript tells whether
 * a close_notify arrived, and whether it came after the last line.
 */
async function closeNotifyCase(net: Network, side: "client" | "server", how: "shutdownWrite" | "close" | "abort") {
  let socket: Socket;
  let listener: Listener | undefined;
  let peer: Child;
  if (side === "client") {
    const server = await startServer();
    peer = server.peer;
    socket = await within(
      net.connect({
        address: tcp("127.0.0.1", server.port),
        tls: { serverName: "localhost", caCerts: [fixture("ca.pem")] },
      }),
      WAIT_MS,
      "TLS connect to openssl s_server",
    );
  } else {
    const accepted = deferred<Socket>();
    listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => accepted.resolve(s),
      tls: { certificates: [{ cert: fixture("localhost.pem"), key: fixture("localhost.key") }] },
    });
    peer = startClient(portOf(listener.address));
    socket = await within(accepted.promise, WAIT_MS, "TLS accept from openssl s_client");
  }
  try {
    const rec = new Recorder();
    socket.setHandlers(rec);
    socket.write(enc("hello\n"));
    await peer.line(/^hello$/, WAIT_MS);
    socket.write(enc(`${"x".repeat(63)}\n`.repeat(3200)));
    socket.write(enc(`${TAIL_LINE}\n`));
    socket[how]();
    // Either way openssl ends the session and exits: after answering a close_notify with its
    // own, or on the EOF or reset.
    await within(peer.exited, WAIT_MS, "openssl exits once the connection ended");
    const lines = peer.stdout;
    const transcript = (): string =>
      `${lines.filter((l) => !l.startsWith("xxx")).join("\n").slice(-1500)}\nstderr: ${peer.stderr().slice(-500)}`;
    const tail = lines.indexOf(TAIL_LINE);
    const notify = lines.findIndex((l) => RECEIVED_CLOSE_NOTIFY.test(l));
    if (how === "abort") {
      assert.equal(notify, -1, `abort() sent close_notify:\n${transcript()}`);
    } else {
      assert.ok(tail >= 0, `the queued bytes did not all arrive:\n${transcript()}`);
      assert.ok(notify > tail, `no close_notify after the queued bytes:\n${transcript()}`);
    }
    if (how === "shutdownWrite") {
      await within(rec.ended.promise, WAIT_MS, "the peer's close_notify, read as EOF");
      socket.close();
    }
    assert.equal(await within(rec.closed.promise, WAIT_MS, "local close"), undefined);
  } finally {
    peer.child.kill("SIGKILL");
    socket.abort();
    await listener?.close();
  }
}
