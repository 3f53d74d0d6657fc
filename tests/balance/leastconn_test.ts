import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { leastconnKey } from "../../src/balance/leastconn.ts";
import { fake, picks, weighted } from "./_fake.ts";

describe("balance leastconn", () => {
  it("computes HAProxy's key (inflight + 1) * 4096 / eweight, 0 when idle", () => {
    assert.equal(leastconnKey(fake("a", { served: 0 })), 0);
    assert.equal(leastconnKey(fake("a", { served: 1 })), 512);
    assert.equal(leastconnKey(fake("a", { served: 1, queued: 1 })), 768);
    assert.equal(leastconnKey(fake("a", { served: 2, weight: 3 })), 256);
  });

  it("rotates among servers of equal load", () => {
    const lb = createBalancer({ kind: "leastconn" }, weighted(1, 1, 1));
    assert.deepEqual(picks(lb, 7), ["A", "B", "C", "A", "B", "C", "A"]);
  });

  it("fills the least loaded first, then rotates once loads are equal", () => {
    const srv = weighted(1, 1, 1);
    srv[0]!.served = 2;
    const lb = createBalancer({ kind: "leastconn" }, srv);
    assert.deepEqual(picks(lb, 7, undefined, true), ["B", "C", "B", "C", "A", "B", "C"]);
  });

  it("counts queued streams as load and divides by the weight", () => {
    const srv = weighted(2, 1);
    srv[0]!.served = 1;
    srv[1]!.served = 1;
    const lb = createBalancer({ kind: "leastconn" }, srv);
    assert.equal(lb.pick()?.name, "A");
    srv[0]!.queued = 3; // A: (4 + 1) * 4096 / 32 = 640 > B: 512
    assert.equal(lb.pick()?.name, "B");
  });

  it("may elect a server at maxconn while its queue has room (served + queued < maxconn + maxqueue)", () => {
    const a = fake("A", { maxconn: 1, maxqueue: 2, served: 1 });
    const lb = createBalancer({ kind: "leastconn" }, [a]);
    assert.equal(lb.pick()?.name, "A");
    a.queued = 2;
    assert.equal(lb.pick(), undefined);
    assert.equal(lb.hasUsableServer(), true);
  });

  it("skips a server at maxconn when maxqueue is 0", () => {
    const srv = weighted(1, 1);
    srv[0]!.maxconn = 1;
    srv[0]!.served = 1;
    srv[1]!.served = 5;
    const lb = createBalancer({ kind: "leastconn" }, srv);
    assert.equal(lb.pick()?.name, "B");
  });

  it("ignores the backend queue hint (only first/roundrobin/static-rr use it)", () => {
    const lb = createBalancer({ kind: "leastconn" }, weighted(1));
    assert.equal(lb.pick({ backendQueued: 2, backendConns: 5 })?.name, "A");
  });
});
