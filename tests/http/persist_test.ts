// Cookie persistence as pure functions: request cookies in (server found, flag, what the server
// sees), response heads out (Set-Cookie deleted, rewritten, prefixed or inserted, flags).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  b64ToS30,
  persistRequest,
  persistResponse,
  type PersistServer,
  requestCookieFlagAfter,
  responseCacheable,
  s30ToB64,
} from "../../src/http/persist.ts";
import { resolveCookie } from "../../src/config/_resolve_persist.ts";
import type { CookieConfig } from "../../src/config/types.ts";
import type { HeaderList, RequestHead, ResponseHead } from "../../src/http/head.ts";

const cfg = (c: Omit<CookieConfig, "name"> = {}) => resolveCookie({ name: "SRV", ...c }, "cookie")!;
const srv = (name: string, cookie: string | undefined, state = "UP") => ({ name, cookie, state });
const SERVERS = [srv("s1", "a"), srv("s2", "b"), srv("s3", "c", "DOWN"), srv("s4", undefined)];

const req = (headers: HeaderList, method = "GET"): RequestHead => ({
  kind: "request",
  method,
  target: "/",
  version: "HTTP/1.1",
  headers,
});
const res = (headers: HeaderList, status = 200): ResponseHead => ({
  kind: "response",
  version: "HTTP/1.1",
  status,
  reason: "OK",
  headers,
});

/** Runs persistRequest on `cookie` header values; returns the server name, flag and headers left. */
function onRequest(
  c: ReturnType<typeof cfg>,
  values: string[],
  servers: readonly (PersistServer & { name: string })[] = SERVERS,
  opts = {},
) {
  const r = req([["host", "h"], ...values.map((v): [string, string] => ["cookie", v])]);
  const p = persistRequest(c, servers, r, opts);
  return {
    server: p.server?.name,
    flag: p.flag,
    cookies: r.headers.filter((h) => h[0] === "cookie").map((h) => h[1]),
    p,
  };
}

