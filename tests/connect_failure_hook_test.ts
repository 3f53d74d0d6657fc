/**
 * `hooks.onConnectFailure` (src/connect_failure.ts) on the in-memory network with a fake clock:
 * what it is told about each failed attempt, and its `"redispatch"` answer.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import type { ConnectFailureInfo } from "../src/connect_failure.ts";

/** s1 refuses (nothing listens there), s2 echoes; `balance first` elects s1 first. */
async function refusingFirst(hook: (f: ConnectFailureInfo) => "redispatch" | undefined): Promise<{
  h: Harness;
  seen: ConnectFailureInfo[];
}> {
  const h = new Harness();
  await h.server("s2", srvAddr(2));
  const seen: ConnectFailureInfo[] = [];
  h.hooks = {
    onConnectFailure: (f) => {
      seen.push(f);
      return hook(f);
    },
  };
  await h.start(config({ balance: { kind: "first" }, retries: 2, servers: servers(2) }));
  return { h, seen };
}

describe("hooks.onConnectFailure", () => {
  it("is told each failed attempt; without an answer the retries stay on the server, then SC", async () => {
    const { h, seen } = await refusingFirst(() => undefined);
    await h.exchange();
    assert.deepEqual(
      seen.map((f) => [f.backend, f.server, f.attempt, f.code, f.timedOut, f.final]),
      [
        ["be", "s1", 1, "ECONNREFUSED", false, false],
        ["be", "s1", 2, "ECONNREFUSED", false, false],
        ["be", "s1", 3, "ECONNREFUSED", false, true],
      ],
    );
    assert.deepEqual(seen[0]!.address, srvAddr(1));
    assert.equal(Harness.fields(h.lines[0]!).term, "SC");
    assert.deepEqual(h.sequence, []);
  });

  it('"redispatch" sends the next attempt to another server without option redispatch', async () => {
    const { h, seen } = await refusingFirst((f) => f.code === "ECONNREFUSED" ? "redispatch" : undefined);
    const rec = await h.exchange("hello");
    assert.equal(rec.text(), "hello");
    assert.equal(seen.length, 1);
    assert.deepEqual(h.sequence, ["s2"]);
    const f = Harness.fields(h.lines[0]!);
    assert.deepEqual([f.server, f.term], ["s2", "--"]);
    assert.equal(h.proxy.backends[0]!.counters.redispatches, 1);
  });

  it("a hook that throws is logged and HAProxy's rules apply", async () => {
    const { h } = await refusingFirst(() => {
      throw new Error("boom");
    });
    await h.exchange();
    assert.equal(h.lines.filter((l) => l === "proxykit: a hook threw: boom").length, 3);
    assert.equal(Harness.fields(h.lines.at(-1)!).term, "SC");
  });
});
