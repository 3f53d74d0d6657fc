/**
 * TLS listeners of the runtime adapters: each runtime's native TLS listener against the
 * `node:tls` route the Deno and Bun adapters take for what the native one cannot do (several
 * certificates, client certificates, `strictSni`, reload: `createNetwork({ nodeTls: true })`),
 * and TLS started after a PROXY header (`tlsDeferred` + `startServerTls`). On Node the
 * `node:tls` engine is the native path. The last row, a bare `tls.createServer` of the
 * runtime's `node:tls` without the adapter, shows what the adapter adds to it.
 *
 * Run as `deno run -A bench/tls_adapters.ts`, `bun run bench/tls_adapters.ts` or
 * `node bench/tls_adapters.ts`, or `npm run bench:tls-adapters` for all three. The client is
 * always Node (`bench/_tls_client.ts`, a child process), so that every runtime serves the
 * same load. Measures, best of `--reps N` (default 3) runs interleaved across paths:
 * - `handshakes/s`: full TLS 1.3 handshakes (ECDSA P-256, no resumption), 8 clients at a
 *   time for `--seconds S` (default 3), each reading one byte and closing;
 * - `MB/s`: one connection, the server writing `--bulk-mib M` MiB (default 256) as fast as
 *   backpressure lets it.
 *
 * Prints a table and, last, one JSON line starting with `{"bench":"tls_adapters"`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { createServer } from "node:tls";
import type { Listener, Network, Socket } from "../src/net.ts";

import { runtime, runtimeVersion } from "./_targets.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  return v;
}
const REPS = flag("--reps", 3);
const SECONDS = flag("--seconds", 3);
const BULK_MIB = flag("--bulk-mib", 256);

const fixture = (name: string): string =>
  readFileSync(new URL(`../tests/fixtures/tls/${name}`, import.meta.url), "utf8");
const certificates = [{ cert: fixture("localhost.pem"), key: fixture("localhost.key"), serverNames: ["localhost"] }];

/** A way of serving TLS on this runtime; `net: undefined` is a bare `tls.createServer`. */
interface Path {
  readonly name: string;
  readonly net: Network | undefined;
  readonly deferred: boolean;
}

/** The reference: the runtime's `node:tls` server used directly, no adapter around it. */
const BARE: Path = { name: "bare tls.createServer", net: undefined, deferred: false };

/** A bare `tls.Server` doing what `serve()` does. */
function listenBare(bulk: number): Promise<Listener> {
  const server = createServer({ ...certificates[0]!, allowHalfOpen: true }, (s) => {
    s.setNoDelay(true);
    if (bulk === 0) return void s.end("x");
    const chunk = new Uint8Array(64 * 1024).fill(97);
    let sent = 0;
    const more = (): void => {
      while (sent < bulk) {
        sent += chunk.length;
        if (!s.write(chunk.slice())) return void s.once("drain", more);
      }
      s.end();
    };
    more();
  });
  server.on("tlsClientError", () => {});
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        address: { transport: "tcp", hostname: "127.0.0.1", port: (server.address() as { port: number }).port },
        close: () => new Promise((r) => server.close(() => r())),
      }))
  );
}

async function paths(): Promise<Path[]> {
  if (runtime === "node") {
    const { network } = await import("../adapters/node.ts");
    return [
      { name: "node:tls engine (native)", net: network, deferred: false },
      { name: "after PROXY header", net: network, deferred: true },
      BARE,
    ];
  }
  const { createNetwork } = runtime === "deno"
    ? await import("../adapters/deno.ts")
    : await import("../adapters/bun.ts");
  const viaNode = createNetwork({ nodeTls: true });
  return [
    { name: `native (${runtime === "deno" ? "Deno.listenTls" : "Bun.listen"})`, net: createNetwork(), deferred: false },
    { name: "node:tls engine", net: viaNode, deferred: false },
    { name: "after PROXY header", net: viaNode, deferred: true },
    BARE,
  ];
}

