// The hash family: HAProxy's hash functions, the keys of uri / url_param / hdr, the map-based
// and consistent lookups, and their round-robin fallback.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fullHash, hashCrc32, hashDjb2, hashKey, hashSdbm, hashWt6 } from "../../src/balance/hash.ts";
import { targetPath, uriKey } from "../../src/balance/uri.ts";
import { urlParamValue } from "../../src/balance/url_param.ts";
import { domainOnly, firstHeaderValue } from "../../src/balance/hdr.ts";
import { pointKey } from "../../src/balance/_chash.ts";
import { createBalancer, isDynamicAlgorithm, isHashAlgorithm } from "../../src/balance/mod.ts";
import type { ResolvedHashType } from "../../src/config/resolved.ts";
import type { RequestHead } from "../../src/http/head.ts";
import { fake, type FakeServer, picks, weighted } from "./_fake.ts";

const MAP: ResolvedHashType = { method: "map-based", function: "sdbm", avalanche: false };
const CONSISTENT: ResolvedHashType = { method: "consistent", function: "sdbm", avalanche: true };

const get = (target: string, headers: [string, string][] = []): RequestHead => ({
  kind: "request",
  method: "GET",
  target,
  version: "HTTP/1.1",
  headers,
});

describe("hash functions", () => {
  // Printed by HAProxy 2.6.12's converters `sdbm`, `djb2`, `wt6`, `crc32` and their `(1)`
  // (full avalanche) variants, e.g. `%[req.hdr(x-k),wt6(1)]`.
  const HAPROXY: Record<string, number[]> = {
    a: [97, 177670, 1900802597, 3904355907, 1830748055, 3548763807, 1986649387, 1288200982],
    abc: [807794786, 193485963, 2483038440, 891568578, 659243622, 2235766107, 266135527, 930845320],
    "/images/logo.png": [713581038, 3368543325, 3116080871, 1552048426, 3707622295, 300954390, 1541819453, 1583568371],
    "123456789": [1755344949, 902675330, 2225171485, 3421780262, 3400502718, 2717138294, 4053691039, 1130417534],
    "The quick brown fox jumps over the lazy dog": [
      2359783795,
      885799134,
      3840389189,
      1095738169,
      4144961173,
      3419350371,
      2386649459,
      1090730130,
    ],
  };

  it("give the values HAProxy's converters print, avalanche included", () => {
    for (const [key, want] of Object.entries(HAPROXY)) {
      const raw = [hashSdbm(key), hashDjb2(key), hashWt6(key), hashCrc32(key)];
      assert.deepEqual([...raw, ...raw.map(fullHash)], want, key);
    }
  });

  it("hash the empty key as their initial state, and hashKey() dispatches by name", () => {
    assert.equal(hashSdbm(""), 0);
    assert.equal(hashDjb2(""), 5381);
    assert.equal(hashCrc32(""), 0);
    assert.equal(hashKey("abc", "wt6"), hashWt6("abc"));
    assert.equal(hashKey("abc", "crc32"), 891568578);
    // Keys are bytes: a char above 0xff only counts with its low byte (heads are latin1).
    assert.equal(hashSdbm("\u0161"), hashSdbm("\u0061"));
  });
});

