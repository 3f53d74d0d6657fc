/**
 * TCP content inspection (`src/inspect.ts`) on the in-memory network with a fake clock: the
 * table of TLS_ACL_OPS C observed on HAProxy 2.6 (`tcp-request inspect-delay 2s`, `content
 * accept if { req.ssl_hello_type 1 }`, `use_backend be_a if { req.ssl_sni -i a.test }`):
 * which backend, the bytes forwarded untouched, `%Tw`, reject as `PR`, stalls, kills.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FRONT, Harness, srvAddr } from "./_proxy_harness.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import type { TcpContentRule } from "../src/config/tls_types.ts";
import { concat, enc, Recorder } from "./_helpers.ts";
import { clientHello, twoRecords } from "./tls/_client_hello.ts";
import { INSPECT_BUFFER_BYTES } from "../src/inspect.ts";

type Fe = ProxyConfig["frontends"][number];

/** HAProxy's reference SNI passthrough frontend `pt` with backends be_a, be_b, be_def. */
function sniConfig(fe: Partial<Fe> = {}, content?: TcpContentRule[]): ProxyConfig {
  return {
    frontends: [{
      name: "pt",
      binds: [FRONT],
      defaultBackend: "be_def",
      clientTimeoutMs: 3000,
      log: { target: "stdout", format: "tcplog" },
      tcpRequest: {
        inspectDelayMs: 2000,
        content: content ?? [{ action: "accept", condition: "if { req.ssl_hello_type 1 }" }],
      },
      useBackends: [
        { backend: "be_a", condition: "if { req.ssl_sni -i a.test }" },
        { backend: "be_b", condition: "if { req_ssl_sni -m end .b.test }" },
      ],
      ...fe,
    } as Fe],
    backends: [
      { name: "be_a", servers: [{ name: "s", address: srvAddr(1) }] },
      { name: "be_b", servers: [{ name: "s", address: srvAddr(2) }] },
      { name: "be_def", servers: [{ name: "s", address: srvAddr(3) }] },
    ],
  };
}

/**
 * A harness with the three servers: each keeps what it gets, never answers, and closes after
 * the client's EOF.
 */
async function harness(cfg: ProxyConfig): Promise<Harness> {
  const h = new Harness();
  for (const [i, n] of ["be_a", "be_b", "be_def"].entries()) {
    const srv = await h.server(n, srvAddr(i + 1), false);
    const listener = srv.listener;
    await listener.close();
    srv.listener = await h.net.listen({
      address: srvAddr(i + 1),
      onAccept: (s) => {
        h.sequence.push(n);
        const r = new Recorder();
        const end = r.onEnd.bind(r);
        r.onEnd = () => {
          end();
          s.close();
        };
        srv.accepted.push(s);
        srv.recorders.push(r);
        s.setHandlers(r);
      },
    });
  }
  await h.start(cfg);
  return h;
}

/** `%b/%s Tw/Tc/Tt bytes term` of a log line. */
function summary(line: string): string {
  const m = /^\S+ \[[^\]]+\] (\S+) (\S+) (\S+) (\S+) (\S\S) /.exec(line);
  if (m === null) throw new Error(`not a TCP log line: ${line}`);
  return `${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5]}`;
}

/** What server `name` received, in total. */
function received(h: Harness, name: string): Uint8Array {
  return concat(h.servers.get(name)!.recorders.flatMap((r) => r.chunks));
}