describe("persistRequest", () => {
  it("finds the server of a valid cookie (V), an unknown value (I), none (N)", () => {
    const c = cfg({ mode: "insert" });
    assert.deepEqual(onRequest(c, ["x=1; SRV=b; y=2"]).server, "s2");
    assert.equal(onRequest(c, ["x=1; SRV=b; y=2"]).flag, "V");
    assert.deepEqual(
      { ...onRequest(c, ["SRV=zz"]), p: undefined },
      { server: undefined, flag: "I", cookies: ["SRV=zz"], p: undefined },
    );
    assert.equal(onRequest(c, ["x=1"]).flag, "N");
    assert.equal(onRequest(c, []).flag, "N");
    assert.equal(onRequest(c, ["SRV="]).flag, "I", "an empty value designates nothing");
    assert.equal(onRequest(c, ["srv=a"]).flag, "N", "names are case-sensitive");
  });

  it("a DOWN server: D and load balancing, or D and the server with option persist", () => {
    const c = cfg({ mode: "insert" });
    assert.deepEqual([onRequest(c, ["SRV=c"]).server, onRequest(c, ["SRV=c"]).flag], [undefined, "D"]);
    const persisted = onRequest(c, ["SRV=c"], SERVERS, { persist: true });
    assert.deepEqual([persisted.server, persisted.flag], ["s3", "D"]);
    // Another running server sharing the value is found after the DOWN one.
    const shared = onRequest(c, ["SRV=c"], [...SERVERS, srv("s5", "c")]);
    assert.deepEqual([shared.server, shared.flag], ["s5", "V"]);
    // A server in maintenance is not running either.
    assert.equal(onRequest(c, ["SRV=a"], [srv("m", "a", "MAINT")]).flag, "D");
  });

  it("insert indirect removes our cookie (and its $ attributes) from what the server sees", () => {
    const c = cfg({ mode: "insert", indirect: true });
    assert.deepEqual(onRequest(c, ["x=1; SRV=a; y=2"]).cookies, ["x=1; y=2"]);
    assert.deepEqual(onRequest(c, ["SRV=a; y=2"]).cookies, ["y=2"]);
    assert.deepEqual(onRequest(c, ["x=1; SRV=a"]).cookies, ["x=1"]);
    assert.deepEqual(onRequest(c, ["SRV=a"]).cookies, [], "a field left empty is removed");
    assert.deepEqual(onRequest(c, ["SRV=a; $Path=/; y=2"]).cookies, ["y=2"]);
    assert.deepEqual(
      onRequest(c, ["x = 1 ;SRV=a,y=2"]).cookies,
      ["x=1, y=2"],
      "blanks around = go; one delimiter and a space stay",
    );
    // Without indirect, the server sees everything.
    assert.deepEqual(onRequest(cfg({ mode: "insert" }), ["x=1; SRV=a"]).cookies, ["x=1; SRV=a"]);
  });

  it("prefix mode: SERVER~ designates the server and is removed from the value", () => {
    const c = cfg({ mode: "prefix" });
    const r = onRequest(c, ["JSESSIONID=1; SRV=b~abc123; z=9"]);
    assert.deepEqual([r.server, r.flag, r.cookies], ["s2", "V", ["JSESSIONID=1; SRV=abc123; z=9"]]);
    const none = onRequest(c, ["SRV=abc123"]);
    assert.deepEqual([none.server, none.flag, none.cookies], [undefined, "I", ["SRV=abc123"]]);
  });

  it("a second occurrence after a match is unused (U), as HAProxy; ignore gives U", () => {
    const c = cfg({ mode: "insert" });
    assert.deepEqual([onRequest(c, ["SRV=a", "SRV=b"]).server, onRequest(c, ["SRV=a", "SRV=b"]).flag], ["s1", "U"]);
    const ignored = onRequest(c, ["SRV=a"], SERVERS, { ignore: true });
    assert.deepEqual([ignored.server, ignored.flag], [undefined, "U"]);
  });

  it("maxidle and maxlife: dates after '|', too old ones make the cookie ignored (E, O)", () => {
    const now = 1_767_225_600; // seconds
    const date = (s: number) => s30ToB64(Math.floor((s + 3) / 4));
    assert.equal(b64ToS30(s30ToB64(441806400)), 441806400);
    assert.equal(b64ToS30("AB$DE"), -1);
    const idle = cfg({ mode: "insert", maxIdleMs: 60_000 });
    const fresh = onRequest(idle, [`SRV=a|${date(now - 30)}`], SERVERS, { nowMs: now * 1000 });
    assert.deepEqual([fresh.server, fresh.flag], ["s1", "V"]);
    assert.equal(fresh.p.lastDate, Math.floor((now - 30 + 3) / 4) * 4);
    const stale = onRequest(idle, [`SRV=a|${date(now - 300)}`], SERVERS, { nowMs: now * 1000 });
    assert.deepEqual([stale.server, stale.flag, stale.p.lastDate], [undefined, "E", 0]);
    const future = onRequest(idle, [`SRV=a|${date(now + 2 * 86400)}`], SERVERS, { nowMs: now * 1000 });
    assert.equal(future.flag, "E", "more than a day ahead");
    const life = cfg({ mode: "insert", maxLifeMs: 3600_000 });
    const old = onRequest(life, [`SRV=a|${date(now)}|${date(now - 7200)}`], SERVERS, { nowMs: now * 1000 });
    assert.deepEqual([old.server, old.flag], [undefined, "O"]);
    // Without maxidle, a dated cookie still designates its server.
    assert.equal(onRequest(cfg({ mode: "insert" }), [`SRV=a|${date(now - 9999)}`]).server, "s1");
  });

  it("a passive cookie designates a server but logs '-'; no cookie configured: '-'", () => {
    const r = onRequest(cfg(), ["SRV=a"]);
    assert.deepEqual([r.server, r.flag], ["s1", "-"]);
    assert.equal(persistRequest(undefined, SERVERS, req([["cookie", "SRV=a"]])).flag, "-");
    assert.equal(onRequest(cfg({ indirect: true }), ["SRV=a"]).flag, "V", "indirect alone is logged");
  });

  it("requestCookieFlagAfter() turns V into D after a redispatch", () => {
    assert.equal(requestCookieFlagAfter("V", true), "D");
    assert.equal(requestCookieFlagAfter("V", false), "V");
    assert.equal(requestCookieFlagAfter("I", true), "I");
  });
});

