/**
 * Helpers of the HTTP-mode tests that read log lines and client bytes.
 */
import type { Recorder } from "../_helpers.ts";

/** The fields of an httplog line (`option httplog`). */
export interface HttpLogFields {
  /** `backend/server`. */
  readonly be: string;
  /** `TR/Tw/Tc/Tr/Ta`. */
  readonly timers: string;
  readonly status: string;
  readonly bytes: string;
  /** The four termination characters. */
  readonly term: string;
  /** `ac/fc/bc/sc/rc` (a `+` before `rc` after a redispatch). */
  readonly conns: string;
  /** The request line as logged. */
  readonly req: string;
}

/** Splits an httplog line; throws on anything else. */
export function httplog(line: string): HttpLogFields {
  const m = /^\S+ \[[^\]]+\] \S+ (\S+) (\S+) (-?\d+) (\d+) - - (\S{4}) (\S+) \S+ "(.*)"$/.exec(line);
  if (!m) throw new Error(`not an httplog line: ${line}`);
  return { be: m[1]!, timers: m[2]!, status: m[3]!, bytes: m[4]!, term: m[5]!, conns: m[6]!, req: m[7]! };
}

/** The status lines a client received, in order. */
export function statuses(rec: Recorder): string[] {
  return [...rec.text().matchAll(/HTTP\/1\.[01] \d{3}[^\r]*/g)].map((m) => m[0]);
}

/** The proxy ended the client connection (its EOF, or a reset). */
export const ended = (rec: Recorder): boolean => rec.endCount + rec.closeCount > 0;
