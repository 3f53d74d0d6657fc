/**
 * TLS termination benchmark: proxykit (`bind ... ssl crt`, `mode tcp`) against a hand-written
 * TLS-terminating pipe on the same runtime (the ceiling) and HAProxy on one thread (the
 * reference), on the same haproxy.cfg, in one run.
 *
 * Run as `deno run -A bench/tls.ts`, `bun run bench/tls.ts` or `node bench/tls.ts` (or
 * `npm run bench:tls -- RUNTIME`); each measures its own runtime. The bench process runs the
 * origin (plain TCP: echo for handshakes, discard for bulk) and the TLS load generator
 * (`node:tls`); every target is a child process:
 * - `tls-pipe`: `bench/_tls_pipe.ts`, the runtime's `node:tls` server piping to the origin;
 * - `proxykit`: `examples/proxy.ts --config` with `bind 127.0.0.1:P ssl crt cert.pem`;
 * - `haproxy`: the same file, `nbthread 1`, if installed.
 *
 * Measures (best of `--reps`, repetitions interleaved across targets):
 * - handshakes: `--conns` client loops, each a new full handshake (no resumption), one byte
 *   echoed through the proxy, then a close; handshakes per second over `--duration` seconds;
 * - bulk: `--bulk-conns` connections each upload `--bulk-mib` MiB, which the origin discards;
 *   MiB/s once the origin received every byte.
 * The certificate is ECDSA P-256 (what a deployment would pick for handshake cost).
 * Handshakes per CPU-second of the target tell what a handshake costs it even when the load
 * generator (one process) is what limits the rate.
 * Prints a table with the ratios proxykit/tls-pipe and proxykit/haproxy, then one JSON line
 * starting with `{"bench":"tls"`. Options: `--quick`, `--reps N`, `--duration S`,
 * `--conns N`, `--bulk-conns N`, `--bulk-mib N`, `--no-haproxy`, `--targets LIST`.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket as NetSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { connect as tlsConnect } from "node:tls";
import { parseArgs } from "node:util";
import {
  cpuSeconds,
  findHaproxy,
  freePort,
  haproxyVersion,
  positiveIntFlag,
  runtime,
  runtimeCommand,
  startHaproxyConfig,
  startListening,
  type Target,
} from "./_targets.ts";

const MiB = 1024 * 1024;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    reps: { type: "string" },
    duration: { type: "string" },
    conns: { type: "string" },
    "bulk-conns": { type: "string" },
    "bulk-mib": { type: "string" },
    "no-haproxy": { type: "boolean" },
    targets: { type: "string" },
  },
});
const quick = flags.quick === true;
const reps = positiveIntFlag("tls", "reps", flags.reps, quick ? 1 : 3);
const durationS = positiveIntFlag("tls", "duration", flags.duration, quick ? 1 : 5);
const conns = positiveIntFlag("tls", "conns", flags.conns, 16);
const bulkConns = positiveIntFlag("tls", "bulk-conns", flags["bulk-conns"], 4);
const bulkMiB = positiveIntFlag("tls", "bulk-mib", flags["bulk-mib"], quick ? 8 : 64);
const wanted = new Set((flags.targets ?? "tls-pipe,proxykit,haproxy").split(","));

/** An ECDSA P-256 certificate and key in one PEM file (what `crt` reads), in a temp dir. */
function makeCertificate(): { dir: string; pem: string; ca: string } {
  const dir = mkdtempSync(join(tmpdir(), "proxykit-tls-bench-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=bench.test",
    "-addext",
    "subjectAltName=DNS:bench.test",
  ], { stdio: "ignore" });
  const pem = join(dir, "bench.pem");
  const certText = readFileSync(cert, "utf8");
  writeFileSync(pem, certText + readFileSync(key, "utf8"));
  return { dir, pem, ca: certText };
}

/** The origin: echoes on one port, discards (counting) on another. */
async function startOrigin(): Promise<{ echo: number; sink: number; received: () => number; close(): void }> {
  let received = 0;
  const echo = createServer((s: NetSocket) => {
    s.on("data", (c) => s.write(c));
    s.on("error", () => {});
    s.on("end", () => s.end());
  });
  const sink = createServer((s: NetSocket) => {
    s.on("data", (c) => (received += c.length));
    s.on("error", () => {});
    s.on("end", () => s.end());
  });
  const listen = (srv: ReturnType<typeof createServer>) =>
    new Promise<number>((resolve) =>
      srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port))
    );
  return {
    echo: await listen(echo),
    sink: await listen(sink),
    received: () => received,
    close: () => {
      echo.close();
      sink.close();
    },
  };
}

/** The haproxy.cfg both proxykit and HAProxy run: TLS in front of `origin`. */
function tlsCfg(port: number, origin: number, pem: string): string {
  return [
    "global",
    "    nbthread 1",
    "    maxconn 4096",
    "defaults",
    "    mode tcp",
    "    maxconn 4096",
    "    timeout connect 5s",
    "    timeout client 60s",
    "    timeout server 60s",
    "listen tls",
    `    bind 127.0.0.1:${port} ssl crt ${pem}`,
    `    server s1 127.0.0.1:${origin}`,
    "",
  ].join("\n");
}

