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
 * certificate to one client (`extra` adds options, e.g. `-tls1_2`); resolves with the port it
 * printed.
 */
export async function startServer(extra: readonly string[] = []): Promise<{ peer: Child; port: number }> {
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
    ...extra,
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

/** What one `openssl s_client` run printed, read for the few facts the TLS cases check. */
export interface ClientRun {
  /** stdout and stderr. */
  readonly out: string;
  /** CN of the server certificate (`subject=CN = b.test`), when one was received. */
  readonly subjectCn: string | undefined;
  /** `Reused` or `New` from the session summary. */
  readonly session: "Reused" | "New" | undefined;
  /** The negotiated protocol (`TLSv1.3`). */
  readonly protocol: string | undefined;
  /** The ALPN protocol the server chose. */
  readonly alpn: string | undefined;
  /** The number of the alert received, when one ended the handshake (`SSL alert number 112`). */
  readonly alert: number | undefined;
}

/**
 * Runs `openssl s_client -connect 127.0.0.1:port` with `args` until it exits (the server closes
 * the connection, or it fails), within `ms`. Standard input stays open, so that the client
 * keeps reading (TLS 1.3 tickets arrive after the handshake) until the server closes.
 */
export async function runClient(port: number, args: readonly string[], ms = 10_000): Promise<ClientRun> {
  const peer = startProgram(OPENSSL!, ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { stdin: "pipe" });
  const timer = setTimeout(() => peer.child.kill("SIGKILL"), ms);
  try {
    await peer.exited;
  } finally {
    clearTimeout(timer);
  }
  const out = `${peer.stdout.join("\n")}\n${peer.stderr()}`;
  const alert = /SSL alert number (\d+)/.exec(out)?.[1];
  const session = /^(Reused|New), /m.exec(out)?.[1];
  return {
    out,
    subjectCn: /^subject=.*?CN ?= ?([^,/\n]+)/m.exec(out)?.[1]?.trim(),
    session: session === "Reused" || session === "New" ? session : undefined,
    protocol: /^\s*Protocol\s*: (\S+)/m.exec(out)?.[1],
    alpn: /^ALPN protocol: (\S+)/m.exec(out)?.[1],
    alert: alert === undefined ? undefined : Number(alert),
  };
}
