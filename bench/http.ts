/**
 * HTTP benchmark: HTTP/1.1 reverse proxying through proxykit (`mode http`) against no proxy,
 * HAProxy and the JavaScript reverse proxies people use today, measured in the same run on
 * the same machine with `wrk` against an nginx origin.
 *
 * Run as `deno run -A bench/http.ts`, `bun run bench/http.ts` or `node bench/http.ts` (or
 * through `npm run bench`, which runs it after `bench/tcp.ts` and `bench/conn.ts`); the
 * proxykit target runs on the runtime running the bench, the JavaScript proxies always on Node.
 * The origin is nginx, started by the bench on 127.0.0.1 (one worker, no log, keep-alive
 * connections kept 10 minutes, `sendfile`, open files cached), serving two static files:
 * `/small` (100 bytes) and `/large` (64 KiB). Targets, each a child process:
 * - `direct`: wrk to nginx, no proxy (what wrk and nginx can do at all);
 * - `haproxy`: HAProxy (Debian's 2.6) `mode http`, `nbthread 1`, its defaults otherwise
 *   (`option http-keep-alive`, `http-reuse safe`): keep-alive on both sides;
 * - `proxykit`: `examples/proxy.ts --config <the same haproxy.cfg>` on this runtime (`mode
 *   http`, one `listen` section, one server; see {@link haproxyCfg}). A target that fails to
 *   start (e.g. an older checkout given with `--proxykit-from`) is reported unavailable, with
 *   its error, and the others are measured;
 * - `http-proxy` (node-http-proxy 1.18), `http-proxy-3`, `httpxy`, `fastify`
 *   (`@fastify/http-proxy` on fastify 5, undici toward the origin): `bench/_js_proxies.ts NAME`
 *   on Node, each with keep-alive connections toward the origin (the first three through
 *   `http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 })`; see that file).
 *   `proxy-chain` is not among them: it is a forward proxy and answers 400 to an origin-form
 *   request (`GET / HTTP/1.1`).
 *
 * Measures (`wrk -t1 -cC -dDs --latency`, each repeated, repetitions interleaved across
 * targets, best run kept):
 * - `keepalive`: GET /small on keep-alive connections: requests/s and p99 latency;
 * - `close`: the same with `Connection: close` from the client, so each request is a new
 *   connection to the proxy (what the proxy does toward the origin is its own business:
 *   HAProxy keeps its server connections, a JS proxy forwards the header and nginx closes);
 * - `large`: GET /large (64 KiB) on keep-alive connections: body MiB/s (requests/s × 64 KiB)
 *   and p99 latency.
 * For each run also the CPU use of the target, nginx and wrk (`/proc/PID/stat`; wrk's from
 * its shell's `times`), the rest of the machine's busy time (`/proc/stat`: kernel softirqs,
 * this process, anything else running: a run disturbed by other work shows there), and
 * requests per CPU-second of the target, steadier than the rate on a shared machine: with 2
 * CPUs wrk, nginx and the target share them.
 *
 * Prints a table (per measure, a row per target; ratios proxykit/direct, proxykit/haproxy,
 * proxykit/best JS proxy and, for reference, haproxy/best JS proxy, both of best runs and as
 * the median of the ratios within each repetition, steadier when the machine's speed drifts
 * between repetitions) and, last, one JSON line starting with `{"bench":"http"`.
 * Options: `--quick` (1 s runs, one repetition: a smoke test), `--reps N` (default 3),
 * `--duration S` (seconds per wrk run, default 3), `--wrk-conns N` (default 32),
 * `--no-haproxy`, `--pin` (targets on CPU 1, nginx and wrk on CPU 0; off by default: pinned,
 * the load side was the bottleneck in bench/tcp.ts), `--targets LIST` (among
 * direct,haproxy,proxykit,http-proxy,http-proxy-3,httpxy,fastify), `--measures LIST` (among
 * keepalive,close,large) and `--proxykit-from 'NAME=PATH'` (repeatable: one more row, the
 * `examples/proxy.ts` of another checkout run as `proxykit` is).
 *
 * Needs Linux (`/proc`), `wrk` and `nginx` (installed with apt-get when missing and running as
 * root), and the devDependencies (the JS proxies). Everything runs on loopback.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { ensureTool, get, type Nginx, nginxVersion, startNginx, wrkVersion } from "./_nginx.ts";
import { parseWrk, type WrkResult } from "./_wrk.ts";
import {
  benchHaproxyCfg,
  canPin,
  cpuSeconds,
  findHaproxy,
  freePort,
  haproxyVersion,
  machineBusySeconds,
  nodeExecutable,
  pinned,
  positiveIntFlag,
  ROOT,
  runtime,
  runtimeCommand,
  runtimeVersion,
  startHaproxyConfig,
  startListening,
  type StartOptions,
  type Target,
} from "./_targets.ts";

const MiB = 1024 * 1024;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    reps: { type: "string" },
    duration: { type: "string" },
    "wrk-conns": { type: "string" },
    "no-haproxy": { type: "boolean" },
    pin: { type: "boolean" },
    targets: { type: "string" },
    measures: { type: "string" },
    "proxykit-from": { type: "string", multiple: true },
  },
});
const quick = flags.quick ?? false;

function fatal(message: string): never {
  console.error(`http bench: ${message}`);
  process.exit(1);
}

const num = (flag: string, v: string | undefined, d: number): number => positiveIntFlag("http", flag, v, d);

/** The workload. */
const CFG = {
  reps: num("reps", flags.reps, quick ? 1 : 3),
  /** Seconds per wrk run. */
  durationS: num("duration", flags.duration, quick ? 1 : 3),
  wrkConns: num("wrk-conns", flags["wrk-conns"], 32),
  smallBytes: 100,
  largeBytes: 64 * 1024,
  /** Seconds of wrk per target before the measured runs (JIT, connection paths). */
  warmS: quick ? 1 : 2,
};

