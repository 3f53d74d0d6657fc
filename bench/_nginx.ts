/**
 * The real programs an HTTP bench drives, found on PATH or in /usr/sbin and installed from
 * Debian with apt-get when missing and running as root (`wrk`, `nginx`), and nginx as an
 * origin server serving static files from a temporary directory on 127.0.0.1.
 *
 * Used by `bench/http.ts` (`bench/conn.ts` keeps its own copy of the same steps: its nginx
 * answers every request from the configuration, without files).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort, pinned, stopChild } from "./_targets.ts";

/** Path of `bin` on PATH or in /usr/sbin, or undefined. */
export function which(bin: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${bin} || { test -x /usr/sbin/${bin} && echo /usr/sbin/${bin}; }`], {
    encoding: "utf8",
  });
  return r.stdout?.trim() || undefined;
}

/**
 * `bin`, installed from Debian package `pkg` with apt-get when missing (root only).
 * @throws {Error} when it is missing and cannot be installed, saying what to install.
 */
export function ensureTool(bin: string, pkg: string): string {
  const found = which(bin);
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0 || which("apt-get") === undefined) {
    throw new Error(`'${bin}' is needed and missing; install it (Debian/Ubuntu: sudo apt-get install -y ${pkg})`);
  }
  process.stderr.write(`... ${bin} missing: apt-get install -y ${pkg}\n`);
  const apt = (args: string[]) =>
    spawnSync("apt-get", args, {
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status === 0;
  if (!apt(["install", "-y", pkg])) {
    apt(["update"]);
    apt(["install", "-y", pkg]);
  }
  const now = which(bin);
  if (now === undefined) throw new Error(`'${bin}' is still missing after 'apt-get install -y ${pkg}'`);
  return now;
}

/** `nginx -v`'s version, e.g. `1.22.1`. */
export function nginxVersion(bin: string): string {
  const r = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return /nginx\/(\S+)/.exec(`${r.stderr ?? ""}${r.stdout ?? ""}`)?.[1] ?? "?";
}

/** `wrk -v`'s version, e.g. `4.1.0` (Debian's prints `debian/4.1.0-3+b2`). */
export function wrkVersion(bin: string): string {
  const r = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return /wrk (?:debian\/)?(\d[^\s-]*)/.exec(`${r.stdout ?? ""}${r.stderr ?? ""}`)?.[1] ?? "?";
}

/** A running nginx. */
export interface Nginx {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** How {@link startNginx} configures nginx. */
export interface NginxOptions {
  /** Files served at `/NAME` (a name per file, no slash). */
  readonly files: Readonly<Record<string, string | Uint8Array>>;
  /** Connections nginx must hold at once (its limits are set above this). */
  readonly maxConns: number;
  /** Run it on these CPUs only (`taskset -c`). */
  readonly cpus?: string | undefined;
  /**
   * A `location` block replacing the static files (e.g. `location / { return 200 'ok\n'; }`:
   * nothing read from disk); the readiness check then asks for `/`.
   */
  readonly location?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Status and body length of `GET /path` on 127.0.0.1:`port` (a connection of its own, closed after). */
export function get(port: number, path: string, timeoutMs = 5000): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { connection: "close" } }, (res) => {
      let bytes = 0;
      res.on("data", (d: Uint8Array) => (bytes += d.byteLength));
      res.once("end", () => {
        clearTimeout(t);
        resolve({ status: res.statusCode ?? 0, bytes });
      });
      res.once("error", fail);
    });
    const t = setTimeout(() => fail(new Error(`GET ${path}: no response within ${timeoutMs} ms`)), timeoutMs);
    function fail(e: Error) {
      clearTimeout(t);
      req.destroy();
      reject(e);
    }
    req.once("error", fail);
    req.end();
  });
}

/**
 * Starts nginx on 127.0.0.1 (one process, no master, no access log) serving `files` as static
 * files (keep-alive connections kept 10 minutes and for a million requests, open files
 * cached, sendfile); resolves once it answers.
 * @throws {Error} when it does not answer within 10 s, with its error output.
 */
export async function startNginx(bin: string, options: NginxOptions): Promise<Nginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "proxykit-nginx-"));
  const root = join(dir, "www");
  mkdirSync(root);
  for (const [name, body] of Object.entries(options.files)) writeFileSync(join(root, name), body);
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    [
      "daemon off;",
      "master_process off;",
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log error;`,
      `worker_rlimit_nofile ${options.maxConns * 2 + 1024};`,
      `events { worker_connections ${options.maxConns + 1024}; }`,
      "http {",
      "  access_log off;",
      "  sendfile on;",
      "  keepalive_timeout 600s;",
      "  keepalive_requests 1000000;",
      "  open_file_cache max=64 inactive=600s;",
      "  default_type application/octet-stream;",
      `  client_body_temp_path ${dir}/body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      "  server {",
      `    listen 127.0.0.1:${port} backlog=4096;`,
      options.location === undefined ? `    root ${root};` : `    ${options.location}`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  const [exe, argv] = pinned(options.cpus, bin, ["-p", dir, "-c", conf, "-e", `${dir}/error.log`]);
  const child = spawn(exe, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (err += s));
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const first = options.location === undefined ? Object.keys(options.files)[0] ?? "" : "";
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await get(port, `/${first}`, 2000);
      return { port, pid: child.pid!, stop };
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`nginx did not start: ${err.trim().slice(-2000)}`);
      }
      await sleep(50);
    }
  }
}
