/**
 * Connection benchmark: what a connection costs proxykit, against the runtime's hand-written
 * pipe (the ceiling) and HAProxy (the reference), measured in the same run on the same machine.
 *
 * Run as `deno run -A bench/conn.ts`, `bun run bench/conn.ts` or `node bench/conn.ts` (or
 * through `npm run bench`, which runs it after `bench/tcp.ts`); each measures its own runtime.
 * The server behind every target is nginx, started by the bench on 127.0.0.1 with a generated
 * configuration (one worker, no log, `return 200 "ok\n"`, keep-alive connections kept for
 * 10 minutes). Targets, as in `bench/tcp.ts`:
 * - `direct`: no proxy (what wrk and nginx can do at all; no idle figure: no process between);
 * - `pipe`: `bench/pipe.ts` on the same runtime;
 * - `proxykit`: `examples/proxy.ts --listen ... --server ...` (`--mode tcp`) on the same runtime;
 * - `haproxy`: `haproxy -f <generated cfg> -db`, `mode tcp`, `nbthread 1`, if installed.
 *
 * Measures (each repeated, repetitions interleaved across targets, best run kept):
 * - `connrate`: new connections per second: `wrk -t1 -c C -d Ds -H 'Connection: close'`
 *   through the target, so each request is a new client connection and a new connection to
 *   nginx (the TCP handshake, accept, connect, one small exchange, both closes). Also the
 *   target's CPU use and connections per CPU-second of it (steadier than the rate on a
 *   shared machine). Best = highest rate.
 * - `idle`: memory per idle proxied stream: a fresh target process per run; after a warm-up
 *   (some connections opened, used and closed), the bench opens N connections through it,
 *   sends one HTTP request on each and reads the response (both sides established, the
 *   connection kept alive by nginx), lets the target settle, and compares its RSS
 *   (`/proc/PID/status` VmRSS) with the RSS before: KiB per stream. Both readings follow a
 *   full GC (JS targets preload `bench/_gc_hook.ts`: SIGUSR2 runs `gc()` / `Bun.gc(true)`);
 *   the figure before that GC is reported too, and the JS heap and external memory per stream
 *   (`process.memoryUsage()` in the target after each GC: steadier than the RSS, which moves with
 *   the size the young generation happens to have). Best = lowest KiB per stream.
 *
 * Prints a table (absolute figures, ratios proxykit/pipe and proxykit/haproxy) and, last, one
 * JSON line starting with `{"bench":"conn"`.
 * With two CPUs or more and `taskset`, every target runs pinned alone on CPU 1 and nginx and
 * wrk on CPU 0 (`--no-pin` to let the scheduler place them): a target is then CPU-bound on its
 * own core and its rate is the inverse of its cost per connection.
 * Options: `--quick` (short runs, fewer streams, one repetition: a smoke test), `--reps N`
 * (default 3), `--duration S` (seconds per wrk run, default 3), `--wrk-conns N` (wrk's
 * concurrent connections, default 32), `--idle-conns N` (streams held open, default 4000,
 * lowered with a note when the open-file limit cannot hold them), `--no-haproxy`,
 * `--targets LIST` (among direct,pipe,proxykit,haproxy), `--measures LIST` (among
 * connrate,idle), `--http` (proxykit and HAProxy in `mode http`: memory per idle kept-alive
 * client connection), and, to compare versions in one run, `--proxykit-from 'NAME=PATH'`
 * (repeatable: one more column, the `examples/proxy.ts` of another checkout, e.g. a
 * `git worktree` of an earlier commit, run exactly as `proxykit` is).
 *
 * Needs Linux (`/proc`), `wrk` and `nginx` (installed with apt-get when missing and running as
 * root; otherwise the bench stops and says what to install). Everything runs on loopback.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { ensureTool, startNginx } from "./_nginx.ts";
import {
  canPin,
  cpuSeconds,
  findHaproxy,
  haproxyVersion,
  type HeapUse,
  maxOpenFiles,
  pinned,
  positiveIntFlag,
  rssKiB,
  runtime,
  runtimeVersion,
  startHaproxy,
  type StartOptions,
  startPipe,
  startProxykit,
  startProxykitFrom,
  type Target,
} from "./_targets.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    reps: { type: "string" },
    duration: { type: "string" },
    "wrk-conns": { type: "string" },
    "idle-conns": { type: "string" },
    "no-haproxy": { type: "boolean" },
    "no-pin": { type: "boolean" },
    targets: { type: "string" },
    measures: { type: "string" },
    "proxykit-from": { type: "string", multiple: true },
    http: { type: "boolean" },
  },
});
/** `--http`: proxykit and HAProxy in `mode http` (the client connections are kept alive). */
const MODE: "tcp" | "http" = flags.http ? "http" : "tcp";
const quick = flags.quick ?? false;
const num = (flag: string, v: string | undefined, d: number): number => positiveIntFlag("conn", flag, v, d);

