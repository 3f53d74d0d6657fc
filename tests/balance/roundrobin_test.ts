import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { fake, type FakeServer, picks, weighted } from "./_fake.ts";

/**
 * Orders observed from the real HAProxy 2.6.12 (`balance roundrobin`, `mode tcp`, servers A,
 * B, C... with these weights, 60 sequential connections, each counted on the server where its
 * first byte arrived).
 */
const HAPROXY_26: Record<string, string> = {
  "2/1": "AABAABAABAABAABAABAABAABAABAABAABAABAABAABAABAABAABAABAABAAB",
  "3/1": "AAABAAABAAABAAABAAABAAABAAABAAABAAABAAABAAABAAABAAABAAABAAAB",
  "3/2/1": "ABACABABACABABACABABACABABACABABACABABACABABACABABACABABACAB",
  "5/3/2": "ABACABABACABACABABACABACABABACABACABABACABACABABACABACABABAC",
  "1/1/1": "ABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABC",
  "10/1": "AAAAAAAAAABAAAAAAAAAABAAAAAAAAAABAAAAAAAAAABAAAAAAAAAABAAAAA",
  "4/4/1": "ABABABABCABABABABCABABABABCABABABABCABABABABCABABABABCABABAB",
  "2/0/1": "AACAACAACAACAACAACAACAACAACAACAACAACAACAACAACAACAACAACAACAAC",
  "0/3/1": "BBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBCBBBC",
  "5/3/7/1": "CACBACCABCACDCBACACBACCABCACDCBACACBACCABCACDCBACACBACCABCAC",
  "7/5/3/2/1": "ABACBADABCABAEACBDABACBADABCABAEACBDABACBADABCABAEACBDABACBA",
  "100/37/1": "AAABAABAAABAAABAAABAABAAABAAABAABAAABAACABAAABAABAAABAAABAAB",
};

/** Picks `n` times, joined into one string ("-" for none). */
function seq(lb: ReturnType<typeof createBalancer>, n: number): string {
  return picks(lb, n).join("");
}

