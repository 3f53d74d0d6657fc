// Rules every algorithm shares: the eligible set (actives, first backup, allbackups), the
// srvtoavoid rule, and "nothing usable → undefined".
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BalanceAlgorithm } from "../../src/config/types.ts";
import { createBalancer, eligibleServers } from "../../src/balance/mod.ts";
import { fake, type FakeServer, picks, weighted } from "./_fake.ts";

const CONSISTENT = { method: "consistent", function: "sdbm", avalanche: true } as const;

/** Each algorithm, and the `hash-type` it runs with (map-based when absent). */
const ALGORITHMS: [BalanceAlgorithm, (typeof CONSISTENT)?][] = [
  [{ kind: "roundrobin" }],
  [{ kind: "static-rr" }],
  [{ kind: "leastconn" }],
  [{ kind: "first" }],
  [{ kind: "source" }],
  [{ kind: "source" }, CONSISTENT],
  // Without the parameter in a request, url_param runs its round-robin fallback.
  [{ kind: "url_param", param: "absent" }],
  [{ kind: "url_param", param: "absent" }, CONSISTENT],
  [{ kind: "random", draws: 2 }],
];

/** A deterministic PRNG (mulberry32) so that random runs are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function backendWithBackups() {
  return [
    fake("act1", { id: 1 }),
    fake("act2", { id: 2 }),
    fake("bck1", { id: 3, backup: true }),
    fake("bck2", { id: 4, backup: true }),
  ];
}

describe("eligible servers", () => {
  it("uses only actives while one is usable, then the first backup, or all with allbackups", () => {
    const srv = backendWithBackups();
    const names = (all: boolean) => eligibleServers(srv, all).map((s) => s.name);
    assert.deepEqual(names(false), ["act1", "act2"]);
    srv[0]!.usable = false;
    assert.deepEqual(names(false), ["act2"]);
    srv[1]!.weight = 0; // weight 0: out of load balancing
    assert.deepEqual(names(false), ["bck1"]);
    assert.deepEqual(names(true), ["bck1", "bck2"]);
    srv[2]!.usable = false;
    assert.deepEqual(names(false), ["bck2"]);
  });
});

for (const [algorithm, hashType] of ALGORITHMS) {
  const opts = { random: seeded(42), ...(hashType !== undefined ? { hashType } : {}) };
  // 10.0.0.2 hashes to the first slot of a 2-server map (167772162 ≡ 0 mod 2).
  const ctx = { sourceAddress: "10.0.0.2" };
  describe(`balance ${algorithm.kind}${hashType ? " (consistent)" : ""}: shared rules`, () => {
    it("never elects a backup while an active server is usable", () => {
      const srv = backendWithBackups();
      const lb = createBalancer(algorithm, srv, opts);
      assert.ok(picks(lb, 8, ctx).every((n) => n.startsWith("act")));
    });

    it("elects only the first usable backup when all actives are down", () => {
      const srv = backendWithBackups();
      srv[0]!.usable = false;
      srv[1]!.usable = false;
      const lb = createBalancer(algorithm, srv, opts);
      assert.deepEqual(new Set(picks(lb, 8, ctx)), new Set(["bck1"]));
    });

    it("spreads over every backup with allBackups", () => {
      const srv = backendWithBackups();
      srv[0]!.usable = false;
      srv[1]!.usable = false;
      // `first` ignores weights: it reaches the second backup once the first one is full.
      const fill = algorithm.kind === "first";
      if (fill) { for (const s of srv) s.maxconn = 1; }
      const lb = createBalancer(algorithm, srv, { ...opts, allBackups: true });
      const got = new Set<string>();
      for (let i = 0; i < (fill ? 2 : 16); i++) {
        const s = lb.pick({ sourceAddress: `10.0.0.${i}` }) as FakeServer;
        if (fill) s.served++;
        got.add(s.name);
      }
      assert.deepEqual(got, new Set(["bck1", "bck2"]));
    });

    it("skips the avoided server while another can take the stream", () => {
      const srv = weighted(1, 1);
      const lb = createBalancer(algorithm, srv, opts);
      assert.deepEqual(new Set(picks(lb, 6, { ...ctx, avoid: srv[0]! })), new Set(["B"]));
    });

    it("returns the avoided server when it is the only candidate", () => {
      const srv = weighted(1, 1);
      srv[1]!.usable = false;
      const lb = createBalancer(algorithm, srv, opts);
      assert.equal(lb.pick({ ...ctx, avoid: srv[0]! })?.name, "A");
    });

    it("returns undefined, with no usable server reported, when every server is unusable", () => {
      const srv = backendWithBackups();
      for (const s of srv) s.usable = false;
      const lb = createBalancer(algorithm, srv, opts);
      assert.equal(lb.pick(ctx), undefined);
      assert.equal(lb.hasUsableServer(), false);
      srv[3]!.usable = true;
      lb.update();
      assert.equal(lb.pick(ctx)?.name, "bck2");
      assert.equal(lb.hasUsableServer(), true);
    });

    if (algorithm.kind !== "source") {
      it("reports full servers as full, not as missing", () => {
        const srv = weighted(1, 1);
        for (const s of srv) Object.assign(s, { maxconn: 1, served: 1 });
        const lb = createBalancer(algorithm, srv, opts);
        assert.equal(lb.pick(ctx), undefined);
        assert.equal(lb.hasUsableServer(), true);
      });

      it("skips a full server", () => {
        const srv = weighted(1, 1);
        Object.assign(srv[0]!, { maxconn: 1, served: 1 });
        const lb = createBalancer(algorithm, srv, opts);
        const got = picks(lb, 6, ctx);
        // random returns nothing when its final choice is full instead of skipping it.
        assert.ok(got.every((n) => n === "B" || (algorithm.kind === "random" && n === "-")), got.join());
        assert.ok(got.includes("B"));
      });
    }
  });
}
