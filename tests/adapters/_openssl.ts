/**
 * `openssl s_server` / `s_client` as real TLS peers for the adapter tests. With `-msg` they
 * print every TLS record they send (`>>>`) and receive (`<<<`), so a test can see which alerts
 * (`close_notify`) an adapter's socket really put on the wire.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Child, startProgram } from "../_child.ts";

/** The `openssl` binary, or `undefined` when it is not installed (tests then skip loudly). */
export const OPENSSL: string | undefined = ["openssl", "/usr/bin/openssl"].find((p) => {
  try {
    return spawnSync(p, ["version"]).status === 0;
  } catch {
    return false;
  }
});

/** A `close_notify` alert the peer received (`<<<`). */
export const RECEIVED_CLOSE_NOTIFY: RegExp = /^<<< .*Alert.*close_notify/;

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

/**
 * Standard input stays open: on EOF there both tools end the TLS connection themselves, which
 * would blur what the adapter did.
 */
function start(args: string[]): Child {
  return startProgram(OPENSSL!, [...args, "-msg"], { stdin: "pipe" });
}

/**
 * `openssl s_server` on 127.0.0.1 with a port from port 0, serving the `localhost` fixture
 * certificate to one client; resolves with the port it printed.
 */
export async function startServer(): Promise<{ peer: Child; port: number }> {
  const peer = start([
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-cert",
    fixture("localhost.pem"),
    "-key",
    fixture("localhost.key"),
    "-naccept",
    "1",
  ]);
  const m = await peer.line(/^ACCEPT 127\.0\.0\.1:(\d+)/, 10_000);
  return { peer, port: Number(m[1]) };
}

/** `openssl s_client` to 127.0.0.1:`port`, verifying the `localhost` fixture certificate. */
export function startClient(port: number): Child {
  return start([
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    fixture("ca.pem"),
    "-verify_return_error",
  ]);
}