/** What each accepted TLS socket does: one byte then close, or `bulk` bytes with backpressure. */
function serve(s: Socket, bulk: number): void {
  // The one byte goes out at once, not after the ACK of the session tickets (Nagle).
  s.setNoDelay(true);
  if (bulk === 0) {
    s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
    s.write(Uint8Array.of(120));
    s.close();
    return;
  }
  const chunk = new Uint8Array(64 * 1024).fill(97);
  let sent = 0;
  const more = (): void => {
    while (sent < bulk) {
      sent += chunk.length;
      if (!s.write(chunk.slice())) return;
    }
    s.close();
  };
  s.setHandlers({ onData() {}, onEnd() {}, onDrain: more, onClose() {} });
  more();
}

async function listen(path: Path, bulk: number): Promise<Listener> {
  const net = path.net!;
  return await net.listen({
    address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    tls: { certificates },
    tlsDeferred: path.deferred,
    onAccept: (s) => {
      if (!path.deferred) return serve(s, bulk);
      let got = new Uint8Array(0);
      s.setHandlers({
        onData(c) {
          const all = new Uint8Array(got.length + c.length);
          all.set(got);
          all.set(c, got.length);
          got = all;
          const eol = got.indexOf(10);
          if (eol < 0) return;
          s.pause();
          net.startServerTls!(s, got.subarray(eol + 1)).then((t) => serve(t, bulk), () => {});
        },
        onEnd() {},
        onDrain() {},
        onClose() {},
      });
    },
  });
}

/** Runs the Node client and returns its JSON line. */
function client(args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [new URL("./_tls_client.ts", import.meta.url).pathname, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (out += d));
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""));
      } catch {
        reject(new Error(`tls client exited ${code}: ${out}`));
      }
    });
  });
}

async function measure(path: Path, what: "handshakes" | "bulk"): Promise<number> {
  const bulk = what === "bulk" ? BULK_MIB * 1024 * 1024 : 0;
  const l = path.net === undefined ? await listenBare(bulk) : await listen(path, bulk);
  const port = l.address.transport === "tcp" ? l.address.port : 0;
  const proxy = path.deferred ? ["--proxy"] : [];
  try {
    if (what === "handshakes") {
      const r = await client(["handshakes", String(port), String(SECONDS), "8", ...proxy]);
      return r["count"]! / r["seconds"]!;
    }
    const r = await client(["bulk", String(port), String(BULK_MIB), ...proxy]);
    return r["bytes"]! / r["seconds"]! / 1e6;
  } finally {
    await l.close();
  }
}

const list = await paths();
const best = new Map<string, { handshakes: number; bulk: number }>();
for (let rep = 0; rep < REPS; rep++) {
  for (const p of list) {
    const b = best.get(p.name) ?? { handshakes: 0, bulk: 0 };
    b.handshakes = Math.max(b.handshakes, await measure(p, "handshakes"));
    b.bulk = Math.max(b.bulk, await measure(p, "bulk"));
    best.set(p.name, b);
  }
}
const version = runtimeVersion;
console.log(`=== proxykit TLS adapter bench: ${runtime} ${version}, best of ${REPS} ===`);
const first = best.get(list[0]!.name)!;
console.log("path".padEnd(32) + "handshakes/s".padStart(14) + "  ratio" + "MB/s".padStart(10) + "  ratio");
for (const p of list) {
  const b = best.get(p.name)!;
  console.log(
    p.name.padEnd(32) + b.handshakes.toFixed(0).padStart(14) +
      (b.handshakes / first.handshakes).toFixed(2).padStart(7) +
      b.bulk.toFixed(0).padStart(10) + (b.bulk / first.bulk).toFixed(2).padStart(7),
  );
}
console.log(JSON.stringify({ bench: "tls_adapters", runtime, version, reps: REPS, results: Object.fromEntries(best) }));
process.exit(0);
