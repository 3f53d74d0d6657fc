import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBalancer } from "../../src/balance/mod.ts";
import { sourceHash } from "../../src/balance/source.ts";
import { picks, weighted } from "./_fake.ts";

describe("balance source", () => {
  it("hashes as get_server_sh(): XOR of the big-endian 32-bit words", () => {
    assert.equal(sourceHash("1.2.3.4"), 0x01020304);
    assert.equal(sourceHash("255.255.255.255"), 0xffffffff);
    assert.equal(sourceHash("2001:db8::1"), 0x20010db9);
    assert.equal(sourceHash("ffff:0:0:0:0:0:0:1"), 0xffff0001);
    assert.equal(sourceHash("[2001:db8::1]"), 0x20010db9);
    assert.equal(sourceHash("fe80::1%eth0"), 0xfe800001);
    assert.equal(sourceHash("::1.2.3.4"), 0x01020304);
    // IPv4 clients of a dual-stack listener hash as IPv4.
    assert.equal(sourceHash("::ffff:10.0.0.1"), 0x0a000001);
    for (const bad of ["", "unix", "1.2.3", "1.2.3.256", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::"]) {
      assert.equal(sourceHash(bad), undefined, bad);
    }
  });

  it("maps hash % tot_weight onto the static map", () => {
    // 3 equal servers, map A B C: 0x0a000001 = 167772161 ≡ 2 (mod 3).
    const lb = createBalancer({ kind: "source" }, weighted(1, 1, 1));
    assert.equal(lb.pick({ sourceAddress: "10.0.0.1" })?.name, "C");
    assert.equal(lb.pick({ sourceAddress: "10.0.0.2" })?.name, "A");
    assert.equal(lb.pick({ sourceAddress: "10.0.0.3" })?.name, "B");
    assert.equal(lb.pick({ sourceAddress: "2001:db8::1" })?.name, "A"); // 536939961 ≡ 0
    // weights 2/1, map A A B.
    const w = createBalancer({ kind: "source" }, weighted(2, 1));
    assert.deepEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((a) => w.pick({ sourceAddress: a })?.name), [
      "B",
      "A",
      "A",
    ]);
  });

  it("is stable for one address and spreads different ones", () => {
    const lb = createBalancer({ kind: "source" }, weighted(1, 1, 1, 1));
    assert.deepEqual(new Set(picks(lb, 20, { sourceAddress: "192.0.2.77" })).size, 1);
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) seen.add(lb.pick({ sourceAddress: `198.51.100.${i}` })!.name);
    assert.equal(seen.size, 4);
  });

  it("keeps affinity on a full server (the caller queues on it)", () => {
    const srv = weighted(1, 1, 1);
    srv[2]!.maxconn = 1;
    srv[2]!.served = 1;
    const lb = createBalancer({ kind: "source" }, srv);
    assert.equal(lb.pick({ sourceAddress: "10.0.0.1" })?.name, "C");
  });

  it("sends everything to the only usable server, and remaps when the set changes", () => {
    const srv = weighted(1, 1, 1);
    srv[0]!.usable = false;
    srv[2]!.usable = false;
    const lb = createBalancer({ kind: "source" }, srv);
    assert.equal(lb.pick({ sourceAddress: "10.0.0.1" })?.name, "B");
    srv[2]!.usable = true; // map B C: 167772161 ≡ 1 (mod 2)
    assert.equal(lb.pick({ sourceAddress: "10.0.0.1" })?.name, "C");
  });

  it("falls back to round-robin without a usable address", () => {
    const lb = createBalancer({ kind: "source" }, weighted(1, 1));
    assert.deepEqual(picks(lb, 3), ["A", "B", "A"]);
    assert.deepEqual(picks(lb, 1, { sourceAddress: "/run/proxy.sock" }), ["B"]);
  });
});
