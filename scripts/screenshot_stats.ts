/**
 * Screenshots the stats page as a person sees it: starts three small HTTP origins, a proxy
 * with `stats enable` in front of them (one server down, one in maintenance, one draining),
 * sends some traffic, then loads the page in headless Chromium (Debian's `chromium`) and writes
 * the PNG (default `docs/stats.png`).
 *
 *   node scripts/screenshot_stats.ts [OUT.png]
 *
 * Exit codes: 0 written, 1 failed (the reason on stderr), 2 chromium is not installed.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import process from "node:process";
import { parseHaproxyConfig, ProxyServer } from "../mod.ts";
import { network } from "../adapters/node.ts";

const out = resolve(process.argv[2] ?? "docs/stats.png");
const chromium = ["chromium", "chromium-browser", "google-chrome"].find((c) =>
  spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0
);
if (chromium === undefined) {
  console.error("chromium is not installed (Debian: apt-get install chromium)");
  process.exit(2);
}

/** An origin answering 200 (404 under /missing) after `delayMs`. */
async function origin(delayMs: number): Promise<Server> {
  const s = createServer((req, res) => {
    setTimeout(() => {
      res.statusCode = req.url?.startsWith("/missing") ? 404 : 200;
      res.end(`hello from ${req.url}\n`);
    }, delayMs);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return s;
}

const port = (s: Server) => (s.address() as AddressInfo).port;
const origins = [await origin(2), await origin(5), await origin(1)];
const [a, b, c] = origins.map(port) as [number, number, number];
// A free port for the proxy: haproxy.cfg has no port 0.
const probe = await origin(0);
const fe = port(probe);
await new Promise((r) => probe.close(r));
const cfg = `
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend www
  bind 127.0.0.1:${fe}
  stats enable
  stats uri /stats
  stats refresh 10s
  http-request use-service prometheus-exporter if { path /metrics }
  use_backend api if { path_beg /api }
  default_backend web
backend web
  balance roundrobin
  option httpchk GET /health
  server web1 127.0.0.1:${a} check inter 500
  server web2 127.0.0.1:${b} check inter 500 weight 2
  server web3 127.0.0.1:1 check inter 500
backend api
  balance leastconn
  server api1 127.0.0.1:${c} check inter 500
  server api2 127.0.0.1:${c} weight 0
  server api3 127.0.0.1:${c} disabled
`;
const proxy = new ProxyServer(parseHaproxyConfig(cfg, "screenshot.cfg"), { network });
try {
  await proxy.start();
  const base = `http://127.0.0.1:${fe}`;
  // Let the first checks run (web3's port is closed: it goes DOWN).
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < 60; i++) {
    const path = i % 10 === 9 ? "/missing" : i % 3 === 0 ? `/api/items/${i}` : `/page/${i}`;
    await (await fetch(base + path)).text();
  }
  // Asynchronously: the proxy serving the page runs in this process's event loop.
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--window-size=1560,820",
    `--screenshot=${out}`,
    `${base}/stats`,
  ];
  const code = await new Promise<number | null>((done) => {
    const child = spawn(chromium, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (c) => {
      clearTimeout(timer);
      if (c !== 0) console.error(err);
      done(c);
    });
  });
  if (code !== 0) throw new Error(`chromium exited ${code}`);
  console.log(`wrote ${out}`);
} catch (e) {
  console.error(`screenshot failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await proxy.stop({ graceMs: 1000 });
  for (const s of origins) s.close();
}
