/**
 * End to end: `--workers 2` (Linux: SO_REUSEPORT). Both workers serve connections (each log
 * line names its worker through `${PROXYKIT_WORKER}` in `log-format`), health checks run in
 * one worker and their verdict reaches the other, and a SIGTERM to the primary stops all.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type Child, startProxy, tempFile } from "../_child.ts";
import type { Network } from "../../src/net.ts";
import { enc, freePorts, nativeNetwork, portOf, Recorder, runtime, tcp, until, within } from "../_helpers.ts";

const net: Network = await nativeNetwork();
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function exchange(port: number): Promise<string> {
  const c = await net.connect({ address: tcp("127.0.0.1", port) });
  const r = new Recorder();
  c.setHandlers(r);
  c.write(enc("x"));
  c.shutdownWrite();
  await within(r.ended.promise, 10_000, "EOF from the proxy");
  c.close();
  return r.text();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`proxykit --workers on ${runtime}`, { skip: process.platform !== "linux" }, () => {
  it("two workers both serve, checks run once and reach both, SIGTERM stops all", async () => {
    const live = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept(s) {
        s.setHandlers({ onData: (c) => s.write(c), onEnd: () => s.shutdownWrite(), onDrain() {}, onClose() {} });
      },
    });
    cleanup.push(() => live.close());
    const [port, dead] = (await freePorts(net, 2)) as [number, number];
    const file = tempFile("workers.cfg", [
      "global",
      "    log stdout format raw local0",
      "defaults",
      "    mode tcp",
      "    log global",
      '    log-format "w${PROXYKIT_WORKER} %b/%s %ts"',
      "    timeout connect 500ms",
      "frontend fe",
      `    bind 127.0.0.1:${port}`,
      "    default_backend be",
      "backend be",
      "    balance first",
      `    server dead 127.0.0.1:${dead} check inter 100 fall 1`,
      `    server live 127.0.0.1:${portOf(live.address)} check inter 100`,
    ]);
    cleanup.push(() => file.remove());
    const cli: Child = startProxy(["--workers", "2", "-f", file.path]);
    cleanup.push(() => void cli.child.kill("SIGKILL"));
    await until(() => cli.stdout.filter((l) => l.startsWith("listening on")).length === 2, 20_000, "two workers");
    await cli.line(/^Server be\/dead is DOWN/);
    await until(
      () => cli.stderr().includes("worker 2: server be/dead is DOWN (checked by worker 1)"),
      10_000,
      "worker 2 told",
    );
    const pids = /workers started \(pids (\d+) (\d+)\)/.exec(cli.stderr())!.slice(1).map(Number);

    const served = new Set<string>();
    const streamLines = () => cli.stdout.filter((l) => /^w\d /.test(l));
    for (let i = 0; i < 200 && served.size < 2; i++) {
      const before = streamLines().length;
      assert.equal(await exchange(port), "x");
      await until(() => streamLines().length > before, 10_000, "log line");
      for (const l of streamLines()) served.add(l.slice(0, 2));
    }
    assert.deepEqual([...served].sort(), ["w1", "w2"], "both workers accepted connections");
    const streams = streamLines();
    assert.ok(streams.every((l) => / be\/live --$/.test(l)), `every stream on the live server:\n${streams.join("\n")}`);
    assert.equal(cli.stdout.filter((l) => l.startsWith("Server be/dead is DOWN")).length, 1, "one check, one line");

    process.kill(cli.child.pid!, "SIGTERM");
    const code = await within(cli.exited, 20_000, "primary exit");
    if (runtime !== "deno") assert.equal(code, 0);
    assert.match(cli.stderr(), /SIGTERM received, stopping/);
    await until(() => pids.every((p) => !alive(p)), 10_000, "workers gone");
  });
});