type MeasureName = "keepalive" | "close" | "large";

/** One measure: a wrk run of one path, with or without `Connection: close`. */
interface Measure {
  readonly name: MeasureName;
  readonly path: string;
  readonly close: boolean;
  /** Body bytes per response. */
  readonly bytes: number;
  /** Unit of the reported figure: requests/s or body MiB/s. */
  readonly unit: "req/s" | "MiB/s";
}

const ALL_MEASURES: Measure[] = [
  { name: "keepalive", path: "/small", close: false, bytes: CFG.smallBytes, unit: "req/s" },
  { name: "close", path: "/small", close: true, bytes: CFG.smallBytes, unit: "req/s" },
  { name: "large", path: "/large", close: false, bytes: CFG.largeBytes, unit: "MiB/s" },
];
const measureNames = (flags.measures ?? "keepalive,close,large").split(",");
for (const m of measureNames) {
  if (!ALL_MEASURES.some((x) => x.name === m)) {
    console.error(`http bench: --measures: unknown measure '${m}' (keepalive, close, large)`);
    process.exit(2);
  }
}
const MEASURES = ALL_MEASURES.filter((m) => measureNames.includes(m.name));

/** The JavaScript proxies of `bench/_js_proxies.ts`, with the npm package each is. */
const JS: readonly { readonly name: string; readonly pkg: string }[] = [
  { name: "http-proxy", pkg: "http-proxy" },
  { name: "http-proxy-3", pkg: "http-proxy-3" },
  { name: "httpxy", pkg: "httpxy" },
  { name: "fastify", pkg: "@fastify/http-proxy" },
];
const JS_NAMES = JS.map((j) => j.name);
const COLS = ["direct", "haproxy", "proxykit", ...JS_NAMES];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The version in `node_modules/PKG/package.json`, or undefined when it is not installed. */
function pkgVersion(pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
      .version;
  } catch {
    return undefined;
  }
}

