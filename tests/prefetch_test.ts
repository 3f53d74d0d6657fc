/**
 * Client bytes read before a connection's session starts (after a PROXY header, by an
 * earlier stage) are not lost: a TCP stream forwards them first, untouched; an HTTP session
 * parses them first; content inspection reads them as the start of its buffer.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "./_proxy_harness.ts";
import { internalsOf } from "../src/proxy.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import type { Socket } from "../src/net.ts";
import { concat, deferred, enc, Recorder, tcp } from "./_helpers.ts";
import { Origin } from "./http/_origin.ts";
import { httpConfig } from "./http/_httplog.ts";
import { clientHello } from "./tls/_client_hello.ts";

/** A client connected to a side listener; the proxy is handed the accepted socket with `head`. */
async function handOver(h: Harness, head: Uint8Array): Promise<{ socket: Socket; rec: Recorder }> {
  const accepted = deferred<Socket>();
  const side = await h.net.listen({ address: tcp("10.9.9.9", 1), onAccept: (s) => accepted.resolve(s) });
  const socket = await h.net.connect({ address: side.address });
  const rec = new Recorder();
  socket.setHandlers(rec);
  const internals = internalsOf(h.proxy);
  internals.startSession(internals.frontends[0]!, await accepted.promise, head);
  return { socket, rec };
}

/** A recording server at srvAddr(n) that closes after the client's EOF. */
async function recording(h: Harness, n: number): Promise<Recorder[]> {
  const recs: Recorder[] = [];
  await h.net.listen({
    address: srvAddr(n),
    onAccept: (s) => {
      const r = new Recorder();
      const end = r.onEnd.bind(r);
      r.onEnd = () => {
        end();
        s.close();
      };
      recs.push(r);
      s.setHandlers(r);
    },
  });
  return recs;
}

describe("prefetched client bytes", () => {
  it("a TCP stream forwards them first, then what the client sends", async () => {
    const h = new Harness();
    const recs = await recording(h, 1);
    await h.start({
      frontends: [{ name: "fe", binds: [tcp("10.0.0.1", 80)], defaultBackend: "be" }],
      backends: [{ name: "be", servers: [{ name: "s1", address: srvAddr(1) }] }],
    });
    const c = await handOver(h, enc("PROXY-leftover:"));
    c.socket.write(enc("rest"));
    c.socket.shutdownWrite();
    await h.until(() => recs[0]?.endCount === 1);
    assert.equal(recs[0]!.text(), "PROXY-leftover:rest");
    await h.until(() => h.proxy.counters.current === 0);
    assert.equal(h.proxy.frontends[0]!.counters.bytesIn, "PROXY-leftover:rest".length);
  });

  it("an HTTP session parses them first", async () => {
    const h = new Harness();
    const origin = await new Origin().listen(h.net, srvAddr(1));
    await h.start(httpConfig());
    const c = await handOver(h, enc("GET /pre HTTP/1.1\r\nho"));
    c.socket.write(enc("st: x\r\n\r\n"));
    await h.until(() => c.rec.text().includes("/pre on 0"));
    assert.equal(origin.requests[0]?.path, "/pre");
  });

  it("content inspection reads them: a ClientHello already read routes at once, forwarded whole", async () => {
    const h = new Harness();
    const a = await recording(h, 1);
    await recording(h, 2);
    const cfg: ProxyConfig = {
      frontends: [{
        name: "pt",
        binds: [tcp("10.0.0.1", 443)],
        defaultBackend: "be_def",
        tcpRequest: { inspectDelayMs: 5000, content: [{ action: "accept", condition: "if { req.ssl_hello_type 1 }" }] },
        useBackends: [{ backend: "be_a", condition: "if { req.ssl_sni a.test }" }],
      }],
      backends: [
        { name: "be_a", servers: [{ name: "s", address: srvAddr(1) }] },
        { name: "be_def", servers: [{ name: "s", address: srvAddr(2) }] },
      ],
    };
    await h.start(cfg);
    const hello = clientHello({ sni: "a.test" });
    const c = await handOver(h, hello.subarray(0, 40));
    c.socket.write(hello.subarray(40));
    c.socket.shutdownWrite();
    await h.until(() => a[0]?.endCount === 1);
    assert.deepEqual(concat(a[0]!.chunks), hello);
  });
});
