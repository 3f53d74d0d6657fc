/**
 * Request ids of TCP streams and the PROXY v2 UNIQUE_ID TLV, as HAProxy 2.6 has them: a
 * `mode tcp` stream's id is rendered from the frontend's `unique-id-format` on first use (`%ID`
 * in its `log-format` line, the `unique-id` fetch in `tcp-request content` rules, a
 * `send-proxy-v2` server with `proxy-v2-options unique-id`), `%rt` counts TCP streams and HTTP
 * requests in one counter (`global.req_count`), and the UNIQUE_ID TLV carries the stream's or
 * the request's own id (`make_proxy_line_v2()` calls `stream_generate_unique_id()`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, type EchoServer, FRONT, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { parseProxyHeader } from "../src/proxy_protocol.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { concat, enc, Recorder, tcp } from "./_helpers.ts";
import { Origin } from "./http/_origin.ts";

type Fe = ProxyConfig["frontends"][number];

/** The UNIQUE_ID TLV of the PROXY v2 header at the start of what `r` received. */
function tlvId(r: Recorder | undefined): string | undefined {
  const h = parseProxyHeader(concat(r?.chunks ?? []));
  return h.state === "done" ? h.tlvs.uniqueId : undefined;
}

/** The `key=value` fields of a log line. */
function kv(line: string): Record<string, string> {
  return Object.fromEntries(line.split(" ").map((f) => f.split("=") as [string, string]));
}

const PP_ID = { sendProxy: { version: 2, v2Options: ["unique-id"] } };

/**
 * One TCP stream through `h` to recording server `srv` (its `n`th connection): a byte, the
 * PROXY header awaited, both sides half-closed, the stream's end awaited (`done`).
 */
async function oneStream(h: Harness, srv: EchoServer, n: number, done: () => boolean): Promise<void> {
  const c = await h.client();
  c.socket.write(enc("x"));
  await h.until(() => (srv.recorders[n]?.bytes ?? 0) > 16);
  c.socket.shutdownWrite();
  srv.accepted[n]!.shutdownWrite();
  await h.until(done);
}

describe("unique-id-format on mode tcp streams", () => {
  it("%ID in the TCP log line is the id the send-proxy-v2 server receives; %rt and the id's %rt go up by one", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, PP_ID) }, {
      uniqueIdFormat: "%{+X}o%ci:%cp_%rt_%b",
      log: { target: "stdout", format: "tcplog", logFormat: "id=%ID rt=%rt ts=%Ts" },
    } as Partial<Fe>));
    for (let i = 0; i < 2; i++) await oneStream(h, srv, i, () => h.lines.length === i + 1);
    const [a, b] = h.lines.map(kv);
    assert.match(a!.id!, /^[0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{4,}_be$/);
    assert.deepEqual(srv.recorders.map(tlvId), [a!.id, b!.id]);
    assert.equal(Number(b!.rt), Number(a!.rt) + 1);
    assert.equal(parseInt(a!.id!.split("_")[1]!, 16), Number(a!.rt));
    assert.equal(Number(a!.ts), Math.floor(h.clock.now() / 1000));
    await h.proxy.stop();
  });

  it("without unique-id-format: an empty UNIQUE_ID TLV and %ID `-` (also on tcplog's default line)", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, PP_ID) }, {
      log: { target: "stdout", format: "tcplog", logFormat: "id=%ID q=%{+Q}ID" },
    } as Partial<Fe>));
    await oneStream(h, srv, 0, () => h.lines.length === 1);
    assert.equal(tlvId(srv.recorders[0]), "");
    assert.equal(h.lines[0], 'id=- q=""');
    await h.proxy.stop();
  });

  it("the unique-id fetch in tcp-request content rules: rendered during inspection (%b is the frontend), kept by the stream", async () => {
    const h = new Harness();
    const srv = await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1, PP_ID) }, {
      uniqueIdFormat: "%b-%rt",
      tcpRequest: {
        inspectDelayMs: 2000,
        content: [{ action: "accept", condition: "if { unique-id -m reg ^fe-[0-9]+$ }" }],
      },
      log: { target: "stdout", format: "tcplog", logFormat: "%ID %rt %b/%s" },
    } as Partial<Fe>));
    await oneStream(h, srv, 0, () => h.lines.length === 1);
    const [id, rt, route] = h.lines[0]!.split(" ");
    assert.equal(id, `fe-${rt}`);
    assert.equal(route, "be/s1");
    assert.equal(tlvId(srv.recorders[0]), id);
    await h.proxy.stop();
  });

  it("a connection content rules reject logs its id and %rt (PR)", async () => {
    const h = new Harness();
    await h.server("s1", srvAddr(1), false);
    await h.start(config({ servers: servers(1) }, {
      uniqueIdFormat: "rej-%rt",
      tcpRequest: { inspectDelayMs: 2000, content: [{ action: "reject", condition: "if { unique-id -m found }" }] },
      log: { target: "stdout", format: "tcplog", logFormat: "%ts %ID %rt" },
    } as Partial<Fe>));
    await h.client();
    await h.until(() => h.lines.length === 1);
    const [ts, id, rt] = h.lines[0]!.split(" ");
    assert.equal(ts, "PR");
    assert.equal(id, `rej-${rt}`);
    await h.proxy.stop();
  });
});

