/**
 * HAProxy's runtime API (management.txt 9.3), platform-free: a session reads command lines and
 * answers them as HAProxy 2.6 does, byte for byte where the reply is HAProxy's. Commands are
 * separated by `;`; each command's output is followed by one `\n`; without `prompt` one line
 * is answered and the connection ends (the stats socket listener, `src/stats_socket.ts`, does
 * the I/O). A command above the session's level answers `Permission denied`; a typo or an
 * unknown object answers HAProxy's error line and changes nothing.
 *
 * @module
 */
import type { ProxyServer } from "./proxy.ts";
import { isProxyError } from "./errors.ts";
import { showStat } from "./stats/csv.ts";
import { showInfo } from "./stats/info.ts";
import { formatServersState } from "./server_state.ts";
import { showSess } from "./_show_sess.ts";
import { formatResolvers } from "./dns/show.ts";
import { addServerCommand } from "./_runtime_add_server.ts";
import { abortSslCert, commitSslCert, setSslCert } from "./_runtime_ssl_cert.ts";

/**
 * What a stats socket allows (configuration.txt 5.1 `level`): `user` reads non-sensitive
 * stats, `operator` (the default) reads everything, `admin` changes everything.
 */
export type RuntimeApiLevel = "user" | "operator" | "admin";

const RANK: Readonly<Record<RuntimeApiLevel, number>> = { user: 0, operator: 1, admin: 2 };

/** What a command handler gets: its words (after the keywords), its payload, the session, the proxy. */
interface Call {
  readonly args: readonly string[];
  /** The lines after `<<` up to an empty line (`set ssl cert`), for the line's last command. */
  readonly payload: string | undefined;
  readonly session: RuntimeApiSession;
  readonly proxy: ProxyServer;
}

/** One command: its keywords, the least level it needs, its `help` line, its handler. */
interface Command {
  readonly words: readonly string[];
  readonly level: RuntimeApiLevel;
  readonly help: string;
  readonly run: (c: Call) => string;
}

/** The first words of the commands that may change the proxy (see {@link RuntimeApiSession}'s `onChange`). */
const CHANGES: ReadonlySet<string> = new Set(["set", "add", "del", "enable", "disable", "shutdown", "commit", "abort"]);

/** Messages HAProxy prints without a final `\n` (`cli_err()` callers), so no blank line follows. */
const NO_NEWLINE = new Set([
  "Empty weight string empty or preceded by garbage",
  "Trailing garbage in weight string",
  "maxconn string empty or preceded by garbage",
]);

/** Commands whose every error has no final `\n` (`add server`'s lookup errors, all of `del server`'s). */
const BARE_ERRORS = new Set([
  "No such backend.",
  "No such server.",
  "Backend must use a dynamic load balancing to support dynamic servers.",
  "Only servers in maintenance mode can be deleted.",
  "Server still has connections attached to it, cannot remove it.",
  "Require 'backend/server'.",
]);

/** The reply of a failed operation: HAProxy's message, with its newline or not. */
function failed(e: unknown, bare = false): string {
  if (!isProxyError(e)) throw e;
  return e.message + (NO_NEWLINE.has(e.message) || (bare && BARE_ERRORS.has(e.message)) ? "" : "\n");
}

/** `B/S` split, or HAProxy's complaint. */
function target(arg: string | undefined): [string, string] | string {
  const slash = arg?.indexOf("/") ?? -1;
  if (arg === undefined || slash < 0) return "Require 'backend/server'.\n";
  return [arg.slice(0, slash), arg.slice(slash + 1)];
}

/** Runs `op` on the server named by `arg` (`B/S`), answering HAProxy's errors. */
function onServer(arg: string | undefined, op: (be: string, srv: string) => string | void, bare = false): string {
  const t = target(arg);
  if (typeof t === "string") return bare ? t.trimEnd() : t;
  try {
    return op(t[0], t[1]) ?? "";
  } catch (e) {
    return failed(e, bare);
  }
}

const SET_SERVER_USAGE =
  "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n";

