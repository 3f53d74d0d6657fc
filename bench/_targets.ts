/**
 * The processes a bench measures, each a child of the bench process so that the load
 * generator and the proxy under test do not share an event loop: the hand-written pipe and
 * proxykit's CLI on the runtime running the bench, and HAProxy when it is installed.
 *
 * Nothing is pinned to a CPU: on a 2-core machine the load generator and the proxy each get
 * about one core, as the scheduler decides. Each target's CPU time is read from
 * `/proc/PID/stat` (Linux) so that a run can say whether the proxy or the generator was the
 * busy one.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The runtime running this file. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The version of the runtime running the bench (Deno's and Bun's own, not their Node compatibility's). */
export const runtimeVersion: string = runtime === "deno"
  ? (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno
  : runtime === "bun"
  ? (globalThis as unknown as { Bun: { version: string } }).Bun.version
  : process.version;

/** How long a child may take to start listening, ms (Deno compiles on its first run). */
const START_MS = 60_000;

/** A started target. */
export interface Target {
  readonly name: string;
  /** Port the load generator connects to. */
  readonly port: number;
  /** Process whose CPU time is reported; undefined for `direct` (no proxy). */
  readonly pid: number | undefined;
  /**
   * Runs a full garbage collection in the target and resolves once it is done, with the JS
   * heap then in use and the memory of ArrayBuffers & co. outside it (bytes, as the runtime's
   * `process.memoryUsage()` reports them); present only for targets started with
   * {@link StartOptions.gcHook}.
   */
  gc?(): Promise<HeapUse>;
  stop(): Promise<void>;
}

/** What a target's JS heap holds after a GC. */
export interface HeapUse {
  readonly heapUsed: number;
  readonly external: number;
  /** The heap V8 has committed (`heapTotal`): live objects plus free space, the young generation's included. */
  readonly heapTotal: number;
}

/** How a JS target is started. */
export interface StartOptions {
  /**
   * Preload `bench/_gc_hook.ts` (with the runtime's flag exposing `gc()`): the child then runs
   * a full GC on SIGUSR2 and prints `gc done HEAP EXTERNAL TOTAL`, which {@link Target.gc} waits for.
   */
  readonly gcHook?: boolean;
  /**
   * Run the target on these CPUs only (`taskset -c`, e.g. `"1"`). On a small machine the
   * scheduler moves the target, the load generator and the server between cores from run to
   * run, and that, more than the target, decided the figures (±30 %); pinned, the target has one
   * core to itself and its rate follows its cost per connection.
   */
  readonly cpus?: string;
  /** proxykit's and HAProxy's mode (`--mode` of the CLI, `mode` of the cfg). @default "tcp" */
  readonly mode?: "tcp" | "http";
}

/** `[exe, argv]`, or the same run by `taskset -c cpus` (which execs it: the pid is the target's). */
export function pinned(cpus: string | undefined, exe: string, argv: string[]): [string, string[]] {
  return cpus === undefined ? [exe, argv] : ["taskset", ["-c", cpus, exe, ...argv]];
}

/** Whether `taskset` (util-linux) can pin processes here. */
export function canPin(): boolean {
  return spawnSync("taskset", ["-c", "0", "true"]).status === 0;
}

/** Command line running `file` (relative to the root) on this runtime. */
export function runtimeCommand(file: string, args: string[], options: StartOptions = {}): [string, string[]] {
  const exe = process.execPath;
  const hook = options.gcHook === true;
  if (runtime === "deno") {
    const pre = hook ? ["--v8-flags=--expose-gc", "--preload", "bench/_gc_hook.ts"] : [];
    return [exe, ["run", "-A", ...pre, file, ...args]];
  }
  if (runtime === "bun") return [exe, ["run", ...(hook ? ["--preload", "./bench/_gc_hook.ts"] : []), file, ...args]];
  return [exe, [...(hook ? ["--expose-gc", "--import", "./bench/_gc_hook.ts"] : []), file, ...args]];
}

/**
 * A Node executable for children that always run on Node (e.g. the JavaScript proxies of
 * `bench/http.ts`): this process's when it is Node, else the project's `node_modules/.bin/node`,
 * else `node` on PATH.
 */
export function nodeExecutable(): string {
  if (runtime === "node") return process.execPath;
  const local = join(ROOT, "node_modules", ".bin", "node");
  if (existsSync(local)) return local;
  return spawnSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).stdout?.trim() || "node";
}

