/**
 * `fc_pp_authority` and `fc_pp_unique_id` (configuration.txt 7.3.3): the AUTHORITY and
 * UNIQUE_ID TLVs of the PROXY v2 header a client sent to an `accept-proxy` bind, through
 * `ProxyServer` on the runtime's own adapter (real sockets): in `http-request set-header`, in
 * an ACL, in an HTTP and a TCP `log-format`; nothing without a header's TLV.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Network } from "../../src/net.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { buildProxyHeaderV2 } from "../../src/proxy_protocol_build.ts";
import { enc, freePort, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";
import { Origin } from "../http/_origin.ts";
import { helloServer } from "./_hello.ts";

const net: Network = await nativeNetwork();
const proxies: ProxyServer[] = [];
after(async () => {
  for (const p of proxies) await p.stop();
});

/** A proxy with an `accept-proxy` bind in `mode`, `lines` in its frontend, `server` its one server. */
async function start(mode: "tcp" | "http", lines: string[], server: number): Promise<{ port: number; logs: string[] }> {
  const text = [
    "frontend fe",
    `  mode ${mode}`,
    `  bind 127.0.0.1:${await freePort(net)} accept-proxy`,
    "  log stdout format raw local0",
    ...lines,
    "  default_backend be",
    "backend be",
    `  mode ${mode}`,
    `  server s1 127.0.0.1:${server}`,
  ];
  const logs: string[] = [];
  const proxy = new ProxyServer(parseHaproxyConfig(text.join("\n"), "t.cfg"), {
    network: net,
    log: (l) => logs.push(l),
  });
  proxies.push(proxy);
  await proxy.start();
  return { port: portOf(proxy.addresses[0]), logs };
}

/** Sends a PROXY v2 header with `tlvs`, then `data`, half-closes; resolves with the reply. */
async function send(port: number, tlvs: { authority?: string; uniqueId?: string }, data: string): Promise<string> {
  const s = await net.connect({ address: tcp("127.0.0.1", port) });
  const rec = new Recorder();
  s.setHandlers(rec);
  s.write(buildProxyHeaderV2({ source: tcp("192.0.2.7", 4242), destination: tcp("192.0.2.1", 443), ...tlvs }));
  s.write(enc(data));
  s.shutdownWrite();
  await within(rec.closed.promise, 10_000, "the proxied stream to close");
  return rec.text();
}

describe(`fc_pp_authority / fc_pp_unique_id on ${net.name}`, () => {
  it("HTTP: set-header, an ACL and log-format read the client's TLVs", async () => {
    const origin = await new Origin().listen(net, tcp("127.0.0.1", await freePort(net)));
    after(() => origin.listener?.close());
    const { port, logs } = await start("http", [
      '  log-format "%ci %[fc_pp_authority] %[fc_pp_unique_id] %ST"',
      "  http-request deny if { fc_pp_unique_id -m str deny-me }",
      "  http-request set-header X-PP-Authority %[fc_pp_authority]",
      "  http-request set-header X-PP-Id %[fc_pp_unique_id]",
    ], portOf(origin.listener!.address));
    const get = "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    const ok = await send(port, { authority: "api.example", uniqueId: "id-1" }, get);
    assert.match(ok, /^HTTP\/1\.1 200 /);
    assert.equal(origin.requests[0]!.headers.get("x-pp-authority"), "api.example");
    assert.equal(origin.requests[0]!.headers.get("x-pp-id"), "id-1");
    const denied = await send(port, { authority: "api.example", uniqueId: "deny-me" }, get);
    assert.match(denied, /^HTTP\/1\.1 403 /);
    assert.equal(origin.requests.length, 1);
    // No TLV: the fetches find nothing (empty, in a header value as in the log, as HAProxy).
    await send(port, {}, get);
    assert.equal(origin.requests[1]!.headers.get("x-pp-authority"), "");
    await until(() => logs.length >= 3, 10_000, "three log lines");
    assert.deepEqual(logs, [
      "192.0.2.7 api.example id-1 200",
      "192.0.2.7 api.example deny-me 403",
      "192.0.2.7   200",
    ]);
  });

  it("TCP: a tcp-request content rule and the log-format read them", async () => {
    const echo = await helloServer(net);
    after(() => echo.close());
    const { port, logs } = await start("tcp", [
      '  log-format "%[fc_pp_authority] %[fc_pp_unique_id] %ts"',
      "  tcp-request content reject if { fc_pp_authority -m end .blocked }",
    ], portOf(echo.address));
    assert.equal(await send(port, { authority: "db.internal", uniqueId: "u-9" }, "x"), "hello\n");
    assert.equal(await send(port, { authority: "x.blocked" }, "x"), "");
    await until(() => logs.length >= 2, 10_000, "two log lines");
    assert.equal(logs[0], "db.internal u-9 --");
    assert.equal(logs[1], "x.blocked  PR");
  });
});
