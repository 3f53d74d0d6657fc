/**
 * A real dnsmasq (Debian's `dnsmasq-base`) for the DNS discovery tests: on 127.0.0.1:`port`,
 * answering from a hosts file the test rewrites (dnsmasq rereads it on SIGHUP) and from extra
 * flags (`--srv-host=...`), NXDOMAIN for other `.test` names, never asking upstream.
 */
import { after } from "node:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Child, startProgram } from "./_child.ts";
import { until } from "./_helpers.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A running dnsmasq and its hosts file. */
export interface Dnsmasq {
  /** The process (killed when the test file ends). */
  readonly child: Child;
  /** Rewrites the hosts file and waits until dnsmasq has reread it. */
  setHosts(text: string): Promise<void>;
  /** Kills dnsmasq (SIGKILL) and waits for its exit; the test calls it when done. */
  stop(): Promise<void>;
}

/** How many times dnsmasq has read its hosts file so far. */
function reads(c: Child): number {
  return c.stderr().match(/read \S+hosts - \d+ names/g)?.length ?? 0;
}

/** Starts dnsmasq with `hosts` as its hosts file; resolves once it has read it. */
export async function startDnsmasq(exe: string, port: number, hosts: string, extra: string[] = []): Promise<Dnsmasq> {
  // dnsmasq drops root (to nobody/dnsmasq): its hosts file must be readable by others.
  const dir = mkdtempSync(join(tmpdir(), "proxykit-dns-"));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  const file = join(dir, "hosts");
  writeFileSync(file, hosts);
  const child = startProgram(exe, [
    "--keep-in-foreground",
    "--log-facility=-",
    `--port=${port}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    "--no-resolv",
    "--no-hosts",
    "--local=/test/",
    `--addn-hosts=${file}`,
    "--pid-file=",
    ...extra,
  ]);
  await until(() => reads(child) >= 1, 10_000, `dnsmasq started (${child.stderr()})`);
  return {
    child,
    async stop() {
      if (child.child.exitCode !== null || child.child.signalCode !== null) return;
      process.kill(child.child.pid!, "SIGKILL");
      await child.exited;
    },
    async setHosts(text) {
      const n = reads(child);
      writeFileSync(file, text);
      // process.kill: Deno's ChildProcess.kill() sends only the first signal of a child's life.
      process.kill(child.child.pid!, "SIGHUP");
      await until(() => reads(child) > n, 10_000, "dnsmasq reread its hosts file");
    },
  };
}
