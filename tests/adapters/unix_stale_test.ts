/**
 * A Unix socket file left by a process killed without cleanup does not block the next bind
 * (adapters/_unix_stale.ts), on the runtime running the test; a path a live listener holds
 * stays in use, and a regular file at the path is never removed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeNetwork, Recorder, runtime } from "../_helpers.ts";

/** Leaves a socket file at `path`: a node process binds it, then dies by SIGKILL (no cleanup). */
function leaveStaleSocket(path: string): void {
  const r = spawnSync("node", [
    "-e",
    `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
  ]);
  assert.equal(r.signal, "SIGKILL", `the helper process: ${r.stderr}`);
  assert.ok(existsSync(path), "the socket file is left behind");
}

describe(`stale Unix socket files (${runtime})`, () => {
  it("a file left by a killed process is replaced; a live listener's path stays in use", async () => {
    const net = await nativeNetwork();
    const dir = mkdtempSync(join(tmpdir(), "proxykit-unix-"));
    const path = join(dir, "admin.sock");
    try {
      leaveStaleSocket(path);
      const accepted: Recorder[] = [];
      const l = await net.listen({
        address: { transport: "unix", path },
        onAccept: (s) => {
          const r = new Recorder();
          s.setHandlers(r);
          accepted.push(r);
        },
      });
      try {
        // The new listener answers on the path.
        const c = await net.connect({ address: { transport: "unix", path } });
        c.setHandlers(new Recorder());
        c.close();
        // A second bind of a path in use still fails.
        await assert.rejects(
          net.listen({ address: { transport: "unix", path }, onAccept: (s) => s.close() }),
          { code: "EADDRINUSE" },
        );
      } finally {
        await l.close();
      }
      // A regular file is not a socket: left alone, the bind fails.
      writeFileSync(path, "not a socket");
      await assert.rejects(net.listen({ address: { transport: "unix", path }, onAccept: (s) => s.close() }));
      assert.ok(existsSync(path), "a regular file is never removed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
