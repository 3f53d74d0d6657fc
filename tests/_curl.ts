/**
 * curl as a test client: runs it with arguments and resolves with what it printed.
 */
import { spawn } from "node:child_process";
import { peer } from "./_peers.ts";

/** The curl peer (its path, or why it is missing). */
export const curl: ReturnType<typeof peer> = peer("curl");

/** Runs `curl -s --max-time 10 ARGS`; resolves with its stdout (it must exit 0). */
export function runCurl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(curl.path!, ["-s", "--max-time", "10", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    c.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
    c.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exit ${code}: ${err}`))));
  });
}
