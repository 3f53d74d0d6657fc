/**
 * Micro-benchmark of proxykit's HTTP core alone: keep-alive requests proxied between in-memory
 * clients and an in-memory origin (`adapters/memory.ts`), so neither the kernel nor a runtime's
 * socket layer is measured: what it prints is the CPU time proxykit's own code (parser, rules,
 * backend, pool, serializer, timers) spends per request, steady enough to compare two commits
 * on a noisy machine where `bench/http.ts` drifts.
 *
 * Run as `node bench/http_core.ts`, `deno run -A bench/http_core.ts` or
 * `bun bench/http_core.ts`; each measures its own runtime. Not part of `npm test`.
 * `--conns N` clients (default 32) each send `GET /small` with curl's headers and wait for the
 * response (nginx's headers, a 100-byte body) before the next, for `--time-ms` (default 2000)
 * after a warm-up, `--reps` times (default 3); the best run is kept. `--cfg PATH` replaces the
 * built-in `mode http` listen section (its `bind` and `server` lines are rewritten to the
 * in-memory addresses). Prints µs per request (wall time of a loop that never waits on I/O,
 * so CPU time of this process: the memory adapter's own delivery included) and one JSON line
 * starting with `{"bench":"http_core"`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { MemoryNetwork } from "../adapters/memory.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { ProxyServer } from "../src/proxy.ts";
import type { Socket, TcpAddress } from "../src/net.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const { values: flags } = parseArgs({
  options: {
    conns: { type: "string" },
    "time-ms": { type: "string" },
    reps: { type: "string" },
    cfg: { type: "string" },
  },
});
const CONNS = Number(flags.conns ?? 32);
const TIME_MS = Number(flags["time-ms"] ?? 2000);
const REPS = Number(flags.reps ?? 3);

const FRONT: TcpAddress = { transport: "tcp", hostname: "10.0.0.1", port: 80 };
const ORIGIN: TcpAddress = { transport: "tcp", hostname: "10.1.0.1", port: 8000 };
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const REQUEST = ascii("GET /small HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n");
const BODY = "x".repeat(100);
const RESPONSE = ascii(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 21:00:00 GMT\r\n" +
    "Content-Type: application/octet-stream\r\nContent-Length: 100\r\n" +
    "Last-Modified: Mon, 30 Nov 2026 20:00:00 GMT\r\nConnection: keep-alive\r\n" +
    'ETag: "5f1a2b3c-64"\r\nAccept-Ranges: bytes\r\n\r\n' + BODY,
);
const HEAD_END = ascii("\r\n\r\n");

const defaultCfg = [
  "defaults",
  "    mode http",
  "    timeout connect 5s",
  "    timeout client 120s",
  "    timeout server 120s",
  "listen bench",
  "    bind 10.0.0.1:80",
  "    server s1 10.1.0.1:8000",
  "",
].join("\n");
const cfgText = flags.cfg === undefined ? defaultCfg : readFileSync(flags.cfg, "utf8")
  .replace(/^(\s*bind\s+)\S+/m, "$110.0.0.1:80")
  .replace(/^(\s*server\s+\S+\s+)\S+/gm, "$110.1.0.1:8000");

const net = new MemoryNetwork();
/** The origin answers each complete request head (no request body in this bench). */
await net.listen({
  address: ORIGIN,
  onAccept: (s: Socket) => {
    s.setHandlers({
      onData: messageCounter(0, () => s.write(RESPONSE)),
      onEnd: () => s.shutdownWrite(),
      onDrain() {},
      onClose() {},
    });
  },
});
const proxy = new ProxyServer(parseHaproxyConfig(cfgText, flags.cfg ?? "bench"), { network: net, log: () => {} });
await proxy.start();

let done = 0;
/** When the current run ends (performance.now() ms): the loop runs in microtasks, no timer fires. */
let deadline = 0;
let idle = 0;
let allIdle: () => void = () => {};
const sockets: Socket[] = [];

/**
 * Calls `onMessage` at the end of each message: its head's empty line (the proxy rewrites heads,
 * so their length is not the sender's) followed by `bodyBytes` body bytes.
 */
function messageCounter(bodyBytes: number, onMessage: () => void): (chunk: Uint8Array) => void {
  let tail = 0, body = -1;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      if (body > 0) {
        const take = Math.min(body, chunk.length - i);
        body -= take;
        i += take - 1;
        if (body === 0) onMessage();
        continue;
      }
      const c = chunk[i]!;
      tail = c === HEAD_END[tail] ? tail + 1 : c === HEAD_END[0] ? 1 : 0;
      if (tail === 4) {
        tail = 0;
        body = bodyBytes;
        if (body === 0) onMessage();
      }
    }
  };
}

/** One client: a request, the whole response, the next request until the deadline. */
async function client(): Promise<void> {
  const s = await net.connect({ address: FRONT });
  const onData = messageCounter(BODY.length, () => {
    done++;
    if (performance.now() < deadline) s.write(REQUEST);
    else if (++idle === CONNS) allIdle();
  });
  s.setHandlers({ onData, onEnd() {}, onDrain() {}, onClose() {} });
  sockets.push(s);
}

/** Runs the clients for `ms`; requests per second. */
async function run(ms: number): Promise<number> {
  done = idle = 0;
  const t0 = performance.now();
  deadline = t0 + ms;
  const over = new Promise<void>((resolve) => allIdle = resolve);
  for (const s of sockets) s.write(REQUEST);
  await over;
  return done / ((performance.now() - t0) / 1000);
}

for (let i = 0; i < CONNS; i++) await client();
await run(Math.min(1000, TIME_MS)); // warm-up: the JIT's tiers
let best = 0;
const rates: number[] = [];
for (let r = 0; r < REPS; r++) {
  const rate = await run(TIME_MS);
  rates.push(Math.round(rate));
  best = Math.max(best, rate);
}
console.log(
  `http_core ${runtime}: ${CONNS} keep-alive clients, best of ${REPS}: ${Math.round(best)} req/s, ` +
    `${(1e6 / best).toFixed(2)} µs/request (runs ${rates.join(", ")})`,
);
console.log(
  JSON.stringify({
    bench: "http_core",
    runtime,
    conns: CONNS,
    rps: Math.round(best),
    usPerRequest: 1e6 / best,
    runs: rates,
  }),
);
await proxy.stop?.();
process.exit(0);