async function startTarget(name: string, origin: number, pem: string): Promise<Target> {
  if (name === "tls-pipe") {
    const [exe, argv] = runtimeCommand("bench/_tls_pipe.ts", ["--target", `127.0.0.1:${origin}`, "--pem", pem]);
    return startListening(name, exe, argv);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "proxykit-tls-cfg-"));
  const cfg = join(dir, "tls.cfg");
  writeFileSync(cfg, tlsCfg(port, origin, pem));
  if (name === "haproxy") return startHaproxyConfig(haproxy!, name, port, tlsCfg(port, origin, pem));
  const [exe, argv] = runtimeCommand("examples/proxy.ts", ["--config", cfg]);
  const t = await startListening(name, exe, argv);
  return { ...t, stop: async () => (await t.stop(), rmSync(dir, { recursive: true, force: true })) };
}

/** `conns` loops of full handshakes with a one-byte echo, for `ms`; returns handshakes/s. */
async function handshakes(port: number, ca: string, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const s = tlsConnect({ host: "127.0.0.1", port, servername: "bench.test", ca }, () => s.write("x"));
      s.once("data", () => {
        done++;
        s.destroy();
        resolve();
      });
      s.once("error", () => resolve());
    });
  const loop = async () => {
    while (Date.now() < end) await one();
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: conns }, loop));
  return done / ((Date.now() - t0) / 1000);
}

/** `bulkConns` connections each upload `bulkMiB` MiB; MiB/s once the origin has them all. */
async function bulk(port: number, ca: string, received: () => number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const start = received();
  const total = bulkConns * bulkMiB * MiB;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: bulkConns }, () =>
    new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: "127.0.0.1", port, servername: "bench.test", ca }, () => {
        let left = bulkMiB * MiB;
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            if (!s.write(chunk)) return void s.once("drain", pump);
          }
          s.end();
          resolve();
        };
        pump();
      });
      s.on("data", () => {});
      s.once("error", reject);
    })));
  while (received() - start < total) await new Promise((r) => setTimeout(r, 5));
  return (total / MiB) / ((Date.now() - t0) / 1000);
}

const haproxy = flags["no-haproxy"] === true ? undefined : findHaproxy();
const names = ["tls-pipe", "proxykit", "haproxy"].filter((n) => wanted.has(n) && (n !== "haproxy" || haproxy));
const cert = makeCertificate();
const origin = await startOrigin();
/** Best handshakes/s, handshakes per CPU-second of the target (`cpu`) and bulk MiB/s. */
const results = new Map<string, { hs: number; bulk: number; cpu: number }>();
try {
  for (let r = 0; r < reps; r++) {
    for (const name of names) {
      for (const measure of ["hs", "bulk"] as const) {
        const t = await startTarget(name, measure === "hs" ? origin.echo : origin.sink, cert.pem);
        try {
          const cpu0 = t.pid === undefined ? 0 : cpuSeconds(t.pid);
          const v = measure === "hs"
            ? await handshakes(t.port, cert.ca, durationS * 1000)
            : await bulk(t.port, cert.ca, origin.received);
          const cpu = t.pid === undefined ? 0 : cpuSeconds(t.pid) - cpu0;
          const best = results.get(name) ?? { hs: 0, bulk: 0, cpu: 0 };
          if (v > best[measure]) {
            best[measure] = v;
            // Handshakes per CPU-second of the target: what a handshake costs it, whether or
            // not the load generator (one process, beside it) kept it busy.
            if (measure === "hs") best.cpu = cpu > 0 ? (v * durationS) / cpu : 0;
          }
          results.set(name, best);
        } finally {
          await t.stop();
        }
      }
    }
  }
} finally {
  origin.close();
  rmSync(cert.dir, { recursive: true, force: true });
}

const row = (n: string) => results.get(n);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "-" : (a / b).toFixed(2);
console.log(
  `# TLS termination on ${runtime} (${process.version ?? ""})${haproxy ? `, ${haproxyVersion(haproxy)}` : ""}`,
);
console.log(
  `# handshakes: ${conns} loops, ${durationS} s; bulk: ${bulkConns} x ${bulkMiB} MiB upload; best of ${reps}`,
);
console.log("| target | handshakes/s | handshakes per CPU-second | bulk MiB/s |");
console.log("| --- | --- | --- | --- |");
for (const n of names) {
  const r = row(n)!;
  console.log(`| ${n} | ${r.hs.toFixed(0)} | ${r.cpu.toFixed(0)} | ${r.bulk.toFixed(0)} |`);
}
const pk = row("proxykit");
for (const base of ["tls-pipe", ...(haproxy ? ["haproxy"] : [])]) {
  const b = row(base);
  console.log(
    `| proxykit / ${base} | ${ratio(pk?.hs, b?.hs)} | ${ratio(pk?.cpu, b?.cpu)} | ${ratio(pk?.bulk, b?.bulk)} |`,
  );
}
console.log(JSON.stringify({ bench: "tls", runtime, results: Object.fromEntries(results) }));
