/**
 * The backend's side of HTTP-aware balancing and persistence, driven as the HTTP mux will drive
 * it: a lease carrying the request head (`lease.request`) and the cookie's server
 * (`lease.direct`), then `Backend.connect()` on the in-memory network with a fake clock.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../src/clock.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { Backend, type CancelToken } from "../src/backend.ts";
import { StreamInterface } from "../src/stream_interface.ts";
import { resolveConfig } from "../src/config/defaults.ts";
import { toBackendSettings } from "../src/_settings.ts";
import type { BackendConfig } from "../src/config/types.ts";
import type { RequestHead } from "../src/http/head.ts";
import { persistRequest, requestCookieFlagAfter } from "../src/http/persist.ts";
import { tcp } from "./_helpers.ts";

const addr = (n: number) => tcp(`10.1.0.${n}`, 8000);

/** A `mode http` backend on the memory network, its servers s1..sn listening unless `dead`. */
async function setup(be: Partial<BackendConfig>, n: number, dead: number[] = []) {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock });
  for (let i = 1; i <= n; i++) {
    if (dead.includes(i)) continue;
    await net.listen({
      address: addr(i),
      onAccept: (s) => s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} }),
    });
  }
  const servers = Array.from(
    { length: n },
    (_, i) => ({ name: `s${i + 1}`, address: addr(i + 1), cookie: `c${i + 1}` }),
  );
  const cfg = resolveConfig({ frontends: [], backends: [{ name: "be", mode: "http", servers, ...be }] });
  const backend = new Backend(toBackendSettings(cfg.backends[0]!), net, clock);
  /** One request through the backend: the server it connected to, and the lease. */
  const connect = async (request?: RequestHead, direct?: string) => {
    const lease = backend.admit(undefined);
    lease.request = request;
    if (direct !== undefined) lease.direct = backend.server(direct);
    const si = new StreamInterface("server");
    const cancel: CancelToken = { aborted: false, onCancel: undefined };
    const p = backend.connect(lease, si, cancel);
    await clock.advance(10_000);
    const r = await p;
    if (typeof r !== "string") r.abort();
    lease.release(0, 0);
    return { result: typeof r === "string" ? r : "EST", server: lease.server?.name, lease, si };
  };
  return { clock, net, backend, cfg: cfg.backends[0]!, connect };
}

const get = (target: string, headers: [string, string][] = []): RequestHead => ({
  kind: "request",
  method: "GET",
  target,
  version: "HTTP/1.1",
  headers,
});

describe("backend: HTTP hash balancing", () => {
  it("balance hdr elects by the request the lease carries; without one, round-robin", async () => {
    const h = await setup({ balance: { kind: "hdr", header: "X-User" } }, 3);
    const users = ["ann", "bob", "cid", "dan", "eve"];
    const first = [];
    for (const u of users) first.push((await h.connect(get("/", [["x-user", u]]))).server);
    for (const [i, u] of users.entries()) {
      assert.equal((await h.connect(get("/", [["x-user", u]]))).server, first[i], u);
    }
    assert.ok(new Set(first).size > 1);
    const rr = [];
    for (let i = 0; i < 3; i++) rr.push((await h.connect(undefined)).server);
    assert.deepEqual(new Set(rr).size, 3, "round-robin over the map");
  });

  it("a retry on a hashed server does not redispatch at once, even with option redispatch", async () => {
    // Every server refuses: with a hash algorithm, retries stay on the hashed server until the
    // last one (option redispatch = -1), as stream_choose_redispatch() excludes BE_LB_KIND_HI.
    const h = await setup({ balance: { kind: "uri" }, redispatch: -1, retries: 3 }, 2, [1, 2]);
    const r = await h.connect(get("/x"));
    assert.equal(r.result, "SC");
    const attempts = [h.net.connectAttempts(addr(1)), h.net.connectAttempts(addr(2))].sort();
    assert.deepEqual(attempts, [1, 3], "three on the hashed server, the last retry elsewhere");
  });
});

