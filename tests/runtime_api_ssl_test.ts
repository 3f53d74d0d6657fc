/**
 * The runtime API's certificate hot reload (`set ssl cert`, `commit ssl cert`, `abort ssl
 * cert`, management.txt 9.3) on a fake TLS network that records each listener's new settings;
 * replies as haproxy 2.6.12 gave them on the same commands.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Harness } from "./_proxy_harness.ts";
import { FakeTlsNetwork } from "./_tls_fake.ts";
import { ProxyServer } from "../src/proxy.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { RuntimeApiSession } from "../src/runtime_api.ts";
import { dec, enc, Recorder, tcp } from "./_helpers.ts";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8");
const FILES: Record<string, string> = {
  "/a.pem": fixture("a.test.pem") + fixture("a.test.key"),
  "/b.pem": fixture("b.test.pem") + fixture("b.test.key"),
};
const NEW = fixture("b.test.pem") + fixture("b.test.key");

async function start(): Promise<{ h: Harness; net: FakeTlsNetwork; cli: RuntimeApiSession }> {
  const h = new Harness();
  const net = new FakeTlsNetwork(h.net);
  const cfg = parseHaproxyConfig(
    [
      "global",
      "  stats socket 127.0.0.1:9999 level admin",
      "frontend fe",
      "  mode tcp",
      "  bind 10.0.0.1:443 ssl crt /a.pem name one",
      "  bind 10.0.0.1:444 ssl crt /b.pem crt /a.pem name two",
      "  bind 10.0.0.1:445 ssl crt /b.pem name three",
      "  default_backend be",
      "backend be",
      "  server s1 10.1.0.1:8000",
    ].join("\n"),
    "t.cfg",
    { readFile: (p) => FILES[p]!, onWarning: () => {} },
  );
  h.proxy = new ProxyServer(cfg, { network: net, clock: h.clock });
  await h.proxy.start();
  return { h, net, cli: new RuntimeApiSession(h.proxy, "admin") };
}

describe("runtime API: set/commit/abort ssl cert", () => {
  it("a committed certificate goes to every bind that loaded the file, and only there", async () => {
    const { net, cli } = await start();
    assert.equal(cli.execute("set ssl cert /a.pem", NEW), "Transaction created for certificate /a.pem!\n\n");
    assert.equal(cli.execute("set ssl cert /a.pem", NEW), "Transaction updated for certificate /a.pem!\n\n");
    assert.equal(net.reloads.length, 0, "nothing changes before the commit");
    assert.equal(cli.execute("commit ssl cert /a.pem"), "Committing /a.pem..\nSuccess!\n\n");
    assert.equal(net.reloads.length, 2);
    assert.deepEqual(net.reloads[0]!.certificates.map((c) => c.serverNames), [["b.test"]]);
    // Bind "two" keeps its first certificate (/b.pem) and gets the new one second.
    assert.deepEqual(net.reloads[1]!.certificates.map((c) => c.file), ["/b.pem", "/a.pem"]);
    assert.equal(net.reloads[1]!.certificates[1]!.cert, fixture("b.test.pem"));
    // The next commit of the same file starts from what the binds use now.
    cli.execute("set ssl cert /a.pem", FILES["/a.pem"]);
    assert.equal(cli.execute("commit ssl cert /a.pem"), "Committing /a.pem..\nSuccess!\n\n");
    assert.deepEqual(net.reloads[3]!.certificates.map((c) => c.serverNames), [["b.test"], ["a.test"]]);
  });

  it("answers HAProxy's errors and changes nothing", async () => {
    const { net, cli } = await start();
    assert.equal(cli.execute("commit ssl cert /a.pem"), "No ongoing transaction! !\nCan't commit /a.pem!\n\n");
    assert.equal(cli.execute("abort ssl cert /a.pem"), "No ongoing transaction!\n\n");
    assert.equal(
      cli.execute("set ssl cert /a.pem"),
      "'set ssl cert expects a filename and a certificate as a payload\n\n",
    );
    assert.equal(
      cli.execute("set ssl cert /nosuch.pem", NEW),
      "Can't replace a certificate which is not referenced by the configuration!\nCan't update /nosuch.pem!\n\n",
    );
    assert.equal(
      cli.execute("set ssl cert /a.pem", "garbage\n"),
      "unable to load certificate from file '/a.pem'.\nCan't load the payload\nCan't update /a.pem!\n\n",
    );
    cli.execute("set ssl cert /a.pem", NEW);
    assert.equal(
      cli.execute("commit ssl cert /b.pem"),
      "The ongoing transaction is about '/a.pem' but you are trying to set '/b.pem'\nCan't commit /b.pem!\n\n",
    );
    assert.equal(cli.execute("abort ssl cert /a.pem"), "Transaction aborted for certificate '/a.pem'!\n\n");
    assert.equal(cli.execute("commit ssl cert /a.pem"), "No ongoing transaction! !\nCan't commit /a.pem!\n\n");
    assert.equal(net.reloads.length, 0);
    assert.equal(
      new RuntimeApiSession((await start()).h.proxy, "operator").execute("set ssl cert /a.pem", NEW),
      "Permission denied\n\n",
    );
  });

  it("takes the payload after '<<' up to an empty line on the stats socket", async () => {
    const { h, net } = await start();
    const send = async (text: string): Promise<string> => {
      const s = await h.net.connect({ address: tcp("127.0.0.1", 9999) });
      const rec = new Recorder();
      s.setHandlers(rec);
      s.write(enc(text));
      s.shutdownWrite();
      await h.until(() => rec.endCount === 1);
      return dec(rec.chunks);
    };
    assert.equal(await send(`set ssl cert /a.pem <<\n${NEW}\n`), "Transaction created for certificate /a.pem!\n\n");
    assert.equal(await send("commit ssl cert /a.pem\n"), "Committing /a.pem..\nSuccess!\n\n");
    assert.equal(net.reloads.length, 2);
  });
});