/** The workload. */
const CFG = {
  reps: num("reps", flags.reps, quick ? 1 : 3),
  /** Seconds per wrk run. */
  durationS: num("duration", flags.duration, quick ? 1 : 3),
  wrkConns: num("wrk-conns", flags["wrk-conns"], 32),
  idleConns: num("idle-conns", flags["idle-conns"], quick ? 1000 : 4000),
  /** Connections opened at once while filling (above the smallest accept backlog, 128, SYNs would be dropped). */
  idleBatch: 100,
  /** Connections opened, used and closed before the `before` reading. */
  idleWarm: 200,
  /** A run that takes longer than this fails (a hung target must not hang the bench). */
  runTimeoutMs: 120_000,
};

const MEASURES = (flags.measures ?? "connrate,idle").split(",");
for (const m of MEASURES) {
  if (m !== "connrate" && m !== "idle") {
    console.error(`conn bench: --measures: unknown measure '${m}' (connrate, idle)`);
    process.exit(2);
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fatal(message: string): never {
  console.error(`conn bench: ${message}`);
  process.exit(1);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

// ---- tools ----------------------------------------------------------------------------------

// ---- nginx ----------------------------------------------------------------------------------

// ---- a client that holds connections open -----------------------------------------------------

const REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
/** nginx's answer ends with its body. */
const BODY = "\r\n\r\nok\n";

/**
 * Connects to `port`, sends one request and resolves once the whole response arrived, with
 * the connection still open (nginx keeps it alive).
 */
function openUsed(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port });
    let got = "";
    const fail = (e: Error) => {
      s.destroy();
      reject(e);
    };
    s.setEncoding("latin1");
    s.once("error", fail);
    s.once("close", () => fail(new Error(`closed before the response (got ${JSON.stringify(got)})`)));
    s.once("connect", () => s.write(REQUEST));
    s.on("data", (d: string) => {
      got += d;
      if (!got.endsWith(BODY)) return;
      if (!got.startsWith("HTTP/1.1 200")) return fail(new Error(`bad response ${JSON.stringify(got)}`));
      s.removeAllListeners();
      // From now on an error only counts the stream as lost.
      s.on("error", () => {});
      resolve(s);
    });
  });
}

/** One request on a fresh connection, closed after the response. */
async function httpGet(port: number): Promise<void> {
  const s = await withTimeout(openUsed(port), 5000, "GET");
  s.destroy();
}

/** Opens `n` used connections, `batch` at a time. */
async function openMany(port: number, n: number, batch: number): Promise<Socket[]> {
  const socks: Socket[] = [];
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (next < n && failure === undefined) {
      next++;
      try {
        socks.push(await withTimeout(openUsed(port), 20_000, "open"));
      } catch (e) {
        failure = e as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(batch, n) }, worker));
  if (failure !== undefined) {
    for (const s of socks) s.destroy();
    throw new Error(`after ${socks.length} of ${n} streams: ${failure.message}`);
  }
  return socks;
}

/** Closes every socket and resolves once all are closed (bounded). */
async function closeAll(socks: Socket[]): Promise<void> {
  await withTimeout(
    Promise.all(socks.map((s) => new Promise<void>((r) => (s.closed ? r() : (s.once("close", () => r()), s.end()))))),
    10_000,
    "closing",
  ).catch(() => socks.forEach((s) => s.destroy()));
}

/** Waits until the RSS of `pid` stops moving (two readings 100 ms apart within 0.5 %), at most `ms`. */
async function settledRss(pid: number, ms: number): Promise<number> {
  let last = rssKiB(pid);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(100);
    const now = rssKiB(pid);
    if (Math.abs(now - last) <= last * 0.005) return now;
    last = now;
  }
  return last;
}

