/**
 * Conformance cases for TLS after bytes in clear: `tlsDeferred` listeners with
 * `startServerTls()` (a PROXY header and the ClientHello in one TCP segment), the client's
 * `preamble`, and the client's certificate checks (`verifyName`, the chain alone,
 * `minVersion`).
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { concat, dec, deferred, enc, fixture, Recorder, tcp, within } from "../_helpers.ts";
import { skipUnless, WAIT_MS } from "./_conformance_kit.ts";
import { OPENSSL, startServer } from "./_openssl.ts";
import { certs, Queue } from "./_tls_kit.ts";

const HEADER = "PROXY TCP4 192.0.2.1 192.0.2.2 40000 443\r\n";

/** A `tlsDeferred` listener that reads one header line, then starts TLS with what followed it. */
interface Deferred {
  readonly listener: Listener;
  readonly port: number;
  /** Each connection's header line, and the bytes read past it in the same chunk. */
  readonly heads: Queue<{ header: string; head: Uint8Array }>;
  /** TLS sockets once their handshake completed (they echo). */
  readonly secured: Queue<Socket>;
  readonly failures: Queue<unknown>;
  close(): Promise<void>;
}

async function deferredServer(net: Network): Promise<Deferred> {
  const c = certs();
  const heads = new Queue<{ header: string; head: Uint8Array }>();
  const secured = new Queue<Socket>();
  const failures = new Queue<unknown>();
  const all: Socket[] = [];
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    tls: { certificates: [c.a, c.b] },
    tlsDeferred: true,
    onAccept: (plain) => {
      all.push(plain);
      let got: Uint8Array = new Uint8Array(0);
      plain.setHandlers({
        onData(chunk) {
          got = concat([got, chunk]);
          const eol = got.indexOf(10);
          if (eol < 0) return;
          plain.pause();
          const header = dec([got.subarray(0, eol + 1)]);
          const head = got.slice(eol + 1);
          heads.push({ header, head });
          net.startServerTls!(plain, head).then((s) => {
            all.push(s);
            const r = new Recorder();
            r.onDataHook = (d) => s.write(d.slice());
            s.setHandlers(r);
            secured.push(s);
          }, (e: unknown) => failures.push(e));
        },
        onEnd() {},
        onDrain() {},
        onClose() {},
      });
    },
  });
  return {
    listener,
    port: listener.address.transport === "tcp" ? listener.address.port : 0,
    heads,
    secured,
    failures,
    async close() {
      for (const s of all) s.abort();
      await listener.close();
    },
  };
}

/**
 * A plain relay in front of `port`: the first chunk from each client goes out in ONE write
 * together with `prefix`, so the server reads the header and the ClientHello in one segment.
 */
async function prefixRelay(
  net: Network,
  port: number,
  prefix: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (down) => {
      sockets.push(down);
      down.pause();
      net.connect({ address: tcp("127.0.0.1", port), noDelay: true }).then((up) => {
        sockets.push(up);
        let first = true;
        const pipe = (to: Socket) => ({
          onData(chunk: Uint8Array) {
            if (first && to === up) {
              first = false;
              to.write(concat([enc(prefix), chunk]));
            } else to.write(chunk.slice());
          },
          onEnd: () => to.shutdownWrite(),
          onDrain() {},
          onClose: () => to.close(),
        });
        down.setHandlers(pipe(up));
        up.setHandlers(pipe(down));
        down.resume();
      }, () => down.abort());
    },
  });
  return {
    port: listener.address.transport === "tcp" ? listener.address.port : 0,
    async close() {
      for (const s of sockets) s.abort();
      await listener.close();
    },
  };
}

