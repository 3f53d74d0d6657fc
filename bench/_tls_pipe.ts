/**
 * A hand-written TLS-terminating pipe on the runtime running this file (its `node:tls`
 * server, each accepted connection piped to `--target` in plain TCP): the ceiling
 * `bench/tls.ts` compares proxykit's TLS termination with. Prints `listening on HOST:PORT`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import process from "node:process";
import { createServer } from "node:tls";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { target: { type: "string" }, pem: { type: "string" } } });
const m = /^(.+):(\d+)$/.exec(values.target ?? "");
if (m === null || values.pem === undefined) {
  console.error("tls-pipe: --target HOST:PORT and --pem FILE are required");
  process.exit(2);
}
const pem = readFileSync(values.pem, "utf8");
const server = createServer({ cert: pem, key: pem, allowHalfOpen: true }, (client) => {
  const up = connect({ host: m[1]!, port: Number(m[2]), allowHalfOpen: true });
  client.pipe(up);
  up.pipe(client);
  client.on("error", () => up.destroy());
  up.on("error", () => client.destroy());
});
server.listen(0, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
