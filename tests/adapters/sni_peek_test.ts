/**
 * The adapters' ClientHello peek (`adapters/_sni_peek.ts`) and SNI index
 * (`adapters/_tls_select.ts`), on a real ClientHello captured from the runtime's TLS client;
 * and the TLS engine reading a ClientHello that arrives in pieces (`strictSni` refuses it with
 * the alert in clear).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "../../src/net.ts";
import { ALERT_UNRECOGNIZED_NAME, peekClientHello } from "../../adapters/_sni_peek.ts";
import { CertificateIndex } from "../../adapters/_tls_select.ts";
import { concat, deferred, enc, nativeNetwork, Recorder, tcp, within } from "../_helpers.ts";
import { certs, Queue } from "./_tls_kit.ts";

const net = await nativeNetwork();
const WAIT_MS = 10_000;

/** The first record a TLS client sends with SNI `name`, read by a plain listener. */
async function clientHello(name: string): Promise<Uint8Array> {
  const got = deferred<Uint8Array>();
  let buf: Uint8Array = new Uint8Array(0);
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (s) =>
      s.setHandlers({
        onData(c) {
          buf = concat([buf, c]);
          if (buf.length >= 5 && buf.length >= 5 + ((buf[3]! << 8) | buf[4]!)) {
            got.resolve(buf);
            s.abort();
          }
        },
        onEnd() {},
        onDrain() {},
        onClose() {},
      }),
  });
  const port = listener.address.transport === "tcp" ? listener.address.port : 0;
  const attempt = net.connect({ address: tcp("127.0.0.1", port), tls: { serverName: name } }).catch(() => undefined);
  try {
    return await within(got.promise, WAIT_MS, "ClientHello");
  } finally {
    await attempt;
    await listener.close();
  }
}

describe("ClientHello peek", () => {
  it("waits for the whole first record, then reads the SNI as sent", async () => {
    const hello = await clientHello("Mixed.Case.test");
    const len = 5 + ((hello[3]! << 8) | hello[4]!);
    for (const n of [1, 4, 5, 40, len - 1]) assert.deepEqual(peekClientHello(hello.subarray(0, n)), { state: "more" });
    assert.deepEqual(peekClientHello(hello.subarray(0, len)), { state: "done", hello: true, sni: "Mixed.Case.test" });
  });

  it("tells what is not a TLS handshake at once", () => {
    assert.deepEqual(peekClientHello(enc("G")), { state: "done", hello: false });
    assert.deepEqual(peekClientHello(enc("GET / HTTP/1.1\r\n")), { state: "done", hello: false });
    assert.deepEqual(peekClientHello(Uint8Array.of(22, 3, 1, 0xff, 0xff)), { state: "done", hello: false });
  });

  it("a ClientHello without SNI", () => {
    // Record header, handshake header, version, random, no session id, one suite, one
    // compression method, no extensions.
    const body = [1, 0, 0, 43, 3, 3, ...new Array(32).fill(7), 0, 0, 2, 0x13, 0x01, 1, 0, 0, 0];
    const rec = Uint8Array.of(22, 3, 1, 0, body.length, ...body);
    assert.deepEqual(peekClientHello(rec), { state: "done", hello: true });
  });
});

describe("SNI index", () => {
  it("exact first, then one label of wildcard; earlier wins; case-insensitive", () => {
    const i = new CertificateIndex([
      { cert: "", key: "", serverNames: ["a.test"] },
      { cert: "", key: "", serverNames: ["*.wild.test", "shared.test"] },
      { cert: "", key: "", serverNames: ["www.wild.test", "shared.test", "A.TEST"] },
    ]);
    assert.equal(i.match("a.test"), 0);
    assert.equal(i.match("A.Test"), 0);
    assert.equal(i.match("x.wild.test"), 1);
    assert.equal(i.match("www.wild.test"), 2);
    assert.equal(i.match("a.b.wild.test"), undefined);
    assert.equal(i.match("wild.test"), undefined);
    assert.equal(i.match("shared.test"), 1);
    assert.equal(i.match(""), undefined);
  });
});

describe(`TLS engine peek (${net.name})`, () => {
  it("strictSni reads a ClientHello sent in pieces and answers alert 112 in clear", {
    skip: !net.capabilities.tlsServer && `${net.name} lacks tlsServer`,
  }, async () => {
    const c = certs();
    const hello = await clientHello("unknown.test");
    const failures = new Queue<string>();
    const listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      tls: { certificates: [c.a], strictSni: true },
      onAccept: (s) => s.abort(),
      onHandshakeError: (e) => failures.push(e.message),
    });
    let client: Socket | undefined;
    try {
      const port = listener.address.transport === "tcp" ? listener.address.port : 0;
      client = await within(net.connect({ address: tcp("127.0.0.1", port), noDelay: true }), WAIT_MS, "connect");
      const rec = new Recorder();
      client.setHandlers(rec);
      const third = Math.floor(hello.length / 3);
      for (const piece of [hello.subarray(0, 3), hello.subarray(3, third), hello.subarray(third)]) {
        client.write(piece.slice());
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(await failures.next("strict-sni refusal"), /strict-sni: no certificate for SNI "unknown.test"/);
      await within(Promise.race([rec.ended.promise, rec.closed.promise]), WAIT_MS, "the refusal");
      assert.deepEqual(concat(rec.chunks), ALERT_UNRECOGNIZED_NAME);
    } finally {
      client?.abort();
      await listener.close();
    }
  });
});
