/**
 * proxykit's command line: a TCP proxy / load balancer that runs unchanged on
 * `deno run -A examples/proxy.ts`, `bun run examples/proxy.ts` and `node examples/proxy.ts`.
 *
 * With no argument it starts a demo (two HTTP backends on loopback and a round-robin proxy on
 * 127.0.0.1:8080). With `--config FILE` it runs a haproxy.cfg; otherwise flags describe one
 * frontend and one backend. Exit codes: 0 after SIGINT/SIGTERM, 1 when the proxy cannot
 * start (port in use, ...), 2 for bad flags or a bad configuration.
 */
import process from "node:process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatAddress, isProxyError, parseAddress, type ProxyConfig, ProxyServer } from "../mod.ts";
import type { Network, Socket } from "../src/net.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";

const USAGE = `usage: proxy [options]
  (no option)              demo: two HTTP backends and a proxy on 127.0.0.1:8080
  --config FILE            run a haproxy.cfg (frontend/backend/listen sections)
  --lenient                with --config: warn about unsupported keywords instead of failing
  --listen HOST:PORT       address to accept on (port 0 = any free port)
  --server HOST:PORT       a backend server (repeat for more)
  --mode tcp|http          proxy mode (default tcp; http: HTTP/1.1 with keep-alive and reuse)
  --balance ALGO           roundrobin (default here), static-rr, leastconn, first, source, random
  --retries N              connect retries on the same server (default 3)
  --timeout-connect MS     connect timeout per attempt (default: none)
  --log                    print one HAProxy TCP log line per connection
  --help                   this text`;

/** The adapter of the runtime running this file (examples may detect it; the core never does). */
async function runtimeNetwork(): Promise<Network> {
  if ("Deno" in globalThis) return (await import("../adapters/deno.ts")).network;
  if ("Bun" in globalThis) return (await import("../adapters/bun.ts")).network;
  return (await import("../adapters/node.ts")).network;
}

function fail(message: string, code = 2): never {
  console.error(`proxy: ${message}`);
  process.exit(code);
}

function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name}: expected an integer >= ${min}, got '${value}'`);
  return Number(value);
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        lenient: { type: "boolean" },
        listen: { type: "string" },
        server: { type: "string", multiple: true },
        mode: { type: "string" },
        balance: { type: "string" },
        retries: { type: "string" },
        "timeout-connect": { type: "string" },
        log: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}

/** How long stopping may take before the process exits anyway (a killed stream ends in ms). */
const STOP_GUARD_MS = 10_000;

const BALANCE = new Set(["roundrobin", "static-rr", "leastconn", "first", "source", "random"]);

/** Builds the configuration from flags (no --config). */
function configFromFlags(v: ReturnType<typeof parseFlags>): ProxyConfig {
  const mode = v.mode ?? "tcp";
  if (mode !== "tcp" && mode !== "http") fail(`--mode: expected 'tcp' or 'http', got '${v.mode}'`);
  if (v.listen === undefined) fail("--listen HOST:PORT is required with --server");
  if (v.server === undefined || v.server.length === 0) {
    fail("--server HOST:PORT is required (repeat it for more servers)");
  }
  const addr = (flag: string, text: string, allowPortZero: boolean) => {
    try {
      return parseAddress(text, { allowPortZero });
    } catch (e) {
      fail(`--${flag}: ${(e as Error).message}`);
    }
  };
  const balance = v.balance ?? "roundrobin";
  if (!BALANCE.has(balance)) fail(`--balance: unknown algorithm '${balance}'`);
  const retries = intFlag("retries", v.retries, 0);
  const connectMs = intFlag("timeout-connect", v["timeout-connect"], 1);
  return {
    frontends: [{
      name: "main",
      mode,
      binds: [addr("listen", v.listen, true)],
      defaultBackend: "servers",
      ...(v.log ? { log: { target: "stdout", format: mode === "http" ? "httplog" : "tcplog" } } : {}),
    }],
    backends: [{
      name: "servers",
      mode,
      balance: balance === "random"
        ? { kind: "random", draws: 2 }
        : { kind: balance } as ProxyConfig["backends"][number]["balance"] & object,
      servers: v.server.map((s, i) => ({ name: `s${i + 1}`, address: addr("server", s, false) })),
      ...(retries !== undefined ? { retries } : {}),
      ...(connectMs !== undefined ? { timeouts: { connectMs } } : {}),
    }],
  };
}

/** Starts one tiny HTTP/1.1 server answering "served by NAME" (the demo's backends). */
async function demoBackend(net: Network, name: string): Promise<string> {
  const body = `served by ${name}\n`;
  const reply = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
  const l = await net.listen({
    address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    onAccept(s: Socket) {
      let seen = "";
      s.setHandlers({
        onData(chunk) {
          seen += new TextDecoder().decode(chunk);
          if (seen.includes("\r\n\r\n")) {
            s.write(reply);
            s.close();
          }
        },
        onEnd() {
          s.close();
        },
        onDrain() {},
        onClose() {},
      });
    },
  });
  return formatAddress(l.address);
}

async function main(): Promise<void> {
  const v = parseFlags(process.argv.slice(2));
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const net = await runtimeNetwork();
  let config: ProxyConfig;
  const demo = process.argv.length <= 2;
  if (demo) {
    const servers = [await demoBackend(net, "backend-1"), await demoBackend(net, "backend-2")];
    config = configFromFlags({ listen: "127.0.0.1:8080", server: servers, log: true });
  } else if (v.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(v.config, "utf8");
    } catch (e) {
      fail(`--config: cannot read '${v.config}': ${(e as Error).message}`);
    }
    try {
      config = parseHaproxyConfig(text, v.config, {
        lenient: v.lenient ?? false,
        onWarning: (m) => console.error(`proxy: warning: ${m}`),
        readFile: (path) => readFileSync(path),
        readDir: (path) => (statSync(path).isDirectory() ? readdirSync(path) : undefined),
      });
    } catch (e) {
      fail(isProxyError(e) ? e.message : String(e));
    }
  } else {
    config = configFromFlags(v);
  }

  let proxy: ProxyServer;
  try {
    proxy = new ProxyServer(config, {
      network: net,
      log: (line, target) => (target === "stderr" ? console.error(line) : console.log(line)),
    });
  } catch (e) {
    fail(isProxyError(e) ? e.message : String(e));
  }
  // Handlers first: a supervisor may signal as soon as it reads "listening on".
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`proxy: ${signal} received, stopping`);
    // Streams in progress are killed (logged with K); stop() resolves once every one has
    // ended and its log line is out. The timer only guards against an adapter that never
    // reports a close: the exit must not hang.
    const guard = setTimeout(() => {
      console.error(`proxy: streams still open ${STOP_GUARD_MS} ms after ${signal}; exiting`);
      process.exit(1);
    }, STOP_GUARD_MS);
    await proxy.stop();
    clearTimeout(guard);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  try {
    await proxy.start();
  } catch (e) {
    fail(isProxyError(e) ? e.message : String(e), 1);
  }
  for (const a of proxy.addresses) console.log(`listening on ${formatAddress(a)}`);
  if (demo) {
    console.log("demo: two HTTP backends behind a round-robin proxy. Try:");
    console.log("  curl -s http://127.0.0.1:8080/   # twice: backend-1, then backend-2");
  }
}

await main();
