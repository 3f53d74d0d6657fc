/**
 * TCP benchmark: proxykit against the runtime's hand-written pipe (the ceiling) and HAProxy
 * (the reference), measured in the same run on the same machine.
 *
 * Run as `deno run -A bench/tcp.ts`, `bun run bench/tcp.ts` or `node bench/tcp.ts`; each
 * measures its own runtime. The bench process runs the bench server and the load generator
 * (native sockets of its runtime, `bench/_load_*.ts`); every target is a child process:
 * - `direct`: no proxy, the generator talks to the server (what the generator can do at all);
 * - `pipe`: `bench/pipe.ts` on the same runtime;
 * - `proxykit`: `examples/proxy.ts --listen ... --server ...` on the same runtime;
 * - `haproxy`: `haproxy -f <generated cfg> -db`, `mode tcp`, one thread, if installed.
 *
 * Measures (each repeated, best run kept; repetitions are interleaved across targets so that
 * a noisy moment hurts every target alike):
 * - upload: parallel connections each send N MiB to a server that discards them;
 * - download: the same, server to client;
 * - ping-pong: many connections, one small message in flight each, echoed by the server.
 *
 * Prints a table (absolute figures, the proxy's and the generator's CPU use, the work done per
 * CPU-second of the proxy process, the ratios proxykit/pipe and proxykit/haproxy) and, last, one JSON line starting with `{"bench":"tcp"`.
 * Options: `--quick` (small counts, one repetition: a smoke test), `--reps N`,
 * `--bulk-mib N` (per connection), `--rounds N` (ping-pong round trips per connection),
 * `--write-kib N` (size of the generator's writes, default 64),
 * `--no-haproxy`, `--pin` (targets on CPU 1; run this process under `taskset -c 0`),
 * `--targets LIST` (among direct,pipe,proxykit,haproxy), `--measures LIST`
 * (among upload,download,pingpong), and, for experiments,
 * `--extra 'NAME=COMMAND ARGS'` (repeatable: one more column, a child started from the root
 * that prints `listening on HOST:PORT`; `{server}` in ARGS becomes the bench server's address).
 *
 * @module
 */
import { availableParallelism } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import type { LoadKit } from "./_proto.ts";
import {
  canPin,
  cpuSeconds,
  findHaproxy,
  haproxyVersion,
  runtime,
  runtimeVersion,
  startHaproxy,
  startListening,
  startPipe,
  startProxykit,
  type Target,
} from "./_targets.ts";

const MiB = 1024 * 1024;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    reps: { type: "string" },
    "bulk-mib": { type: "string" },
    rounds: { type: "string" },
    "write-kib": { type: "string" },
    "no-haproxy": { type: "boolean" },
    pin: { type: "boolean" },
    targets: { type: "string" },
    measures: { type: "string" },
    extra: { type: "string", multiple: true },
  },
});
const quick = flags.quick ?? false;
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));

/** The workload; every figure is per run. */
const CFG = {
  reps: num(flags.reps, quick ? 1 : 5),
  bulkConns: 4,
  bulkBytes: num(flags["bulk-mib"], quick ? 16 : 256) * MiB,
  /** Size of the generator's writes. */
  writeBytes: num(flags["write-kib"], 64) * 1024,
  rrConns: 32,
  rrSize: 64,
  rrRounds: num(flags.rounds, quick ? 100 : 1000),
  /** A run that takes longer than this fails (a hung target must not hang the bench). */
  runTimeoutMs: 120_000,
};

const kit: LoadKit = runtime === "deno"
  ? (await import("./_load_deno.ts")).kit
  : runtime === "bun"
  ? (await import("./_load_bun.ts")).kit
  : (await import("./_load_node.ts")).kit;

type MeasureName = "upload" | "download" | "pingpong";

interface Measure {
  readonly name: MeasureName;
  readonly label: string;
  readonly unit: string;
  /** Runs the workload against `port`; resolves with the amount of work (bytes or round trips). */
  run(port: number): Promise<number>;
}

const CHUNK = new Uint8Array(CFG.writeBytes).fill(0x61);

async function parallel(n: number, f: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: n }, f));
}

const ALL_MEASURES: Measure[] = [
  {
    name: "upload",
    label: `upload MiB/s`,
    unit: "MiB/s",
    async run(port) {
      await parallel(CFG.bulkConns, () => kit.upload(port, CFG.bulkBytes, CHUNK));
      return (CFG.bulkConns * CFG.bulkBytes) / MiB;
    },
  },
  {
    name: "download",
    label: `download MiB/s`,
    unit: "MiB/s",
    async run(port) {
      await parallel(CFG.bulkConns, () => kit.download(port, CFG.bulkBytes));
      return (CFG.bulkConns * CFG.bulkBytes) / MiB;
    },
  },
  {
    name: "pingpong",
    label: `ping-pong req/s`,
    unit: "req/s",
    async run(port) {
      await parallel(CFG.rrConns, () => kit.pingPong(port, CFG.rrSize, CFG.rrRounds));
      return CFG.rrConns * CFG.rrRounds;
    },
  },
];

