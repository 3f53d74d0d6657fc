/**
 * End to end: `examples/proxy.ts --config` with TLS keywords, certificate files read through
 * the CLI's `readFile` / `readDir` (a `crt DIR`), and a missing certificate refused at load
 * with HAProxy's message and `file:line:`.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProxy, stopCleanly, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import type { Network } from "../../src/net.ts";
import { echoRecorder, freePorts, nativeNetwork, portOf, runtime, tcp, within } from "../_helpers.ts";
import { testCerts } from "../_certs.ts";
import { servedCn } from "../_tls_peers.ts";

const openssl = peer("openssl");
const net: Network = await nativeNetwork();
const certs = testCerts();

describe(`examples/proxy.ts --config with TLS on ${runtime}`, { skip: openssl.skip }, () => {
  it("bind ssl crt DIR: the files load in alphabetical order, the first is the default", async () => {
    const echo = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.setHandlers(echoRecorder(s)) });
    after(() => echo.close());
    const [fePort] = (await freePorts(net, 1)) as [number];
    const cfg = tempFile("tls.cfg", []);
    after(() => cfg.remove());
    const dir = join(cfg.path, "..", "certs");
    mkdirSync(dir);
    copyFileSync(certs.b.pemFile, join(dir, "b.pem"));
    copyFileSync(certs.a.certFile, join(dir, "a.pem"));
    copyFileSync(certs.a.keyFile, join(dir, "a.pem.key"));
    writeFileSync(
      cfg.path,
      [
        ...TCPLOG_PREAMBLE,
        "frontend fe",
        `    bind 127.0.0.1:${fePort} ssl crt ${dir}`,
        "    default_backend be",
        "backend be",
        `    server s1 127.0.0.1:${portOf(echo.address)}`,
        "",
      ].join("\n"),
    );
    const cli = startProxy(["--config", cfg.path]);
    after(() => void cli.child.kill("SIGKILL"));
    if (!net.capabilities.tlsSniMultiCert) {
      // Two certificates on one bind: refused at load where the adapter cannot choose by SNI.
      await within(cli.exited, 20_000, "the CLI to exit");
      assert.match(cli.stderr(), /needs 'tlsSniMultiCert'/);
      return;
    }
    const port = Number((await cli.line(/^listening on 127\.0\.0\.1:(\d+)$/))[1]);
    assert.equal(port, fePort);
    assert.equal(await servedCn(openssl.path!, port, undefined), "a.test");
    assert.equal(await servedCn(openssl.path!, port, "b.test"), "b.test");
    await cli.line(/\] fe~ be\/s1 /);
    await stopCleanly(cli);
  });

  it("a missing certificate file: exit 2, HAProxy's message after file:line", async () => {
    const cfg = tempFile("tls.cfg", [
      "frontend fe",
      "    bind 127.0.0.1:18443 ssl crt /nonexistent/site.pem",
      "    default_backend be",
      "backend be",
      "    server s1 127.0.0.1:1",
    ]);
    after(() => cfg.remove());
    const cli = startProxy(["--config", cfg.path]);
    const code = await within(cli.exited, 20_000, "the CLI to exit");
    if (runtime !== "deno") assert.equal(code, 2);
    assert.match(
      cli.stderr(),
      new RegExp(
        `${cfg.path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2: 'bind 127\\.0\\.0\\.1:18443' in section 'frontend' : ` +
          `unable to stat SSL certificate from file '/nonexistent/site\\.pem' : No such file or directory\\.`,
      ),
    );
  });
});