/**
 * The haproxy.cfg both HAProxy and proxykit run: `mode http` with HAProxy's defaults
 * (keep-alive both sides, `http-reuse safe`), one `listen` section with one server.
 */
function haproxyCfg(port: number, serverPort: number): string {
  return benchHaproxyCfg(port, serverPort, 4096, "http");
}

// ---- targets ----------------------------------------------------------------------------------

const wanted = new Set((flags.targets ?? COLS.join(",")).split(","));
for (const t of wanted) {
  // `pipe` is a target of the other benches (`bench/run.sh` passes --targets to each).
  if (!COLS.includes(t) && t !== "pipe") {
    console.error(`http bench: --targets: unknown target '${t}' (${COLS.join(", ")})`);
    process.exit(2);
  }
}
const extras = (flags["proxykit-from"] ?? []).map((spec) => {
  const eq = spec.indexOf("=");
  if (eq <= 0) fatal(`--proxykit-from: expected NAME=PATH/TO/examples/proxy.ts, got '${spec}'`);
  return { name: spec.slice(0, eq), file: spec.slice(eq + 1) };
});
const EXTRA = extras.map((e) => e.name);
const notes: string[] = [];
/** Why each target that could not be measured was not, by name. */
const unavailable = new Map<string, string>();

/**
 * With `--pin` (two CPUs or more and `taskset`): every target on CPU 1, nginx and wrk on CPU 0.
 * Off by default: on 2 vCPUs the pinned load side (wrk and nginx on one core) is what sets the
 * pace for the faster targets.
 */
const PIN = flags.pin === true && availableParallelism() >= 2 && canPin();
const TARGET_CPUS = PIN ? "1" : undefined;
const LOAD_CPUS = PIN ? "0" : undefined;
const pinOpt: StartOptions = TARGET_CPUS === undefined ? {} : { cpus: TARGET_CPUS };
if (flags.pin === true && !PIN) notes.push("--pin ignored: needs 2 CPUs or more and taskset");

const haproxyBin = flags["no-haproxy"] || !wanted.has("haproxy") ? undefined : findHaproxy();
const haproxy = haproxyBin === undefined ? "-" : haproxyVersion(haproxyBin);
if (haproxyBin === undefined && !flags["no-haproxy"] && wanted.has("haproxy")) {
  unavailable.set("haproxy", "not found on PATH nor at /usr/sbin/haproxy");
}
const nodeBin = nodeExecutable();
const nodeVersion = spawnSync(nodeBin, ["--version"], { encoding: "utf8" }).stdout?.trim() || "?";

let wrkBin: string;
let nginxBin: string;
try {
  wrkBin = ensureTool("wrk", "wrk");
  nginxBin = ensureTool("nginx", "nginx");
} catch (e) {
  fatal(`${(e as Error).message}, then run again`);
}

