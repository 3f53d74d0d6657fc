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

/** How long a child may take to start listening, ms (Deno compiles on its first run). */
const START_MS = 60_000;

/** A started target. */
export interface Target {
  readonly name: string;
  /** Port the load generator connects to. */
  readonly port: number;
  /** Process whose CPU time is reported; undefined for `direct` (no proxy). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Command line running `file` (relative to the root) on this runtime. */
export function runtimeCommand(file: string, args: string[]): [string, string[]] {
  const exe = process.execPath;
  if (runtime === "deno") return [exe, ["run", "-A", file, ...args]];
  if (runtime === "bun") return [exe, ["run", file, ...args]];
  return [exe, [file, ...args]];
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

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Starts `exe argv` and waits for its `listening on HOST:PORT` line. */
export function startListening(name: string, exe: string, argv: string[]): Promise<Target> {
  const child = spawn(exe, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
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
      child.stdout!.resume();
      resolve({ name, port: Number(m[1]), pid: child.pid, stop: () => stopChild(child) });
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => (err += s));
    child.once("error", (e) => fail(e.message));
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before listening`));
  });
}

/** The runtime's hand-written pipe (`bench/pipe.ts`) in front of `serverPort`. */
export function startPipe(serverPort: number): Promise<Target> {
  const [exe, argv] = runtimeCommand("bench/pipe.ts", [
    "--listen",
    "127.0.0.1:0",
    "--target",
    `127.0.0.1:${serverPort}`,
  ]);
  return startListening("pipe", exe, argv);
}

/** proxykit's CLI (`examples/proxy.ts`, TCP mode, one server) in front of `serverPort`. */
export function startProxykit(serverPort: number): Promise<Target> {
  const [exe, argv] = runtimeCommand("examples/proxy.ts", [
    "--listen",
    "127.0.0.1:0",
    "--server",
    `127.0.0.1:${serverPort}`,
  ]);
  return startListening("proxykit", exe, argv);
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

function freePort(): Promise<number> {
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
 * HAProxy `mode tcp` in front of `serverPort`, one thread (as the single-threaded proxies
 * beside it; with two it would compete with the load generator for the second core), default
 * buffers, no splicing.
 */
export async function startHaproxy(bin: string, serverPort: number): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "proxykit-bench-"));
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(
    cfg,
    [
      "global",
      "    nbthread 1",
      "    maxconn 4096",
      "defaults",
      "    mode tcp",
      "    timeout connect 5s",
      "    timeout client 120s",
      "    timeout server 120s",
      "listen bench",
      `    bind 127.0.0.1:${port}`,
      `    server s1 127.0.0.1:${serverPort}`,
      "",
    ].join("\n"),
  );
  const child = spawn(bin, ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
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
      throw new Error(`haproxy did not start: ${err.trim().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: "haproxy", port, pid: child.pid, stop };
}
