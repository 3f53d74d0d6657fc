/**
 * `--workers N` (or `nbthread N`): N worker processes of the same command line, each running
 * the proxy with every listener bound with `reusePort` (SO_REUSEPORT: the kernel spreads the
 * connections; no process sits in the data path), on each runtime alike (Node >= 22.12, Bun;
 * Deno on Linux with `--unstable-net`, which the primary passes to its workers).
 *
 * The primary process only supervises: it forwards SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 to every
 * worker, exits once they all did (0 if every one stopped cleanly), and stops them all (exit
 * 1) if one dies on its own, as HAProxy's master does. Worker 1 alone runs the health checks
 * and listens on the stats sockets; each server state change its checks make, and each runtime
 * API command that may change something, goes to the primary (a line on its stderr) and from
 * there to the other workers (a line on their stdin), which apply it without logging it again.
 * Every worker also sends its counters each second the same way, so that the stats of any of
 * them (`show stat`, the stats page, the exporter) show the sums over all workers. A stats page
 * admin form POST, which any worker may serve, reaches the others as its runtime API command.
 * Worker 1's `show sess` asks the others for their streams the same way (`cli/sess_query.ts`);
 * their answers come back to worker 1 alone.
 *
 * @module
 */
import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import type { ServerState } from "../src/server.ts";
import type { StatsSnapshot } from "../src/stats/peers.ts";
import type { AdminCommandOrigin } from "../src/proxy.ts";
import type { SessRow } from "../src/_show_sess.ts";

/** A server state change worker 1's health checks made. */
export interface StateMessage {
  readonly type: "state";
  readonly backend: string;
  readonly server: string;
  readonly state: ServerState;
  readonly reason: string;
}

/**
 * A runtime API command that ran on worker 1's stats socket, or the command a stats page admin
 * form POST stands for (on any worker), to run on every other worker.
 */
export interface CommandMessage {
  readonly type: "command";
  readonly command: string;
  readonly payload?: string;
  /** The worker it ran on (absent: worker 1, as an older worker sends it). */
  readonly worker?: number;
  /** Where it came from there (absent: the runtime API). */
  readonly origin?: AdminCommandOrigin;
}

/** Worker `worker` asks every other worker for its streams (`show sess`), query `id`. */
export interface SessQueryMessage {
  readonly type: "sess-query";
  readonly id: number;
  readonly worker: number;
}

/** A worker's streams, the answer to query `id` of worker `to` (and to it only). */
export interface SessReplyMessage {
  readonly type: "sess-reply";
  readonly id: number;
  readonly worker: number;
  readonly to: number;
  readonly rows: SessRow[];
}

/** A worker's counters, every second, merged into the others' stats (src/stats/peers.ts). */
export interface StatsMessage {
  readonly type: "stats";
  readonly worker: number;
  readonly snapshot: StatsSnapshot;
}

/** What a worker tells the others through the primary. */
export type ControlMessage = StateMessage | CommandMessage | StatsMessage | SessQueryMessage | SessReplyMessage;

/** Starts a control line on a worker's stderr (never in a log line). */
const CONTROL = "\u0001proxykit-state ";

/** This process's worker number (1..N) when it is a worker, else undefined. */
export function workerIndex(): number | undefined {
  const w = process.env.PROXYKIT_WORKER;
  return w === undefined ? undefined : Number(w);
}

/** How many workers run (`--workers N`) when this process is one of them, else undefined. */
export function workerCount(): number | undefined {
  const n = process.env.PROXYKIT_WORKERS;
  return n === undefined ? undefined : Number(n);
}

/** Worker side: tells the primary (and through it the other workers) a change. */
export function sendControl(m: ControlMessage): void {
  process.stderr.write(`${CONTROL}${JSON.stringify(m)}\n`);
}

/** Worker side: `apply` gets each change another worker made. */
export function receiveControl(apply: (m: ControlMessage) => void): void {
  lines(process.stdin, (l) => {
    if (l !== "") apply(JSON.parse(l) as ControlMessage);
  });
}

/** The command line that runs this same program again, on this runtime. */
function selfCommand(): [string, string[]] {
  const script = process.argv[1]!;
  const args = process.argv.slice(2);
  if ("Deno" in globalThis) return [process.execPath, ["run", "-A", "--unstable-net", script, ...args]];
  if ("Bun" in globalThis) return [process.execPath, [script, ...args]];
  return [process.execPath, [...process.execArgv, script, ...args]];
}

/** Calls `onLine` with each complete line of `stream`. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    const ls = buffered.split("\n");
    buffered = ls.pop()!;
    for (const l of ls) onLine(l);
  });
}

/** Starts `n` workers and supervises them until they all exit. */
export function runWorkers(n: number, say: (line: string) => void): void {
  const [exe, argv] = selfCommand();
  const workers: ChildProcess[] = [];
  let stopping = false;
  let clean = true;
  let left = n;
  const signalAll = (sig: NodeJS.Signals) => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) process.kill(w.pid!, sig);
  };
  for (let i = 1; i <= n; i++) {
    const w = spawn(exe, argv, {
      env: { ...process.env, PROXYKIT_WORKER: String(i), PROXYKIT_WORKERS: String(n) },
      stdio: ["pipe", "inherit", "pipe"],
    });
    workers.push(w);
    lines(w.stderr!, (l) => {
      if (!l.startsWith(CONTROL)) return void process.stderr.write(`${l}\n`);
      const json = l.slice(CONTROL.length);
      // A reply goes to the worker that asked only; everything else to every other worker.
      const to = json.startsWith('{"type":"sess-reply"') ? (JSON.parse(json) as SessReplyMessage).to : undefined;
      for (const [j, o] of workers.entries()) {
        if (to === undefined ? o !== w : j + 1 === to) o.stdin!.write(`${json}\n`);
      }
    });
    w.on("close", (code, signal) => {
      left--;
      // Deno's node:child_process reports a child that handled the signal and exited 0 as killed.
      const ok = code === 0 || (stopping && code === null && signal !== "SIGKILL");
      if (!ok) clean = false;
      if (!stopping) {
        say(`worker ${i} (pid ${w.pid}) exited with code ${code ?? signal}: stopping the others`);
        stopping = true;
        signalAll("SIGTERM");
      }
      if (left === 0) process.exit(clean ? 0 : 1);
    });
  }
  say(`${n} workers started (pids ${workers.map((w) => w.pid).join(" ")})`);
  const stop = (sig: NodeJS.Signals) => {
    if (!stopping) say(`${sig} received, stopping`);
    stopping = true;
    signalAll(sig);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (process.platform !== "win32") {
    process.on("SIGUSR1", () => stop("SIGUSR1"));
    process.on("SIGUSR2", () => signalAll("SIGUSR2"));
  }
}