/** `set server B/S state|weight|addr ...` (HAProxy's `cli_parse_set_server()`). */
function setServer({ args, proxy }: Call): string {
  const [bs, what, v, portWord, port] = args;
  const admin = proxy.admin;
  return onServer(bs, (be, srv) => {
    // The objects are looked up before the sub-command is read, as HAProxy does.
    admin.getServerWeight(be, srv);
    switch (what) {
      case "state":
        if (v !== "ready" && v !== "drain" && v !== "maint") {
          return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
        }
        return admin.setServerState(be, srv, v);
      case "weight":
        return admin.setServerWeight(be, srv, v ?? "");
      case "addr": {
        if (v === undefined) return "set server <b>/<s> addr requires an address and optionally a port.\n";
        if (portWord === "port" && port !== undefined && !/^\d+$/.test(port)) {
          const same = admin.setServerAddress(be, srv, v).replace(/ by '.*$/, "");
          return `${same}, problem converting port '${port}' to an int by 'stats socket command'\n`;
        }
        return admin.setServerAddress(be, srv, v, portWord === "port" ? Number(port) : undefined) + "\n";
      }
      default:
        return SET_SERVER_USAGE;
    }
  });
}

/** `show servers state [B]`: every backend's, or one backend's (`Can't find backend.`). */
function showServersState({ args, proxy }: Call): string {
  try {
    return formatServersState(proxy, args[0]).slice(0, -1);
  } catch (e) {
    return failed(e); // an unknown backend: HAProxy's "Can't find backend."
  }
}

/** The commands, in HAProxy's `help` order; `help`, `prompt` and `quit` close the list. */
const COMMANDS: readonly Command[] = [
  {
    words: ["abort", "ssl", "cert"],
    level: "admin",
    help: "abort ssl cert <certfile>               : abort a transaction for a certificate file",
    run: ({ args, proxy }) => abortSslCert(proxy, args[0]),
  },
  {
    words: ["add", "server"],
    level: "admin",
    help: "add server <bk>/<srv>                   : create a new server",
    run: ({ args, proxy }) => addServerCommand(proxy.admin, args),
  },
  {
    words: ["commit", "ssl", "cert"],
    level: "admin",
    help: "commit ssl cert <certfile>              : commit a certificate file",
    run: ({ args, proxy }) => commitSslCert(proxy, args[0]),
  },
  {
    words: ["del", "server"],
    level: "admin",
    help: "del server <bk>/<srv>                   : remove a dynamically added server",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => (proxy.admin.deleteServer(b, s), "Server deleted."), true),
  },
  {
    words: ["disable", "health"],
    level: "admin",
    help: "disable health                          : disable health checks",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => proxy.admin.disableHealth(b, s)),
  },
  {
    words: ["disable", "server"],
    level: "admin",
    help: "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => proxy.admin.disableServer(b, s)),
  },
  {
    words: ["enable", "health"],
    level: "admin",
    help: "enable health                           : enable health checks",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => proxy.admin.enableHealth(b, s)),
  },
  {
    words: ["enable", "server"],
    level: "admin",
    help: "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => proxy.admin.enableServer(b, s)),
  },
  {
    words: ["get", "weight"],
    level: "user",
    help: "get weight <bk>/<srv>                   : report a server's current weight",
    run: ({ args, proxy }) =>
      onServer(args[0], (b, s) => {
        const w = proxy.admin.getServerWeight(b, s);
        return `${w.current} (initial ${w.initial})\n`;
      }),
  },
  {
    words: ["operator"],
    level: "user",
    help: "operator                                : lower the level of the current CLI session to operator",
    run: ({ session }) => (session.lower("operator"), ""),
  },
  {
    words: ["set", "maxconn", "server"],
    level: "admin",
    help: "set maxconn server <bk>/<srv>           : change a server's maxconn setting",
    run: ({ args, proxy }) =>
      onServer(args[0], (b, s) => {
        const v = args[1];
        proxy.admin.getServerWeight(b, s);
        if (v === undefined) return "Require <maxconn>.\n";
        const m = /^[+-]?\d+/.exec(v);
        if (m === null) return "maxconn string empty or preceded by garbage";
        if (m[0] !== v) return "Trailing garbage in maxconn string";
        proxy.admin.setServerMaxconn(b, s, Math.max(0, Number(v)));
      }),
  },
  {
    words: ["set", "server"],
    level: "admin",
    help: "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
    run: setServer,
  },
  {
    words: ["set", "ssl", "cert"],
    level: "admin",
    help: "set ssl cert <certfile> <payload>       : replace a certificate file",
    run: ({ args, payload, proxy }) => setSslCert(proxy, args[0], payload),
  },
  {
    words: ["set", "weight"],
    level: "admin",
    help: "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => proxy.admin.setServerWeight(b, s, args[1] ?? "")),
  },
  {
    words: ["show", "cli", "level"],
    level: "user",
    help: "show cli level                          : display the level of the current CLI session",
    run: ({ session }) => `${session.level}\n`,
  },
  {
    words: ["show", "info"],
    level: "user",
    help: "show info [desc|json|typed|float]*      : report information about the running process",
    run: ({ proxy }) => showInfo(proxy).replace(/\n$/, ""),
  },
  {
    words: ["show", "resolvers"],
    level: "user",
    help:
      "show resolvers [id]                     : dumps counters from all resolvers section and associated name servers",
    run: ({ args, proxy }) => {
      try {
        return formatResolvers(proxy.admin.resolvers(args[0]));
      } catch (e) {
        return failed(e); // "Can't find that resolvers section"
      }
    },
  },
  {
    words: ["show", "servers", "state"],
    level: "user",
    help: "show servers state [<backend>]          : dump volatile server information (all or for a single backend)",
    run: showServersState,
  },
  {
    words: ["show", "sess"],
    level: "operator",
    help: "show sess [id]                          : report the list of current sessions or dump this exact session",
    run: ({ args, proxy }) => showSess(proxy, args[0]),
  },
  {
    words: ["show", "stat"],
    level: "user",
    help: "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server",
    run: ({ proxy }) => showStat(proxy).replace(/\n$/, ""),
  },
  {
    words: ["shutdown", "sessions", "server"],
    level: "admin",
    help: "shutdown sessions server <bk>/<srv>     : kill sessions on a server",
    run: ({ args, proxy }) => onServer(args[0], (b, s) => void proxy.admin.shutdownSessions(b, s)),
  },
  {
    words: ["user"],
    level: "user",
    help: "user                                    : lower the level of the current CLI session to user",
    run: ({ session }) => (session.lower("user"), ""),
  },
  {
    words: ["help"],
    level: "user",
    help: "help [<command>]                        : list matching or all commands",
    run: () => usage("The following commands are valid at this level:", COMMANDS),
  },
  {
    words: ["prompt"],
    level: "user",
    help: "prompt                                  : toggle interactive mode with prompt",
    run: ({ session }) => (session.interactive = !session.interactive, ""),
  },
  {
    words: ["quit"],
    level: "user",
    help: "quit                                    : disconnect",
    run: ({ session }) => (session.closed = true, ""),
  },
];