/** proxykit's CLI (`file`, on this runtime) running {@link haproxyCfg} in front of `serverPort`. */
async function startProxykitHttp(name: string, file: string, serverPort: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "proxykit-bench-"));
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyCfg(await freePort(), serverPort));
  const [exe, argv] = runtimeCommand(file, ["--config", cfg], pinOpt);
  try {
    const t = await startListening(name, exe, argv, pinOpt);
    return {
      ...t,
      stop: async () => {
        await t.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A target to start: its name and how. */
interface TargetSpec {
  readonly name: string;
  start(serverPort: number): Promise<Target>;
}
const SPECS: TargetSpec[] = [];
if (haproxyBin !== undefined) {
  SPECS.push({
    name: "haproxy",
    start: async (p) => {
      const port = await freePort();
      return startHaproxyConfig(haproxyBin, "haproxy", port, haproxyCfg(port, p), TARGET_CPUS);
    },
  });
}
if (wanted.has("proxykit")) {
  SPECS.push({
    name: "proxykit",
    start: (p) => startProxykitHttp("proxykit", "examples/proxy.ts", p),
  });
}
for (const j of JS) {
  if (!wanted.has(j.name)) continue;
  if (pkgVersion(j.pkg) === undefined) {
    unavailable.set(j.name, `${j.pkg} is not installed (npm install: it is a devDependency)`);
    continue;
  }
  SPECS.push({
    name: j.name,
    start: (p) =>
      startListening(j.name, nodeBin, [
        "bench/_js_proxies.ts",
        j.name,
        "--listen",
        "127.0.0.1:0",
        "--target",
        `127.0.0.1:${p}`,
      ], pinOpt),
  });
}
for (const e of extras) SPECS.push({ name: e.name, start: (p) => startProxykitHttp(e.name, e.file, p) });

// ---- wrk ----------------------------------------------------------------------------------------

/** Runs wrk for `seconds` on `http://127.0.0.1:port/path`; resolves with its parsed output. */
function wrk(port: number, m: Measure, seconds: number): Promise<WrkResult> {
  const args = [
    "-t1",
    `-c${CFG.wrkConns}`,
    `-d${seconds}s`,
    "--latency",
    "--timeout",
    "5s",
    ...(m.close ? ["-H", "Connection: close"] : []),
    `http://127.0.0.1:${port}${m.path}`,
  ];
  // Through bash for `times`: wrk's own CPU use, read after it ended.
  const [exe, argv] = pinned(LOAD_CPUS, "bash", ["-c", '"$0" "$@"; rc=$?; times; exit $rc', wrkBin, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(exe, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => (out += s));
    const t = setTimeout(() => child.kill("SIGKILL"), (seconds + 15) * 1000);
    child.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(t);
      const r = parseWrk(out);
      if (code === 0 && Number.isFinite(r.rps)) resolve(r);
      else reject(new Error(`wrk exited (${code ?? signal}): ${out.trim().slice(-500)}`));
    });
  });
}

// ---- run --------------------------------------------------------------------------------------

/** One timed run of a measure on one target. */
interface Run {
  /** req/s, or body MiB/s for `large`; NaN when the run failed. */
  value: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the target (NaN for `direct`), nginx and wrk over the run, % of one core. */
  targetCpu: number;
  nginxCpu: number;
  wrkCpu: number;
  /** CPU used by anything else on the machine over the run (this process included), % of one core. */
  otherCpu: number;
  errors: number;
  error?: string;
}

const failedRun = (error: string): Run => ({
  value: NaN,
  rps: NaN,
  p50Ms: NaN,
  p99Ms: NaN,
  targetCpu: NaN,
  nginxCpu: NaN,
  wrkCpu: NaN,
  otherCpu: NaN,
  errors: NaN,
  error,
});

let nginx: Nginx;
try {
  nginx = await startNginx(nginxBin, {
    files: {
      small: "x".repeat(CFG.smallBytes - 1) + "\n",
      large: new Uint8Array(CFG.largeBytes).fill(0x61),
    },
    maxConns: 4 * CFG.wrkConns + 1024,
    cpus: LOAD_CPUS,
  });
} catch (e) {
  fatal((e as Error).message);
}

async function measure(m: Measure, t: Target): Promise<Run> {
  const cpu0 = t.pid === undefined ? NaN : cpuSeconds(t.pid);
  const ng0 = cpuSeconds(nginx.pid);
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  let r: WrkResult;
  try {
    r = await wrk(t.port, m, CFG.durationS);
  } catch (e) {
    return failedRun((e as Error).message);
  }
  const s = (performance.now() - t0) / 1000;
  const targetS = t.pid === undefined ? 0 : cpuSeconds(t.pid) - cpu0;
  const nginxS = cpuSeconds(nginx.pid) - ng0;
  const run: Run = {
    value: m.unit === "MiB/s" ? (r.rps * m.bytes) / MiB : r.rps,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    targetCpu: t.pid === undefined ? NaN : (targetS / s) * 100,
    nginxCpu: (nginxS / s) * 100,
    wrkCpu: (r.cpuS / s) * 100,
    otherCpu: Math.max(0, ((machineBusySeconds() - busy0 - targetS - nginxS - r.cpuS) / s) * 100),
    errors: r.errors,
  };
  // A few errors (a reset as wrk stops) are noise; many mean a broken target.
  if (r.errors > r.requests * 0.01) run.error = `${r.errors} errors in ${r.requests} requests`;
  return run;
}

/** A short reason from target `name`'s start error: its first line and the child's last line of stderr. */
function shortReason(name: string, e: Error): string {
  const [first = "", ...rest] = e.message.split("\n");
  const at = rest.findIndex((l) => /^\s*stderr:/.test(l));
  const tail = at < 0 ? [] : [rest[at]!.replace(/^\s*stderr:\s*/, ""), ...rest.slice(at + 1)]
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const reason = first.startsWith(`${name}: `) ? first.slice(name.length + 2) : first;
  return tail.length === 0 ? reason : `${reason}: ${tail.at(-1)}`;
}

for (const n of notes) log(`!!! ${n}`);
const targets: Target[] = [];
if (wanted.has("direct")) {
  targets.push({
    name: "direct",
    port: nginx.port,
    pid: undefined,
    stop: () => Promise.resolve(),
  });
}
for (const spec of SPECS) {
  let t: Target | undefined;
  try {
    t = await spec.start(nginx.port);
    // Both responses must come back whole through it before it is measured.
    for (const [path, bytes] of [["/small", CFG.smallBytes], ["/large", CFG.largeBytes]] as const) {
      const r = await get(t.port, path);
      if (r.status !== 200 || r.bytes !== bytes) {
        throw new Error(`check: GET ${path} answered ${r.status} with ${r.bytes} body bytes (expected 200, ${bytes})`);
      }
    }
    targets.push(t);
    log(`... ${spec.name} listening on 127.0.0.1:${t.port}`);
  } catch (e) {
    await t?.stop();
    unavailable.set(spec.name, shortReason(spec.name, e as Error));
    log(`!!! ${spec.name} unavailable: ${(e as Error).message}`);
  }
}

// Warm-up (JIT, connection paths toward the origin); a target that fails it is not measured.
for (const t of [...targets]) {
  try {
    await wrk(t.port, MEASURES[0]!, CFG.warmS);
  } catch (e) {
    unavailable.set(t.name, `warm-up failed: ${(e as Error).message.split("\n")[0]}`);
    log(`!!! ${t.name} not measured: ${(e as Error).message}`);
    targets.splice(targets.indexOf(t), 1);
    await t.stop();
  }
}

const runs = new Map<string, Run[]>();
for (let rep = 1; rep <= CFG.reps; rep++) {
  for (const m of MEASURES) {
    for (const t of targets) {
      const r = await measure(m, t);
      const list = runs.get(`${m.name}/${t.name}`) ?? [];
      list.push(r);
      runs.set(`${m.name}/${t.name}`, list);
      log(
        `rep ${rep}/${CFG.reps} ${m.name.padEnd(9)} ${t.name.padEnd(12)} ${
          r.error ?? `${r.value.toFixed(m.unit === "MiB/s" ? 1 : 0)} ${m.unit}, p99 ${r.p99Ms.toFixed(2)} ms`
        }`,
      );
    }
  }
}

await Promise.all(targets.map((t) => t.stop()));
await nginx.stop();

// ---- report -------------------------------------------------------------------------------------

/** The best run (highest rate) among those without error; a failed run only when all failed. */
function best(m: Measure, name: string): Run | undefined {
  const list = runs.get(`${m.name}/${name}`);
  if (list === undefined) return undefined;
  const ok = list.filter((r) => !Number.isNaN(r.value) && r.error === undefined);
  if (ok.length === 0) return list[0];
  return ok.reduce((a, b) => (b.value > a.value ? b : a));
}

const ROWS = [...COLS, ...EXTRA];
/** The rows printed: the targets asked for (HAProxy not with --no-haproxy). */
const SHOWN = ROWS.filter((c) => EXTRA.includes(c) || (wanted.has(c) && !(c === "haproxy" && flags["no-haproxy"])));
const fmt = (v: number | undefined, digits = 0) => v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);
const ratioOf = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? NaN : a / b;
const row = (label: string, cells: string[]) =>
  (label.padEnd(16) + cells.map((c) => c.padStart(Math.max(10, c.length + 1))).join("")).trimEnd();
