/**
 * `stats socket <path|addr:port> [level user|operator|admin] [mode ...]` in the `global`
 * section (configuration.txt 3.1 `stats socket`, 5.1 bind options): where the runtime API
 * listens. Other `stats` global keywords have no effect here.
 *
 * @module
 */
import type { Ctx } from "./_cfg_keywords.ts";
import { address } from "./_cfg_values.ts";
import { isLoopback } from "./stats_socket.ts";
import { formatAddress } from "../address.ts";
import type { RuntimeApiLevel } from "../runtime_api.ts";

/** Bind options of a stats socket that do nothing here (the file keeps the process's umask and owner). */
const IGNORED = new Set(["mode", "uid", "gid", "user", "group", "expose-fd"]);

/** The `stats` keyword of the `global` section. */
export function statsSocket(c: Ctx, args: readonly string[]): void {
  if (args[0] !== "socket") return c.warn(`ignored: only 'stats socket' is supported, not 'stats ${args[0] ?? ""}'`);
  const text = args[1];
  if (text === undefined) return c.fail("'stats socket' expects a path or an address");
  const addr = address(c, text);
  if (addr.transport === "tcp" && !isLoopback(addr.hostname)) {
    c.fail(
      `'stats socket' on ${formatAddress(addr)}: a TCP stats socket must be on a loopback address ` +
        "(127.0.0.0/8 or ::1): the runtime API has no authentication",
    );
  }
  let level: RuntimeApiLevel | undefined;
  for (let i = 2; i < args.length; i++) {
    const k = args[i]!;
    const v = args[++i];
    if (v === undefined) c.fail(`'stats socket' option '${k}' expects a value`);
    if (k === "level") {
      if (v !== "user" && v !== "operator" && v !== "admin") {
        c.fail(`'level' only supports 'user', 'operator', and 'admin' (got '${v}')`);
      }
      level = v as RuntimeApiLevel;
    } else if (IGNORED.has(k)) c.warn(`'stats socket' option '${k}' is ignored`);
    else c.fail(`'stats socket': unknown option '${k}'`);
  }
  (c.global.statsSockets ??= []).push(level === undefined ? { address: addr } : { address: addr, level });
}