const MEASURES = ALL_MEASURES.filter((m) => (flags.measures ?? "upload,download,pingpong").split(",").includes(m.name));

/** One timed run. */
interface Run {
  /** Work per second (MiB/s or req/s); NaN when the run failed. */
  rate: number;
  /** CPU used by the target process over the run, in % of one core (NaN for `direct`). */
  targetCpu: number;
  /** CPU used by the bench process (server + generator), in % of one core. */
  benchCpu: number;
  error?: string;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

async function timed(m: Measure, t: Target): Promise<Run> {
  const cpu0 = t.pid === undefined ? NaN : cpuSeconds(t.pid);
  const self0 = cpuSeconds(process.pid);
  const t0 = performance.now();
  try {
    const work = await withTimeout(m.run(t.port), CFG.runTimeoutMs);
    const s = (performance.now() - t0) / 1000;
    const pct = (c0: number, pid: number | undefined) => (pid === undefined ? NaN : ((cpuSeconds(pid) - c0) / s) * 100);
    return { rate: work / s, targetCpu: pct(cpu0, t.pid), benchCpu: pct(self0, process.pid) };
  } catch (e) {
    return { rate: NaN, targetCpu: NaN, benchCpu: NaN, error: (e as Error).message };
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---- start everything -------------------------------------------------------------------

const server = await kit.server();
const wanted = new Set((flags.targets ?? "direct,pipe,proxykit,haproxy").split(","));
const targets: Target[] = [];
if (wanted.has("direct")) {
  targets.push({
    name: "direct",
    port: server.port,
    pid: undefined,
    stop: () => Promise.resolve(),
  });
}
const notes: string[] = [];
/**
 * With `--pin` (two CPUs or more and `taskset`), every target runs on CPU 1 and this process
 * should run on CPU 0 (`taskset -c 0`). Off by default: bulk transfers need the load generator
 * and the server of this process to have more than one core, or they, not the target, set
 * the pace (measured: pinned, every target moved about 370 MiB/s).
 */
const TARGET_CPUS = flags.pin && availableParallelism() >= 2 && canPin() ? "1" : undefined;
const pin = TARGET_CPUS === undefined ? {} : { cpus: TARGET_CPUS };
for (const [name, start] of [["pipe", startPipe], ["proxykit", startProxykit]] as const) {
  if (!wanted.has(name)) continue;
  try {
    targets.push(await start(server.port, pin));
  } catch (e) {
    notes.push(`FAILED to start: ${(e as Error).message}`);
  }
}
const haproxyBin = flags["no-haproxy"] || !wanted.has("haproxy") ? undefined : findHaproxy();
let haproxy = "-";
if (haproxyBin === undefined) {
  if (!flags["no-haproxy"] && wanted.has("haproxy")) {
    notes.push("SKIP haproxy: not found on PATH nor at /usr/sbin/haproxy, no HAProxy column");
  }
} else {
  haproxy = haproxyVersion(haproxyBin);
  try {
    targets.push(await startHaproxy(haproxyBin, server.port, undefined, TARGET_CPUS));
  } catch (e) {
    notes.push(`SKIP haproxy: ${(e as Error).message}`);
  }
}
const extras: string[] = [];
for (const spec of flags.extra ?? []) {
  const eq = spec.indexOf("=");
  const [exe, ...argv] = spec.slice(eq + 1).trim().split(/\s+/).map((a) =>
    a.replaceAll("{server}", `127.0.0.1:${server.port}`)
  );
  const name = spec.slice(0, eq);
  try {
    targets.push(await startListening(name, exe!, argv, pin));
    extras.push(name);
  } catch (e) {
    notes.push(`FAILED to start: ${(e as Error).message}`);
  }
}
for (const n of notes) log(`!!! ${n}`);

// ---- warm up (JIT, connection paths) and check every target works ------------------------

const WARM = { bytes: 4 * MiB, rounds: 50 };
for (const t of [...targets]) {
  try {
    await withTimeout(
      (async () => {
        await parallel(CFG.bulkConns, () => kit.upload(t.port, WARM.bytes, CHUNK));
        await parallel(CFG.bulkConns, () => kit.download(t.port, WARM.bytes));
        await parallel(CFG.rrConns, () => kit.pingPong(t.port, CFG.rrSize, WARM.rounds));
      })(),
      CFG.runTimeoutMs,
    );
  } catch (e) {
    // A target that cannot carry the warm-up would only time out run after run.
    notes.push(`FAILED warm-up, ${t.name} not measured: ${(e as Error).message}`);
    log(`!!! ${notes.at(-1)}`);
    targets.splice(targets.indexOf(t), 1);
    await t.stop();
  }
}

// ---- measure ------------------------------------------------------------------------------

const runs = new Map<string, Run[]>();
const key = (m: Measure, t: Target) => `${m.name}/${t.name}`;
for (let rep = 1; rep <= CFG.reps; rep++) {
  for (const m of MEASURES) {
    for (const t of targets) {
      const r = await timed(m, t);
      const list = runs.get(key(m, t)) ?? [];
      list.push(r);
      runs.set(key(m, t), list);
      log(
        `rep ${rep}/${CFG.reps} ${m.name.padEnd(8)} ${t.name.padEnd(8)} ${r.error ?? `${r.rate.toFixed(1)} ${m.unit}`}`,
      );
    }
  }
}

await Promise.all(targets.map((t) => t.stop()));
server.close();

// ---- report ---------------------------------------------------------------------------------

/** The best run (highest rate); failed runs only when all failed. */
function best(m: Measure, name: string): Run | undefined {
  const list = runs.get(`${m.name}/${name}`);
  if (list === undefined) return undefined;
  const ok = list.filter((r) => !Number.isNaN(r.rate));
  if (ok.length === 0) return list[0];
  return ok.reduce((a, b) => (b.rate > a.rate ? b : a));
}

const COLS = ["direct", "pipe", "proxykit", "haproxy"];
const ALL = [...COLS, ...extras];
const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(digits));
const ratio = (a: Run | undefined, b: Run | undefined) =>
  a === undefined || b === undefined || Number.isNaN(a.rate) || Number.isNaN(b.rate) ? NaN : a.rate / b.rate;
const row = (label: string, cells: string[]) =>
  (label.padEnd(22) + cells.map((c) => c.padStart(Math.max(10, c.length + 1))).join("")).trimEnd();

const lines: string[] = [];
lines.push(
  `=== proxykit tcp bench: ${runtime} ${runtimeVersion}, haproxy ${haproxy}, ${availableParallelism()} CPUs, best of ${CFG.reps} ===`,
);
lines.push(
  `bulk: ${CFG.bulkConns} conns x ${CFG.bulkBytes / MiB} MiB, ${CFG.writeBytes / 1024} KiB writes; ` +
    `ping-pong: ${CFG.rrConns} conns x ${CFG.rrRounds} round trips of ${CFG.rrSize} B`,
);
lines.push(row("", [...COLS, "pk/pipe", "pk/haproxy", ...extras]));
const json: Record<string, unknown> = {};
for (const m of MEASURES) {
  const b = Object.fromEntries(ALL.map((c) => [c, best(m, c)]));
  const ex = (f: (r: Run | undefined) => string) => extras.map((c) => f(b[c]));
  const pkPipe = ratio(b.proxykit, b.pipe);
  const pkHap = ratio(b.proxykit, b.haproxy);
  lines.push(
    row(m.label, [...COLS.map((c) => fmt(b[c]?.rate)), fmt(pkPipe, 2), fmt(pkHap, 2), ...ex((r) => fmt(r?.rate))]),
  );
  lines.push(
    row("  target cpu %", [...COLS.map((c) => fmt(b[c]?.targetCpu)), "", "", ...ex((r) => fmt(r?.targetCpu))]),
  );
  const eff = (r: Run | undefined) => (r === undefined ? NaN : r.rate / (r.targetCpu / 100));
  const effPk = eff(b.proxykit);
  lines.push(row(`  ${m.unit.split("/")[0]} per cpu-s`, [
    ...COLS.map((c) => fmt(eff(b[c]))),
    fmt(effPk / eff(b.pipe), 2),
    fmt(effPk / eff(b.haproxy), 2),
    ...ex((r) => fmt(eff(r))),
  ]));
  lines.push(row("  bench cpu %", [...COLS.map((c) => fmt(b[c]?.benchCpu)), "", "", ...ex((r) => fmt(r?.benchCpu))]));
  for (const c of ALL) if (b[c]?.error !== undefined) lines.push(`  ${c}: ERROR ${b[c]!.error}`);
  json[m.name] = {
    unit: m.unit,
    best: Object.fromEntries(ALL.map((c) => [c, b[c] === undefined ? null : { ...b[c] }])),
    runs: Object.fromEntries(ALL.map((c) => [c, (runs.get(`${m.name}/${c}`) ?? []).map((r) => r.rate)])),
    ratios: { proxykitPipe: Number.isNaN(pkPipe) ? null : pkPipe, proxykitHaproxy: Number.isNaN(pkHap) ? null : pkHap },
  };
}
lines.push(
  "target cpu %: CPU time of the target process (all threads, user + system) over the run, 100 = one core;",
  "per cpu-s: work per CPU-second of the target; bench cpu %: the bench process (load generator + server).",
);
for (const n of notes) lines.push(`!!! ${n}`);
lines.push("");
console.log(lines.join("\n"));
console.log(
  JSON.stringify({
    bench: "tcp",
    runtime,
    version: runtimeVersion,
    haproxy,
    cpus: availableParallelism(),
    config: CFG,
    results: json,
  }),
);
process.exit(0);
