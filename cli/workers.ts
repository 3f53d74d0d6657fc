/**
 * `--workers N`: N worker processes sharing the listeners.
 *
 * @module
 */
import process from "node:process";
import type { Network } from "../src/net.ts";

/** This process's worker number (1..N) when it is a worker, else undefined. */
export function workerIndex(): number | undefined {
  const w = process.env.PROXYKIT_WORKER;
  return w === undefined ? undefined : Number(w);
}

/** Starts `n` workers and supervises them. */
export function runWorkers(n: number, _net: Network, say: (line: string) => void): void {
  say(`--workers ${n}: not available yet`);
  process.exit(2);
}
