/**
 * `openssl s_server` / `s_client` as real TLS peers for the adapter tests. With `-msg` they
 * print every TLS record they send (`>>>`) and receive (`<<<`), so a test can see which alerts
 * (`close_notify`) an adapter's socket really put on the wire.
 */
import { after } from "node:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { deferred, within } from "../_helpers.ts";

/** The `openssl` binary, or `undefined` when it is not installed (tests then skip loudly). */
export const OPENSSL: string | undefined = ["openssl", "/usr/bin/openssl"].find((p) => {
  try {
    return spawnSync(p, ["version"]).status === 0;
  } catch {
    return false;
  }
});

const FIXTURES = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

const running: ChildProcess[] = [];
after(() => {
  for (const c of running) c.kill("SIGKILL");
});

/** A running openssl peer with its output read line by line. */
export interface OpensslPeer {
  /** stdout and stderr lines so far, in arrival order per stream. */
  readonly lines: string[];
  /** Resolves with the first line matching `re` (already seen or to come), within `ms`. */
  line(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves once the process exited and its output was read. */
  readonly exited: Promise<void>;
  /** Kills the process (when a test ends early). */
  kill(): void;
}

/** A `close_notify` alert the peer received (`<<<`). */
export const RECEIVED_CLOSE_NOTIFY: RegExp = /^<<< .*Alert.*close_notify/;

function start(args: string[]): OpensslPeer {
  // stdin stays an open pipe: on EOF from stdin both tools close the TLS connection themselves.
  const child = spawn(OPENSSL!, args, { cwd: FIXTURES, stdio: ["pipe", "pipe", "pipe"] });
  running.push(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; d: ReturnType<typeof deferred<RegExpMatchArray>> }[] = [];
  const exited = deferred<void>();
  let open = 2;
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (s: string) => {
      partial += s;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        for (const w of waiters.splice(0)) {
          const m = l.match(w.re);
          if (m) w.d.resolve(m);
          else waiters.push(w);
        }
      }
    });
    stream.on("end", () => {
      if (--open === 0) exited.resolve();
    });
  }
  child.on("error", (e) => exited.reject(e));
  return {
    lines,
    exited: exited.promise,
    kill: () => child.kill("SIGKILL"),
    line(re, ms = 10_000) {
      for (const l of lines) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      const d = deferred<RegExpMatchArray>();
      waiters.push({ re, d });
      return within(d.promise, ms, `openssl line ${re}; output so far:\n${lines.join("\n").slice(-2000)}`);
    },
  };
}

/**
 * `openssl s_server` on 127.0.0.1 with a port from port 0, serving the `localhost` fixture
 * certificate to one client; resolves with the port it printed.
 */
export async function startServer(): Promise<{ peer: OpensslPeer; port: number }> {
  const peer = start([
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-cert",
    "localhost.pem",
    "-key",
    "localhost.key",
    "-naccept",
    "1",
    "-msg",
  ]);
  const m = await peer.line(/^ACCEPT 127\.0\.0\.1:(\d+)/);
  return { peer, port: Number(m[1]) };
}

/** `openssl s_client` to 127.0.0.1:`port`, verifying the `localhost` fixture certificate. */
export function startClient(port: number): OpensslPeer {
  return start([
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    "ca.pem",
    "-verify_return_error",
    "-msg",
  ]);
}
