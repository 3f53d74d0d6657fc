/**
 * Helpers of the HTTP-mode tests that read log lines and client bytes.
 */
import type { Recorder } from "../_helpers.ts";
import { FRONT, srvAddr } from "../_proxy_harness.ts";
import type { BackendConfig, FrontendConfig, ProxyConfig } from "../../src/config/types.ts";

/**
 * One HTTP frontend `fe` (httplog, `timeout client` 30 s) on the harness address, one backend
 * `be` with one server s1 at srvAddr(1) (`timeout connect` 5 s, `timeout server` 30 s), each
 * with the given fields on top.
 */
export function httpConfig(be: Partial<BackendConfig> = {}, fe: Partial<FrontendConfig> = {}): ProxyConfig {
  return {
    frontends: [{
      name: "fe",
      mode: "http",
      binds: [FRONT],
      defaultBackend: "be",
      log: { target: "stdout", format: "httplog" },
      clientTimeoutMs: 30_000,
      ...fe,
    }],
    backends: [{
      name: "be",
      mode: "http",
      servers: [{ name: "s1", address: srvAddr(1) }],
      timeouts: { connectMs: 5000, serverMs: 30_000 },
      ...be,
    }],
  };
}

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
