/**
 * `haproxy.cfg` keywords for the process that runs the proxy (the command line): in `global`,
 * `hard-stop-after`, `server-state-file`, `server-state-base` (configuration.txt 3.1); in
 * `defaults` and backends, `load-server-state-from-file global|local|none` and
 * `server-state-file-name` (configuration.txt 4.2). `nbthread` is in `_cfg_keywords.ts`.
 *
 * @module
 */
import type { Ctx, GlobalSettings, Handler, Keyword, Section } from "./_cfg_keywords.ts";
import { exactArgs, time } from "./_cfg_values.ts";
import type { ProcessConfig, ServerStateSource } from "./process_types.ts";

/** The one argument of a keyword taking one word. */
function oneWord(c: Ctx, args: readonly string[], usage: string): string {
  exactArgs(c, args, 1, 1, usage);
  return args[0]!;
}

/** Global keywords of the process settings. */
export const OPS_GLOBAL_KEYWORDS: Readonly<Record<string, Handler>> = {
  "hard-stop-after": (c, args) => {
    exactArgs(c, args, 1, 1, "a time");
    c.global.hardStopAfterMs = time(c, "", args[0], 0);
  },
  "server-state-file": (c, args) => void (c.global.serverStateFile = oneWord(c, args, "a file name")),
  "server-state-base": (c, args) => void (c.global.serverStateBase = oneWord(c, args, "a directory")),
};

/** Proxy keywords of the server-state file. */
export const OPS_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "load-server-state-from-file": {
    cap: "be",
    inDefaults: true,
    parse: (c: Ctx, args) => {
      const v = args[0];
      if (args.length !== 1 || (v !== "global" && v !== "local" && v !== "none")) {
        c.fail("expects 'global', 'local' or 'none'");
      }
      c.s.loadServerState = v as "global" | "local" | "none";
    },
  },
  "server-state-file-name": {
    cap: "be",
    inDefaults: true,
    parse: (c: Ctx, args) => {
      exactArgs(c, args, 0, 1, "at most a file name ('use-backend-name' is the default)");
      c.s.serverStateFileName = args[0] === "use-backend-name" ? undefined : args[0];
    },
  },
};

/** A path under `server-state-base` unless it is absolute (configuration.txt 3.1). */
function underBase(base: string | undefined, file: string): string {
  if (base === undefined || file.startsWith("/")) return file;
  return `${base.replace(/\/+$/, "")}/${file}`;
}

/**
 * The process settings the `global` section and the backends set; `fail` refuses a backend
 * that loads the global file when there is none.
 */
export function buildProcess(
  global: GlobalSettings,
  backends: readonly Section[],
  fail: (line: number, msg: string) => never,
): ProcessConfig | undefined {
  const file = global.serverStateFile === undefined
    ? undefined
    : underBase(global.serverStateBase, global.serverStateFile);
  const serverStates: ServerStateSource[] = [];
  for (const sec of backends) {
    const how = sec.s.loadServerState;
    if (how === undefined || how === "none") continue;
    if (how === "global") {
      if (file === undefined) {
        fail(
          sec.line,
          `${sec.kind} '${sec.name}': 'load-server-state-from-file global' needs 'server-state-file' in 'global'`,
        );
      }
      serverStates.push({ backend: sec.name, file: file! });
    } else {
      serverStates.push({
        backend: sec.name,
        file: underBase(global.serverStateBase, sec.s.serverStateFileName ?? sec.name),
      });
    }
  }
  const p: { -readonly [K in keyof ProcessConfig]: ProcessConfig[K] } = {};
  if (global.hardStopAfterMs !== undefined) p.hardStopAfterMs = global.hardStopAfterMs;
  if (global.nbthread !== undefined) p.nbthread = global.nbthread;
  if (file !== undefined) p.serverStateFile = file;
  if (serverStates.length > 0) p.serverStates = serverStates;
  return Object.keys(p).length === 0 ? undefined : p;
}