/** Resident set size of process `pid`, in KiB (`VmRSS` of `/proc/PID/status`); NaN off Linux. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? NaN : Number(m[1]);
  } catch {
    return NaN;
  }
}

/** The hard limit on open files of this process (children inherit it; runtimes raise the soft one to it). */
export function maxOpenFiles(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const hard = line?.trim().split(/\s+/)[4];
    return hard === "unlimited" ? Infinity : Number(hard);
  } catch {
    return NaN;
  }
}

/** CPU time (user + system, all threads) of process `pid` so far, in seconds; NaN off Linux. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name (which may hold spaces): utime is the 12th.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU time the whole machine has been busy so far (every CPU, every process: all of
 * `/proc/stat`'s first line but idle and iowait), in seconds; NaN off Linux. Over a run, minus
 * what the processes a bench knows used, it tells how much else ran beside them.
 */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest times are counted in user already).
    const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
    return busy / CLK_TCK;
  } catch {
    return NaN;
  }
}

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * A flag's positive integer value, `dflt` when absent; anything else ends the bench (exit 2)
 * with a message naming `bench` and the flag.
 */
export function positiveIntFlag(bench: string, name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${bench} bench: --${name}: expected a positive integer, got '${v}'`);
    process.exit(2);
  }
  return n;
}

/** Stops `child`: SIGTERM, then SIGKILL after 3 s; resolves once it exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // process.kill for the fallback: Deno's ChildProcess.kill() sends one signal per child,
    // later calls do nothing.
    const t = setTimeout(() => {
      try {
        process.kill(child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, 3000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(child.pid!, "SIGTERM");
    } catch {
      // Already gone.
    }
  });
}

/** How long {@link Target.gc} waits for `gc done`, ms. */
const GC_MS = 10_000;

/**
 * Starts `exe argv` and waits for its `listening on HOST:PORT` line. With `gcHook`, the target
 * gets {@link Target.gc} (the child must preload `bench/_gc_hook.ts`).
 */
export function startListening(name: string, exe: string, argv: string[], options: StartOptions = {}): Promise<Target> {
  const [bin, args] = pinned(options.cpus, exe, argv);
  const child = spawn(bin, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  /** Resolvers of `gc()` calls waiting for their `gc done` line. */
  const gcWaiters: ((use: HeapUse) => void)[] = [];
  const gc = (): Promise<HeapUse> =>
    new Promise<HeapUse>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: no 'gc done' within ${GC_MS} ms`)), GC_MS);
      gcWaiters.push((use) => {
        clearTimeout(t);
        resolve(use);
      });
      // Not child.kill(): Deno's sends one signal per child, later calls are no-ops.
      process.kill(child.pid!, "SIGUSR2");
    });
  /** After the `listening on` line: watches for `gc done` lines (the rest is dropped). */
  let tail = "";
  const watch = (s: string) => {
    tail = (tail + s).slice(-256);
    for (;;) {
      const m = /gc done (\d+) (\d+) (\d+)\n/.exec(tail);
      if (m === null) break;
      tail = tail.slice(m.index + m[0].length);
      gcWaiters.shift()?.({ heapUsed: Number(m[1]), external: Number(m[2]), heapTotal: Number(m[3]) });
    }
  };
  return new Promise<Target>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no 'listening on' line within ${START_MS} ms`), START_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${name}: ${why}\n  command: ${exe} ${argv.join(" ")}\n  stderr: ${err.trim().slice(-2000)}`));
    };
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      out += s;
      const m = /listening on (?:\[[^\]]+\]|[^\s:]+):(\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data");
      if (options.gcHook === true) child.stdout!.on("data", watch);
      child.stdout!.resume();
      resolve({
        name,
        port: Number(m[1]),
        pid: child.pid,
        ...(options.gcHook === true ? { gc } : {}),
        stop: () => stopChild(child),
      });
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => (err += s));
    child.once("error", (e) => fail(e.message));
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before listening`));
  });
}

/** The runtime's hand-written pipe (`bench/pipe.ts`) in front of `serverPort`. */
export function startPipe(serverPort: number, options: StartOptions = {}): Promise<Target> {
  const [exe, argv] = runtimeCommand("bench/pipe.ts", [
    "--listen",
    "127.0.0.1:0",
    "--target",
    `127.0.0.1:${serverPort}`,
  ], options);
  return startListening("pipe", exe, argv, options);
}

/** proxykit's CLI (`examples/proxy.ts`, TCP mode, one server) in front of `serverPort`. */
export function startProxykit(serverPort: number, options: StartOptions = {}): Promise<Target> {
  return startProxykitFrom("proxykit", "examples/proxy.ts", serverPort, options);
}

/**
 * proxykit's CLI from another checkout (`file` is its `examples/proxy.ts`, absolute or relative
 * to the root), e.g. a `git worktree` of an earlier commit, to compare two versions in one run.
 */
export function startProxykitFrom(
  name: string,
  file: string,
  serverPort: number,
  options: StartOptions = {},
): Promise<Target> {
  const [exe, argv] = runtimeCommand(file, [
    "--listen",
    "127.0.0.1:0",
    "--server",
    `127.0.0.1:${serverPort}`,
    "--mode",
    options.mode ?? "tcp",
  ], options);
  return startListening(name, exe, argv, options);
}

/** Path of the haproxy binary (PATH, then Debian's /usr/sbin), or undefined. */
export function findHaproxy(): string | undefined {
  const which = spawnSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" });
  const found = which.stdout?.trim();
  if (found) return found;
  return existsSync("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : undefined;
}

/** `haproxy -v`'s version number, e.g. `2.6.12-1+deb12u4`. */
export function haproxyVersion(bin: string): string {
  const r = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return /version (\S+)/.exec(r.stdout ?? "")?.[1] ?? "?";
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * The haproxy.cfg of a bench: one thread (as the single-threaded proxies beside it; with two
 * it would compete with the load generator for the second core; proxykit accepts and ignores
 * `nbthread`), default buffers, no splicing, one `listen` section on 127.0.0.1:`port` in front
 * of `serverPort`. `maxconn` must exceed the streams a bench holds open.
 */
export function benchHaproxyCfg(
  port: number,
  serverPort: number,
  maxconn = 4096,
  mode: "tcp" | "http" = "tcp",
): string {
  return [
    "global",
    "    nbthread 1",
    `    maxconn ${maxconn}`,
    "defaults",
    `    mode ${mode}`,
    `    maxconn ${maxconn}`,
    "    timeout connect 5s",
    "    timeout client 120s",
    "    timeout server 120s",
    "listen bench",
    `    bind 127.0.0.1:${port}`,
    `    server s1 127.0.0.1:${serverPort}`,
    "",
  ].join("\n");
}

/** HAProxy running {@link benchHaproxyCfg} (`mode tcp` unless said) in front of `serverPort`. */
export async function startHaproxy(
  bin: string,
  serverPort: number,
  maxconn = 4096,
  cpus?: string,
  mode: "tcp" | "http" = "tcp",
): Promise<Target> {
  const port = await freePort();
  return startHaproxyConfig(bin, "haproxy", port, benchHaproxyCfg(port, serverPort, maxconn, mode), cpus);
}

/**
 * HAProxy running the configuration `text` (written to a temporary file, removed on stop),
 * which must bind 127.0.0.1:`port`; resolves once that port accepts connections.
 */
export async function startHaproxyConfig(
  bin: string,
  name: string,
  port: number,
  text: string,
  cpus?: string,
): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "proxykit-bench-"));
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, text);
  const [exe, argv] = pinned(cpus, bin, ["-f", cfg, "-db"]);
  const child = spawn(exe, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (err += s));
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start: ${err.trim().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, port, pid: child.pid, stop };
}
