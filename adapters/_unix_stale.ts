/**
 * A Unix socket file left behind by a process that ended without removing it (a crash, a
 * `kill -9`) makes binding its path fail with `EADDRINUSE`, so a restarted proxy could not
 * open its stats socket again. HAProxy replaces the file; the adapters remove it only when
 * nothing answers on it: a path a live process still listens on stays in use (the bind then
 * fails as it should), and a path that is not a socket is never touched.
 *
 * @module
 */
import { lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import type { Address } from "../src/net.ts";

/** How long a probe connect may take before the file is deemed alive, ms. */
const PROBE_MS = 1000;

/**
 * Removes the socket file at `address.path` when no process accepts on it (the probe connect
 * is refused). Does nothing for other addresses, a missing path, a file that is not a socket,
 * or a live socket. Never rejects: the bind that follows reports what is wrong.
 */
export async function removeStaleUnixSocket(address: Address): Promise<void> {
  if (address.transport !== "unix" || address.path.startsWith("\0")) return;
  const path = address.path;
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return; // no such file: nothing to do
  }
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect({ path });
    const done = (v: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(true), PROBE_MS);
    s.once("connect", () => done(true));
    s.once("error", (e: NodeJS.ErrnoException) => done(e.code !== "ECONNREFUSED" && e.code !== "ENOENT"));
  });
  if (alive) return;
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or not ours to remove: the bind reports it.
  }
}
