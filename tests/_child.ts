/**
 * Child processes for end-to-end tests: the example CLI started by the runtime running the
 * tests, or any other program (haproxy), with stdout read line by line.
 */
import { after, afterEach } from "node:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { deferred, runtime, within } from "./_helpers.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

/** The command line that runs `examples/proxy.ts` on this runtime. */
export function proxyCommand(args: string[]): [string, string[]] {
  const exe = process.execPath;
  if (runtime === "deno") return [exe, ["run", "-A", "examples/proxy.ts", ...args]];
  if (runtime === "bun") return [exe, ["run", "examples/proxy.ts", ...args]];
  return [exe, ["examples/proxy.ts", ...args]];
}

/** A running child process. */
export interface Child {
  readonly child: ChildProcess;
  /** Complete stdout lines so far. */
  readonly stdout: string[];
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re` (already seen or to come). */
  line(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Starts `examples/proxy.ts` with `args` on this runtime. */
export function startProxy(args: string[]): Child {
  const [exe, argv] = proxyCommand(args);
  return startProgram(exe, argv);
}

/**
 * Starts any program; it is killed when the test file ends. `stdin: "pipe"` keeps its standard
 * input open (and empty) instead of at EOF, for programs that stop on EOF (`openssl s_client`).
 */
export function startProgram(exe: string, argv: string[], options: { stdin?: "ignore" | "pipe" } = {}): Child {
  const child = spawn(exe, argv, { cwd: ROOT, stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
  children.push(child);
  const stdout: string[] = [];
  let err = "";
  let partial = "";
  const waiters: { re: RegExp; d: ReturnType<typeof deferred<RegExpMatchArray>> }[] = [];
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (s: string) => {
    partial += s;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const l of lines) {
      stdout.push(l);
      for (const w of waiters.splice(0)) {
        const m = l.match(w.re);
        if (m) w.d.resolve(m);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (err += s));
  // "close", not "exit": "exit" may come before the last stdout/stderr bytes are read, and
  // tests look for the final lines (e.g. "SIGTERM received, stopping").
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    stdout,
    stderr: () => err,
    exited,
    line(re, ms = 20_000) {
      for (const l of stdout) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      const d = deferred<RegExpMatchArray>();
      waiters.push({ re, d });
      return within(d.promise, ms, `stdout line ${re} (stderr: ${err.slice(0, 500)})`);
    },
  };
}

/**
 * Sends `signal` and checks the proxy stopped cleanly: it says so on stderr and exits 0.
 * Deno's `node:child_process` reports `code null, signal SIGTERM` for a child that handled
 * the signal and exited 0 (checked by hand: the same child exits 0 under `Deno.Command`), so
 * under Deno only the stderr line is decisive.
 */
export async function stopCleanly(c: Child, signal: "SIGTERM" | "SIGINT" | "SIGUSR1" = "SIGTERM"): Promise<void> {
  c.child.kill(signal);
  const code = await within(c.exited, 10_000, `exit after ${signal}`);
  if (!c.stderr().includes(`${signal} received, stopping`)) {
    throw new Error(`no clean stop after ${signal} (exit ${code}); stderr: ${c.stderr()}`);
  }
  if (runtime !== "deno" && code !== 0) throw new Error(`exit code ${code} after ${signal}`);
}

/** The `global` + `defaults` lines both HAProxy and proxykit log with: tcplog to stdout. */
export const TCPLOG_PREAMBLE: readonly string[] = [
  "global",
  "    log stdout format raw local0",
  "defaults",
  "    mode tcp",
  "    log global",
  "    option tcplog",
];

/** Writes `lines` as `name` in a fresh temporary folder; `remove()` deletes the folder. */
export function tempFile(name: string, lines: readonly string[]): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "proxykit-"));
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Cleanups of a test file, run (last first) after each test whatever happened: children
 * started by {@link startTracked} are killed, listeners pushed by the test closed.
 */
export function cleanupAfterEach(): (() => Promise<unknown> | void)[] {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return cleanup;
}

/** {@link startProxy}, the child killed by `cleanup` after the test. */
export function startTracked(cleanup: (() => Promise<unknown> | void)[], args: string[]): Child {
  const c = startProxy(args);
  cleanup.push(() => void c.child.kill("SIGKILL"));
  return c;
}
