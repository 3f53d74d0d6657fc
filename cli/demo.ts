/**
 * The command line's configurations without a file: one frontend and one backend from flags,
 * and the demo (two tiny HTTP backends on loopback behind 127.0.0.1:8080).
 *
 * @module
 */
import { formatAddress, parseAddress } from "../src/address.ts";
import type { Network, Socket } from "../src/net.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { fail, type Flags, intFlag } from "./flags.ts";

const BALANCE = new Set(["roundrobin", "static-rr", "leastconn", "first", "source", "random"]);

/** Builds the configuration from flags (no `--config`). */
export function configFromFlags(v: Partial<Flags>): ProxyConfig {
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
export async function demoBackend(net: Network, name: string): Promise<string> {
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
