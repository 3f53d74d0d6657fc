/**
 * End to end: the command line's graceful stop (SIGTERM with `hard-stop-after`), reload
 * (SIGUSR2: listeners handed over, a broken configuration kept out), server-state file and
 * `--workers` (Linux: SO_REUSEPORT), `examples/proxy.ts` started by the runtime running the tests, on real loopback sockets.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { type Child, cleanupAfterEach, startTracked, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import type { Listener, Network } from "../../src/net.ts";
import {
  enc,
  exchangeOnce,
  freePorts,
  namedEchoServer,
  nativeNetwork,
  patternBuffer,
  PatternChecker,
  portOf,
  pump,
  Recorder,
  runtime,
  tcp,
  until,
  within,
} from "../_helpers.ts";

const net: Network = await nativeNetwork();
const cleanup = cleanupAfterEach();
const start = (args: string[]): Child => startTracked(cleanup, args);

async function named(name: string): Promise<Listener> {
  const l = await namedEchoServer(net, name);
  cleanup.push(() => l.close());
  return l;
}

const exchange = (port: number) => exchangeOnce(net, port);

/** Resolves once a connect to `port` is refused (the listener closed), bounded. */
async function refused(port: number): Promise<void> {
  await within(
    (async () => {
      for (;;) {
        try {
          (await net.connect({ address: tcp("127.0.0.1", port) })).close();
        } catch {
          return;
        }
      }
    })(),
    10_000,
    "a refused connect",
  );
}

/**
 * Sends `sig` to the child. Not `child.kill()`: Deno's `node:child_process` sends nothing after
 * the first `kill()` of a child (it marks it killed), and a reload test signals several times.
 */
function signal(cli: Child, sig: NodeJS.Signals): void {
  process.kill(cli.child.pid!, sig);
}

/** Waits for the `n`th occurrence of `text` on the child's stderr. */
function stderrCount(cli: Child, text: string, n: number): Promise<void> {
  return until(() => cli.stderr().split(text).length - 1 >= n, 20_000, `${n}× '${text}' on stderr`).catch((e) => {
    throw new Error(`${(e as Error).message}; stderr:\n${cli.stderr()}`);
  });
}

function config(port: number, server: Listener, extra: string[] = []): string[] {
  return [
    ...TCPLOG_PREAMBLE.slice(0, 2),
    "    hard-stop-after 20s",
    ...TCPLOG_PREAMBLE.slice(2),
    ...extra,
    "frontend fe",
    `    bind 127.0.0.1:${port}`,
    "    default_backend be",
    "backend be",
    `    server s1 127.0.0.1:${portOf(server.address)}`,
  ];
}

const MB8 = 8 * 1024 * 1024;

