/**
 * Conformance cases for TLS listeners, with `openssl s_client` as the client (it prints the
 * certificate it got, the session's fate and the alert that ended a handshake): certificates
 * chosen by SNI, `strictSni`, ALPN, client certificates, resumption, minimum versions, garbage
 * instead of a ClientHello, and `setTls()`. The certificates are made at test time
 * (`tests/_certs.ts`).
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Network, Socket } from "../../src/net.ts";
import { enc, Recorder, tcp, within } from "../_helpers.ts";
import { skipUnless, WAIT_MS } from "./_conformance_kit.ts";
import { OPENSSL, runClient } from "./_openssl.ts";
import { certs, serveTls } from "./_tls_kit.ts";

/** A skip reason when `openssl` is missing. */
const noOpenssl = OPENSSL === undefined && "openssl is not installed (scripts/peers.sh installs it)";

/** Registers the TLS listener cases for `net` (inside the adapter's `describe`). */
export function tlsServerCases(net: Network): void {
  it("chooses the certificate by SNI: exact, then one-label wildcard, earlier wins, first is the default", {
    skip: skipUnless(net, "tlsServer", "tlsSniMultiCert") || noOpenssl,
  }, async () => {
    const c = certs();
    const srv = await serveTls(net, {
      certificates: [
        c.a,
        c.wild,
        // An exact name beats the wildcard listed before it; `shared.test` goes to b, listed first.
        { ...c.b, serverNames: ["b.test", "www.wild.test", "shared.test"] },
        { ...c.a, serverNames: ["shared.test", "late.test"] },
      ],
      alpnProtocols: ["h2", "http/1.1"],
    });
    try {
      const cases: [sni: string | undefined, cn: string][] = [
        ["b.test", "b.test"],
        ["B.Test", "b.test"],
        ["x.wild.test", "*.wild.test"],
        ["www.wild.test", "b.test"],
        ["a.b.wild.test", "a.test"],
        ["wild.test", "a.test"],
        ["shared.test", "b.test"],
        ["late.test", "a.test"],
        ["unknown.test", "a.test"],
        [undefined, "a.test"],
      ];
      for (const [sni, cn] of cases) {
        const args = ["-CAfile", c.caPath, ...(sni === undefined ? ["-noservername"] : ["-servername", sni])];
        const run = await runClient(srv.port, [...args, "-alpn", "http/1.1"]);
        assert.equal(run.subjectCn, cn, `SNI ${sni}: ${run.out.slice(-800)}`);
        assert.equal(run.alpn, "http/1.1", `ALPN with SNI ${sni}`);
        const s = await srv.accepted.next(`accept (SNI ${sni})`);
        // As HAProxy's ssl_fc_sni: the name exactly as sent, even when it matched nothing.
        assert.equal(s.tls?.serverName, sni);
        assert.equal(s.tls?.alpnProtocol, "http/1.1");
      }
      assert.equal(srv.failures.items.length, 0);
    } finally {
      await srv.close();
    }
  });

  it("strictSni refuses no SNI and an unknown SNI with alert 112, and tells onHandshakeError", {
    skip: skipUnless(net, "tlsServer") || noOpenssl,
  }, async () => {
    const c = certs();
    const srv = await serveTls(net, { certificates: [c.a, c.wild], strictSni: true });
    try {
      for (const args of [["-noservername"], ["-servername", "unknown.test"], ["-servername", "a.b.wild.test"]]) {
        const run = await runClient(srv.port, ["-CAfile", c.caPath, ...args]);
        assert.equal(run.alert, 112, `${args.join(" ")}: unrecognized_name expected:\n${run.out.slice(-800)}`);
        const f = await srv.failures.next(`handshake failure (${args.join(" ")})`);
        assert.equal(f.error.code, "ETLS");
        assert.equal(f.remote?.transport === "tcp" && f.remote.hostname, "127.0.0.1");
      }
      // The names of every certificate, the first one's included, are still served.
      for (const [sni, cn] of [["a.test", "a.test"], ["x.wild.test", "*.wild.test"]]) {
        const run = await runClient(srv.port, ["-CAfile", c.caPath, "-servername", sni!]);
        assert.equal(run.subjectCn, cn, run.out.slice(-800));
        await srv.accepted.next(`accept ${sni}`);
      }
      assert.equal(srv.accepted.items.length, 2);
    } finally {
      await srv.close();
    }
  });

  it("optional client certificates: none is fine, a trusted one is read back, an unknown CA is refused", {
    skip: skipUnless(net, "tlsServer", "tlsServerClientAuth") || noOpenssl,
  }, async () => {
    const c = certs();
    const f = c.files;
    const srv = await serveTls(net, { certificates: [c.a], requestClientCert: true, caCerts: [c.ca] });
    try {
      await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "a.test"]);
      const none = await srv.accepted.next("accept without a certificate");
      assert.equal(none.tls?.peerSubject, undefined);
      assert.notEqual(none.tls?.authorized, true);

      await runClient(srv.port, [
        "-CAfile",
        c.caPath,
        "-servername",
        "a.test",
        "-cert",
        f.client.certFile,
        "-key",
        f.client.keyFile,
      ]);
      const good = await srv.accepted.next("accept with a trusted certificate");
      assert.equal(good.tls?.authorized, true);
      assert.equal(good.tls?.peerSubject, "/C=FR/O=Acme/CN=client1");
      assert.equal(good.tls?.peerIssuer, "/CN=Test Root CA");
      assert.equal(good.tls?.peerCommonName, "client1");
      assert.equal(good.tls?.verifyError, undefined);

      // HAProxy's `verify optional`: a certificate that does not verify is refused.
      await runClient(srv.port, [
        "-CAfile",
        c.caPath,
        "-servername",
        "a.test",
        "-cert",
        f.rogue.certFile,
        "-key",
        f.rogue.keyFile,
      ]);
      const bad = await srv.failures.next("refusal of an unknown CA");
      assert.match(bad.error.code, /^ETLS(VERIFY)?$/);
      assert.equal(srv.accepted.items.length, 2, "the stranger never reached onAccept");
    } finally {
      await srv.close();
    }
  });

  it("required client certificates: none and an unknown CA are refused, a trusted one is accepted", {
    skip: skipUnless(net, "tlsServer", "tlsServerClientAuth") || noOpenssl,
  }, async () => {
    const c = certs();
    const f = c.files;
    const srv = await serveTls(net, {
      certificates: [c.a],
      requestClientCert: true,
      requireClientCert: true,
      caCerts: [c.ca],
    });
    try {
      await runClient(srv.port, ["-CAfile", c.caPath, "-servername", "a.test"]);
      const none = await srv.failures.next("refusal without a certificate");
      assert.match(none.error.code, /^ETLS(VERIFY)?$/);
      await runClient(srv.port, [
        "-CAfile",
        c.caPath,
        "-servername",
        "a.test",
        "-cert",
        f.rogue.certFile,
        "-key",
        f.rogue.keyFile,
      ]);
      await srv.failures.next("refusal of an unknown CA");
      await runClient(srv.port, [
        "-CAfile",
        c.caPath,
        "-servername",
        "a.test",
        "-cert",
        f.client.certFile,
        "-key",
        f.client.keyFile,
      ]);
      const good = await srv.accepted.next("accept with a trusted certificate");
      assert.equal(good.tls?.authorized, true);
      assert.equal(good.tls?.peerSubject, "/C=FR/O=Acme/CN=client1");
      assert.equal(srv.accepted.items.length, 1);
    } finally {
      await srv.close();
    }
  });

  for (const version of ["tls1_2", "tls1_3"] as const) {
    for (const multi of [false, true]) {
      const label = `${version === "tls1_2" ? "TLS 1.2" : "TLS 1.3"} sessions${
        multi ? ", SNI-chosen certificate" : ""
      }`;
      it(`resumes ${label} (openssl -sess_out, then -sess_in)`, {
        skip: (multi ? skipUnless(net, "tlsServer", "tlsSniMultiCert") : skipUnless(net, "tlsServer")) || noOpenssl,
      }, async () => {
        const c = certs();
        const srv = await serveTls(net, { certificates: multi ? [c.a, c.b] : [c.b] });
        const sess = `${c.files.dir}/session-${net.name}-${version}-${multi}-${Date.now()}.pem`;
        try {
          const args = ["-CAfile", c.caPath, "-servername", "b.test", `-${version}`];
          const first = await runClient(srv.port, [...args, "-sess_out", sess]);
          assert.equal(first.session, "New", first.out.slice(-800));
          const s1 = await srv.accepted.next("first accept");
          const second = await runClient(srv.port, [...args, "-sess_in", sess]);
          assert.equal(second.session, "Reused", second.out.slice(-800));
          assert.equal(second.subjectCn, "b.test");
          const s2 = await srv.accepted.next("second accept");
          if (s1.tls?.resumed !== undefined) {
            assert.equal(s1.tls.resumed, false);
            assert.equal(s2.tls?.resumed, true);
          }
          // The SNI as sent, also when the session was resumed (where the runtime knows it).
          if (multi || s2.tls?.serverName !== undefined) assert.equal(s2.tls?.serverName, "b.test");
        } finally {
          await srv.close();
        }
      });
    }
  }

  it("minVersion: TLS 1.2 by default (TLS 1.1 refused), TLSv1.3 refuses TLS 1.2 with alert 70", {
    skip: skipUnless(net, "tlsServer") || noOpenssl,
  }, async () => {
    const c = certs();
    const old = await serveTls(net, { certificates: [c.a] });
    const strict = await serveTls(net, { certificates: [c.a], minVersion: "TLSv1.3" });
    try {
      // OpenSSL 3 offers TLS 1.1 only at security level 0.
      const v11 = await runClient(old.port, ["-CAfile", c.caPath, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
      assert.equal(v11.subjectCn, undefined, v11.out.slice(-800));
      await old.failures.next("TLS 1.1 refusal");
      const v12 = await runClient(strict.port, ["-CAfile", c.caPath, "-servername", "a.test", "-tls1_2"]);
      assert.equal(v12.subjectCn, undefined, v12.out.slice(-800));
      assert.equal(v12.alert, 70, `protocol_version expected:\n${v12.out.slice(-800)}`);
      const f = await strict.failures.next("TLS 1.2 refusal");
      assert.equal(f.error.code, "ETLS");
      const v13 = await runClient(strict.port, ["-CAfile", c.caPath, "-servername", "a.test"]);
      assert.equal(v13.protocol, "TLSv1.3");
      const s = await strict.accepted.next("TLS 1.3 accept");
      if (s.tls?.protocol !== undefined) assert.equal(s.tls.protocol, "TLSv1.3");
      assert.equal(old.accepted.items.length, 0);
    } finally {
      await old.close();
      await strict.close();
    }
  });

  it("garbage instead of a ClientHello reaches onHandshakeError only; other clients go on", {
    skip: skipUnless(net, "tlsServer", "tlsClient"),
  }, async () => {
    const c = certs();
    const srv = await serveTls(net, { certificates: [c.a] }, { keepOpen: true });
    try {
      const plain = await within(net.connect({ address: tcp("127.0.0.1", srv.port) }), WAIT_MS, "plain connect");
      const rec = new Recorder();
      plain.setHandlers(rec);
      plain.write(enc("GET / HTTP/1.0\r\nHost: x\r\n\r\n"));
      const f = await srv.failures.next("handshake failure for garbage");
      assert.equal(f.error.code, "ETLS");
      // The server closes (after an alert, on some runtimes): EOF, or a reset.
      await within(Promise.race([rec.ended.promise, rec.closed.promise]), WAIT_MS, "the garbage connection ended");
      plain.abort();
      const tls = await within(
        net.connect({ address: tcp("127.0.0.1", srv.port), tls: { serverName: "a.test", caCerts: [c.ca] } }),
        WAIT_MS,
        "TLS connect after the garbage",
      );
      const r = new Recorder();
      tls.setHandlers(r);
      tls.write(enc("ping"));
      await within(r.waitBytes(4), WAIT_MS, "echo");
      assert.equal(r.text(), "ping");
      assert.equal(srv.accepted.items.length, 1);
      assert.equal(srv.failures.items.length, 1);
      tls.abort();
    } finally {
      await srv.close();
    }
  });

  it("setTls() serves new certificates to new handshakes; established sockets go on", {
    skip: skipUnless(net, "tlsServer", "tlsClient", "tlsReload"),
  }, async () => {
    const c = certs();
    const srv = await serveTls(net, { certificates: [c.a] }, { keepOpen: true });
    const open: Socket[] = [];
    try {
      const connect = async (): Promise<{ socket: Socket; rec: Recorder }> => {
        const socket = await within(
          net.connect({ address: tcp("127.0.0.1", srv.port), tls: { caCerts: [c.ca] } }),
          WAIT_MS,
          "TLS connect",
        );
        open.push(socket);
        const rec = new Recorder();
        socket.setHandlers(rec);
        return { socket, rec };
      };
      const before = await connect();
      assert.equal(before.socket.tls?.peerCommonName, "a.test");
      assert.throws(() => srv.listener.setTls!({ certificates: [{ cert: "not a certificate", key: "nor a key" }] }), {
        code: "ETLS",
      });
      srv.listener.setTls!({ certificates: [c.b] });
      const after = await connect();
      assert.equal(after.socket.tls?.peerCommonName, "b.test");
      before.socket.write(enc("still"));
      await within(before.rec.waitBytes(5), WAIT_MS, "echo on the earlier socket");
      assert.equal(before.rec.text(), "still");
    } finally {
      for (const s of open) s.abort();
      await srv.close();
    }
  });
}
