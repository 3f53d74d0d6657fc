import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { picks, weighted } from "./_fake.ts";

// Expected sequences computed by hand from HAProxy's lb_map.c recalc_server_map():
// 2/1, tot 3: slot0 A(v=1) B(v=1) → A; slot1 A(1) B(1) → A; slot2 A(1) B(2) → B.
// 3/2, tot 5: slots A A B A B.
describe("balance static-rr", () => {
  it("builds HAProxy's map for weights 2/1: A A B", () => {
    const lb = createBalancer({ kind: "static-rr" }, weighted(2, 1));
    assert.deepEqual(picks(lb, 6), ["A", "A", "B", "A", "A", "B"]);
  });

  it("builds HAProxy's map for weights 3/2: A A B A B", () => {
    const lb = createBalancer({ kind: "static-rr" }, weighted(3, 2));
    assert.deepEqual(picks(lb, 10), ["A", "A", "B", "A", "B", "A", "A", "B", "A", "B"]);
  });

  it("gives the same sequence once weights are divided by their GCD (4/2 = 2/1)", () => {
    const lb = createBalancer({ kind: "static-rr" }, weighted(4, 2));
    assert.deepEqual(picks(lb, 6), ["A", "A", "B", "A", "A", "B"]);
  });

  it("ignores weight changes until update(), keeping rr_idx across the rebuild", () => {
    const srv = weighted(1, 1);
    const lb = createBalancer({ kind: "static-rr" }, srv);
    assert.deepEqual(picks(lb, 2), ["A", "B"]);
    srv[0]!.weight = 2;
    assert.deepEqual(picks(lb, 2), ["A", "B"]);
    lb.update();
    // rr_idx is 2 after picking slot 1; the new map A A B starts there.
    assert.deepEqual(picks(lb, 4), ["B", "A", "A", "B"]);
  });

  it("drops a server going down and reintroduces it at once", () => {
    const srv = weighted(1, 1, 1);
    const lb = createBalancer({ kind: "static-rr" }, srv);
    assert.deepEqual(picks(lb, 3), ["A", "B", "C"]);
    srv[1]!.usable = false;
    assert.deepEqual(picks(lb, 4), ["A", "C", "A", "C"]);
    srv[1]!.usable = true;
    // rr_idx (2) survives the rebuild of the map A B C, as in HAProxy.
    assert.deepEqual(picks(lb, 4), ["C", "A", "B", "C"]);
  });

  it("skips full servers and walks on from rr_idx", () => {
    const srv = weighted(1, 1, 1);
    srv[1]!.maxconn = 1;
    srv[1]!.served = 1;
    const lb = createBalancer({ kind: "static-rr" }, srv);
    assert.deepEqual(picks(lb, 4), ["A", "C", "A", "C"]);
  });

  it("passes over the avoided server and continues after it", () => {
    const srv = weighted(1, 1, 1);
    const lb = createBalancer({ kind: "static-rr" }, srv);
    assert.equal(lb.pick()?.name, "A");
    assert.equal(lb.pick({ avoid: srv[1]! })?.name, "C");
    assert.equal(lb.pick()?.name, "A");
  });

  it("returns nothing while the backend queue holds streams behind busy ones", () => {
    const lb = createBalancer({ kind: "static-rr" }, weighted(1));
    assert.equal(lb.pick({ backendQueued: 1, backendConns: 3 }), undefined);
  });
});
