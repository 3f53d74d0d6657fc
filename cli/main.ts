/**
 * The `proxykit` command line: loads the configuration (files, flags or the demo), checks it
 * (`-c`), runs the proxy, stops it gracefully on SIGTERM/SIGINT/SIGUSR1 and reloads it on SIGUSR2.
 *
 * @module
 */
import process from "node:process";
import { formatAddress } from "../src/address.ts";
import { isProxyError } from "../src/errors.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { DEFAULT_HARD_STOP_AFTER_MS } from "../src/config/process_types.ts";
import { type AdminCommandOrigin, type LogTarget, ProxyServer } from "../src/proxy.ts";
import type { ServerStateEvent } from "../src/log.ts";
import type { ServerState } from "../src/server.ts";
import { reloadProxy } from "../src/reload.ts";
import type { Network } from "../src/net.ts";
import { EXIT, fail, type Flags, intFlag, parseFlags, USAGE } from "./flags.ts";
import { parseConfigTexts, readConfigFiles } from "./config_files.ts";
import { configFromFlags, demoBackend } from "./demo.ts";
import { loadServerState, saveServerState } from "./state_file.ts";
import { receiveControl, runWorkers, sendControl, workerCount, workerIndex } from "./workers.ts";
import { SessQuery } from "./sess_query.ts";
import { formatSess, sessRows } from "../src/_show_sess.ts";
import { setServerState } from "../src/server_state.ts";
import { RuntimeApiSession } from "../src/runtime_api.ts";
import { StatsPeers, statsSnapshot } from "../src/stats/peers.ts";
import { VERSION } from "../src/version.ts";

/** The adapter of the runtime running the command line (the core never detects it). */
async function runtimeNetwork(): Promise<Network> {
  if ("Deno" in globalThis) return (await import("../adapters/deno.ts")).network;
  if ("Bun" in globalThis) return (await import("../adapters/bun.ts")).network;
  return (await import("../adapters/node.ts")).network;
}

const message = (e: unknown): string => (isProxyError(e) || e instanceof Error ? e.message : String(e));

/** The name `--stats-socket`'s configuration line is read under. */
const STATS_SOCKET = "--stats-socket";

/**
 * How the configuration is (re)loaded: `-f` files are read again at each reload; flags and
 * the demo give the same configuration each time.
 * @throws {ProxyError} for a file that cannot be read or a configuration that is invalid.
 */
type Loader = (onWarning: (m: string) => void) => ProxyConfig;

/**
 * `--stats-socket ADDR` as the `global` line it stands for, read by the configuration parser
 * like any other (the runtime API's `stats socket`).
 */
function statsSocketText(v: Flags): { name: string; text: string }[] {
  const addr = v["stats-socket"];
  return addr === undefined ? [] : [{ name: STATS_SOCKET, text: `global\n    stats socket ${addr} level admin\n` }];
}

function loader(v: Flags, demoServers: string[] | undefined): Loader {
  const lenient = v.lenient ?? false;
  const extra = statsSocketText(v);
  const withLogs = (c: ProxyConfig): ProxyConfig => (v.log ? logEverything(c) : c);
  if (v.config !== undefined) {
    return (onWarning) => withLogs(parseConfigTexts([...readConfigFiles(v.config!), ...extra], { lenient, onWarning }));
  }
  const flags = demoServers === undefined
    ? configFromFlags(v)
    : configFromFlags({ listen: "127.0.0.1:8080", server: demoServers, log: true });
  return (onWarning) => {
    if (extra.length === 0) return flags;
    const socket = parseHaproxyConfig(extra[0]!.text, STATS_SOCKET, {
      onWarning: (m) => {
        if (!m.includes("nothing listens")) onWarning(m);
      },
    });
    return { ...socket, ...flags };
  };
}

/** `-d`: every frontend without a log target logs on stdout, in its mode's format. */
function logEverything(c: ProxyConfig): ProxyConfig {
  return {
    ...c,
    frontends: c.frontends.map((f) =>
      f.log !== undefined ? f : { ...f, log: { target: "stdout", format: f.mode === "http" ? "httplog" : "tcplog" } }
    ),
  };
}

/** `haproxy -c`: `Configuration file is valid`, or the alerts and exit 1. */
function check(load: Loader, net: Network): never {
  const pid = process.pid;
  try {
    const config = load((m) => console.error(`[WARNING]  (${pid}) : config : ${m}`));
    new ProxyServer(config, { network: net });
  } catch (e) {
    console.error(`[ALERT]    (${pid}) : config : ${message(e)}`);
    console.error(`[ALERT]    (${pid}) : config : Fatal errors found in configuration.`);
    process.exit(EXIT.start);
  }
  console.log("Configuration file is valid");
  process.exit(EXIT.ok);
}