// ---- targets ----------------------------------------------------------------------------------

const wanted = new Set((flags.targets ?? "direct,pipe,proxykit,haproxy").split(","));
const extras = (flags["proxykit-from"] ?? []).map((spec) => {
  const eq = spec.indexOf("=");
  if (eq <= 0) fatal(`--proxykit-from: expected NAME=PATH/TO/examples/proxy.ts, got '${spec}'`);
  return { name: spec.slice(0, eq), file: spec.slice(eq + 1) };
});
const haproxyBin = flags["no-haproxy"] || !wanted.has("haproxy") ? undefined : findHaproxy();
const haproxy = haproxyBin === undefined ? "-" : haproxyVersion(haproxyBin);
const notes: string[] = [];
if (haproxyBin === undefined && !flags["no-haproxy"] && wanted.has("haproxy")) {
  notes.push("SKIP haproxy: not found on PATH nor at /usr/sbin/haproxy, no HAProxy column");
}

/** A target the bench can start again (the idle measure wants a fresh process per run). */
interface TargetSpec {
  readonly name: string;
  start(serverPort: number, options: StartOptions & { maxconn: number }): Promise<Target>;
}
const SPECS: TargetSpec[] = [];
/**
 * CPU pinning (on by default with two CPUs or more and `taskset`; `--no-pin` turns it off):
 * every target runs alone on CPU 1, nginx and wrk on CPU 0. Unpinned, on this 2-vCPU machine
 * the same target moved by ±30 % between runs with where the scheduler put the three
 * processes; pinned, a target is CPU-bound on its own core, so its rate is the inverse of its
 * cost per connection, which is what the ratios compare.
 */
const PIN = !flags["no-pin"] && availableParallelism() >= 2 && canPin();
const TARGET_CPUS = PIN ? "1" : undefined;
const LOAD_CPUS = PIN ? "0" : undefined;
if (!PIN) notes.push("not pinned: targets, nginx and wrk share the CPUs as the scheduler decides (noisier)");
if (wanted.has("pipe")) SPECS.push({ name: "pipe", start: (p, o) => startPipe(p, o) });
if (wanted.has("proxykit")) SPECS.push({ name: "proxykit", start: (p, o) => startProxykit(p, o) });
if (haproxyBin !== undefined) {
  SPECS.push({ name: "haproxy", start: (p, o) => startHaproxy(haproxyBin, p, o.maxconn, o.cpus, MODE) });
}
for (const e of extras) SPECS.push({ name: e.name, start: (p, o) => startProxykitFrom(e.name, e.file, p, o) });

// The idle streams: the open-file limit (runtimes raise their soft limit to the hard one and
// children inherit it) must hold two descriptors per stream in a proxy, plus some.
const fdMax = maxOpenFiles();
let idleConns = CFG.idleConns;
if (MEASURES.includes("idle") && fdMax < 2 * idleConns + 512) {
  idleConns = Math.max(100, Math.floor((fdMax - 512) / 2));
  notes.push(
    `idle: ${idleConns} streams instead of ${CFG.idleConns}: the open-file limit is ${fdMax} ` +
      `(raise it: ulimit -n ${2 * CFG.idleConns + 1024}; bench/run.sh does when it can)`,
  );
}

const tool = (bin: string, pkg: string): string => {
  try {
    return ensureTool(bin, pkg);
  } catch (e) {
    return fatal((e as Error).message);
  }
};
const wrkBin = MEASURES.includes("connrate") ? tool("wrk", "wrk") : undefined;
const nginxBin = tool("nginx", "nginx");
// The origin answers `ok\n` to everything, from memory.
const nginx = await startNginx(nginxBin, {
  files: {},
  maxConns: Math.max(idleConns, CFG.wrkConns) + 256,
  cpus: LOAD_CPUS,
  location: "location / { default_type text/plain; return 200 'ok\\n'; }",
}).catch((e: Error) => fatal(e.message));

// ---- connrate ---------------------------------------------------------------------------------

