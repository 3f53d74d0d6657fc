/**
 * The runtime API's `add server B/S ADDR [options]` (management.txt 9.3 `add server`): the
 * options are read by the configuration loader's own `server` line parser, in a backend of
 * their own (settings from `default-server` do not apply, as in HAProxy), then added through
 * the admin API.
 *
 * @module
 */
import type { ProxyAdmin } from "./admin.ts";
import { isProxyError } from "./errors.ts";
import { parseHaproxyConfig } from "./config/haproxy_cfg.ts";

/** Messages of `add server` that HAProxy prints without a final `\n`. */
const BARE = new Set(["No such backend.", "Backend must use a dynamic load balancing to support dynamic servers."]);

/**
 * Runs `add server` with `args` (the words after it) on `admin`; answers HAProxy's text
 * (`New server registered.`, or the error).
 */
export function addServerCommand(admin: ProxyAdmin, args: readonly string[]): string {
  const [bs, addr, ...options] = args;
  const slash = bs?.indexOf("/") ?? -1;
  if (bs === undefined || slash < 0) return "Require 'backend/server'.";
  if (addr === undefined) return "'server' expects <name> and <addr>[:<port>] as arguments.\n";
  const backend = bs.slice(0, slash);
  const name = bs.slice(slash + 1);
  try {
    const text = `backend ${backend}\n  balance roundrobin\n  server ${[name, addr, ...options].join(" ")}\n`;
    const parsed = parseHaproxyConfig(text, "add server").backends[0]!.servers[0]!;
    const { name: _, ...settings } = parsed;
    admin.addServer(backend, name, settings);
    return "New server registered.\n";
  } catch (e) {
    if (!isProxyError(e)) throw e;
    if (BARE.has(e.message)) return e.message;
    const unknown = /unknown server option '([^']*)'/.exec(e.message);
    if (unknown !== null) return `unknown keyword '${unknown[1]}'\n`;
    // The loader's message without its `file:line: 'server' in section ...:` prefix.
    return `${e.message.replace(/^add server:\d+: (?:'server' in section '[^']*': )?/, "")}\n`;
  }
}