describe(`proxykit stop and reload on ${runtime}`, { skip: process.platform === "win32" }, () => {
  it("SIGTERM: new connections are refused, a transfer in progress completes, exit 0", async () => {
    const srv = await named("");
    const [port] = (await freePorts(net, 1)) as [number];
    const file = tempFile("stop.cfg", config(port, srv).map((l) => l.replace("20s", "10s")));
    cleanup.push(() => file.remove());
    const cli = start(["-f", file.path]);
    await cli.line(/^listening on /);
    const c = await net.connect({ address: tcp("127.0.0.1", port) });
    const r = new Recorder();
    r.keep = false;
    const pattern = patternBuffer(1 << 20, 7);
    const check = new PatternChecker(pattern);
    r.onDataHook = (chunk) => check.feed(chunk);
    c.setHandlers(r);
    // The first MiB before the signal, the other seven after it.
    await within(pump(c, r, pattern, 1 << 20), 10_000, "first MiB sent");
    await within(r.waitBytes(1 << 20), 10_000, "first MiB echoed");
    cli.child.kill("SIGTERM");
    await stderrCount(cli, "SIGTERM received, stopping", 1);
    await refused(port);
    await within(pump(c, r, pattern, MB8 - (1 << 20)), 60_000, "upload after SIGTERM");
    c.shutdownWrite();
    await within(r.ended.promise, 60_000, "the echo's EOF");
    assert.ok(check.ok(MB8), `echoed ${check.offset} bytes, mismatch at ${check.mismatchAt}`);
    const code = await within(cli.exited, 20_000, "exit");
    if (runtime !== "deno") assert.equal(code, 0);
    const lines = cli.stdout.filter((l) => / fe be\/s1 /.test(l));
    assert.equal(lines.length, 1, cli.stdout.join("\n"));
    assert.match(lines[0]!, new RegExp(` ${MB8} -- `), "the stream ended normally, not killed");
    assert.doesNotMatch(cli.stderr(), /hard-stop/);
  });

  it("SIGUSR2: no connection fails during reloads, an established stream keeps going, a broken file changes nothing", async () => {
    const [a, b] = [await named("a"), await named("b")];
    const [port] = (await freePorts(net, 1)) as [number];
    const file = tempFile("reload.cfg", config(port, a));
    cleanup.push(() => file.remove());
    const cli = start(["-f", file.path]);
    await cli.line(/^listening on /);
    const held = await net.connect({ address: tcp("127.0.0.1", port) });
    const hr = new Recorder();
    held.setHandlers(hr);
    await within(hr.waitBytes(2), 10_000, "greeting of the held stream");

    let failures = 0;
    let running = true;
    const seen = new Set<string>();
    const loop = (async () => {
      let n = 0;
      while (running) {
        try {
          seen.add(await exchange(port));
        } catch (e) {
          failures++;
          console.error(e);
        }
        n++;
      }
      return n;
    })();
    for (let i = 1; i <= 4; i++) {
      writeFileSync(file.path, config(port, i % 2 === 1 ? b : a).join("\n") + "\n");
      signal(cli, "SIGUSR2");
      await stderrCount(cli, "Loading success.", i);
    }
    writeFileSync(file.path, "frontend fe\n    bind 127.0.0.1:1\n    default_backend nowhere\n");
    signal(cli, "SIGUSR2");
    await stderrCount(cli, "Loading failure!", 1);
    assert.match(cli.stderr(), /reload failed, the running configuration stays: .*reload\.cfg:3: .*nowhere/);
    running = false;
    const total = await loop;
    assert.equal(failures, 0, `${failures} of ${total} connections failed`);
    assert.ok(seen.has("a:x"), `connections before the first reload: ${[...seen]}`);
    assert.equal(await exchange(port), "a:x", "the last good configuration (server a) runs on");

    held.write(enc("still"));
    await within(hr.waitBytes("a:still".length), 10_000, "echo on the held stream through the first proxy");
    held.shutdownWrite();
    await within(hr.ended.promise, 10_000, "held stream's end");
    assert.equal(hr.text(), "a:still");
    await stderrCount(cli, "former proxy stopped", 4);
    cli.child.kill("SIGTERM");
    await within(cli.exited, 20_000, "exit");
  });

  it("server-state-file: a server in maintenance stays there across a restart, the state is saved on stop", async () => {
    const [a, b] = [await named("a"), await named("b")];
    const [port] = (await freePorts(net, 1)) as [number];
    const file = tempFile("state.cfg", []);
    cleanup.push(() => file.remove());
    const state = join(dirname(file.path), "state");
    writeFileSync(
      file.path,
      [
        "global",
        "    log stdout format raw local0",
        "    server-state-base " + dirname(file.path),
        "    server-state-file state",
        "defaults",
        "    mode tcp",
        "    log global",
        "    option tcplog",
        "    load-server-state-from-file global",
        "frontend fe",
        `    bind 127.0.0.1:${port}`,
        "    default_backend be",
        "backend be",
        "    balance first",
        `    server s1 127.0.0.1:${portOf(a.address)}`,
        `    server s2 127.0.0.1:${portOf(b.address)}`,
      ].join("\n") + "\n",
    );
    writeFileSync(
      state,
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight ...\n" +
        `1 be 1 s1 127.0.0.1 0 1 1 1 0 6 3 4 6 0 0 0 - ${portOf(a.address)} - 0 0 - - 0\n\n`,
    );
    const cli = start(["-f", file.path]);
    await cli.line(/^Server be\/s1 is DOWN, changed from server-state after a reload\.$/);
    await cli.line(/^listening on /);
    assert.equal(await exchange(port), "b:x", "balance first skips s1, in maintenance");
    cli.child.kill("SIGTERM");
    await within(cli.exited, 20_000, "exit");
    const saved = readFileSync(state, "utf8").split("\n");
    assert.equal(saved[0], "1");
    assert.match(saved[1]!, /^# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight /);
    assert.match(saved[2]!, /^1 be 1 s1 127\.0\.0\.1 0 1 1 1 /);
    assert.match(saved[3]!, /^1 be 2 s2 127\.0\.0\.1 2 0 1 1 /);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`proxykit --workers on ${runtime}`, { skip: process.platform !== "linux" }, () => {
  it("two workers both serve, checks run once and reach both, runtime API commands reach both, SIGTERM stops all", async () => {
    const live = await named("");
    const other = await named("");
    const [port, dead, admin] = (await freePorts(net, 3)) as [number, number, number];
    const file = tempFile("workers.cfg", [
      "global",
      "    log stdout format raw local0",
      `    stats socket 127.0.0.1:${admin} level admin`,
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
      `    server other 127.0.0.1:${portOf(other.address)}`,
    ]);
    cleanup.push(() => file.remove());
    const cli = start(["--workers", "2", "-f", file.path]);
    await until(() => cli.stdout.filter((l) => l.startsWith("listening on")).length === 2, 20_000, "two workers");
    await cli.line(/^Server be\/dead is DOWN/);
    await until(
      () => cli.stderr().includes("worker 2: server be/dead is DOWN (checked by worker 1)"),
      10_000,
      "worker 2 told",
    );
    const pids = /workers started \(pids (\d+) (\d+)\)/.exec(cli.stderr())!.slice(1).map(Number);

    const streamLines = () => cli.stdout.filter((l) => /^w\d /.test(l));
    /** Connections until both workers logged one; the lines they logged. */
    const bothWorkers = async (): Promise<string[]> => {
      const from = streamLines().length;
      const served = new Set<string>();
      for (let i = 0; i < 200 && served.size < 2; i++) {
        const before = streamLines().length;
        assert.equal(await exchange(port), "x");
        await until(() => streamLines().length > before, 10_000, "log line");
        for (const l of streamLines().slice(from)) served.add(l.slice(0, 2));
      }
      assert.deepEqual([...served].sort(), ["w1", "w2"], "both workers accepted connections");
      return streamLines().slice(from);
    };
    const streams = await bothWorkers();
    assert.ok(streams.every((l) => / be\/live --$/.test(l)), `every stream on the live server:\n${streams.join("\n")}`);

    // A runtime API command on worker 1's stats socket reaches worker 2: live in maintenance,
    // every stream of either worker goes to the next server.
    const ask = async (line: string): Promise<string> => {
      const c = await net.connect({ address: tcp("127.0.0.1", admin) });
      const reply = new Recorder();
      c.setHandlers(reply);
      c.write(enc(`${line}\n`));
      await within(reply.ended.promise, 10_000, "runtime API reply");
      c.close();
      return reply.text();
    };
    assert.equal(await ask("set server be/live state maint"), "\n");
    await until(
      () => cli.stderr().includes("worker 2: ran 'set server be/live state maint' from worker 1's runtime API"),
      10_000,
      "worker 2 ran the command",
    );
    const after = await bothWorkers();
    assert.ok(after.every((l) => / be\/other --$/.test(l)), `every stream on the other server:\n${after.join("\n")}`);

    // show stat on worker 1 counts the streams of both workers (their counters reach each
    // other every second).
    const total = streamLines().length;
    const stot = async () => {
      const csv = (await ask("show stat")).split("\n");
      const names = csv[0]!.slice(2).split(",");
      return Number(csv.find((l) => l.startsWith("fe,FRONTEND,"))!.split(",")[names.indexOf("stot")]);
    };
    let seen = await stot();
    for (const deadline = Date.now() + 10_000; seen !== total && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200)); // the next snapshot is at most a second away
      seen = await stot();
    }
    assert.equal(seen, total, "FRONTEND stot: the streams of both workers");
    assert.equal(cli.stdout.filter((l) => l.startsWith("Server be/dead is DOWN")).length, 1, "one check, one line");

    process.kill(cli.child.pid!, "SIGTERM");
    const code = await within(cli.exited, 20_000, "primary exit");
    if (runtime !== "deno") assert.equal(code, 0);
    assert.match(cli.stderr(), /SIGTERM received, stopping/);
    await until(() => pids.every((p) => !alive(p)), 10_000, "workers gone");
  });
});