const perCpu = (r: Run | undefined) => (r === undefined ? NaN : r.rps / (r.targetCpu / 100));

const jsList = JS.map((j) => `${j.pkg} ${pkgVersion(j.pkg) ?? "(not installed)"}`).join(", ");
const lines: string[] = [];
lines.push(
  `=== proxykit http bench: ${runtime} ${runtimeVersion}, haproxy ${haproxy}, nginx ${nginxVersion(nginxBin)}, ` +
    `wrk ${wrkVersion(wrkBin)}, ${availableParallelism()} CPUs, best of ${CFG.reps} ===`,
);
lines.push(
  `wrk -t1 -c${CFG.wrkConns} -d${CFG.durationS}s to nginx; keepalive: GET ${CFG.smallBytes} B; close: the same with ` +
    `'Connection: close'; large: GET ${CFG.largeBytes / 1024} KiB, keep-alive${
      PIN ? "; pinned: targets CPU 1, nginx+wrk CPU 0" : ""
    }`,
);
lines.push(
  `JS proxies on node ${nodeVersion}: ${jsList} (fastify ${pkgVersion("fastify") ?? "-"}, undici ${
    pkgVersion("undici") ?? "-"
  }); keep-alive agents toward nginx`,
);
const json: Record<string, unknown> = {};
for (const m of MEASURES) {
  const b = Object.fromEntries(ROWS.map((c) => [c, best(m, c)]));
  const digits = m.unit === "MiB/s" ? 1 : 0;
  lines.push(row(m.name, [m.unit, "p99 ms", "runs min-max", "cpu %", "req/cpu-s", "nginx %", "wrk %", "other %"]));
  for (const c of SHOWN) {
    const r = b[c];
    if (r === undefined) {
      const why = unavailable.get(c) ?? "not run";
      lines.push(`  ${c.padEnd(14)}unavailable: ${why}`.slice(0, 200));
      continue;
    }
    const vals = (runs.get(`${m.name}/${c}`) ?? []).map((x) => x.value).filter((x) => Number.isFinite(x));
    const spread = vals.length === 0 ? "-" : `${fmt(Math.min(...vals), digits)}-${fmt(Math.max(...vals), digits)}`;
    lines.push(row(`  ${c}`, [
      fmt(r.value, digits),
      fmt(r.p99Ms, 2),
      spread,
      fmt(r.targetCpu),
      fmt(perCpu(r)),
      fmt(r.nginxCpu),
      fmt(r.wrkCpu),
      fmt(r.otherCpu),
    ]));
    if (r.error !== undefined) lines.push(`    ERROR ${r.error}`.slice(0, 200));
  }
  const jsBest = JS_NAMES.filter((c) => b[c] !== undefined && Number.isFinite(b[c]!.value) && b[c]!.error === undefined)
    .reduce<string | undefined>((a, c) => (a === undefined || b[c]!.value > b[a]!.value ? c : a), undefined);
  const v = (c: string | undefined) => (c === undefined ? undefined : b[c]?.value);
  const ratios = {
    proxykitDirect: ratioOf(v("proxykit"), v("direct")),
    proxykitHaproxy: ratioOf(v("proxykit"), v("haproxy")),
    proxykitBestJs: ratioOf(v("proxykit"), v(jsBest)),
    haproxyBestJs: ratioOf(v("haproxy"), v(jsBest)),
  };
  const cpuRatio = (a: string, c: string | undefined) => c === undefined ? NaN : ratioOf(perCpu(b[a]), perCpu(b[c]));
  /**
   * The median over repetitions of `a`'s rate / `c`'s in the same repetition: the machine's
   * speed drifts between repetitions (a shared host), much less within one.
   */
  const repRatio = (a: string, c: string | undefined) => {
    const ra = runs.get(`${m.name}/${a}`) ?? [];
    const rc = c === undefined ? [] : runs.get(`${m.name}/${c}`) ?? [];
    const okv = (r: Run | undefined) => (r === undefined || r.error !== undefined ? NaN : r.value);
    const q = ra.map((r, i) => ratioOf(okv(r), okv(rc[i]))).filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
    if (q.length === 0) return NaN;
    const mid = q.length >> 1;
    return q.length % 2 === 1 ? q[mid]! : (q[mid - 1]! + q[mid]!) / 2;
  };
  const median = {
    proxykitDirect: repRatio("proxykit", "direct"),
    proxykitHaproxy: repRatio("proxykit", "haproxy"),
    proxykitBestJs: repRatio("proxykit", jsBest),
    haproxyBestJs: repRatio("haproxy", jsBest),
  };
  lines.push(
    `  rate: proxykit/direct ${fmt(ratios.proxykitDirect, 2)}, proxykit/haproxy ${fmt(ratios.proxykitHaproxy, 2)}, ` +
      `proxykit/best JS (${jsBest ?? "-"}) ${fmt(ratios.proxykitBestJs, 2)}, haproxy/best JS ${
        fmt(ratios.haproxyBestJs, 2)
      }`,
  );
  lines.push(
    `  same-rep median: proxykit/direct ${fmt(median.proxykitDirect, 2)}, proxykit/haproxy ${
      fmt(median.proxykitHaproxy, 2)
    }, proxykit/best JS ${fmt(median.proxykitBestJs, 2)}, haproxy/best JS ${fmt(median.haproxyBestJs, 2)}`,
  );
  lines.push(
    `  per cpu-s: proxykit/haproxy ${fmt(cpuRatio("proxykit", "haproxy"), 2)}, proxykit/best JS ${
      fmt(cpuRatio("proxykit", jsBest), 2)
    }, haproxy/best JS ${fmt(cpuRatio("haproxy", jsBest), 2)}`,
  );
  json[m.name] = {
    unit: m.unit,
    best: Object.fromEntries(ROWS.map((c) => [c, b[c] === undefined ? null : { ...b[c] }])),
    runs: Object.fromEntries(ROWS.map((c) => [c, (runs.get(`${m.name}/${c}`) ?? []).map((r) => r.value)])),
    bestJs: jsBest ?? null,
    sameRepMedianRatios: Object.fromEntries(
      Object.entries(median).map(([k, x]) => [k, Number.isFinite(x) ? x : null]),
    ),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, x]) => [k, Number.isFinite(x) ? x : null])),
  };
}
lines.push(
  "req/s, MiB/s (body bytes): wrk's rate; p99: wrk's latency distribution; cpu %: CPU time of the target",
  "process (all threads), 100 = one core; req/cpu-s: requests per CPU-second of the target; rate: best / best;",
  "same-rep median: the median over repetitions of the ratio within a repetition; nginx %, wrk %:",
  "the origin's and the load generator's (at 100 % wrk, not the target, may set the pace); other %: the rest",
  "of the machine's busy time (loopback softirqs, this process, anything else: well above the other rows means",
  "something else ran during that run).",
);
for (const n of notes) lines.push(`!!! ${n}`);
lines.push("");
console.log(lines.join("\n"));
console.log(
  JSON.stringify({
    bench: "http",
    runtime,
    version: runtimeVersion,
    haproxy,
    node: nodeVersion,
    cpus: availableParallelism(),
    config: { ...CFG, pinned: PIN },
    jsProxies: Object.fromEntries(JS.map((j) => [j.pkg, pkgVersion(j.pkg) ?? null])),
    unavailable: Object.fromEntries(unavailable),
    results: json,
  }),
);
process.exit(0);
