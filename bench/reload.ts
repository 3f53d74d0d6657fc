/**
 * Reload under load: wrk drives requests through proxykit's command line (`cli.ts -f FILE`)
 * to nginx while the bench sends SIGUSR2 every `duration / (reloads + 1)` seconds; each
 * reload re-reads the file, hands the listeners over and drains the former proxy. The figure
 * that matters is wrk's error count (connect, read, write, timeout, non-2xx), which must be 0:
 * no connection refused during a switch, no request lost on a connection the former proxy
 * closes. Runs `mode tcp` and `mode http`, with keep-alive and with `Connection: close`.
 *
 * Run as `node bench/reload.ts`, `deno run -A bench/reload.ts` or `bun run bench/reload.ts`
 * (`npm run bench:reload -- RUNTIME`); each measures its own runtime. Options: `--duration S`
 * (seconds of wrk per run, default 10), `--reloads N` (default 8), `--wrk-conns N` (default
 * 50), `--modes tcp,http`. Prints a table, then one JSON line starting with `{"bench":"reload"`.
 * Exits 1 when a run saw an error or a reload that did not complete.
 *
 * Needs Linux, `wrk` and `nginx` (installed with apt-get when missing and running as root).
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { ensureTool, startNginx } from "./_nginx.ts";
import {
  freePort,
  positiveIntFlag,
  runtime,
  runtimeCommand,
  runtimeVersion,
  startListening,
  type Target,
} from "./_targets.ts";
import { runWrk, type WrkResult } from "./_wrk.ts";

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string" },
    reloads: { type: "string" },
    "wrk-conns": { type: "string" },
    modes: { type: "string" },
  },
});
const DURATION = positiveIntFlag("reload", "duration", flags.duration, 10);
const RELOADS = positiveIntFlag("reload", "reloads", flags.reloads, 8);
const CONNS = positiveIntFlag("reload", "wrk-conns", flags["wrk-conns"], 50);
const MODES = (flags.modes ?? "tcp,http").split(",") as ("tcp" | "http")[];

const wrkBin = ensureTool("wrk", "wrk");
const nginx = await startNginx(ensureTool("nginx", "nginx"), {
  files: {},
  maxConns: CONNS * 4,
  location: "location / { return 200 'ok\\n'; }",
});
const dir = mkdtempSync(join(tmpdir(), "proxykit-reload-"));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The configuration file the proxy reads at start and at each reload. */
function writeConfig(mode: "tcp" | "http", port: number): string {
  const file = join(dir, `${mode}.cfg`);
  writeFileSync(
    file,
    [
      "global",
      "    hard-stop-after 30s",
      "defaults",
      `    mode ${mode}`,
      "    timeout connect 5s",
      "    timeout client 30s",
      "    timeout server 30s",
      "frontend fe",
      `    bind 127.0.0.1:${port}`,
      "    default_backend be",
      "backend be",
      `    server nginx 127.0.0.1:${nginx.port}`,
      "",
    ].join("\n"),
  );
  return file;
}

/** wrk for DURATION seconds against `port`; resolves with its parsed output. */
function wrk(port: number, close: boolean): Promise<WrkResult & { raw: string }> {
  return runWrk(wrkBin, [
    "-t1",
    `-c${CONNS}`,
    `-d${DURATION}s`,
    "--latency",
    "--timeout",
    "5s",
    ...(close ? ["-H", "Connection: close"] : []),
    `http://127.0.0.1:${port}/`,
  ]);
}

interface Row {
  mode: string;
  close: boolean;
  requests: number;
  rps: number;
  errors: number;
  reloads: number;
  errorLine: string;
}

/** One run: a fresh proxy, wrk, RELOADS reloads spread over the run; the reloads that completed. */
async function run(mode: "tcp" | "http", close: boolean): Promise<Row> {
  const port = await freePort();
  const file = writeConfig(mode, port);
  const [exe, argv] = runtimeCommand("cli.ts", ["-f", file]);
  let t: Target | undefined;
  try {
    t = await startListening(`proxykit ${mode}`, exe, argv);
    const load = wrk(port, close);
    const every = (DURATION * 1000) / (RELOADS + 1);
    let sent = 0;
    for (let i = 0; i < RELOADS; i++) {
      await sleep(every);
      process.kill(t.pid!, "SIGUSR2");
      sent++;
    }
    const r = await load;
    const errorLine = /Socket errors:.*|Non-2xx.*/.exec(r.raw)?.[0] ?? "";
    return { mode, close, requests: r.requests, rps: r.rps, errors: r.errors, reloads: sent, errorLine };
  } finally {
    await t?.stop();
  }
}

const rows: Row[] = [];
try {
  for (const mode of MODES) {
    for (const close of [false, true]) rows.push(await run(mode, close));
  }
} finally {
  await nginx.stop();
  rmSync(dir, { recursive: true, force: true });
}

const lines = [
  `reload under load: ${runtime} ${runtimeVersion}, wrk -c${CONNS} ${DURATION} s, ${RELOADS} SIGUSR2 per run`,
  "mode  connection  requests   req/s  reloads  errors",
  ...rows.map((r) =>
    [
      r.mode.padEnd(4),
      (r.close ? "close" : "keep-alive").padEnd(10),
      String(r.requests).padStart(9),
      r.rps.toFixed(0).padStart(7),
      String(r.reloads).padStart(8),
      String(r.errors).padStart(7),
      r.errorLine === "" ? "" : ` (${r.errorLine})`,
    ].join("  ")
  ),
];
console.log(lines.join("\n"));
console.log(JSON.stringify({ bench: "reload", runtime, version: runtimeVersion, rows }));
if (rows.some((r) => r.errors > 0)) process.exit(1);