/** Runs the command line with `argv` (the arguments after the script). */
export async function runCli(argv: string[]): Promise<void> {
  const v = parseFlags(argv);
  if (v.help) return console.log(USAGE);
  if (v.version) return console.log(`proxykit ${VERSION}`);
  const net = await runtimeNetwork();
  const demo = argv.length === 0;
  if (v.c && v.config === undefined) fail("-c needs the configuration to check: -f FILE");
  if (v.config === undefined && !demo && v.listen === undefined && v.server === undefined) {
    fail(`nothing to run: give -f FILE, or --listen and --server\n${USAGE}`);
  }
  const demoServers = demo ? [await demoBackend(net, "backend-1"), await demoBackend(net, "backend-2")] : undefined;
  const load = loader(v, demoServers);
  if (v.c) check(load, net);
  const say = (line: string) => console.error(`proxykit: ${line}`);
  let config: ProxyConfig;
  try {
    config = load((m) => say(`warning: ${m}`));
  } catch (e) {
    fail(message(e));
  }
  const workers = intFlag("workers", v.workers, 1) ?? config.process?.nbthread ?? 1;
  if (workers > 1 && workerIndex() === undefined) {
    const zero = config.frontends.flatMap((f) => f.binds).map((b) => ("address" in b ? b.address : b))
      .find((a) => a.transport === "tcp" && a.port === 0);
    if (zero !== undefined) {
      fail("--workers: every bind needs a fixed port (with port 0 each worker would get its own)");
    }
    return runWorkers(workers, say);
  }
  await runProxy(config, load, v, net, say, demo);
}