describe("backend: cookie persistence (lease.direct)", () => {
  it("elects the cookie's server directly, without load balancing (no lbtot)", async () => {
    const h = await setup({ balance: { kind: "roundrobin" } }, 3);
    for (let i = 0; i < 3; i++) assert.equal((await h.connect(undefined, "s3")).server, "s3");
    assert.equal(h.backend.server("s3")!.counters.lbChosen, 0);
    assert.equal(h.backend.server("s3")!.counters.total, 3);
  });

  it("option persist: a DOWN server designated by its cookie is tried; option redispatch then moves the stream", async () => {
    const h = await setup(
      {
        balance: { kind: "roundrobin" },
        cookie: { name: "SRV", mode: "insert" },
        persist: true,
        redispatch: -1,
        retries: 2,
      },
      2,
      [1],
    );
    const s1 = h.backend.server("s1")!;
    s1.setState("DOWN", "test");
    const request = get("/", [["cookie", "SRV=c1"]]);
    const found = persistRequest(h.cfg.cookie, h.backend.servers, request, { persist: h.cfg.persist });
    assert.deepEqual([found.server?.name, found.flag], ["s1", "D"]);
    const r = await h.connect(request, "s1");
    assert.equal(r.result, "EST");
    assert.equal(r.server, "s2", "redispatched at the first retry: s1 is not running");
    assert.equal(h.net.connectAttempts(addr(1)), 1);
    assert.equal(r.lease.redispatched, true);
    assert.equal(r.lease.direct, undefined, "persistence dropped");
    assert.equal(r.lease.directLost, true);
  });

  it("without option redispatch, a persistent stream retries its dead server and ends SC", async () => {
    const h = await setup({ balance: { kind: "roundrobin" }, retries: 2 }, 2, [1]);
    const r = await h.connect(undefined, "s1");
    assert.equal(r.result, "SC");
    assert.equal(h.net.connectAttempts(addr(1)), 3);
    assert.equal(h.net.connectAttempts(addr(2)), 0);
  });

  it("a persistent stream is not redispatched at once on a retry (SF_DIRECT), but a valid cookie becomes D when it is", async () => {
    // s1 refuses while UP (no check): option redispatch (-1) only leaves it on the last retry.
    const h = await setup({ balance: { kind: "roundrobin" }, redispatch: -1, retries: 2 }, 2, [1]);
    const r = await h.connect(undefined, "s1");
    assert.equal(r.result, "EST");
    assert.equal(h.net.connectAttempts(addr(1)), 2, "retried once on its server, redispatched on the last retry");
    assert.equal(r.server, "s2");
    assert.equal(requestCookieFlagAfter("V", r.lease.directLost), "D");
    // A non-persistent stream on the same backend leaves s1 at the first retry.
    const before = h.net.connectAttempts(addr(1));
    const rr = await h.connect(undefined);
    assert.equal(rr.server, "s2");
    assert.ok(h.net.connectAttempts(addr(1)) - before <= 1);
  });

  it("a persistent stream queues on its full server; with a full queue, option redispatch load-balances", async () => {
    const servers = [
      { name: "s1", address: addr(1), cookie: "c1", maxconn: 1, maxqueue: 1 },
      { name: "s2", address: addr(2), cookie: "c2" },
    ];
    const h = await setup({ balance: { kind: "roundrobin" }, redispatch: -1, servers }, 2);
    const b = h.backend;
    const hold = async (direct: string) => {
      const lease = b.admit(undefined);
      lease.direct = b.server(direct);
      const si = new StreamInterface("server");
      const p = b.connect(lease, si, { aborted: false, onCancel: undefined });
      await h.clock.advance(0);
      return { lease, si, p };
    };
    const a = await hold("s1");
    assert.equal(a.si.state, "EST");
    const q = await hold("s1");
    assert.equal(q.si.state, "QUE", "queued on its own server");
    const c = await hold("s1");
    assert.equal(c.si.state, "EST");
    assert.equal(c.lease.server?.name, "s2", "queue full: redispatched to s2");
    assert.equal(c.lease.directLost, true);
    a.lease.release(0, 0);
    await h.clock.advance(0);
    assert.equal(q.si.state, "EST");
    for (const x of [q, c]) {
      const s = await x.p;
      if (typeof s !== "string") s.abort();
      x.lease.release(0, 0);
    }
  });
});
