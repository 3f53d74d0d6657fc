/**
 * wrk's output, read: requests per second, latency percentiles, errors, and wrk's own CPU
 * time (when it ran under bash with `times` after it). Shared by the benches that drive wrk.
 *
 * @module
 */
import { spawn } from "node:child_process";

/** What one wrk run reported. */
export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors and non-2xx/3xx answers. */
  readonly errors: number;
  /** CPU time of wrk (user + system), seconds. */
  readonly cpuS: number;
}

/** A latency as wrk prints it (`635.91us`, `1.20ms`, `2.00s`, `1.00m`), in ms. */
function latencyMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === "us" ? v / 1000 : unit === "ms" ? v : unit === "s" ? v * 1000 : unit === "m" ? v * 60_000 : NaN;
}

/** Reads wrk's `--latency` output and, last, the `times` of the shell that ran it. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m === null ? NaN : latencyMs(m[1]!, m[2]!);
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0)) +
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  // bash's `times`: the shell's user and system times, then its children's (wrk's).
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out);
  const cpuS = t === null ? NaN : Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]);
  return { rps, requests, p50Ms: pct("50"), p99Ms: pct("99"), errors, cpuS };
}

/**
 * Runs wrk (`bin`) with `args` through bash, so that wrk's CPU time is read after it (`times`);
 * resolves with its parsed output and the raw text. Rejects when wrk cannot be started.
 */
export function runWrk(bin: string, args: readonly string[]): Promise<WrkResult & { raw: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", '"$0" "$@"; rc=$?; times; exit $rc', bin, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => (out += s));
    child.once("error", reject);
    child.once("exit", () => resolve({ ...parseWrk(out), raw: out }));
  });
}
