/**
 * Multi-core benchmark: proxykit's connection rate with 1, 2 (and, where the machine has more
 * cores, N) worker processes (`--workers`, listeners shared with SO_REUSEPORT), on the runtime
 * running this file: `node bench/workers.ts`, `bun run bench/workers.ts`,
 * `deno run -A --unstable-net bench/workers.ts`.
 *
 * Behind the proxy, nginx (one worker, `return 200 "ok\n"`); in front, `wrk -t2 -c64
 * -H 'Connection: close'`: each request is a new client connection and a new server
 * connection, the cost `--workers` spreads. Each worker count runs `--reps` times (interleaved),
 * best run kept. The report says how many CPUs the machine has: wrk and nginx need CPU too, so
 * on a 2-vCPU machine two workers cannot reach twice one worker's rate (the table says so).
 *
 * Options: `--duration S` (seconds per run, default 5), `--reps N` (default 3), `--workers
 * LIST` (default `1,2` plus the CPU count when above 2). Needs Linux, `wrk` and `nginx`
 * (installed with apt-get when missing and running as root). Prints a table and one JSON
 * line starting with `{"bench":"workers"`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { ensureTool, startNginx } from "./_nginx.ts";
import { runWrk } from "./_wrk.ts";
import { positiveIntFlag, ROOT, runtime, runtimeCommand, stopChild } from "./_targets.ts";
import { freePorts, nativeNetwork } from "../tests/_helpers.ts";

const { values: flags } = parseArgs({
  options: { duration: { type: "string" }, reps: { type: "string" }, workers: { type: "string" } },
});
const DURATION = positiveIntFlag("workers", "duration", flags.duration, 5);
const REPS = positiveIntFlag("workers", "reps", flags.reps, 3);
const CPUS = availableParallelism();
const COUNTS = flags.workers !== undefined
  ? flags.workers.split(",").map(Number)
  : [...new Set([1, 2, ...(CPUS > 2 ? [CPUS] : [])])];

const wrkBin = ensureTool("wrk", "wrk");
const nginx = await startNginx(ensureTool("nginx", "nginx"), {
  files: {},
  maxConns: 4096,
  location: `location / { return 200 "ok\\n"; }`,
});

/** Starts the CLI with `workers` workers on `port`; resolves once every worker listens. */
function startProxy(workers: number, port: number): Promise<() => Promise<void>> {
  const [exe, argv] = runtimeCommand("cli.ts", [
    "--workers",
    String(workers),
    "--listen",
    `127.0.0.1:${port}`,
    "--server",
    `127.0.0.1:${nginx.port}`,
  ]);
  // Deno's workers need --unstable-net (the primary passes it; the primary itself does not).
  const child = spawn(exe, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let seen = 0;
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      seen += s.split("listening on").length - 1;
      if (seen >= workers) resolve(() => stopChild(child));
    });
    child.once("exit", (code) => reject(new Error(`proxykit exited (${code}) before listening: ${err.slice(-1000)}`)));
  });
}

/** wrk's requests per second and its error count against `port`. */
async function wrk(port: number): Promise<{ rate: number; errors: number }> {
  const r = await runWrk(wrkBin, [
    "-t2",
    "-c64",
    `-d${DURATION}s`,
    "-H",
    "Connection: close",
    `http://127.0.0.1:${port}/`,
  ]);
  if (!Number.isFinite(r.rps)) throw new Error(`wrk failed: ${r.raw}`);
  return { rate: r.rps, errors: r.errors };
}

const best = new Map<number, { rate: number; errors: number }>();
const net = await nativeNetwork();
for (let rep = 0; rep < REPS; rep++) {
  for (const w of COUNTS) {
    // A fixed port: with port 0 each worker would get a port of its own.
    const [port] = (await freePorts(net, 1)) as [number];
    const stop = await startProxy(w, port);
    try {
      const r = await wrk(port);
      if (r.rate > (best.get(w)?.rate ?? -1)) best.set(w, r);
    } finally {
      await stop();
    }
  }
}
await nginx.stop();

const one = best.get(1)?.rate ?? NaN;
console.log(
  `proxykit --workers on ${runtime}: connections per second (wrk -t2 -c64, Connection: close, best of ${REPS})`,
);
console.log(`machine: ${CPUS} CPUs, shared by the workers, wrk and nginx`);
if (CPUS <= 2) {
  console.log("note: 2 CPUs or fewer: wrk and nginx take CPU from the workers, a 1.6x scaling is not reachable here");
}
console.log("workers  conn/s      x1 worker  errors");
for (const w of COUNTS) {
  const r = best.get(w)!;
  console.log(
    `${String(w).padEnd(8)} ${r.rate.toFixed(0).padEnd(11)} ${(r.rate / one).toFixed(2).padEnd(10)} ${r.errors}`,
  );
}
console.log(JSON.stringify({ bench: "workers", runtime, cpus: CPUS, results: Object.fromEntries(best) }));
process.exit(0);