/** HAProxy's usage text: a title, then `  <help line>` per command. */
function usage(title: string, commands: readonly Command[]): string {
  return `${title}\n${commands.map((c) => `  ${c.help}\n`).join("")}`;
}

/** The last three commands, which HAProxy lists under every suggestion. */
const ALWAYS = COMMANDS.slice(-3);

/**
 * An unknown command: HAProxy suggests the commands closest to what was typed (sharing a
 * keyword, or within a small edit distance of one), then `help`, `prompt` and `quit`; an empty
 * command gets the whole list.
 */
function unknown(words: readonly string[]): string {
  if (words.length === 0) return usage("Unknown command. Please enter one of the following commands only:", COMMANDS);
  const score = (c: Command): number =>
    c.words.reduce((n, w, i) => n + (words[i] === undefined ? 0 : Math.max(0, 3 - distance(w, words[i]!))), 0);
  const best = COMMANDS.slice(0, -3).map((c) => ({ c, s: score(c) })).filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s).slice(0, 5).map((x) => x.c);
  return usage("Unknown command, but maybe one of the following ones is a better match:", [...best, ...ALWAYS]);
}

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Splits a line into commands at `;` and each command into words at spaces and tabs, as
 * HAProxy's CLI does; a backslash escapes the next character (`\;`, `\ `).
 */
export function splitCommands(line: string): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (ch === " " || ch === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === ";") {
      if (word !== undefined) words.push(word);
      out.push(words);
      words = [];
      word = undefined;
    } else word = (word ?? "") + ch;
  }
  if (word !== undefined) words.push(word);
  out.push(words);
  return out;
}