describe("TCP content inspection: HAProxy 2.6's SNI passthrough table", () => {
  it("routes a whole ClientHello on its SNI at once, -i ignoring case, and forwards it untouched", async () => {
    for (const [sni, be] of [["a.test", "be_a"], ["A.TEST", "be_a"], ["x.b.test", "be_b"], [undefined, "be_def"]]) {
      const h = await harness(sniConfig());
      const hello = clientHello(sni === undefined ? {} : { sni, alpn: ["h2"] });
      const c = await h.client();
      c.socket.write(hello);
      await h.until(() => h.sequence.length === 1);
      assert.deepEqual(h.sequence, [be], `${sni}`);
      await h.until(() => received(h, be!).length === hello.length);
      assert.deepEqual(received(h, be!), hello);
      c.socket.shutdownWrite();
      await h.until(() => h.lines.length === 1);
      assert.match(summary(h.lines[0]!), new RegExp(`^pt ${be}/s 0/0/\\d+ 0 (--|CD)$`));
    }
  });

  it("is case-sensitive without -i", async () => {
    const h = await harness(sniConfig({ useBackends: [{ backend: "be_a", condition: "if { req.ssl_sni a.test }" }] }));
    (await h.client()).socket.write(clientHello({ sni: "A.Test" }));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
  });

  it("waits for the rest of a split ClientHello, the wait reported in %Tw", async () => {
    const h = await harness(sniConfig());
    const hello = clientHello({ sni: "a.test" });
    const c = await h.client();
    c.socket.write(hello.subarray(0, 3));
    await h.clock.advance(500);
    assert.deepEqual(h.sequence, [], "no backend chosen on 3 bytes");
    c.socket.write(hello.subarray(3));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_a"]);
    await h.until(() => received(h, "be_a").length === hello.length);
    assert.deepEqual(received(h, "be_a"), hello);
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    assert.match(summary(h.lines[0]!), /^pt be_a\/s 500\/0\/500 0 /);
  });

  it("past inspect-delay, a partial hello goes to the default backend (not rejected), its bytes first", async () => {
    const h = await harness(sniConfig());
    const hello = clientHello({ sni: "a.test", pad: 200 });
    const c = await h.client();
    c.socket.write(hello.subarray(0, 100));
    await h.clock.advance(1999);
    assert.deepEqual(h.sequence, []);
    await h.clock.advance(1);
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
    await h.clock.advance(500);
    c.socket.write(hello.subarray(100));
    await h.until(() => received(h, "be_def").length === hello.length);
    assert.deepEqual(received(h, "be_def"), hello);
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    assert.match(summary(h.lines[0]!), /^pt be_def\/s 2000\/0\/2500 0 /);
  });

  it("plain text is no hello: the default backend at once", async () => {
    const h = await harness(sniConfig());
    (await h.client()).socket.write(enc("GET / HTTP/1.0\r\n\r\n"));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
    assert.equal(h.clock.now() % 1000, 0, "no wait");
  });

  it("a silent client: the default backend after inspect-delay, then timeout client (cD)", async () => {
    const h = await harness(sniConfig());
    await h.client();
    await h.until(() => h.lines.length === 1);
    assert.match(summary(h.lines[0]!), /^pt be_def\/s 2000\/0\/3000 0 cD$/);
  });

  it("a ClientHello in two records: hello_type matches, req.ssl_sni does not: the default backend at once", async () => {
    const h = await harness(sniConfig());
    (await h.client()).socket.write(twoRecords(clientHello({ sni: "a.test", pad: 200 }), 60));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
  });

  it("without content rules, use_backend never waits: a hello sent at once still gets the default backend", async () => {
    const h = await harness(sniConfig({ tcpRequest: { inspectDelayMs: 2000 } }));
    const c = await h.client();
    c.socket.write(clientHello({ sni: "a.test" }));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
  });

  it("reject logs PR with <NOSRV> and the frontend as backend, and resets the client", async () => {
    const h = await harness(sniConfig({}, [
      { action: "accept", condition: "if { req.ssl_hello_type 1 }" },
      { action: "reject" },
    ]));
    const c = await h.client();
    c.socket.write(enc("GET / HTTP/1.0\r\n\r\n"));
    await h.until(() => h.lines.length === 1);
    assert.equal(summary(h.lines[0]!), "pt pt/<NOSRV> -1/-1/0 0 PR");
    assert.deepEqual(h.sequence, []);
    await h.until(() => c.rec.closeCount === 1);
    assert.equal(c.rec.bytes, 0);
    assert.equal(h.proxy.counters.current, 0);
    assert.equal(h.proxy.frontends[0]!.counters.current, 0);
    // HAProxy's `denied_req` (`dreq`), as `tcp_inspect_request()` counts a reject.
    assert.equal(h.proxy.frontends[0]!.counters.denied, 1);
  });

  it("req.len ge 20 waits for the bytes; on 10 bytes only, accepts by default when the delay ends", async () => {
    const rules: TcpContentRule[] = [{ action: "accept", condition: "if { req.len ge 20 }" }];
    let h = await harness(sniConfig({}, rules));
    let c = await h.client();
    c.socket.write(enc("0123456789"));
    await h.clock.advance(500);
    assert.deepEqual(h.sequence, []);
    c.socket.write(enc("abcdefghijklm"));
    await h.until(() => h.sequence.length === 1);
    assert.equal(h.clock.now() % 10_000, 500 % 10_000);
    h = await harness(sniConfig({}, rules));
    c = await h.client();
    c.socket.write(enc("0123456789"));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_def"]);
    c.socket.shutdownWrite();
    await h.until(() => h.lines.length === 1);
    assert.match(summary(h.lines[0]!), /^pt be_def\/s 2000\/0\/2000 /);
  });

  it("a client FIN makes the pass final at once; its bytes and its EOF reach the server", async () => {
    const h = await harness(sniConfig());
    const c = await h.client();
    c.socket.write(enc("abc"));
    c.socket.shutdownWrite();
    await h.until(() => h.servers.get("be_def")!.recorders[0]?.endCount === 1);
    assert.equal(h.clock.now() % 1000, 0, "no wait");
    assert.deepEqual(received(h, "be_def"), enc("abc"));
  });

  it("timeout client shorter than inspect-delay closes a stalled client (cR)", async () => {
    const h = await harness(sniConfig({ clientTimeoutMs: 1000 }));
    await h.client();
    await h.until(() => h.lines.length === 1);
    assert.equal(summary(h.lines[0]!), "pt pt/<NOSRV> -1/-1/1000 0 cR");
  });

  it("a full buffer makes the pass final: an endless hello goes to the default backend, untouched", async () => {
    const h = await harness(sniConfig());
    const big = new Uint8Array(INSPECT_BUFFER_BYTES + 1000).fill(0x41);
    big.set([0x16, 3, 1, 0xff, 0xff, 1, 0x00, 0xff, 0xfb]);
    (await h.client()).socket.write(big);
    await h.until(() => h.sequence.length === 1, 1000);
    assert.deepEqual(h.sequence, ["be_def"]);
    await h.until(() => received(h, "be_def").length === big.length, 1000);
    assert.deepEqual(received(h, "be_def"), big);
  });

  it("stop() kills connections under inspection (KR) and resolves after their lines", async () => {
    const h = await harness(sniConfig());
    (await h.client()).socket.write(enc("\x16\x03"));
    await h.clock.advance(10);
    await h.proxy.stop();
    assert.equal(summary(h.lines[0]!), "pt pt/<NOSRV> -1/-1/10 0 KR");
    assert.equal(h.proxy.counters.current, 0);
  });

  it("set-dst-port changes what dst_port reads for the rules after it", async () => {
    const h = await harness(sniConfig({ useBackends: [{ backend: "be_b", condition: "if { dst_port 8443 }" }] }, [
      { action: "set-dst-port", expr: "int(8443)" },
      { action: "accept" },
    ]));
    (await h.client()).socket.write(enc("x"));
    await h.until(() => h.sequence.length === 1);
    assert.deepEqual(h.sequence, ["be_b"]);
  });
});