describe("hash keys", () => {
  it("uri: up to '?', or whole; len; depth counts the leading slash; path-only", () => {
    assert.equal(uriKey("/a/b/c?x=1", {}), "/a/b/c");
    assert.equal(uriKey("/a/b/c?x=1", { whole: true }), "/a/b/c?x=1");
    assert.equal(uriKey("/a/b/c?x=1", { depth: 1 }), "/a");
    assert.equal(uriKey("/a/b/c?x=1", { depth: 2 }), "/a/b");
    assert.equal(uriKey("/a/b/c?x=1", { depth: 9 }), "/a/b/c");
    assert.equal(uriKey("/abcdef/g", { len: 4 }), "/abc");
    assert.equal(uriKey("/a/b/c", { len: 4, depth: 3 }), "/a/b", "whichever is reached first");
    assert.equal(uriKey("http://h:81/p/q?z", {}), "http://h:81/p/q");
    assert.equal(uriKey("http://h:81/p/q?z", { pathOnly: true }), "/p/q");
    assert.equal(targetPath("http://h"), "");
    assert.equal(targetPath("*"), "");
    assert.equal(targetPath("h:443"), "");
  });

  it("url_param: the value up to '&' in the query string; names are exact; empty values count", () => {
    assert.equal(urlParamValue("/p?user=bob", "user"), "bob");
    assert.equal(urlParamValue("/p?a=1&user=bob&b=2", "user"), "bob");
    assert.equal(urlParamValue("/p?user=", "user"), "");
    assert.equal(urlParamValue("/p?xuser=bob", "user"), undefined, "only at a parameter's start");
    assert.equal(urlParamValue("/p?User=bob", "user"), undefined);
    assert.equal(urlParamValue("/p?user", "user"), undefined, "needs its '='");
    assert.equal(urlParamValue("/p/user=bob", "user"), undefined, "no query string");
    assert.equal(urlParamValue("/p?a=1;user=bob", "user"), undefined, "only '&' separates");
  });

  it("hdr: the first value of the first field; use_domain_only keeps the label before the last dot", () => {
    assert.equal(firstHeaderValue([["x-u", " a , b"], ["x-u", "c"]], "x-u"), "a");
    assert.equal(firstHeaderValue([["x-u", " , b"]], "x-u"), undefined, "an empty first value");
    assert.equal(firstHeaderValue([["host", "h"]], "x-u"), undefined);
    assert.equal(domainOnly("haproxy.1wt.eu"), "1wt");
    assert.equal(domainOnly("a.com"), "a");
    assert.equal(domainOnly("localhost"), "localhost");
    assert.equal(domainOnly(".a"), ".a", "HAProxy never looks at the first character");
    assert.equal(domainOnly("a..b"), "a.", "nor at the one just before the last dot");
  });
});

