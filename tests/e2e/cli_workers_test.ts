/**
 * End to end, `proxykit --workers 2` (Linux: SO_REUSEPORT), `examples/proxy.ts` on the runtime
 * running the tests, real loopback sockets: worker 1's `show sess` lists the streams of both
 * workers (cli/sess_query.ts), and a stats page admin form POST reaches every worker whichever
 * worker served it, naming that worker in the others' log lines.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type Child, cleanupAfterEach, startTracked, tempFile } from "../_child.ts";
import type { Network, Socket } from "../../src/net.ts";
import {
  enc,
  freePorts,
  namedEchoServer,
  nativeNetwork,
  portOf,
  Recorder,
  runtime,
  tcp,
  until,
  within,
} from "../_helpers.ts";

const net: Network = await nativeNetwork();
const cleanup = cleanupAfterEach();

/** Starts `--workers 2` on `lines` (a configuration), once both workers listen. */
async function workers(lines: string[]): Promise<Child> {
  const file = tempFile("workers2.cfg", lines);
  cleanup.push(() => file.remove());
  const cli = startTracked(cleanup, ["--workers", "2", "-f", file.path]);
  await until(() => cli.stdout.filter((l) => l.startsWith("listening on")).length >= 2, 20_000, "two workers");
  return cli;
}

/** Sends `text` to 127.0.0.1:`port`, returns everything read until the peer closes. */
async function request(port: number, text: string): Promise<string> {
  const c = await net.connect({ address: tcp("127.0.0.1", port) });
  const reply = new Recorder();
  c.setHandlers(reply);
  c.write(enc(text));
  await within(reply.ended.promise, 10_000, `reply from ${port}`);
  c.close();
  return reply.text();
}

describe(`proxykit --workers 2 on ${runtime}`, { skip: process.platform !== "linux" }, () => {
  it("worker 1's show sess lists every worker's streams, ids unique, show sess <id> finds another worker's", async () => {
    const echo = await namedEchoServer(net, "s");
    cleanup.push(() => echo.close());
    const [port, admin] = (await freePorts(net, 2)) as [number, number];
    await workers([
      "global",
      `    stats socket 127.0.0.1:${admin} level admin`,
      "defaults",
      "    mode tcp",
      "    timeout connect 2s",
      "    timeout client 60s",
      "    timeout server 60s",
      "frontend fe",
      `    bind 127.0.0.1:${port}`,
      "    default_backend be",
      "backend be",
      `    server s1 127.0.0.1:${portOf(echo.address)}`,
    ]);
    const held: Socket[] = [];
    cleanup.push(() => held.forEach((s) => s.close()));
    /** `show sess` lines, by the worker their id names (`0x1...`, `0x2...`). */
    let lines: string[] = [];
    const byWorker = () => new Set(lines.map((l) => /^0x(\d)[0-9a-f]{8}: /.exec(l)?.[1]));
    // SO_REUSEPORT spreads connections by their addresses: hold more until both workers have some.
    for (let batch = 0; batch < 16 && byWorker().size < 2; batch++) {
      for (let i = 0; i < 4; i++) {
        const c = await net.connect({ address: tcp("127.0.0.1", port) });
        const r = new Recorder();
        c.setHandlers(r);
        held.push(c);
        await within(r.waitBytes(2), 10_000, "the server's greeting: the stream is established");
      }
      lines = (await request(admin, "show sess\n")).split("\n").filter((l) => l !== "");
      assert.equal(lines.length, held.length, `one line per held connection:\n${lines.join("\n")}`);
    }
    assert.deepEqual([...byWorker()].sort(), ["1", "2"], `streams of both workers listed:\n${lines.join("\n")}`);
    assert.ok(lines.every((l) => / fe=fe be=be srv=s1 /.test(l)), lines.join("\n"));
    const ids = lines.map((l) => l.slice(0, l.indexOf(":")));
    assert.equal(new Set(ids).size, ids.length, "ids unique across workers");
    // One stream of worker 2, by its id, from worker 1's socket.
    const other = ids.find((id) => id.startsWith("0x2"))!;
    const dump = await request(admin, `show sess ${other}\n`);
    assert.match(dump, new RegExp(`^${other}: \\[.*\\] id=\\d+ proto=tcpv4 source=127\\.0\\.0\\.1:\\d+\\n`));
    assert.match(dump, / tmask=0x2 /);
    assert.equal(await request(admin, "show sess 0x2ffffffff\n"), "Session not found.\n\n");
    // Ended streams leave the list on both workers.
    for (const s of held.splice(0)) s.close();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      if ((await request(admin, "show sess\n")) === "\n") break;
      await new Promise((r) => setTimeout(r, 100)); // the workers see the closes on their own time
    }
    assert.equal(await request(admin, "show sess\n"), "\n");
  });

  it("a stats page admin POST served by either worker reaches the other, once, naming where it ran", async () => {
    const [stats, admin, srv] = (await freePorts(net, 3)) as [number, number, number];
    const names = Array.from({ length: 24 }, (_, i) => `s${i + 1}`);
    const cli = await workers([
      "global",
      `    stats socket 127.0.0.1:${admin} level admin`,
      "defaults",
      "    mode http",
      "    timeout connect 2s",
      "    timeout client 10s",
      "    timeout server 10s",
      "frontend st",
      `    bind 127.0.0.1:${stats}`,
      "    stats enable",
      "    stats uri /stats",
      "    stats admin if TRUE",
      "    default_backend be",
      "backend be",
      ...names.map((n) => `    server ${n} 127.0.0.1:${srv}`),
    ]);
    const ran = (from: number) =>
      new RegExp(`worker ${3 - from}: ran 'set server be/(s\\d+) state maint' from worker ${from}'s stats page`, "g");
    const seen = (from: number) => [...cli.stderr().matchAll(ran(from))].map((m) => m[1]!);
    // One server per POST: each POST's log line tells which worker served it.
    let posts = 0;
    for (const name of names) {
      if (seen(1).length > 0 && seen(2).length > 0) break;
      const body = `s=${name}&action=maint&b=be`;
      const reply = await request(
        stats,
        `POST /stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      assert.match(reply, /^HTTP\/1\.1 303 See Other\r\n[^]*location: \/stats;st=DONE\r\n/i);
      posts++;
      await until(() => seen(1).length + seen(2).length === posts, 10_000, `POST ${name} reached the other worker`);
    }
    assert.ok(seen(2).length > 0, `a POST served by worker 2:\n${cli.stderr()}`);
    assert.ok(seen(1).length > 0, `a POST served by worker 1:\n${cli.stderr()}`);
    // Worker 1 (the one with the checks and the socket) has every change, worker 2's included.
    const csv = (await request(admin, "show stat\n")).split("\n");
    const fields = csv[0]!.slice(2).split(",");
    const status = (n: string) => csv.find((l) => l.startsWith(`be,${n},`))!.split(",")[fields.indexOf("status")];
    for (const n of [...seen(1), ...seen(2)]) assert.equal(status(n), "MAINT", `${n} in maintenance on worker 1`);
    // Each POST ran once on the other worker, never again (nothing loops back).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal([...cli.stderr().matchAll(/: ran '/g)].length, posts, cli.stderr());
  });
});