describe("balance roundrobin", () => {
  it("elects 2/1 as A A B, HAProxy's order, not the smooth A B A", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(2, 1));
    assert.deepEqual(picks(lb, 6), ["A", "A", "B", "A", "A", "B"]);
  });

  for (const [weights, expected] of Object.entries(HAPROXY_26)) {
    it(`elects weights ${weights} in HAProxy 2.6's order over 60 picks`, () => {
      // A weight 0 server is out of load balancing (DRAIN) and never elected.
      const lb = createBalancer({ kind: "roundrobin" }, weighted(...weights.split("/").map(Number)));
      assert.equal(seq(lb, 60), expected);
    });
  }

  it("spends the avoided server's turn on a redispatch, so the next stream tries it first (as lb_fwrr.c)", () => {
    const srv = weighted(1, 1);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    const out: string[] = [];
    for (let i = 0; i < 3; i++) {
      const first = lb.pick()!;
      const retry = lb.pick({ avoid: first })!;
      out.push(`${first.name}>${retry.name}`);
    }
    // HAProxy 2.6, differential test "option redispatch": every stream tries A, then B.
    assert.deepEqual(out, ["A>B", "A>B", "A>B"]);
  });

  it("returns the avoided server when it is the only one that can take the stream", () => {
    const srv = weighted(1, 1);
    srv[1]!.maxconn = 1;
    srv[1]!.served = 1;
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.equal(lb.pick({ avoid: srv[0]! })?.name, "A");
  });

  it("rotates equal weights in declaration order (reg-tests/balance/balance-rr.vtc)", () => {
    const srv = ["srv1", "srv2", "srv3", "srv4"].map((n) => fake(n));
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.deepEqual(picks(lb, 5), ["srv1", "srv2", "srv3", "srv4", "srv1"]);
  });

  it("follows a weight change on the next pick, without update(), re-placing as HAProxy 2.6", () => {
    const srv = weighted(3, 2, 1);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.equal(seq(lb, 6), "ABACAB");
    srv[2]!.weight = 3;
    // HAProxy 2.6.12, `set weight l/C 3` after 6 connections.
    assert.equal(seq(lb, 54), "ABCACBACABCACBACABCACBACABCACBACABCACBACABCACBACABCACB");
  });

  it("re-places servers through weight 0 and back as HAProxy 2.6", () => {
    const srv = weighted(2, 1);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    // HAProxy 2.6.12: 1 pick, `set weight B 5`, 9 picks, `set weight A 0`, 5 picks,
    // `set weight A 4`, 45 picks.
    const out = [seq(lb, 1)];
    srv[1]!.weight = 5;
    out.push(seq(lb, 9));
    srv[0]!.weight = 0;
    out.push(seq(lb, 5));
    srv[0]!.weight = 4;
    out.push(seq(lb, 45));
    assert.equal(out.join(""), "AABBBABBABBBBBBBABBABABABABBABABABABBABABABABBABBBABABABABBA");
  });

  it("re-places a server going down and coming back up as HAProxy 2.6", () => {
    const srv = weighted(5, 3, 2);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    // HAProxy 2.6.12: 3 picks, `disable server B`, 7 picks, `enable server B`, 50 picks.
    const out = [seq(lb, 3)];
    srv[1]!.usable = false;
    out.push(seq(lb, 7));
    srv[1]!.usable = true;
    out.push(seq(lb, 50));
    assert.equal(out.join(""), "ABACAACAAACAABACBAABCAABACBAABCAABACBAABCAABACBAABCAABACBAAB");
  });

  it("gives each server exactly its weight share over sum(weights) picks", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(5, 3, 7, 1));
    const s = picks(lb, 16);
    assert.deepEqual(["A", "B", "C", "D"].map((n) => s.filter((x) => x === n).length), [5, 3, 7, 1]);
  });

  it("skips a server at maxconn or with a queue, spending its turn (as lb_fwrr.c)", () => {
    const srv = weighted(1, 1, 1);
    srv[1]!.maxconn = 2;
    srv[1]!.served = 2;
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.deepEqual(picks(lb, 4), ["A", "C", "A", "C"]);
    srv[1]!.served = 1;
    srv[1]!.queued = 1;
    assert.deepEqual(picks(lb, 2), ["A", "C"]);
    srv[1]!.queued = 0;
    assert.deepEqual(picks(lb, 3), ["A", "B", "C"]);
  });

  it("returns nothing when every server is full, and resumes the rotation afterwards", () => {
    const srv = weighted(1, 1);
    for (const s of srv) Object.assign(s, { maxconn: 1, served: 1 });
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.equal(lb.pick(), undefined);
    assert.equal(lb.hasUsableServer(), true);
    for (const s of srv) s.served = 0;
    assert.equal(picks(lb, 4).filter((n) => n === "A").length, 2);
  });

  it("returns nothing while the backend queue holds streams behind busy ones", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(1, 1));
    assert.equal(lb.pick({ backendQueued: 2, backendConns: 5 }), undefined);
    assert.equal(lb.hasUsableServer(), true);
    assert.equal(lb.pick({ backendQueued: 2, backendConns: 2 })?.name, "A");
  });

  it("uses only the first backup when no active server is usable, even when it is full", () => {
    const srv: FakeServer[] = [
      fake("A", { id: 1 }),
      fake("B", { id: 2, backup: true, weight: 2 }),
      fake("C", { id: 3, backup: true }),
    ];
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    // HAProxy 2.6.12: 3 picks, `disable server A`, 10 picks, `enable server A`, 5 picks.
    const out = [seq(lb, 3)];
    srv[0]!.usable = false;
    out.push(seq(lb, 10));
    srv[0]!.usable = true;
    out.push(seq(lb, 5));
    assert.equal(out.join(""), "AAABBBBBBBBBBAAAAA");
    // fwrr returns lbprm.fbck as is (full or avoided); the caller queues on it.
    srv[0]!.usable = false;
    Object.assign(srv[1]!, { maxconn: 1, served: 1 });
    assert.equal(lb.pick({ avoid: srv[1]! })?.name, "B");
  });

  it("rotates over the backups with option allbackups as HAProxy 2.6", () => {
    const srv: FakeServer[] = [
      fake("A", { id: 1 }),
      fake("B", { id: 2, backup: true, weight: 2 }),
      fake("C", { id: 3, backup: true }),
    ];
    const lb = createBalancer({ kind: "roundrobin" }, srv, { allBackups: true });
    // HAProxy 2.6.12: 3 picks, `disable server A`, 12 picks, `enable server A`, 5 picks.
    const out = [seq(lb, 3)];
    srv[0]!.usable = false;
    out.push(seq(lb, 12));
    srv[0]!.usable = true;
    out.push(seq(lb, 5));
    assert.equal(out.join(""), "AAABBCBBCBBCBBCAAAAA");
  });
});
