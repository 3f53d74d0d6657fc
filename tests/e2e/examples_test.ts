/**
 * Every example in examples/ (but the CLI, tested by cli_test.ts) started as a child process
 * on the runtime it is for, driven over loopback: the bytes through it, what it prints.
 * The binaries come from node_modules/.bin whichever runner runs this file.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { type Child, ROOT, startProgram, stopCleanly, tempFile } from "../_child.ts";
import { within } from "../_helpers.ts";

const BIN = join(ROOT, "node_modules", ".bin");
const RUN: Record<"deno" | "bun" | "node", string[]> = {
  deno: [join(BIN, "deno"), "run", "-A"],
  bun: [join(BIN, "bun"), "run"],
  node: [join(BIN, "node")],
};

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

/** Starts `examples/<file>` on `rt`, killed after the test. */
function example(rt: keyof typeof RUN, file: string, args: string[] = []): Child {
  const [exe, ...pre] = RUN[rt];
  const c = startProgram(exe!, [...pre, `examples/${file}`, ...args]);
  cleanup.push(() => c.child.kill("SIGKILL"));
  return c;
}

async function listening(c: Child): Promise<number> {
  return Number((await c.line(/^listening on 127\.0\.0\.1:(\d+)$/, 30_000))[1]);
}

/**
 * Connects, sends `text` and half-closes, resolves with everything received until the end;
 * with no `text` (a server that speaks first), half-closes only after the server's end.
 */
function roundTrip(port: number, text = ""): Promise<{ reply: string; localPort: number }> {
  return within(
    new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        if (text !== "") s.end(text);
      });
      let reply = "";
      s.setEncoding("utf8");
      s.on("data", (d: string) => (reply += d));
      s.on("end", () => {
        resolve({ reply, localPort: s.localPort! });
        s.end();
      });
      s.on("error", reject);
    }),
    10_000,
    `round trip through 127.0.0.1:${port}`,
  );
}

describe("examples", () => {
  for (const rt of ["deno", "bun", "node"] as const) {
    it(`custom_balancer.ts on ${rt}: one refused connect redispatched, then the balancer avoids that server`, async () => {
      const c = example(rt, "custom_balancer.ts");
      const port = await listening(c);
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push((await roundTrip(port)).reply);
      assert.deepEqual(replies.sort(), [
        "served by app-1\n",
        "served by app-1\n",
        "served by app-2\n",
        "served by app-2\n",
      ]);
      assert.deepEqual(c.stdout.filter((l) => l.startsWith("connect failure:")), [
        "connect failure: be/app-3 attempt 1 ECONNREFUSED: redispatch",
      ]);
    });
  }

  it("node.ts on Node: runs a haproxy.cfg file, bytes both ways, exit 0 on SIGTERM", async () => {
    const echo: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => echo.close());
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const cfg = tempFile("haproxy.cfg", [
      "defaults",
      "    mode tcp",
      "    timeout connect 1s",
      "frontend fe",
      `    bind 127.0.0.1:${port}`,
      "    default_backend be",
      "backend be",
      `    server echo 127.0.0.1:${(echo.address() as { port: number }).port}`,
    ]);
    cleanup.push(cfg.remove);
    const c = example("node", "node.ts", [cfg.path]);
    assert.equal((await roundTrip(await listening(c), "ping")).reply, "ping");
    await stopCleanly(c);
  });

  it("node.ts on Node: a bad haproxy.cfg exits 2 naming the file and line", async () => {
    const cfg = tempFile("bad.cfg", ["backend be", "    wieght 3"]);
    cleanup.push(cfg.remove);
    const c = example("node", "node.ts", [cfg.path]);
    assert.equal(await within(c.exited, 10_000, "exit"), 2);
    assert.match(c.stderr(), /bad\.cfg:2: .*wieght/);
  });

  it("sidecar.ts on Bun: the local app learns the client's address from the PROXY v2 header; metrics count it", async () => {
    const c = example("bun", "sidecar.ts");
    const port = await listening(c);
    for (let i = 0; i < 2; i++) {
      const { reply, localPort } = await roundTrip(port);
      assert.equal(reply, `hello 127.0.0.1:${localPort}\n`);
    }
    assert.ok(!c.stdout.some((l) => /is DOWN/.test(l)), c.stdout.join("\n"));
    // Its metrics count the two streams on the app's server.
    const metrics = (await c.line(/^metrics on (http:\/\/\S+)$/, 30_000))[1]!;
    const res = await fetch(metrics);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^haproxy_server_sessions_total\{proxy="app",server="local"\} 2$/m);
  });

  it("deno_app.ts on Deno: Deno.serve behind proxykit in one process, X-Forwarded-For added", async () => {
    const c = example("deno", "deno_app.ts");
    const port = await listening(c);
    const res = await fetch(`http://127.0.0.1:${port}/hello`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hello from Deno.serve: GET /hello, for 127.0.0.1\n");
    await c.line(/ www app\/deno .* 200 .*"GET \/hello HTTP\/1\.1"$/);
  });
});
