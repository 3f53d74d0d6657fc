import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { weighted } from "./_fake.ts";

/** A `random` returning `values` in turn; throws if asked for more. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error("random() called too often");
    return values[i++]!;
  };
}

// With 3 servers of weight 1, draws of 0.1, 0.5, 0.9 land on A, B, C.
describe("balance random", () => {
  it("random(2) keeps the less loaded of the two draws", () => {
    const srv = weighted(1, 1, 1);
    srv[0]!.served = 5;
    srv[1]!.served = 1;
    const opts = (...v: number[]) => ({ random: scripted(...v) });
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, opts(0.1, 0.5)).pick()?.name, "B");
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, opts(0.5, 0.1)).pick()?.name, "B");
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, opts(0.1, 0.9)).pick()?.name, "C");
  });

  it("keeps the first draw on equal served/weight", () => {
    const srv = weighted(3, 1);
    srv[0]!.served = 3;
    srv[1]!.served = 1;
    // weights 3/1: 0.7 × 4 = 2.8 → A, 0.8 × 4 = 3.2 → B.
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, { random: scripted(0.7, 0.8) }).pick()?.name, "A");
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, { random: scripted(0.8, 0.7) }).pick()?.name, "B");
    srv[0]!.served = 2; // 2/3 < 1/1
    assert.equal(createBalancer({ kind: "random", draws: 2 }, srv, { random: scripted(0.8, 0.7) }).pick()?.name, "A");
  });

  it("draws exactly `draws` times per pick, weighted", () => {
    const lb = createBalancer({ kind: "random", draws: 3 }, weighted(1, 1, 1), {
      random: scripted(0.9, 0.5, 0.1, 0.2),
    });
    assert.equal(lb.pick()?.name, "C");
    assert.throws(() => lb.pick(), /too often/);
  });

  it("returns nothing when the final choice is full", () => {
    const srv = weighted(1, 1);
    srv[0]!.maxconn = 1;
    srv[0]!.served = 1;
    srv[1]!.served = 4;
    const lb = createBalancer({ kind: "random", draws: 2 }, srv, { random: scripted(0.1, 0.9) });
    assert.equal(lb.pick(), undefined);
    assert.equal(lb.hasUsableServer(), true);
  });

  it("rejects draws that are not an integer >= 1", () => {
    for (const draws of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createBalancer({ kind: "random", draws }, weighted(1)), RangeError);
    }
  });
});