/** Registers the cases for `net` (inside the adapter's `describe`). */
export function tlsDeferredCases(net: Network): void {
  it("startServerTls() after a PROXY header that arrived with the ClientHello in one chunk", {
    skip: skipUnless(net, "tlsServer", "tlsServerUpgrade", "tlsClient"),
  }, async () => {
    const c = certs();
    const srv = await deferredServer(net);
    const relay = await prefixRelay(net, srv.port, HEADER);
    try {
      for (const sni of ["b.test", "a.test"]) {
        const client = await within(
          net.connect({ address: tcp("127.0.0.1", relay.port), tls: { serverName: sni, caCerts: [c.ca] } }),
          WAIT_MS,
          `TLS connect through the relay (${sni})`,
        );
        const { header, head } = await srv.heads.next("header");
        assert.equal(header, HEADER);
        assert.ok(head.length > 0 && head[0] === 22, "the ClientHello came in the header's chunk");
        const server = await srv.secured.next("TLS after the header");
        assert.equal(server.tls?.serverName, sni);
        assert.equal(client.tls?.peerCommonName ?? sni, sni, "certificate chosen by SNI");
        const r = new Recorder();
        client.setHandlers(r);
        const text = `over TLS to ${sni}`;
        client.write(enc(text));
        await within(r.waitBytes(text.length), WAIT_MS, "echo");
        assert.equal(r.text(), `over TLS to ${sni}`);
        client.abort();
      }
      assert.equal(srv.failures.items.length, 0);
    } finally {
      await relay.close();
      await srv.close();
    }
  });

  it("preamble: written in clear first, then (with tls) the handshake", {
    skip: skipUnless(net, "tlsServer", "tlsServerUpgrade", "tlsClient"),
  }, async () => {
    const c = certs();
    const srv = await deferredServer(net);
    try {
      const client = await within(
        net.connect({
          address: tcp("127.0.0.1", srv.port),
          preamble: enc(HEADER),
          tls: { serverName: "b.test", caCerts: [c.ca] },
        }),
        WAIT_MS,
        "TLS connect with a preamble",
      );
      assert.equal((await srv.heads.next("header")).header, HEADER);
      const server = await srv.secured.next("TLS after the preamble");
      assert.equal(server.tls?.serverName, "b.test");
      const r = new Recorder();
      client.setHandlers(r);
      client.write(enc("after"));
      await within(r.waitBytes(5), WAIT_MS, "echo");
      client.abort();
    } finally {
      await srv.close();
    }
  });

  it("preamble on a plain connection: the first bytes, before any write", async () => {
    const got = deferred<string>();
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        const r = new Recorder();
        r.onEnd = () => {
          got.resolve(r.text());
          s.close();
        };
        s.setHandlers(r);
      },
    });
    try {
      const port = listener.address.transport === "tcp" ? listener.address.port : 0;
      const client = await within(
        net.connect({ address: tcp("127.0.0.1", port), preamble: enc(HEADER) }),
        WAIT_MS,
        "connect",
      );
      client.setHandlers(new Recorder());
      client.write(enc("payload"));
      client.shutdownWrite();
      assert.equal(await within(got.promise, WAIT_MS, "server EOF"), `${HEADER}payload`);
      client.close();
    } finally {
      await listener.close();
    }
  });

  it("verifyName checks a name other than the SNI; with neither only the chain is checked", {
    skip: skipUnless(net, "tlsServer", "tlsClient"),
  }, async () => {
    const c = certs();
    const accepted: Socket[] = [];
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [c.b] },
      onAccept: (s) => {
        accepted.push(s);
        s.setHandlers(new Recorder());
      },
    });
    const address = tcp("127.0.0.1", listener.address.transport === "tcp" ? listener.address.port : 0);
    const ok = async (tls: Parameters<Network["connect"]>[0]["tls"]) =>
      (await within(net.connect({ address, ...(tls === undefined ? {} : { tls }) }), WAIT_MS, "connect")).abort();
    try {
      // SNI other.test (the server answers with its only certificate), name checked b.test.
      await ok({ serverName: "other.test", verifyName: "b.test", caCerts: [c.ca] });
      await assert.rejects(
        within(
          net.connect({ address, tls: { serverName: "b.test", verifyName: "a.test", caCerts: [c.ca] } }),
          WAIT_MS,
          "connect",
        ),
        { code: "ETLSVERIFY" },
      );
      await assert.rejects(
        within(net.connect({ address, tls: { serverName: "a.test", caCerts: [c.ca] } }), WAIT_MS, "connect"),
        { code: "ETLSVERIFY" },
      );
      // No name at all: the chain is trusted, the certificate is not for 127.0.0.1, that is fine.
      await ok({ caCerts: [c.ca] });
      // The chain still counts.
      await assert.rejects(within(net.connect({ address, tls: {} }), WAIT_MS, "connect"), { code: "ETLSVERIFY" });
    } finally {
      for (const s of accepted) s.abort();
      await listener.close();
    }
  });

  it("client minVersion TLSv1.3 fails against a TLS 1.2 server with ETLS", {
    skip: skipUnless(net, "tlsClient") ||
      (OPENSSL === undefined && "openssl is not installed (scripts/peers.sh installs it)"),
  }, async () => {
    const { peer, port } = await startServer(["-tls1_2"]);
    try {
      await assert.rejects(
        within(
          net.connect({
            address: tcp("127.0.0.1", port),
            tls: { serverName: "localhost", minVersion: "TLSv1.3", caCerts: [fixture("ca.pem")] },
          }),
          WAIT_MS,
          "connect",
        ),
        { code: "ETLS" },
      );
    } finally {
      peer.child.kill("SIGKILL");
    }
  });
}
