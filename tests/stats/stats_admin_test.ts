/**
 * `stats admin { if | unless } <cond>` (configuration.txt 4.2; src/stats/admin_post.ts): the
 * stats page's admin form and what a POST of it does, with the codes HAProxy 2.6.12 answered
 * for the same bodies (`303 See Other`, `Location: /stats;st=DONE|NONE|PART|ERRP|EXCD|DENY`),
 * on the memory network with a fake clock.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { formatServersState } from "../../src/server_state.ts";
import { parseForm } from "../../src/stats/admin_post.ts";
import { dec, enc, Recorder, tcp } from "../_helpers.ts";

const CFG = `
defaults
  mode http
  timeout client 30s
  timeout server 30s
  timeout connect 2s
frontend fe
  bind 10.0.0.1:80
  stats enable
  stats uri /stats
  stats auth admin:pw
  stats admin if { hdr(x-admin) -m found }
  default_backend be
frontend ro
  bind 10.0.0.1:81
  stats enable
  stats uri /stats
  default_backend be
backend be
  server s1 10.1.0.1:8000 check inter 1s
  server s2 10.1.0.2:8000
  server s3 10.1.0.3:8000
`;

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of stops.splice(0)) await f();
});

// The form names the backend by its `iid` (`b=#3`: fe, ro, be), as HAProxy's does (where its
// own internal proxy comes first, so the same configuration gave `#4`); `b=be` works too.
const AUTH = `authorization: Basic ${btoa("admin:pw")}\r\n`;

async function setup(hooks: { onAdminCommand?: (c: string) => void } = {}) {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock });
  const lines: string[] = [];
  const proxy = new ProxyServer(parseHaproxyConfig(CFG, "s.cfg"), {
    network: net,
    clock,
    log: (l) => lines.push(l),
    hooks,
  });
  stops.push(() => proxy.stop());
  await proxy.start();
  await clock.advance(0);
  /** One request on its own connection (closed after the answer); the whole answer. */
  const send = async (raw: string, port = 80): Promise<string> => {
    const s = await net.connect({ address: tcp("10.0.0.1", port) });
    const rec = new Recorder();
    s.setHandlers(rec);
    s.write(enc(raw));
    for (let i = 0; i < 100 && rec.closeCount === 0 && rec.endCount === 0; i++) await clock.advance(10);
    s.close();
    return dec(rec.chunks);
  };
  const post = (body: string, { admin = true, port = 80, target = "/stats" } = {}) =>
    send(
      `POST ${target} HTTP/1.1\r\nhost: x\r\n${AUTH}${admin ? "x-admin: 1\r\n" : ""}` +
        `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      port,
    );
  const get = (target: string, admin = true) =>
    send(`GET ${target} HTTP/1.1\r\nhost: x\r\n${AUTH}${admin ? "x-admin: 1\r\n" : ""}connection: close\r\n\r\n`);
  const state = (name: string) => proxy.backends[0]!.server(name)!.state;
  return { clock, proxy, lines, post, get, state };
}

/** The `Location` of a 303 answer, which must be HAProxy's. */
function location(res: string): string {
  assert.match(res, /^HTTP\/1\.1 303 See Other\r\n/, res);
  assert.match(res, /\r\ncache-control: no-cache\r\n/);
  assert.match(res, /\r\ncontent-length: 0\r\n/);
  return /\r\nlocation: ([^\r]*)\r\n/.exec(res)![1]!;
}

describe("stats admin: the form's POST", () => {
  it("applies the action to the checked servers through the admin API, then redirects with ;st=DONE", async () => {
    const t = await setup();
    assert.equal(location(await t.post("s=s2&s=s3&action=drain&b=%233")), "/stats;st=DONE");
    assert.deepEqual([t.state("s2"), t.state("s3")], ["DRAIN", "DRAIN"]);
    // What `show servers state` shows after `set server be/s2 state drain`: admin state 8.
    assert.match(formatServersState(t.proxy), /\n\d+ be 2 s2 10\.1\.0\.2 2 8 /);
    assert.equal(location(await t.post("s=s2&action=maint&b=be")), "/stats;st=DONE");
    assert.equal(t.state("s2"), "MAINT");
    assert.equal(location(await t.post("s=s2&s=s3&action=ready&b=%233")), "/stats;st=DONE");
    assert.deepEqual([t.state("s2"), t.state("s3")], ["UP", "UP"]);
    // The parameters in any order; the flags of the page's URI are kept.
    assert.equal(location(await t.post("b=%233&s=s3&action=maint", { target: "/stats;up" })), "/stats;st=DONE;up");
  });

  it("answers PART, NONE and ERRP as HAProxy 2.6 did for the same bodies", async () => {
    const t = await setup();
    const cases: [string, string][] = [
      ["s=zz&s=s3&action=maint&b=%233", "PART"], // one server unknown
      ["s=zz&action=maint&b=%233", "ERRP"], // none known
      ["s=s1&action=nope&b=%233", "ERRP"], // an unknown action
      ["s=s2&action=&b=%233", "ERRP"],
      ["action=maint&b=%239", "ERRP"], // no such backend
      ["s=s1&action=maint&b=%233&b=%239", "ERRP"], // the last b counts
      ["s=s2&action=hdown&b=%233", "ERRP"], // forcing a check's result: not in proxykit
      ["action=maint&b=%233", "NONE"], // no server
      ["s=s2&action=ready", "NONE"], // no backend
      ["s=s2&b=%233", "NONE"], // no action
      ["", "NONE"],
      ["s=s2&action=ehlth&b=%233", "NONE"], // s2 has no check
      ["s=s2&action=dagent&b=%233", "NONE"], // no agent checks
    ];
    for (const [body, st] of cases) assert.equal(location(await t.post(body)), `/stats;st=${st}`, body);
    assert.equal(t.state("s3"), "MAINT"); // from the PART case only
    assert.equal(t.state("s2"), "UP");
  });

  it("health actions on a checked server, and shutdown, count as done", async () => {
    const t = await setup();
    assert.equal(location(await t.post("s=s1&action=dhlth&b=%233")), "/stats;st=DONE");
    assert.equal(location(await t.post("s=s1&action=ehlth&b=%233")), "/stats;st=DONE");
    assert.equal(location(await t.post("s=s1&s=s2&action=shutdown&b=%233")), "/stats;st=DONE");
  });

  it("refuses a POST without stats admin (or when its condition fails) with ;st=DENY, changing nothing", async () => {
    const t = await setup();
    assert.equal(location(await t.post("s=s2&action=maint&b=%233", { port: 81 })), "/stats;st=DENY");
    assert.equal(location(await t.post("s=s2&action=maint&b=%233", { admin: false })), "/stats;st=DENY");
    assert.equal(t.state("s2"), "UP");
  });

  it("a body larger than the buffer answers ;st=EXCD", async () => {
    const t = await setup();
    const body = "s=s2&" + "s=zz&".repeat(4000) + "action=maint&b=%233";
    assert.equal(location(await t.post(body)), "/stats;st=EXCD");
    assert.equal(t.state("s2"), "UP");
  });

  it("tells onAdminCommand each change as the runtime API's command (what --workers forwards)", async () => {
    const seen: string[] = [];
    const t = await setup({ onAdminCommand: (c) => seen.push(c) });
    await t.post("s=s2&s=s3&action=drain&b=%233");
    await t.post("s=s1&action=dhlth&b=%233");
    await t.post("s=s1&action=shutdown&b=%233");
    await t.clock.advance(0);
    assert.deepEqual(seen, [
      "set server be/s2 state drain",
      "set server be/s3 state drain",
      "disable health be/s1",
      "shutdown sessions server be/s1",
    ]);
  });
});

describe("stats admin: the page", () => {
  it("in admin mode: a checkbox per server, HAProxy's actions and the backend's id in a POST form", async () => {
    const t = await setup();
    const page = await t.get("/stats");
    assert.match(page, /^HTTP\/1\.1 200 /);
    assert.ok(page.includes(`<form method="post">`));
    for (const s of ["s1", "s2", "s3"]) assert.ok(page.includes(`<input type="checkbox" name="s" value="${s}">`), s);
    assert.ok(
      page.includes(`<select name=action><option value=""></option><option value="ready">Set state to READY</option>`),
    );
    assert.ok(page.includes(`<option value="shutdown">Kill Sessions</option></select>`));
    assert.ok(page.includes(`<input type="hidden" name="b" value="#3">`));
    // The frontends have no form.
    assert.equal(page.split(`<form method="post">`).length, 2);
  });

  it("without admin mode: no form", async () => {
    const t = await setup();
    const page = await t.get("/stats", false);
    assert.match(page, /^HTTP\/1\.1 200 /);
    assert.ok(!page.includes("<form"));
    assert.ok(!page.includes(`type="checkbox"`));
  });

  it("after the redirect: HAProxy's message for the status, with a link back to the page", async () => {
    const t = await setup();
    const msgs: [string, string][] = [
      ["DONE", "Action processed successfully."],
      ["NONE", "Nothing has changed."],
      ["PART", "Action partially processed."],
      ["ERRP", "Action not processed because of invalid parameters."],
      ["EXCD", "<b>Action not processed : the buffer couldn't store all the data."],
      ["DENY", "<b>Action denied.</b>"],
    ];
    for (const [st, text] of msgs) {
      const page = await t.get(`/stats;st=${st}`);
      assert.ok(page.includes(`<a class=lfsb href="/stats" title="Remove this message">[X]</a> ${text}`), st);
    }
    assert.ok(!(await t.get("/stats")).includes("Remove this message"));
  });
});

describe("stats admin: configuration", () => {
  it("stats admin if|unless <cond> lines become the page's admin conditions", () => {
    const c = parseHaproxyConfig(
      CFG.replace("  stats admin if", "  stats admin unless { src 10.9.0.0/16 }\n  stats admin if"),
      "s.cfg",
    );
    assert.deepEqual(c.frontends[0]!.stats?.admin, [
      ["unless", "{", "src", "10.9.0.0/16", "}"],
      ["if", "{", "hdr(x-admin)", "-m", "found", "}"],
    ]);
  });

  it("refuses a missing condition, a bad one, and stats admin in defaults, naming the line", () => {
    const bad = (line: string, re: RegExp, where = "  stats uri /stats") =>
      assert.throws(() => parseHaproxyConfig(CFG.replace(where, line), "s.cfg"), (e: Error) => re.test(e.message));
    bad("  stats admin", /s\.cfg:\d+: .*'stats admin' requires either 'if' or 'unless' followed by a condition/);
    bad("  stats admin if nosuch", /s\.cfg:\d+: .*no such ACL : 'nosuch'/);
    bad(
      "  mode http\n  stats admin if TRUE",
      /s\.cfg:\d+: .*'stats admin' not allowed in 'defaults' section/,
      "  mode http",
    );
  });

  it("parses form bodies as browsers send them", () => {
    assert.deepEqual(parseForm("s=a+b&s=c%2Fd&action=drain&b=%233&x"), [
      ["s", "a b"],
      ["s", "c/d"],
      ["action", "drain"],
      ["b", "#3"],
      ["x", ""],
    ]);
  });
});
