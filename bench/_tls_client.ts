/**
 * The TLS load generator of `bench/tls_adapters.ts`, always run by Node (the same client for
 * every runtime under test). Prints one JSON line.
 *
 * `node bench/_tls_client.ts handshakes PORT SECONDS CONCURRENCY [--proxy]`: full handshakes
 * (no resumption) for SECONDS, CONCURRENCY at a time: connect, handshake, read the server's
 * one byte, close. `{ "count": N, "seconds": S }`.
 * `node bench/_tls_client.ts bulk PORT MIB [--proxy]`: reads MIB MiB the server sends on one
 * connection. `{ "bytes": N, "seconds": S }`.
 * `--proxy` writes a PROXY v1 header in clear before the handshake (the `tlsDeferred` path).
 *
 * @module
 */
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import process from "node:process";

const [mode, portText, arg, conc] = process.argv.slice(2);
const port = Number(portText);
const proxy = process.argv.includes("--proxy");
const ca = readFileSync(new URL("../tests/fixtures/tls/ca.pem", import.meta.url), "utf8");
const HEADER = "PROXY TCP4 127.0.0.1 127.0.0.1 40000 443\r\n";

/** One TLS connection, resolved once the handshake is done. */
function open(): Promise<ReturnType<typeof tlsConnect>> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: "127.0.0.1", port, noDelay: true });
    const go = () => {
      const t = tlsConnect({ socket: raw, servername: "localhost", ca });
      t.once("secureConnect", () => resolve(t));
      t.once("error", reject);
    };
    raw.once("error", reject);
    if (proxy) raw.once("connect", () => raw.write(HEADER, go));
    else go();
  });
}

if (mode === "handshakes") {
  const seconds = Number(arg);
  const until = performance.now() + seconds * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const t = await open();
      await new Promise<void>((resolve) => {
        t.once("data", () => resolve());
        t.once("close", () => resolve());
      });
      t.destroy();
      count++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Number(conc ?? 8) }, worker));
  console.log(JSON.stringify({ count, seconds: (performance.now() - start) / 1000 }));
} else {
  const want = Number(arg) * 1024 * 1024;
  const t = await open();
  const start = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve) => {
    t.on("data", (d: Uint8Array) => {
      bytes += d.length;
      if (bytes >= want) resolve();
    });
    t.once("close", () => resolve());
  });
  const seconds = (performance.now() - start) / 1000;
  t.destroy();
  console.log(JSON.stringify({ bytes, seconds }));
}
process.exit(0);