describe("hash balancers", () => {
  it("map-based: map[hash % total weight] with the GCD-reduced weights", () => {
    // Weights 2/4/6 give a map of 1/2/3 slots, in static-rr's order: A C B C B C.
    const srv = weighted(2, 4, 6);
    assert.deepEqual(picks(createBalancer({ kind: "static-rr" }, srv), 6), ["A", "C", "B", "C", "B", "C"]);
    const lb = createBalancer({ kind: "url_param", param: "u" }, srv, { hashType: MAP });
    const expected = (key: string) => ["A", "C", "B", "C", "B", "C"][hashSdbm(key) % 6];
    for (const key of ["alice", "bob", "carol", "dave", "erin"]) {
      assert.equal(lb.pick({ request: get(`/x?u=${key}`) })?.name, expected(key), key);
    }
  });

  it("falls back to round-robin when the key is missing, and skips the key with a single server", () => {
    const lb = createBalancer({ kind: "hdr", header: "X-U" }, weighted(1, 1, 1), { hashType: MAP });
    assert.deepEqual(picks(lb, 4, { request: get("/") }), ["A", "B", "C", "A"]);
    assert.deepEqual(picks(lb, 2), ["B", "C"], "no request at all (TCP mode)");
    const one = createBalancer({ kind: "url_param", param: "u" }, [fake("only", { id: 1 })], { hashType: MAP });
    assert.equal(one.pick({ request: get("/") })?.name, "only");
  });

  it("consistent: points at full_hash(id × 4096 + n), 16 per unit of weight", () => {
    assert.equal(pointKey(1, 0), fullHash(4096));
    assert.equal(pointKey(2, 5), fullHash(8197));
    // A key lands on the server of the nearest point: check against a brute-force search.
    const srv = [fake("A", { id: 1 }), fake("B", { id: 2, weight: 2 }), fake("C", { id: 7 })];
    const points = srv.flatMap((s) => Array.from({ length: s.weight * 16 }, (_, n) => ({ k: pointKey(s.id, n), s })));
    const lb = createBalancer({ kind: "uri" }, srv, { hashType: CONSISTENT });
    for (let i = 0; i < 200; i++) {
      const h = fullHash(hashSdbm(`/k${i}`));
      const dist = (k: number) => Math.min((h - k) >>> 0, (k - h) >>> 0);
      const best = points.reduce((a, b) => (dist(b.k) < dist(a.k) ? b : a));
      const got = lb.pick({ request: get(`/k${i}`) });
      // Equal distances before and after go to the point before; none among these keys.
      assert.equal(got, best.s, `/k${i}`);
    }
  });

  it("consistent: a server going down only moves its own keys, and they come back with it", () => {
    const srv: FakeServer[] = [1, 2, 3, 4].map((id) => fake(`s${id}`, { id }));
    const lb = createBalancer({ kind: "uri" }, srv, { hashType: CONSISTENT });
    const keys = Array.from({ length: 400 }, (_, i) => get(`/obj/${i}`));
    const before = keys.map((request) => lb.pick({ request })!.name);
    srv[2]!.usable = false;
    const during = keys.map((request) => lb.pick({ request })!.name);
    before.forEach((b, i) => {
      if (b !== "s3") assert.equal(during[i], b, `key ${i} stayed`);
      else assert.notEqual(during[i], "s3");
    });
    const share = before.filter((b) => b === "s3").length;
    assert.ok(share > 40 && share < 180, `s3 had a fair share (${share}/400)`);
    srv[2]!.usable = true;
    assert.deepEqual(keys.map((request) => lb.pick({ request })!.name), before);
    // Map-based hashing, by contrast, moves most keys.
    const map = createBalancer({ kind: "uri" }, srv, { hashType: MAP });
    const m1 = keys.map((request) => map.pick({ request })!.name);
    srv[2]!.usable = false;
    const m2 = keys.map((request) => map.pick({ request })!.name);
    assert.ok(m1.filter((b, i) => b !== "s3" && m2[i] !== b).length > 100);
  });

  it("consistent: weights give proportional shares; a retry avoids the previous server", () => {
    const srv = [fake("light", { id: 1 }), fake("heavy", { id: 2, weight: 4 })];
    const lb = createBalancer({ kind: "uri" }, srv, { hashType: CONSISTENT });
    const names = Array.from({ length: 1000 }, (_, i) => lb.pick({ request: get(`/${i}`) })!.name);
    const heavy = names.filter((n) => n === "heavy").length;
    assert.ok(heavy > 700 && heavy < 900, `heavy got ${heavy}/1000`);
    const r = get("/0");
    const first = lb.pick({ request: r })!;
    assert.notEqual(lb.pick({ request: r, avoid: first }), first);
  });

  it("source with consistent hashing: same client, same server; unix clients round-robin", () => {
    const lb = createBalancer({ kind: "source" }, weighted(1, 1, 1), { hashType: CONSISTENT });
    const one = new Set(picks(lb, 10, { sourceAddress: "192.0.2.9" }));
    assert.equal(one.size, 1);
    assert.deepEqual(new Set(picks(lb, 30, { sourceAddress: "/run/x.sock" })).size, 3);
  });

  it("hash algorithms are static map-based, dynamic with consistent hashing", () => {
    for (const kind of ["source", "uri", "url_param", "hdr"] as const) {
      assert.equal(isHashAlgorithm(kind), true);
      assert.equal(isDynamicAlgorithm(kind), false, kind);
      assert.equal(isDynamicAlgorithm(kind, "consistent"), true, kind);
    }
    assert.equal(isHashAlgorithm("roundrobin"), false);
    assert.equal(isDynamicAlgorithm("static-rr", "consistent"), false);
  });
});
