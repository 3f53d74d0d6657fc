/**
 * HTTP mode on real sockets with real peers: nginx as the origin (its access log records the
 * connection each request came on), curl as the client. Proves keep-alive on both sides and
 * server connection reuse by counting the connections nginx accepted.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxyServer } from "../../src/proxy.ts";
import type { ChildProcess } from "node:child_process";
import { freePorts, nativeNetwork, portOf, tcp, until } from "../_helpers.ts";
import { peer } from "../_peers.ts";
import { curl, runCurl } from "../_curl.ts";

const nginx = peer("nginx");
const skip = nginx.skip || curl.skip;

describe("HTTP mode with nginx and curl", { skip }, () => {
  let dir: string;
  let origin: ChildProcess;
  let originPort: number;
  let proxy: ProxyServer;
  const lines: string[] = [];
  const accessLog = () => {
    try {
      return readFileSync(join(dir, "access.log"), "utf8").trim().split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  };

  before(async () => {
    const net = await nativeNetwork();
    [originPort] = await freePorts(net, 1) as [number];
    dir = mkdtempSync(join(tmpdir(), "proxykit-nginx-"));
    mkdirSync(join(dir, "www"));
    writeFileSync(join(dir, "www", "a"), "aaaa");
    writeFileSync(join(dir, "www", "b"), "b".repeat(70_000));
    writeFileSync(
      join(dir, "nginx.conf"),
      [
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log error;`,
        "events { worker_connections 256; }",
        "http {",
        "  log_format conns '$connection $request';",
        `  access_log ${dir}/access.log conns;`,
        "  keepalive_timeout 60s;",
        `  client_body_temp_path ${dir}/body;`,
        `  proxy_temp_path ${dir}/proxy;`,
        `  fastcgi_temp_path ${dir}/fastcgi;`,
        `  uwsgi_temp_path ${dir}/uwsgi;`,
        `  scgi_temp_path ${dir}/scgi;`,
        `  server { listen 127.0.0.1:${originPort}; root ${dir}/www; }`,
        "}",
      ].join("\n"),
    );
    origin = spawn(nginx.path!, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
      stdio: "ignore",
    });
    proxy = new ProxyServer({
      frontends: [{
        name: "fe",
        mode: "http",
        binds: [tcp("127.0.0.1", 0)],
        defaultBackend: "be",
        clientTimeoutMs: 10_000,
        log: { target: "stdout", format: "httplog" },
      }],
      backends: [{
        name: "be",
        mode: "http",
        timeouts: { connectMs: 2000, serverMs: 10_000 },
        servers: [{ name: "nginx", address: tcp("127.0.0.1", originPort) }],
      }],
    }, { network: net, log: (l) => lines.push(l) });
    await proxy.start();
    // nginx answers once it listens.
    await until(() => accessLog().length >= 0 && origin.exitCode === null, 5000, "nginx running");
    for (let i = 0;; i++) {
      try {
        await runCurl([`http://127.0.0.1:${originPort}/a`]);
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    await proxy?.stop();
    origin?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("keep-alive both ways; a second client reuses the pooled connection after its first request", async () => {
    const url = `http://127.0.0.1:${portOf(proxy.addresses[0])}`;
    const before = accessLog().length;
    // One curl, three requests on one client connection (curl keeps it alive).
    const out1 = await runCurl([`${url}/a`, `${url}/b`, `${url}/a`]);
    assert.equal(out1, "aaaa" + "b".repeat(70_000) + "aaaa");
    // A second client: its first request opens a new server connection (http-reuse safe),
    // its second takes an idle one.
    const out2 = await runCurl([`${url}/a`, `${url}/a`]);
    assert.equal(out2, "aaaaaaaa");
    await until(() => accessLog().length - before === 5 && lines.length === 5, 5000, "access and proxy logs");
    const conns = accessLog().slice(before).map((l) => l.split(" ")[0]);
    assert.equal(new Set(conns.slice(0, 3)).size, 1, `first client: one server connection (${conns})`);
    assert.notEqual(conns[3], conns[0], "the second client's first request: a new connection");
    assert.equal(new Set(conns).size, 2, `five requests, two server connections (${conns})`);
    assert.ok(lines.every((l) => / fe be\/nginx \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- /.test(l)), lines.join("\n"));
    const pool = proxy.backends[0]!.servers[0]!.pool!;
    assert.deepEqual([pool.counters.opened, pool.counters.reused], [2, 3]);
  });
});
