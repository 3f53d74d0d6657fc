/**
 * `show sess [<id>|all]` (management.txt 9.3) in HAProxy 2.6's one-line-per-stream format
 * (src/_show_sess.ts): the fields proxykit has (`proto`, `src`, `fe`, `be`, `srv`, `age`,
 * `exp`) in HAProxy's order, the others empty; a stream's dump by id. Memory network, fake
 * clock.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "../_proxy_harness.ts";
import { RuntimeApiSession } from "../../src/runtime_api.ts";
import { formatSess, humanTime, sessRows, WORKER_ID_SPAN } from "../../src/_show_sess.ts";
import { SessQuery } from "../../cli/sess_query.ts";
import { enc } from "../_helpers.ts";

/** A proxy over one echo server, timeouts of 90 s, and one client whose stream is established. */
async function setup() {
  const h = new Harness();
  await h.server("s1", srvAddr(1));
  await h.start({
    ...config({ servers: servers(1), timeouts: { connectMs: 1000, serverMs: 90_000 } }, { clientTimeoutMs: 90_000 }),
  });
  const c = await h.client();
  c.socket.write(enc("ping"));
  await h.until(() => c.rec.chunks.length > 0);
  return { h, c, cli: new RuntimeApiSession(h.proxy, "operator") };
}

const EMPTY = "rq[f=,i=,an=,rx=,wx=,ax=] rp[f=,i=,an=,rx=,wx=,ax=] scf=[,,fd=] scb=[,,fd=]";

describe("show sess", () => {
  it("prints one line per stream, HAProxy's fields in its order, what proxykit has filled", async () => {
    const { h, cli, c } = await setup();
    await h.clock.advance(65_000);
    const out = cli.execute("show sess");
    const src = c.socket.localAddress as { hostname: string; port: number };
    const m = /^0x([0-9a-f]+): (.*)\n\n$/.exec(out);
    assert.ok(m, out);
    assert.equal(
      m[2],
      `proto=tcpv4 src=${src.hostname}:${src.port} fe=fe be=be srv=s1 ts= epoch= age=1m5s calls= rate= cpu= lat= ` +
        `${EMPTY} exp=25s rc= c_exp=`,
    );
    // One stream's dump by its id, as HAProxy's `show sess 0x...`.
    const one = cli.execute(`show sess 0x${m[1]}`);
    assert.match(
      one,
      new RegExp(`^0x${m[1]}: \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\] id=\\d+ proto=tcpv4 `),
    );
    assert.ok(one.includes(`  frontend=fe (id= mode=tcp), listener=? (id=) addr=10.0.0.1:80\n`), one);
    assert.ok(one.includes(`  backend=be (id= mode=tcp)\n  server=s1 (id=) addr=10.1.0.1:8000\n`), one);
    assert.ok(one.includes(" exp=25s tmask= age=1m5s)\n"), one);
    assert.equal(cli.execute("show sess all"), one);
    assert.equal(cli.execute("show sess 0x7fffffff"), "Session not found.\n\n");
    // Not a number: HAProxy's strtoul() reads 0, which lists them all.
    assert.equal(cli.execute("show sess zz"), out);
  });

  it("a stream that ended is gone; without streams the answer is empty", async () => {
    const { h, cli, c } = await setup();
    const id = /^(0x[0-9a-f]+):/.exec(cli.execute("show sess"))![1];
    c.socket.close();
    await h.until(() => h.lines.length > 0);
    assert.equal(cli.execute("show sess"), "\n");
    assert.equal(cli.execute(`show sess ${id}`), "Session not found.\n\n");
  });

  it("needs operator level, as in HAProxy", async () => {
    const { h } = await setup();
    assert.equal(new RuntimeApiSession(h.proxy, "user").execute("show sess"), "Permission denied\n\n");
  });

  it("ages and timers print as HAProxy's human_time()", () => {
    assert.deepEqual(
      [0, 1, 59, 60, 65, 3600, 3725, 86400, 90061, 200000, -1].map(humanTime),
      ["0s", "1s", "59s", "1m", "1m5s", "1h", "1h2m", "1d", "1d1h", "2d7h", "?"],
    );
  });

  it("executeAsync() answers show sess from the given source, in the line's order, still checking the level", async () => {
    const { h } = await setup();
    const asked: (string | undefined)[] = [];
    const source = (arg: string | undefined) => (asked.push(arg), Promise.resolve(`sess ${arg ?? "-"}\n`));
    const cli = new RuntimeApiSession(h.proxy, "operator", undefined, source);
    assert.equal(
      await cli.executeAsync("show cli level; show sess; show sess all"),
      "operator\n\nsess -\n\nsess all\n\n",
    );
    assert.deepEqual(asked, [undefined, "all"]);
    assert.equal(await cli.executeAsync("user; show sess"), "\nPermission denied\n\n");
    // execute() keeps listing this proxy's streams.
    const again = new RuntimeApiSession(h.proxy, "operator", undefined, source);
    assert.match(again.execute("show sess"), /^0x[0-9a-f]+: proto=tcpv4 /);
  });

  it("a worker's rows carry ids offset by the worker (0x2...) and its tmask; formatSess prints rows of several", async () => {
    const { h } = await setup();
    const [own] = sessRows(h.proxy, 2);
    assert.ok(own!.id > 2 * WORKER_ID_SPAN && own!.id < 3 * WORKER_ID_SPAN);
    const rows = [{ ...own!, id: WORKER_ID_SPAN + 1, worker: 1 }, own!];
    const now = h.clock.now();
    const list = formatSess(rows, undefined, now).split("\n").filter((l) => l !== "");
    assert.deepEqual(list.map((l) => l.slice(0, 3)), ["0x1", "0x2"]);
    const one = formatSess(rows, `0x${own!.id.toString(16)}`, now);
    assert.match(one, new RegExp(`^0x${own!.id.toString(16)}: `));
    assert.match(one, / tmask=0x2 age=0s\)\n$/);
  });

  it("SessQuery: the other workers' rows in worker order; a worker that does not answer in time is left out", async () => {
    const { h } = await setup();
    const [row] = sessRows(h.proxy, 1);
    const asked: number[] = [];
    const q = new SessQuery(3, (id) => asked.push(id), 50);
    const pending = q.rows([row!]);
    q.answer({ type: "sess-reply", id: asked[0]!, worker: 3, to: 1, rows: [{ ...row!, worker: 3 }] });
    const rows = await pending; // worker 2 never answers: the timeout ends the wait
    assert.deepEqual(rows.map((r) => r.worker), [1, 3]);
    // Answers to a query that gave up are dropped; the next query answers as soon as all did.
    q.answer({ type: "sess-reply", id: asked[0]!, worker: 2, to: 1, rows: [{ ...row!, worker: 2 }] });
    const next = q.rows([row!]);
    for (const w of [3, 2]) {
      q.answer({ type: "sess-reply", id: asked[1]!, worker: w, to: 1, rows: [{ ...row!, worker: w }] });
    }
    assert.deepEqual((await next).map((r) => r.worker), [1, 2, 3]);
  });
});