/** Runs persistResponse; returns the flag and the set-cookie / cache-control fields. */
function onResponse(
  c: ReturnType<typeof cfg>,
  headers: HeaderList,
  ctx: Partial<Parameters<typeof persistResponse>[2]> = {},
  status = 200,
) {
  const r = res(headers, status);
  const flag = persistResponse(c, r, {
    server: { cookie: "a" },
    direct: false,
    method: "GET",
    request: undefined,
    ...ctx,
  });
  return { flag, fields: r.headers.filter(([n]) => n === "set-cookie" || n === "cache-control") };
}

describe("persistResponse", () => {
  it("insert: adds the server's cookie unless the client came with it (I, or N)", () => {
    const c = cfg({ mode: "insert" });
    assert.deepEqual(onResponse(c, []), { flag: "I", fields: [["set-cookie", "SRV=a; path=/"]] });
    assert.deepEqual(onResponse(c, [], { direct: true }), { flag: "N", fields: [] });
    // A server without a cookie value gets the cookie removed.
    assert.deepEqual(onResponse(c, [], { server: { cookie: undefined } }).fields, [
      ["set-cookie", "SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"],
    ]);
    assert.deepEqual(onResponse(c, [], { server: undefined }), { flag: "N", fields: [] });
  });

  it("insert: the server's own cookie of that name is replaced (I), or kept with preserve (P)", () => {
    const own: HeaderList = [["set-cookie", "SRV=mine; Max-Age=0"], ["set-cookie", "other=1"]];
    const ins = onResponse(cfg({ mode: "insert" }), structuredClone(own));
    assert.deepEqual(ins, {
      flag: "I",
      fields: [["set-cookie", "other=1"], ["set-cookie", "SRV=a; path=/"]],
    });
    const kept = onResponse(cfg({ mode: "insert", preserve: true }), structuredClone(own));
    assert.deepEqual(kept, { flag: "P", fields: own });
  });

  it("attributes: domain, HttpOnly, Secure, attr, in HAProxy's order", () => {
    const c = cfg({
      mode: "insert",
      domains: [".a.com", ".b.com"],
      httponly: true,
      secure: true,
      attrs: ["SameSite=Lax"],
    });
    assert.deepEqual(onResponse(c, []).fields, [
      ["set-cookie", "SRV=a; path=/; domain=.a.com; domain=.b.com; HttpOnly; Secure; SameSite=Lax"],
    ]);
  });

  it("postonly inserts only for POST; nocache adds cache-control: private to cacheable responses", () => {
    const post = cfg({ mode: "insert", postonly: true });
    assert.equal(onResponse(post, []).flag, "N");
    assert.equal(onResponse(post, [], { method: "POST" }).flag, "I");
    const nc = cfg({ mode: "insert", nocache: true });
    assert.deepEqual(onResponse(nc, [["expires", "0"]]).fields, [
      ["set-cookie", "SRV=a; path=/"],
      ["cache-control", "private"],
    ]);
    assert.deepEqual(onResponse(nc, [["expires", "0"]], {}, 302).fields, [["set-cookie", "SRV=a; path=/"]]);
    assert.deepEqual(onResponse(nc, []).fields, [["set-cookie", "SRV=a; path=/"]], "not cacheable without freshness");
  });

  it("responseCacheable(): as HAProxy 2.6.12 was observed to add cache-control: private", () => {
    const fresh: HeaderList = [["cache-control", "max-age=60"]];
    assert.equal(responseCacheable("GET", res([])), false, "no freshness information nor validator");
    assert.equal(responseCacheable("GET", res([["cache-control", "public"]])), false);
    assert.equal(responseCacheable("GET", res(fresh)), true);
    assert.equal(responseCacheable("GET", res([["cache-control", "Max-Age=60"]])), true);
    assert.equal(responseCacheable("GET", res([["cache-control", "s-maxage=10"]])), true);
    assert.equal(responseCacheable("GET", res([["expires", "0"]])), true);
    assert.equal(responseCacheable("GET", res([["last-modified", "x"]])), true);
    assert.equal(responseCacheable("HEAD", res(fresh)), true);
    assert.equal(responseCacheable("OPTIONS", res(fresh)), true);
    assert.equal(responseCacheable("POST", res(fresh)), false);
    assert.equal(responseCacheable("PUT", res(fresh)), false);
    assert.equal(responseCacheable("GET", res(fresh, 404)), true);
    assert.equal(responseCacheable("GET", res(fresh, 302)), false);
    assert.equal(responseCacheable("GET", res(fresh, 500)), false);
    assert.equal(responseCacheable("GET", res([["cache-control", "max-age=60, private"]])), false);
    assert.equal(responseCacheable("GET", res([["cache-control", "no-store"], ...fresh])), false);
    assert.equal(responseCacheable("GET", res([["cache-control", "max-age=0"]])), false);
    assert.equal(responseCacheable("GET", res([["pragma", "no-cache"], ...fresh])), false);
  });

  it("rewrite and prefix: the server's cookie gets our value (R); indirect deletes it on a direct stream (D)", () => {
    assert.deepEqual(onResponse(cfg({ mode: "rewrite" }), [["set-cookie", "SRV=x; Path=/"]]), {
      flag: "R",
      fields: [["set-cookie", "SRV=a; Path=/"]],
    });
    assert.deepEqual(onResponse(cfg({ mode: "prefix" }), [["set-cookie", "SRV = sess42; HttpOnly"]]), {
      flag: "R",
      fields: [["set-cookie", "SRV=a~sess42; HttpOnly"]],
    });
    assert.deepEqual(onResponse(cfg({ mode: "prefix" }), [["set-cookie", "JSESSIONID=1"]]), {
      flag: "N",
      fields: [["set-cookie", "JSESSIONID=1"]],
    });
    assert.deepEqual(
      onResponse(cfg({ mode: "prefix", indirect: true }), [["set-cookie", "SRV=x"]], { direct: true }),
      { flag: "D", fields: [] },
    );
    assert.deepEqual(onResponse(cfg(), [["set-cookie", "SRV=x"]]).flag, "-", "passive: logged as '-'");
  });

  it("maxidle: refreshes the date of a valid cookie once it is past (U), with first date for maxlife", () => {
    const now = 1_767_225_600;
    const step = (s: number) => Math.floor((s + 3) / 4) * 4;
    const c = cfg({ mode: "insert", maxIdleMs: 60_000, maxLifeMs: 3600_000 });
    const first = step(now - 100);
    const refreshed = onResponse(c, [], {
      direct: true,
      nowMs: now * 1000,
      request: { lastDate: step(now - 40), firstDate: first },
    });
    assert.deepEqual(refreshed, {
      flag: "U",
      fields: [["set-cookie", `SRV=a|${s30ToB64((now + 3) >> 2)}|${s30ToB64(first / 4)}; path=/`]],
    });
    const current = onResponse(c, [], {
      direct: true,
      nowMs: now * 1000,
      request: { lastDate: step(now), firstDate: first },
    });
    assert.equal(current.flag, "N", "the last date is not past yet");
  });

  it("1xx responses are left alone", () => {
    assert.deepEqual(onResponse(cfg({ mode: "insert" }), [], {}, 100), { flag: "N", fields: [] });
  });
});
