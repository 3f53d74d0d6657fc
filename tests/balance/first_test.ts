import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { fake, picks } from "./_fake.ts";

describe("balance first", () => {
  it("fills servers in id order up to their maxconn", () => {
    const srv = [
      fake("s1", { id: 3, maxconn: 2 }),
      fake("s2", { id: 1, maxconn: 2 }),
      fake("s3", { id: 2, maxconn: 2, weight: 100 }),
    ];
    const lb = createBalancer({ kind: "first" }, srv);
    assert.deepEqual(picks(lb, 7, undefined, true), ["s2", "s2", "s3", "s3", "s1", "s1", "-"]);
    assert.equal(lb.hasUsableServer(), true);
    srv[2]!.served--;
    assert.equal(lb.pick()?.name, "s3");
  });

  it("sends everything to the lowest id without maxconn", () => {
    const lb = createBalancer({ kind: "first" }, [fake("b", { id: 2 }), fake("a", { id: 1 })]);
    assert.deepEqual(picks(lb, 3, undefined, true), ["a", "a", "a"]);
  });

  it("passes over a server with queued streams", () => {
    const srv = [fake("a", { id: 1, maxconn: 5, queued: 1 }), fake("b", { id: 2 })];
    const lb = createBalancer({ kind: "first" }, srv);
    assert.equal(lb.pick()?.name, "b");
  });
});