/** One timed run of a measure on one target. */
interface Run {
  /** connrate: connections per second; idle: KiB per stream (after GC). NaN when the run failed. */
  value: number;
  /** connrate: CPU of the target over the run (% of one core; NaN for `direct`), and of nginx. */
  targetCpu?: number;
  nginxCpu?: number;
  /** connrate: socket errors and non-2xx answers wrk counted. */
  errors?: number;
  /** idle: KiB per stream before the GC; RSS before and after (KiB, both after a GC). */
  noGcKiB?: number;
  /** idle: JS heap in use and external memory (ArrayBuffers...) per stream after the GC, KiB. */
  heapKiB?: number;
  externalKiB?: number;
  heapTotalKiB?: number;
  rssBefore?: number;
  rssAfter?: number;
  error?: string;
}

/** Runs wrk for `seconds` against `port`; resolves with its stdout. */
function wrk(port: number, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const [exe, argv] = pinned(LOAD_CPUS, wrkBin!, [
      "-t1",
      `-c${CFG.wrkConns}`,
      `-d${seconds}s`,
      "--timeout",
      "5s",
      "-H",
      "Connection: close",
      `http://127.0.0.1:${port}/`,
    ]);
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
      if (code === 0) resolve(out);
      else reject(new Error(`wrk exited (${code ?? signal}): ${out.trim().slice(-500)}`));
    });
  });
}

async function connrate(t: Target): Promise<Run> {
  const cpu0 = t.pid === undefined ? NaN : cpuSeconds(t.pid);
  const ng0 = cpuSeconds(nginx.pid);
  const t0 = performance.now();
  let out: string;
  try {
    out = await wrk(t.port, CFG.durationS);
  } catch (e) {
    return { value: NaN, error: (e as Error).message };
  }
  const s = (performance.now() - t0) / 1000;
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0)) +
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const run: Run = {
    value: rate,
    targetCpu: t.pid === undefined ? NaN : ((cpuSeconds(t.pid) - cpu0) / s) * 100,
    nginxCpu: ((cpuSeconds(nginx.pid) - ng0) / s) * 100,
    errors,
  };
  if (!Number.isFinite(rate)) return { value: NaN, error: `cannot read wrk's output: ${out.trim().slice(-500)}` };
  // A few errors (a reset at the end of the run) are noise; many mean a broken target.
  if (errors > total * 0.01) run.error = `${errors} errors in ${total} requests`;
  return run;
}

// ---- idle -------------------------------------------------------------------------------------

/** RSS of `t` after a full GC (when it has one) and a short settle, and what its JS heap holds. */
async function rssAfterGc(t: Target): Promise<{ rss: number; heap: HeapUse | undefined }> {
  const heap = t.gc === undefined ? undefined : await t.gc();
  return { rss: await settledRss(t.pid!, 2000), heap };
}

async function idle(spec: TargetSpec): Promise<Run> {
  let t: Target | undefined;
  let socks: Socket[] = [];
  try {
    t = await spec.start(nginx.port, { gcHook: true, maxconn: idleConns + 512, mode: MODE });
    const pid = t.pid!;
    // Warm-up: the code paths run (JIT, lazily built structures), then the streams end.
    await closeAll(await openMany(t.port, CFG.idleWarm, CFG.idleBatch));
    await sleep(300);
    const before = await rssAfterGc(t);
    socks = await openMany(t.port, idleConns, CFG.idleBatch);
    const noGc = await settledRss(pid, 3000);
    const after = await rssAfterGc(t);
    const lost = socks.filter((s) => s.closed).length;
    const run: Run = {
      value: (after.rss - before.rss) / idleConns,
      noGcKiB: (noGc - before.rss) / idleConns,
      rssBefore: before.rss,
      rssAfter: after.rss,
    };
    if (before.heap !== undefined && after.heap !== undefined) {
      run.heapKiB = (after.heap.heapUsed - before.heap.heapUsed) / 1024 / idleConns;
      run.externalKiB = (after.heap.external - before.heap.external) / 1024 / idleConns;
      run.heapTotalKiB = (after.heap.heapTotal - before.heap.heapTotal) / 1024 / idleConns;
    }
    if (lost > 0) run.error = `${lost} of ${idleConns} streams closed while idle`;
    return run;
  } catch (e) {
    return { value: NaN, error: (e as Error).message };
  } finally {
    await closeAll(socks);
    await t?.stop();
  }
}

// ---- run ----------------------------------------------------------------------------------------