/** Runs one proxy until a signal stops it; SIGUSR2 reloads it. */
async function runProxy(
  first: ProxyConfig,
  load: Loader,
  v: Flags,
  net: Network,
  say: (line: string) => void,
  demo: boolean,
): Promise<void> {
  const flagGrace = intFlag("hard-stop-after", v["hard-stop-after"], 0);
  const graceOf = (c: ProxyConfig) => flagGrace ?? c.process?.hardStopAfterMs ?? DEFAULT_HARD_STOP_AFTER_MS;
  const worker = workerIndex();
  // A worker applying another's server state change does not log it again.
  let quiet = false;
  const log = (line: string, target: LogTarget) => {
    if (!quiet) target === "stderr" ? console.error(line) : console.log(line);
  };
  /** A state change worker 1's checks made, for the other workers. */
  const forwardCheck = (e: ServerStateEvent) => {
    if (e.admin !== undefined) return;
    sendControl({ type: "state", backend: e.backend, server: e.server, state: e.to as ServerState, reason: e.reason });
  };
  /** Worker 1's `show sess` questions to the other workers. */
  const sessQuery = worker === 1
    ? new SessQuery(workerCount() ?? 1, (id) => sendControl({ type: "sess-query", id, worker }))
    : undefined;
  /** The other workers' counters, merged into this one's stats. */
  const statsPeers = worker === undefined ? undefined : new StatsPeers();
  const options = {
    network: net,
    log,
    ...(statsPeers === undefined ? {} : { statsPeers }),
    ...(worker === undefined ? {} : { reusePort: true, healthChecks: worker === 1 }),
    ...(worker === undefined ? {} : {
      hooks: {
        // Worker 1 runs the checks: the changes they make reach the others. A change a runtime
        // API command made reaches them as that command (onAdminCommand).
        ...(worker === 1 ? { onServerStateChange: forwardCheck } : {}),
        // Worker 1's runtime API commands, and the stats page admin form of any worker (each
        // serves the page), reach the other workers as the command, naming where it ran.
        onAdminCommand: (command: string, payload?: string, origin?: AdminCommandOrigin) =>
          sendControl({
            type: "command",
            command,
            ...(payload === undefined ? {} : { payload }),
            worker,
            ...(origin === undefined ? {} : { origin }),
          }),
      },
    }),
    // Worker 1's `show sess` lists every worker's streams (cli/sess_query.ts).
    ...(worker === 1
      ? {
        showSess: async (arg: string | undefined) =>
          formatSess(await sessQuery!.rows(sessRows(proxy, worker)), arg, Date.now()),
      }
      : {}),
  };
  // The runtime API listens in worker 1 only (the one running the health checks): the commands
  // that change something are forwarded to the other workers (onAdminCommand above), and its
  // `show sess` asks them for their streams (showSess above).
  const own = (c: ProxyConfig): ProxyConfig => (worker !== undefined && worker > 1 ? { ...c, statsSockets: [] } : c);
  let config = own(first);
  let proxy: ProxyServer;
  try {
    proxy = new ProxyServer(config, options);
  } catch (e) {
    fail(message(e));
  }
  loadServerState(proxy, config, (m) => console.log(m));
  if (worker !== undefined) {
    // Each worker's counters reach the others every second (unref: never keeps a stopped worker up).
    const timer = setInterval(() => sendControl({ type: "stats", worker, snapshot: statsSnapshot(proxy) }), 1000);
    (timer as { unref?: () => void }).unref?.();
    const commands = () => new RuntimeApiSession(proxy, "admin");
    let session = commands();
    let sessionOf = proxy;
    receiveControl((m) => {
      if (m.type === "stats") return statsPeers!.set(m.worker, m.snapshot);
      if (m.type === "sess-reply") return sessQuery?.answer(m);
      if (m.type === "sess-query") {
        return sendControl({ type: "sess-reply", id: m.id, worker, to: m.worker, rows: sessRows(proxy, worker) });
      }
      quiet = true;
      if (m.type === "state") {
        const known = setServerState(proxy, m.backend, m.server, m.state, m.reason);
        quiet = false;
        if (known) say(`worker ${worker}: server ${m.backend}/${m.server} is ${m.state} (checked by worker 1)`);
        return;
      }
      // One session per proxy: `set ssl cert` then `commit ssl cert` share its transaction.
      if (sessionOf !== proxy) [session, sessionOf] = [commands(), proxy];
      const reply = session.execute(m.command, m.payload).trim();
      quiet = false;
      const from = `worker ${m.worker ?? 1}'s ${m.origin === "stats-page" ? "stats page" : "runtime API"}`;
      say(`worker ${worker}: ran '${m.command}' from ${from}${reply === "" ? "" : `: ${reply}`}`);
    });
  }

  // Handlers first: a supervisor may signal as soon as it reads "listening on".
  let stopping = false;
  /** Proxies replaced by a reload, still draining: a stop ends them too. */
  const former = new Set<ProxyServer>();
  let reloading: Promise<void> | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received, stopping`);
    await reloading;
    const grace = graceOf(config);
    if ((worker ?? 1) === 1) saveServerState(proxy, config, say);
    // Streams in progress finish for up to hard-stop-after; the rest are killed (logged with K)
    // and stop() resolves once every log line is out. The guard only covers an adapter that
    // never reports a close: the exit must not hang.
    const hard = setTimeout(() => say("soft-stop running for too long, performing a hard-stop."), grace);
    const guard = setTimeout(() => {
      say(`streams still open ${grace + 5_000} ms after ${signal}; exiting`);
      process.exit(EXIT.start);
    }, grace + 5_000);
    await Promise.all([proxy, ...former].map((p) => p.stop({ graceMs: grace })));
    clearTimeout(hard);
    clearTimeout(guard);
    process.exit(EXIT.ok);
  };
  const reload = async () => {
    say("SIGUSR2 received, reloading");
    try {
      const next = own(load((m) => say(`warning: ${m}`)));
      if ((worker ?? 1) === 1) saveServerState(proxy, config, say);
      const old = proxy;
      const r = await reloadProxy(old, next, {
        ...options,
        graceMs: graceOf(config),
        prepare: (p) => loadServerState(p, next, (m) => console.log(m)),
      });
      proxy = r.proxy;
      config = next;
      say("Loading success.");
      for (const a of proxy.addresses) console.log(`listening on ${formatAddress(a)}`);
      former.add(old);
      void r.drained.then(() => {
        former.delete(old);
        say("former proxy stopped");
      });
    } catch (e) {
      say(`reload failed, the running configuration stays: ${message(e)}`);
      say("Loading failure!");
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // HAProxy's soft stop.
  if (process.platform !== "win32") process.on("SIGUSR1", () => void stop("SIGUSR1"));
  if (process.platform !== "win32") {
    process.on("SIGUSR2", () => {
      if (stopping) return;
      reloading = (reloading ?? Promise.resolve()).then(reload);
    });
  }
  try {
    await proxy.start();
  } catch (e) {
    fail(message(e), EXIT.start);
  }
  for (const a of proxy.addresses) console.log(`listening on ${formatAddress(a)}`);
  if (demo) {
    console.log("demo: two HTTP backends behind a round-robin proxy. Try:");
    console.log("  curl -s http://127.0.0.1:8080/   # twice: backend-1, then backend-2");
  }
}