/**
 * One runtime API session (one connection to a stats socket): its level, which `user` and
 * `operator` lower, and whether it is interactive (`prompt`).
 *
 * @example Asking a proxy for a server's weight, then changing it
 * ```ts
 * import { ProxyServer, RuntimeApiSession } from "@proxykit/proxykit";
 * import { MemoryNetwork } from "@proxykit/proxykit/testing";
 *
 * const proxy = new ProxyServer({
 *   frontends: [],
 *   backends: [{
 *     name: "be",
 *     balance: { kind: "roundrobin" },
 *     servers: [{ name: "s1", address: { transport: "tcp", hostname: "10.0.0.1", port: 80 } }],
 *   }],
 * }, { network: new MemoryNetwork() });
 * const cli = new RuntimeApiSession(proxy, "admin");
 * cli.execute("set server be/s1 weight 50; get weight be/s1"); // "\n50 (initial 1)\n\n"
 * ```
 */
export class RuntimeApiSession {
  /** The session's level now. */
  level: RuntimeApiLevel;
  /** `prompt` mode: each answer is followed by `> ` and the connection stays open. */
  interactive = false;
  /** `quit` was read: the connection ends. */
  closed = false;
  readonly #proxy: ProxyServer;
  readonly #onChange: ((command: string, payload?: string) => void) | undefined;
  readonly #showSess: ((arg: string | undefined) => Promise<string>) | undefined;

  /**
   * A session on `proxy` at `level` (the stats socket's). `onChange` is told each command
   * that may change the proxy (`set`, `add`, `del`, `enable`, `disable`, `shutdown`,
   * `commit`, `abort`) once it ran and was allowed at the session's level, with its words
   * and payload: what the command line's worker 1 forwards to the other workers, which run it
   * on their own proxies. `showSess` answers `show sess` in {@link executeAsync} (the command
   * line's worker 1 lists every worker's streams); {@link execute} never uses it.
   */
  constructor(
    proxy: ProxyServer,
    level: RuntimeApiLevel,
    onChange?: (command: string, payload?: string) => void,
    showSess?: (arg: string | undefined) => Promise<string>,
  ) {
    this.#proxy = proxy;
    this.level = level;
    this.#onChange = onChange;
    this.#showSess = showSess;
  }

  /** `user` / `operator`: lowers the level (never raises it). */
  lower(level: RuntimeApiLevel): void {
    if (RANK[level] < RANK[this.level]) this.level = level;
  }

  /**
   * Runs one line (commands separated by `;`) and returns the answer: each command's output
   * followed by `\n`. `quit` answers nothing, and the commands after it are not run.
   * `payload` (the lines a `<<` at the end of the line announced, management.txt 9.3) goes to
   * the last command.
   */
  execute(line: string, payload?: string): string {
    return this.#execute(splitCommands(line), payload, new Map());
  }

  /**
   * {@link execute}, with `show sess` answered by the constructor's `showSess` when one was
   * given (asked before the line runs; a `show sess` the session's level refuses is still
   * refused).
   */
  async executeAsync(line: string, payload?: string): Promise<string> {
    const commands = splitCommands(line);
    const answers = new Map<number, string>();
    for (const [i, words] of commands.entries()) {
      if (this.#showSess !== undefined && words[0] === "show" && words[1] === "sess") {
        answers.set(i, await this.#showSess(words[2]));
      }
    }
    return this.#execute(commands, payload, answers);
  }

  /** Runs `commands`; `answers`: the replies of some of them (by index), already known. */
  #execute(commands: string[][], payload: string | undefined, answers: ReadonlyMap<number, string>): string {
    let out = "";
    for (const [i, words] of commands.entries()) {
      if (this.closed) break;
      out += this.#run(words, i === commands.length - 1 ? payload : undefined, answers.get(i));
      // `quit` answers nothing at all, not even the end-of-command newline.
      if (!this.closed) out += "\n";
    }
    return out;
  }

  #run(words: readonly string[], payload: string | undefined, answer: string | undefined): string {
    const cmd = COMMANDS.find((c) => c.words.every((w, i) => words[i] === w));
    if (cmd === undefined) return unknown(words);
    if (RANK[this.level] < RANK[cmd.level]) return "Permission denied\n";
    const out = answer ?? cmd.run({ args: words.slice(cmd.words.length), payload, session: this, proxy: this.#proxy });
    if (this.#onChange !== undefined && CHANGES.has(cmd.words[0]!)) this.#onChange(words.join(" "), payload);
    return out;
  }
}
