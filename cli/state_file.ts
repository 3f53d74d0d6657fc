/**
 * The command line's server-state file: written before a reload or a stop (HAProxy leaves
 * this to the operator, `echo "show servers state" | socat ...`; proxykit does it itself), read
 * by the backends that say `load-server-state-from-file` before the proxy starts.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ProxyConfig } from "../src/config/types.ts";
import type { ProxyServer } from "../src/proxy.ts";
import { applyServersState, formatServersState, parseServersState } from "../src/server_state.ts";

/** Writes the state of every server to `server-state-file`, if the configuration names one. */
export function saveServerState(proxy: ProxyServer, config: ProxyConfig, say: (line: string) => void): void {
  const file = config.process?.serverStateFile;
  if (file === undefined) return;
  try {
    // Written aside, then renamed: a reader never sees half a file.
    writeFileSync(`${file}.tmp`, formatServersState(proxy));
    renameSync(`${file}.tmp`, file);
  } catch (e) {
    say(`[WARNING] config : Can't write server state file '${file}': ${(e as Error).message}`);
  }
}

/**
 * Applies the state files of the backends that load one, to `proxy` (not started yet). A
 * missing or invalid file is a warning (as HAProxy: startup goes on).
 */
export function loadServerState(proxy: ProxyServer, config: ProxyConfig, say: (line: string) => void): void {
  const byFile = new Map<string, string[]>();
  for (const s of config.process?.serverStates ?? []) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s.backend]);
  for (const [file, backends] of byFile) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      say(`[WARNING] config : Can't open server state file '${file}': ${(e as Error).message}`);
      continue;
    }
    try {
      for (const m of applyServersState(proxy, parseServersState(text, file), backends)) say(m);
    } catch (e) {
      say(`[WARNING] config : ${(e as Error).message}`);
    }
  }
}
