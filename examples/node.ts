/**
 * A library user on Node: load a haproxy.cfg file and run it with the Node adapter.
 *
 *   node examples/node.ts haproxy.cfg        (Node 22.18+ runs .ts as is; with the npm package,
 *                                            write it in .js and import from "proxykit")
 *
 * Prints `listening on HOST:PORT` for every bound address; SIGINT or SIGTERM stop it, letting
 * streams in progress finish for up to 5 s. Exit codes: 0 after a signal, 1 when it cannot
 * bind, 2 for a bad configuration (the message names the file and line).
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { isProxyError, parseHaproxyConfig, ProxyServer } from "../mod.ts"; // npm: "proxykit"
import { network } from "../adapters/node.ts"; // npm: "proxykit/node"

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node examples/node.ts HAPROXY_CFG");
  process.exit(2);
}

let proxy: ProxyServer;
try {
  const config = parseHaproxyConfig(readFileSync(file, "utf8"), file);
  proxy = new ProxyServer(config, { network, log: (line) => console.log(line) });
  await proxy.start();
} catch (e) {
  console.error(`node.ts: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(isProxyError(e) && e.code === "ERR_LISTEN" ? 1 : 2);
}
for (const a of proxy.addresses) if (a.transport === "tcp") console.log(`listening on ${a.hostname}:${a.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    console.error(`${signal} received, stopping`);
    await proxy.stop({ graceMs: 5000 });
    process.exit(0);
  });
}