describe("%rt and the UNIQUE_ID TLV across TCP streams and HTTP requests", () => {
  it("one counter for both modes; an HTTP request's TLV is that request's id, as its log line's", async () => {
    const h = new Harness();
    const tcpSrv = await h.server("t1", srvAddr(1), false);
    const origin = await new Origin().listen(h.net, srvAddr(2));
    origin.acceptProxy = true;
    const HTTP_FRONT = tcp(FRONT.hostname, 81);
    const log = (mode: string) => ({ target: "stdout", format: "tcplog", logFormat: `${mode} %rt %ID` }) as const;
    await h.start({
      frontends: [
        { name: "ft", binds: [FRONT], defaultBackend: "bt", uniqueIdFormat: "t%rt", log: log("tcp") },
        {
          name: "fh",
          mode: "http",
          binds: [HTTP_FRONT],
          defaultBackend: "bh",
          uniqueIdFormat: "h%rt",
          log: log("http"),
        },
      ],
      backends: [
        { name: "bt", servers: [{ name: "s", address: srvAddr(1), ...PP_ID } as never] },
        {
          name: "bh",
          mode: "http",
          httpReuse: "never",
          servers: [{ name: "s", address: srvAddr(2), ...PP_ID } as never],
        },
      ],
    });
    const hrec = new Recorder();
    const tcpStream = (n: number) =>
      oneStream(h, tcpSrv, n, () => h.lines.filter((l) => l.startsWith("tcp ")).length === n + 1);
    await tcpStream(0);
    const hc = await h.net.connect({ address: HTTP_FRONT });
    hc.setHandlers(hrec);
    hc.write(enc("GET /1 HTTP/1.1\r\nhost: x\r\n\r\nGET /2 HTTP/1.1\r\nhost: x\r\n\r\n"));
    await h.until(() => hrec.text().includes("/2 on "));
    await tcpStream(1);
    hc.close();
    await h.until(() => h.lines.length === 4);
    const byMode = (m: string) => h.lines.filter((l) => l.startsWith(`${m} `)).map((l) => l.split(" "));
    const t = byMode("tcp"), ht = byMode("http");
    const rts = [t[0]!, ht[0]!, ht[1]!, t[1]!].map((f) => Number(f[1]));
    assert.deepEqual(rts, [rts[0]!, rts[0]! + 1, rts[0]! + 2, rts[0]! + 3]);
    for (const f of [...t, ...ht]) assert.equal(f[2], `${f[0]![0]}${f[1]}`);
    assert.deepEqual(tcpSrv.recorders.map(tlvId), t.map((f) => f[2]));
    assert.deepEqual(origin.proxyHeaders.map((p) => p.tlvs.uniqueId), ht.map((f) => f[2]));
    await h.proxy.stop();
  });
});
