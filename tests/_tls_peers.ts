/**
 * Driving openssl s_client and curl as TLS clients from tests, without blocking the event loop
 * (the proxy under test runs in the same process), and TLS echo origins on the runtime's own
 * adapter.
 */
import { spawn } from "node:child_process";
import type { Address, Listener, Network, Socket, TlsServerOptions } from "../src/net.ts";
import { echoRecorder, tcp } from "./_helpers.ts";

/** What a program printed and how it exited. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `exe args` with standard input at EOF; resolves when it exits (never rejects). */
export function run(exe: string, args: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const c = spawn(exe, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
    c.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    c.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    c.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `openssl s_client` to 127.0.0.1:`port` with `servername` as SNI (none when undefined):
 * the subject CN of the certificate the server presented, or undefined when the handshake
 * failed.
 */
export async function servedCn(
  openssl: string,
  port: number,
  servername: string | undefined,
): Promise<string | undefined> {
  const r = await run(openssl, [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    ...(servername === undefined ? ["-noservername"] : ["-servername", servername]),
  ]);
  return /^subject=.*CN ?= ?([^,\n]+)/m.exec(r.stdout)?.[1]?.trim();
}

/** A TLS echo origin on 127.0.0.1 (the adapter's own TLS listener); `sockets` are the accepted ones. */
export interface TlsOrigin {
  readonly listener: Listener;
  readonly port: number;
  readonly sockets: Socket[];
}

/** Starts a TLS echo origin with `tls`. */
export async function tlsEchoOrigin(net: Network, tls: TlsServerOptions): Promise<TlsOrigin> {
  const sockets: Socket[] = [];
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    tls,
    onAccept: (s) => {
      sockets.push(s);
      s.setHandlers(echoRecorder(s));
    },
  });
  const a: Address = listener.address;
  return { listener, port: a.transport === "tcp" ? a.port : 0, sockets };
}

/** `net` with its TLS connects counted (`count.tls`). */
export function countingNetwork(net: Network): { net: Network; count: { tls: number } } {
  const count = { tls: 0 };
  const wrapped: Network = new Proxy(net, {
    get(target, prop) {
      if (prop === "connect") {
        return (o: Parameters<Network["connect"]>[0]) => {
          if (o.tls !== undefined) count.tls++;
          return target.connect(o);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { net: wrapped, count };
}
