import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { fake, picks, weighted } from "./_fake.ts";

describe("balance roundrobin", () => {
  it("interleaves weights 3/2/1 as A B A C B A, each cycle identical", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(3, 2, 1));
    assert.deepEqual(picks(lb, 12), ["A", "B", "A", "C", "B", "A", "A", "B", "A", "C", "B", "A"]);
  });

  it("spends the avoided server's turn on a redispatch, so the next stream tries it first (as lb_fwrr.c)", () => {
    const srv = weighted(1, 1);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    const seq: string[] = [];
    for (let i = 0; i < 3; i++) {
      const first = lb.pick()!;
      const retry = lb.pick({ avoid: first })!;
      seq.push(`${first.name}>${retry.name}`);
    }
    // HAProxy 2.6, differential test "option redispatch": every stream tries A, then B.
    assert.deepEqual(seq, ["A>B", "A>B", "A>B"]);
  });

  it("rotates equal weights in declaration order (reg-tests/balance/balance-rr.vtc)", () => {
    const srv = ["srv1", "srv2", "srv3", "srv4"].map((n) => fake(n));
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.deepEqual(picks(lb, 5), ["srv1", "srv2", "srv3", "srv4", "srv1"]);
  });

  it("follows a weight change on the next pick, without update()", () => {
    const srv = weighted(3, 2, 1);
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    picks(lb, 6);
    srv[2]!.weight = 3;
    const next = picks(lb, 8);
    assert.deepEqual(next, ["A", "C", "B", "A", "C", "B", "A", "C"]);
    assert.equal(next.filter((n) => n === "C").length, 3);
  });

  it("gives each server exactly its weight share over sum(weights) picks", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(5, 3, 7, 1));
    const seq = picks(lb, 16);
    assert.deepEqual(["A", "B", "C", "D"].map((n) => seq.filter((x) => x === n).length), [5, 3, 7, 1]);
  });

  it("skips a server at maxconn or with a queue", () => {
    const srv = weighted(1, 1, 1);
    srv[1]!.maxconn = 2;
    srv[1]!.served = 2;
    const lb = createBalancer({ kind: "roundrobin" }, srv);
    assert.deepEqual(picks(lb, 4), ["A", "C", "A", "C"]);
    srv[1]!.served = 1;
    srv[1]!.queued = 1;
    assert.deepEqual(picks(lb, 2), ["A", "C"]);
    srv[1]!.queued = 0;
    assert.ok(picks(lb, 3).includes("B"));
  });

  it("returns nothing while the backend queue holds streams behind busy ones", () => {
    const lb = createBalancer({ kind: "roundrobin" }, weighted(1, 1));
    assert.equal(lb.pick({ backendQueued: 2, backendConns: 5 }), undefined);
    assert.equal(lb.hasUsableServer(), true);
    assert.equal(lb.pick({ backendQueued: 2, backendConns: 2 })?.name, "A");
  });
});