for (const n of notes) log(`!!! ${n}`);
const runs = new Map<string, Run[]>();
const record = (m: string, name: string, r: Run, unit: string, rep: number) => {
  const list = runs.get(`${m}/${name}`) ?? [];
  list.push(r);
  runs.set(`${m}/${name}`, list);
  log(`rep ${rep}/${CFG.reps} ${m.padEnd(8)} ${name.padEnd(8)} ${r.error ?? `${r.value.toFixed(1)} ${unit}`}`);
};

if (MEASURES.includes("connrate")) {
  // One long-lived process per target for all connrate runs.
  const targets: Target[] = [];
  if (wanted.has("direct")) {
    targets.push({ name: "direct", port: nginx.port, pid: undefined, stop: () => Promise.resolve() });
  }
  for (const spec of SPECS) {
    try {
      const t = await spec.start(nginx.port, {
        maxconn: 4096,
        mode: MODE,
        ...(TARGET_CPUS !== undefined ? { cpus: TARGET_CPUS } : {}),
      });
      // Warm-up (JIT, connection paths) and check: a target that fails it is not measured.
      await httpGet(t.port);
      await wrk(t.port, 1);
      targets.push(t);
    } catch (e) {
      notes.push(`FAILED to start or warm up ${spec.name}: ${(e as Error).message}`);
      log(`!!! ${notes.at(-1)}`);
    }
  }
  for (let rep = 1; rep <= CFG.reps; rep++) {
    for (const t of targets) record("connrate", t.name, await connrate(t), "conn/s", rep);
  }
  await Promise.all(targets.map((t) => t.stop()));
}

if (MEASURES.includes("idle")) {
  for (let rep = 1; rep <= CFG.reps; rep++) {
    for (const spec of SPECS) {
      record("idle", spec.name, await withTimeout(idle(spec), CFG.runTimeoutMs, "idle"), "KiB/stream", rep);
    }
  }
}

await nginx.stop();

// ---- report -------------------------------------------------------------------------------------

/** The best run: highest rate (connrate) or lowest KiB per stream (idle); failed runs only when all failed. */
function best(m: string, name: string): Run | undefined {
  const list = runs.get(`${m}/${name}`);
  if (list === undefined) return undefined;
  const ok = list.filter((r) => !Number.isNaN(r.value) && r.error === undefined);
  if (ok.length === 0) return list[0];
  return ok.reduce((a, b) => ((m === "idle" ? b.value < a.value : b.value > a.value) ? b : a));
}

const COLS = ["direct", "pipe", "proxykit", "haproxy"];
const EXTRA = extras.map((e) => e.name);
const ALL = [...COLS, ...EXTRA];
const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(digits));
const ratioOf = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) ? NaN : a / b;
const row = (label: string, cells: string[]) =>
  (label.padEnd(24) + cells.map((c) => c.padStart(Math.max(10, c.length + 1))).join("")).trimEnd();

const lines: string[] = [];
lines.push(
  `=== proxykit conn bench: ${runtime} ${runtimeVersion}, haproxy ${haproxy}, ${availableParallelism()} CPUs, best of ${CFG.reps} ===`,
);
lines.push(
  [
    ...(MEASURES.includes("connrate")
      ? [`connrate: wrk -t1 -c${CFG.wrkConns} -d${CFG.durationS}s -H 'Connection: close' to nginx`]
      : []),
    ...(MEASURES.includes("idle") ? [`idle: ${idleConns} streams held open (one request each), RSS after GC`] : []),
  ].join("; "),
);
lines.push(row("", [...COLS, "pk/pipe", "pk/haproxy", ...EXTRA]));
const json: Record<string, unknown> = {};
for (const m of MEASURES) {
  const b = Object.fromEntries(ALL.map((c) => [c, best(m, c)]));
  const cells = (
    f: (r: Run | undefined) => string,
  ) => [...COLS.map((c) => f(b[c])), "", "", ...EXTRA.map((c) => f(b[c]))];
  const pkPipe = ratioOf(b.proxykit?.value, b.pipe?.value);
  const pkHap = ratioOf(b.proxykit?.value, b.haproxy?.value);
  const spread = (c: string) => {
    const v = (runs.get(`${m}/${c}`) ?? []).map((r) => r.value).filter((x) => !Number.isNaN(x));
    return v.length === 0
      ? "-"
      : `${fmt(Math.min(...v), m === "idle" ? 1 : 0)}-${fmt(Math.max(...v), m === "idle" ? 1 : 0)}`;
  };
  if (m === "connrate") {
    lines.push(row("new conn/s", [
      ...COLS.map((c) => fmt(b[c]?.value)),
      fmt(pkPipe, 2),
      fmt(pkHap, 2),
      ...EXTRA.map((c) => fmt(b[c]?.value)),
    ]));
    lines.push(row("  runs min-max", [...COLS.map(spread), "", "", ...EXTRA.map(spread)]));
    lines.push(row("  target cpu %", cells((r) => fmt(r?.targetCpu))));
    const eff = (r: Run | undefined) => (r === undefined ? NaN : r.value / ((r.targetCpu ?? NaN) / 100));
    lines.push(row("  conn per cpu-s", [
      ...COLS.map((c) => fmt(eff(b[c]))),
      fmt(eff(b.proxykit) / eff(b.pipe), 2),
      fmt(eff(b.proxykit) / eff(b.haproxy), 2),
      ...EXTRA.map((c) => fmt(eff(b[c]))),
    ]));
    lines.push(row("  nginx cpu %", cells((r) => fmt(r?.nginxCpu))));
  } else {
    lines.push(row("idle KiB/stream", [
      ...COLS.map((c) => fmt(b[c]?.value, 1)),
      fmt(pkPipe, 2),
      fmt(pkHap, 2),
      ...EXTRA.map((c) => fmt(b[c]?.value, 1)),
    ]));
    lines.push(row("  runs min-max", [...COLS.map(spread), "", "", ...EXTRA.map(spread)]));
    lines.push(row("  before GC KiB/stream", cells((r) => fmt(r?.noGcKiB, 1))));
    lines.push(row("  JS heap KiB/stream", cells((r) => fmt(r?.heapKiB, 1))));
    lines.push(row("  external KiB/stream", cells((r) => fmt(r?.externalKiB, 1))));
    lines.push(row("  heap KiB/stream total", cells((r) => fmt(r?.heapTotalKiB, 1))));
    lines.push(row("  RSS idle MiB", cells((r) => fmt((r?.rssBefore ?? NaN) / 1024, 1))));
    lines.push(row("  RSS loaded MiB", cells((r) => fmt((r?.rssAfter ?? NaN) / 1024, 1))));
  }
  for (const c of ALL) if (b[c]?.error !== undefined) lines.push(`  ${m} ${c}: ERROR ${b[c]!.error}`);
  json[m] = {
    unit: m === "connrate" ? "conn/s" : "KiB/stream",
    best: Object.fromEntries(ALL.map((c) => [c, b[c] === undefined ? null : { ...b[c] }])),
    runs: Object.fromEntries(ALL.map((c) => [c, (runs.get(`${m}/${c}`) ?? []).map((r) => r.value)])),
    ratios: { proxykitPipe: Number.isNaN(pkPipe) ? null : pkPipe, proxykitHaproxy: Number.isNaN(pkHap) ? null : pkHap },
  };
}
if (MEASURES.includes("connrate")) {
  lines.push(
    "new conn/s: wrk requests/s, one connection each; target cpu %: CPU time of the target process (all",
    "threads), 100 = one core; per cpu-s: connections per CPU-second of the target.",
  );
}
if (MEASURES.includes("idle")) {
  lines.push(
    "idle: (RSS with the streams - RSS before) / streams, both after a full GC (before GC: the same without",
    "it); RSS idle: after the warm-up; runs min-max: every run (memory per stream is the lowest). JS heap,",
    "external: process.memoryUsage() heapUsed and external (ArrayBuffers...) in the target after the GC, per",
    "stream (part of the RSS figure; external may be counted in heapUsed too on Bun). Heap total:",
    "heapTotal, live objects plus the free space V8 keeps (its young generation grows with the objects that",
    "survive a burst of new streams, and its pages stay in the RSS after the GC).",
  );
}
for (const n of notes) lines.push(`!!! ${n}`);
lines.push("");
console.log(lines.join("\n"));
console.log(
  JSON.stringify({
    bench: "conn",
    runtime,
    version: runtimeVersion,
    haproxy,
    cpus: availableParallelism(),
    config: { ...CFG, idleConns },
    results: json,
  }),
);
process.exit(0);
