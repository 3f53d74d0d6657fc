import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { peer } from "../_peers.ts";
import { readFileSync } from "node:fs";
import { type HaproxyConfigOptions, parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { splitWords } from "../../src/config/_cfg_tokens.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import type { Address } from "../../src/net.ts";

const FIXTURES = new URL("../fixtures/haproxy/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
const tcp = (hostname: string, port: number): Address => ({ transport: "tcp", hostname, port });

/** Parses `lines` joined as `test.cfg`, collecting warnings. */
function parse(lines: readonly string[], options: HaproxyConfigOptions = {}): { cfg: ProxyConfig; warnings: string[] } {
  const warnings: string[] = [];
  const cfg = parseHaproxyConfig(lines.join("\n"), "test.cfg", { ...options, onWarning: (m) => warnings.push(m) });
  return { cfg, warnings };
}

/** Asserts parsing fails with ERR_CONFIG_INVALID, the message naming `test.cfg:<line>:` and `keyword`. */
function refuses(
  lines: readonly string[],
  line: number,
  keyword: string,
  detail?: RegExp,
  options: HaproxyConfigOptions = {},
): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "test.cfg", options), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.ok(e.message.startsWith(`test.cfg:${line}: `), e.message);
    assert.ok(e.message.includes(keyword), `'${keyword}' not in: ${e.message}`);
    if (detail !== undefined) assert.match(e.message, detail);
    return true;
  });
}

/** A valid frontend + backend to append error cases to. */
const BASE = [
  "frontend fe",
  "  bind 127.0.0.1:18080",
  "  default_backend be",
  "backend be",
  "  server s1 127.0.0.1:19001",
];
const backendOf = (cfg: ProxyConfig, name: string) => cfg.backends.find((b) => b.name === name);

describe("parseHaproxyConfig() on fixtures", () => {
  it("reads a listen section as a frontend and a backend of the same name", () => {
    assert.deepEqual(parseHaproxyConfig(fixture("listen.cfg"), "listen.cfg"), {
      frontends: [{
        name: "redis",
        binds: [tcp("127.0.0.1", 16379)],
        mode: "tcp",
        defaultBackend: "redis",
        clientTimeoutMs: 60000,
        log: { target: "stdout", format: "tcplog" },
      }],
      backends: [{
        name: "redis",
        mode: "tcp",
        balance: { kind: "first" },
        servers: [
          { name: "r1", address: tcp("127.0.0.1", 16380), maxconn: 10, check: {} },
          { name: "r2", address: tcp("127.0.0.1", 16381), maxconn: 10, check: {} },
        ],
        redispatch: -1,
        timeouts: { connectMs: 3000, serverMs: 60000 },
      }],
    });
  });

  it("applies each defaults section to the proxies after it, and reads every keyword", () => {
    const warnings: string[] = [];
    const cfg = parseHaproxyConfig(fixture("inheritance.cfg"), "inheritance.cfg", {
      onWarning: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(cfg, {
      maxconn: 4000,
      // nbthread: the command line's worker processes.
      process: { nbthread: 2 },
      frontends: [{
        name: "fe_main",
        binds: [tcp("127.0.0.1", 18080), tcp("::1", 18080), tcp("127.0.0.2", 18081)],
        mode: "tcp",
        defaultBackend: "be_app",
        clientTimeoutMs: 60000,
        maxconn: 500,
        log: { target: "stdout", format: "tcplog" },
      }, {
        name: "fe_other",
        binds: [{ transport: "unix", path: "/tmp/proxykit-fixture.sock" }, tcp("0.0.0.0", 18082)],
        mode: "tcp",
        defaultBackend: "be_other",
        clientTimeoutMs: 5000,
        log: { target: "stderr", format: "tcplog" },
      }],
      backends: [{
        name: "be_app",
        mode: "tcp",
        balance: { kind: "roundrobin" },
        servers: [
          {
            name: "app1",
            address: tcp("127.0.0.1", 19001),
            weight: 10,
            maxconn: 100,
            maxqueue: 20,
            check: { interMs: 3000, rise: 3, fall: 2 },
            id: 10,
          },
          {
            name: "app2",
            address: tcp("127.0.0.1", 19002),
            slowstartMs: 30000,
            check: { interMs: 500, fastinterMs: 100, downinterMs: 5000, rise: 1, fall: 1, port: 19102 },
            observe: "layer4",
            errorLimit: 5,
            onError: "mark-down",
          },
          { name: "app3", address: tcp("localhost", 19003), backup: true },
          { name: "app4", address: tcp("::1", 19004), weight: 0, disabled: true },
        ],
        retries: 2,
        redispatch: -1,
        timeouts: { connectMs: 5000, serverMs: 30000, queueMs: 10000, tunnelMs: 3600000, checkMs: 2000 },
        healthCheck: { kind: "http", method: "GET", uri: "/health", version: "HTTP/1.1", expectStatus: [200, 204] },
        allBackups: true,
      }, {
        name: "be_other",
        mode: "tcp",
        balance: { kind: "random", draws: 3 },
        servers: [
          { name: "o1", address: { transport: "unix", path: "/tmp/proxykit-fixture-backend.sock" } },
          { name: "o2", address: tcp("::1", 19005), check: {} },
        ],
        retries: 0,
        redispatch: 0,
        timeouts: { connectMs: 1000, serverMs: 5000 },
        healthCheck: { kind: "tcp" },
      }],
    });
  });

  const { path: haproxy, skip } = peer("haproxy");
  it("fixtures are valid for real HAProxy (haproxy -c)", { skip }, () => {
    for (const name of ["listen.cfg", "inheritance.cfg"]) {
      const r = spawnSync(haproxy!, ["-c", "-f", new URL(name, FIXTURES).pathname], { encoding: "utf8" });
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    }
  });
});

describe("parseHaproxyConfig() tokenising", () => {
  it("splits words as HAProxy: quotes, escapes, comments", () => {
    assert.deepEqual(splitWords(`  server 'a b' "c d"e f\\ g`, undefined), ["server", "a b", "c de", "f g"]);
    assert.deepEqual(splitWords(`x 80#comment`, undefined), ["x", "80"]);
    assert.deepEqual(splitWords(`x "a#b" 'c#d' e\\#f # rest`, undefined), ["x", "a#b", "c#d", "e#f"]);
    assert.deepEqual(splitWords(`x "" '' \\x41\\t`, undefined), ["x", "", "", "A\t"]);
    assert.deepEqual(splitWords(`we\\ight 'it''s' "\\"q\\"" '\\n'`, undefined), ["we\\ight", "its", '"q"', "\\n"]);
    assert.deepEqual(splitWords(`# only a comment`, undefined), []);
  });

  it("expands $NAME and ${NAME} inside double quotes only, from options.env", () => {
    const env = { PORT: "18080", EMPTY: "" };
    assert.deepEqual(splitWords(`bind "127.0.0.1:\${PORT}" $PORT '\${PORT}' "$UNSET" "\\$PORT"`, env), [
      "bind",
      "127.0.0.1:18080",
      "$PORT",
      "${PORT}",
      "",
      "$PORT",
    ]);
    const { cfg } = parse(["frontend fe", '  bind "127.0.0.1:${PORT}"', "  default_backend be", "backend be"], { env });
    assert.deepEqual(cfg.frontends[0]?.binds, [tcp("127.0.0.1", 18080)]);
  });

  it("joins quoted and bare parts of one word and ignores CR of CRLF files", () => {
    const { cfg } = parse(["backend be\r", '  server s1 127.0.0.1:19001 weight "2"5 # w=25\r']);
    assert.equal(backendOf(cfg, "be")?.servers[0]?.weight, 25);
  });
});

describe("parseHaproxyConfig() keywords", () => {
  it("reads every balance algorithm", () => {
    const algos: [string, unknown][] = [
      ["roundrobin", { kind: "roundrobin" }],
      ["static-rr", { kind: "static-rr" }],
      ["leastconn", { kind: "leastconn" }],
      ["first", { kind: "first" }],
      ["source", { kind: "source" }],
      ["random", { kind: "random", draws: 2 }],
      ["random(5)", { kind: "random", draws: 5 }],
    ];
    for (const [text, expected] of algos) {
      assert.deepEqual(backendOf(parse(["backend be", `  balance ${text}`]).cfg, "be")?.balance, expected, text);
    }
  });

  it("reads option redispatch [N] and no option redispatch, and option allbackups", () => {
    const r = (...lines: string[]) => backendOf(parse(["backend be", ...lines]).cfg, "be");
    assert.equal(r("  option redispatch")?.redispatch, -1);
    assert.equal(r("  option redispatch 3")?.redispatch, 3);
    assert.equal(r("  retries 3", "  option redispatch -2")?.redispatch, -2);
    assert.equal(r("  option redispatch", "  no option redispatch")?.redispatch, 0);
    assert.equal(r("  option allbackups")?.allBackups, true);
    assert.equal(r("  option allbackups", "  no option allbackups")?.allBackups, false);
  });

  it("reads timeouts in us, ms, s, m, h, d (ms by default; us rounded up)", () => {
    const b = backendOf(
      parse([
        "backend be",
        "  timeout connect 100us",
        "  timeout server 250",
        "  timeout queue 2s",
        "  timeout tunnel 3m",
        "  timeout check 1h",
      ]).cfg,
      "be",
    );
    assert.deepEqual(b?.timeouts, { connectMs: 1, serverMs: 250, queueMs: 2000, tunnelMs: 180000, checkMs: 3600000 });
    assert.equal(
      parse(["frontend fe", "  bind :1", "  timeout client 2d", "  default_backend be", "backend be"]).cfg.frontends[0]
        ?.clientTimeoutMs,
      172800000,
    );
  });

  it("reads option httpchk with 0 to 3 arguments and http-check expect status lists and ranges", () => {
    const hc = (...lines: string[]) => backendOf(parse(["backend be", ...lines]).cfg, "be")?.healthCheck;
    assert.deepEqual(hc("  option httpchk"), { kind: "http" });
    assert.deepEqual(hc("  option httpchk /ping"), { kind: "http", uri: "/ping" });
    assert.deepEqual(hc("  option httpchk HEAD /ping"), { kind: "http", method: "HEAD", uri: "/ping" });
    assert.deepEqual(hc("  http-check expect status 200-202,404", "  option httpchk"), {
      kind: "http",
      expectStatus: [200, 201, 202, 404],
    });
    assert.deepEqual(hc("  option httpchk", "  option tcp-check"), { kind: "tcp" });
  });

  it("warns, as HAProxy, that http-check rules need option httpchk", () => {
    const { cfg, warnings } = parse(["backend be", "  http-check expect status 200"]);
    assert.equal(backendOf(cfg, "be")?.healthCheck, undefined);
    assert.match(warnings[0] ?? "", /^test\.cfg:2: .*'http-check expect' without 'option httpchk'/);
  });

  it("logs with option tcplog and a stdout/stderr target, directly or through log global", () => {
    const fe = (...lines: string[]) => parse(["global", "  log stdout format raw local0", ...lines]);
    const withGlobal = fe(
      "frontend fe",
      "  bind :1",
      "  log global",
      "  option tcplog",
      "  default_backend be",
      "backend be",
    );
    assert.deepEqual(withGlobal.cfg.frontends[0]?.log, { target: "stdout", format: "tcplog" });
    const json = fe(
      "frontend fe",
      "  bind :1",
      "  log stderr format raw local1 info",
      "  option tcplog json",
      "  default_backend be",
      "backend be",
    );
    assert.deepEqual(json.cfg.frontends[0]?.log, { target: "stderr", format: "json" });
    const noLog = fe(
      "defaults",
      "  log global",
      "  option tcplog",
      "frontend fe",
      "  bind :1",
      "  no log",
      "  default_backend be",
      "backend be",
    );
    assert.equal(noLog.cfg.frontends[0]?.log, undefined);
    assert.match(noLog.warnings[0] ?? "", /'option tcplog' but no log target/);
  });

  it("warns when a log target would receive nothing", () => {
    const notice = parse([
      "frontend fe",
      "  bind :1",
      "  log stdout format raw local0 notice",
      "  option tcplog",
      "  default_backend be",
      "backend be",
    ]);
    assert.equal(notice.cfg.frontends[0]?.log, undefined);
    assert.match(notice.warnings[0] ?? "", /^test\.cfg:3: .*level 'notice' filters out stream logs/);
    const noTcplog = parse([
      "frontend fe",
      "  bind :1",
      "  log stdout format raw local0",
      "  default_backend be",
      "backend be",
    ]);
    assert.equal(noTcplog.cfg.frontends[0]?.log, undefined);
    assert.match(noTcplog.warnings[0] ?? "", /no 'option tcplog'/);
  });

  it("reads global maxconn and accepts harmless globals, warning about ignored ones", () => {
    const { cfg, warnings } = parse([
      "global",
      "  maxconn 100",
      "  daemon",
      "  nbthread 4",
      "  stats timeout 30s",
      ...BASE,
    ]);
    assert.equal(cfg.maxconn, 100);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /^test\.cfg:5: 'stats' in section 'global': ignored/);
  });

  it("inherits default-server options, which servers override", () => {
    const { cfg } = parse([
      "defaults",
      "  default-server check inter 1s weight 5",
      "backend be",
      "  default-server rise 4",
      "  server a 127.0.0.1:1",
      "  server b 127.0.0.1:2 weight 7 inter 2s",
    ]);
    assert.deepEqual(backendOf(cfg, "be")?.servers, [
      { name: "a", address: tcp("127.0.0.1", 1), weight: 5, check: { interMs: 1000, rise: 4 } },
      { name: "b", address: tcp("127.0.0.1", 2), weight: 7, check: { interMs: 2000, rise: 4 } },
    ]);
  });

  it("lets a frontend and a backend share a name, and a listen point elsewhere", () => {
    const { cfg } = parse([
      "frontend app",
      "  bind :1",
      "  default_backend app",
      "backend app",
      "listen l",
      "  bind :2",
      "  default_backend app",
    ]);
    assert.deepEqual(cfg.frontends.map((f) => [f.name, f.defaultBackend]), [["app", "app"], ["l", "app"]]);
    assert.deepEqual(cfg.backends.map((b) => b.name), ["app", "l"]);
  });

  it("uses a listen section without bind as a backend only, with a warning as HAProxy", () => {
    const { cfg, warnings } = parse(["listen l", "  server s 127.0.0.1:1"]);
    assert.deepEqual(cfg.frontends, []);
    assert.equal(cfg.backends[0]?.name, "l");
    assert.match(warnings[0] ?? "", /^test\.cfg:1: listen 'l' has no 'bind' line/);
  });

  it("ignores, with a warning as HAProxy, a keyword for the other side of the proxy", () => {
    const { cfg, warnings } = parse([
      "frontend fe",
      "  bind :1",
      "  timeout connect 5s",
      "  default_backend be",
      "backend be",
      "  bind :2",
    ]);
    assert.deepEqual(cfg.frontends[0]?.binds, [tcp("0.0.0.0", 1)]);
    assert.match(
      warnings[0] ?? "",
      /^test\.cfg:3: 'timeout connect' in section 'frontend fe': ignored because frontend 'fe' has no backend capability/,
    );
    assert.match(
      warnings[1] ?? "",
      /^test\.cfg:6: 'bind' in section 'backend be': ignored because backend 'be' has no frontend capability/,
    );
  });

  it("with lenient, turns unknown keywords, options and sections into warnings", () => {
    const { cfg, warnings } = parse([
      "global",
      "  tune.bufsize 32768",
      "userlist users",
      "  user admin insecure-password x",
      "frontend fe",
      "  bind 127.0.0.1:1 v4v6",
      "  tcp-request content track-sc0 src",
      "  default_backend be",
      "backend be",
      "  server s 127.0.0.1:2 agent-check weight 3",
    ], { lenient: true });
    assert.equal(backendOf(cfg, "be")?.servers[0]?.weight, 3);
    assert.deepEqual(warnings.map((w) => w.slice(0, w.indexOf(": "))), [
      "test.cfg:2",
      "test.cfg:3",
      "test.cfg:6",
      "test.cfg:7",
      "test.cfg:10",
    ]);
    assert.match(warnings[0] ?? "", /unknown keyword 'tune\.bufsize' in section 'global'; ignored \(lenient\)/);
    assert.match(
      warnings[3] ?? "",
      /'tcp-request content' in section 'frontend fe': action 'track-sc0' is not supported/,
    );
    assert.match(warnings[4] ?? "", /unknown server option 'agent-check'/);
  });
});

describe("parseHaproxyConfig() errors name file:line and the keyword", () => {
  it("unknown keyword", () => {
    refuses(["backend be1", "  server s1 127.0.0.1:1", "  xyz 1"], 3, "xyz");
    assert.throws(() => parseHaproxyConfig("backend be1\n  xyz 1", "test.cfg"), {
      message: "test.cfg:2: unknown keyword 'xyz' in section 'backend be1'",
    });
    refuses(["global", "  tune.bufsize 1"], 2, "tune.bufsize", /section 'global'/);
    refuses(["  maxconn 1"], 1, "maxconn", /out of section/);
    refuses([...BASE, "  option http-pretend-keepalive"], 6, "option http-pretend-keepalive");
    refuses([...BASE, "  timeout tarpit 1s"], 6, "timeout tarpit");
    refuses(["peers p", "  peer a 127.0.0.1:1"], 1, "peers", /not supported/);
  });

  it("unsupported mode, algorithm, option values and log targets", () => {
    refuses(["defaults", "  mode health"], 2, "mode", /expects 'tcp' or 'http'/);
    refuses(["backend be", "  balance rdp-cookie"], 2, "balance", /'rdp-cookie' is not supported/);
    refuses(["backend be", "  balance random(0)"], 2, "balance", /1\.\./);
    refuses(["backend be", "  server s 127.0.0.1:1 check observe layer8"], 2, "observe", /'layer4', 'layer7'/);
    refuses(["backend be", "  server s 127.0.0.1:1 on-error explode"], 2, "on-error", /fail-check/);
    refuses(["backend be", "  server s 127.0.0.1:1 agent-check"], 2, "agent-check", /unknown server option/);
    refuses([...BASE.slice(0, 2), "  bind 127.0.0.1:2 defer-accept"], 3, "defer-accept", /bind option/);
    refuses(["global", "  log 127.0.0.1:514 local0"], 2, "log", /only stdout and stderr/);
    refuses(["global", "  log stdout local0"], 2, "log", /needs 'format raw'/);
    refuses(["global", "  log stdout format rfc5424 local0"], 2, "log", /'rfc5424' is not supported/);
    refuses(["global", "  log stdout format raw local9"], 2, "log", /unknown log facility 'local9'/);
    refuses([...BASE, "  option httpchk GET / HTTP/1.1 extra"], 6, "option httpchk");
    refuses(
      [...BASE, "  option httpchk GET / HTTP/1.1\\r\\nHost:\\ x"],
      6,
      "option httpchk",
      /headers are not supported/,
    );
    refuses(
      [...BASE, "  http-check expect rstring ok"],
      6,
      "http-check expect",
      /only 'http-check expect \[!\] status/,
    );
    refuses(["frontend fe", "  option tcplog clf"], 2, "option tcplog", /unexpected argument 'clf'/);
    refuses(["defaults", "  no option tcplog"], 2, "no option tcplog", /negation is not supported/);
  });

  it("weight outside 0..256", () => {
    refuses([...BASE, "  server s2 127.0.0.1:2 weight 300"], 6, "weight", /0\.\.256, got 300/);
    refuses([...BASE, "  server s2 127.0.0.1:2 weight -1"], 6, "weight", /got -1/);
    refuses([...BASE, "  server s2 127.0.0.1:2 weight 3x"], 6, "weight", /integer/);
    refuses([...BASE, "  server s2 127.0.0.1:2 weight"], 6, "weight", /expects a value/);
  });

  it("invalid counts: retries, maxconn, rise, fall, error-limit, id, port", () => {
    refuses([...BASE, "  retries -1"], 6, "retries", /0\.\./);
    refuses([...BASE, "  option redispatch x"], 6, "option redispatch", /integer/);
    refuses(["frontend fe", "  maxconn -5"], 2, "maxconn");
    refuses(["global", "  maxconn many"], 2, "maxconn");
    refuses([...BASE, "  server s2 127.0.0.1:2 rise 0"], 6, "rise", /1\.\./);
    refuses([...BASE, "  server s2 127.0.0.1:2 fall 0"], 6, "fall");
    refuses([...BASE, "  server s2 127.0.0.1:2 error-limit 0"], 6, "error-limit");
    refuses([...BASE, "  server s2 127.0.0.1:2 id 0"], 6, "id");
    refuses([...BASE, "  server s2 127.0.0.1:2 port 70000"], 6, "port");
    refuses(["defaults", "  default-server id 3"], 2, "id", /not allowed on 'default-server'/);
  });

  it("negative, overflowing or malformed timeouts", () => {
    refuses([...BASE, "  timeout connect -1"], 6, "timeout connect", /duration/);
    refuses([...BASE, "  timeout server 25d"], 6, "timeout server", /timer overflow/);
    refuses([...BASE, "  timeout queue 1.5s"], 6, "timeout queue");
    refuses([...BASE, "  timeout tunnel 5sec"], 6, "timeout tunnel", /unknown time unit 'sec'/);
    refuses([...BASE, "  timeout check"], 6, "timeout check", /one duration/);
    refuses([...BASE, "  server s2 127.0.0.1:2 inter 0"], 6, "inter", /at least 1 ms/);
  });

  it("bad addresses", () => {
    refuses(["frontend fe", "  bind 127.0.0.1:99999"], 2, "bind", /invalid address '127\.0\.0\.1:99999'/);
    refuses(["frontend fe", "  bind 127.0.0.1:0"], 2, "bind", /port 0/);
    refuses(["frontend fe", "  bind 127.0.0.1:80,,127.0.0.1:81"], 2, "bind", /invalid address ''/);
    refuses(["backend be", "  server s1 10.0.0.1:80-90"], 2, "server 's1'", /port ranges are not supported/);
    refuses(["backend be", "  server s1 10.0.0.1"], 2, "server", /missing ':PORT'/);
    refuses(["backend be", "  server s1 bad_host!:80"], 2, "server", /neither/);
    refuses(["backend be", "  server s1"], 2, "server", /a name and an address/);
  });

  it("unknown backend in default_backend (at the line that set it, even in defaults)", () => {
    refuses(
      [...BASE.slice(0, 2), "  default_backend nope", "backend be"],
      3,
      "default_backend",
      /no backend named 'nope'/,
    );
    refuses(["defaults", "  default_backend nope", "frontend fe", "  bind :1", "backend be"], 2, "default_backend");
  });

  it("duplicate server names and ids, duplicate section names", () => {
    refuses([...BASE, "  server s1 127.0.0.1:2"], 6, "server", /duplicate server name 's1' \(first at line 5\)/);
    refuses(
      [...BASE, "  server a 127.0.0.1:2 id 4", "  server b 127.0.0.1:3 id 4"],
      7,
      "id",
      /already used by server 'a'/,
    );
    refuses([...BASE, "backend be"], 6, "backend", /already used by backend 'be' at line 4/);
    refuses([...BASE, "frontend fe"], 6, "frontend", /already used by frontend 'fe' at line 1/);
    refuses([...BASE, "listen be"], 6, "listen", /already used by backend 'be'/);
    refuses(["backend b/x"], 1, "backend", /does not permit/);
    refuses(["frontend fe extra"], 1, "frontend", /expects a name/);
  });

  it("a frontend without bind or without backend", () => {
    refuses(["frontend fe", "  default_backend be", "backend be"], 1, "bind", /frontend 'fe' has no 'bind' line/);
    refuses(
      ["frontend fe", "  bind :1", "backend be"],
      1,
      "default_backend",
      /frontend 'fe' has no 'default_backend' line/,
    );
  });

  it("keywords in a section that cannot hold them", () => {
    refuses(
      ["frontend fe", "  bind :1", "  server s 127.0.0.1:1"],
      3,
      "server",
      /frontend 'fe' has no backend capability/,
    );
    refuses(["defaults", "  bind :1"], 2, "bind", /not allowed in 'defaults'/);
    refuses(["defaults", "  server s 127.0.0.1:1"], 2, "server", /not allowed in 'defaults'/);
    refuses(["global", "  log global"], 2, "log global");
  });

  it("tokenising errors: unmatched quote, variables without an environment", () => {
    refuses(["backend be", '  server s1 "127.0.0.1:1'], 2, "unmatched quote");
    refuses(["frontend fe", '  bind "${PORT}"'], 2, "PORT", /no environment was given/);
    refuses(["frontend fe", '  bind "${PORT:-80}"'], 2, "${PORT:-80}", /unsupported variable syntax/, { env: {} });
  });

  it("lenient mode still refuses invalid values", () => {
    refuses([...BASE, "  server s2 127.0.0.1:2 weight 300"], 6, "weight", /got 300/, { lenient: true });
    refuses(["defaults", "  mode health"], 2, "mode", /expects 'tcp' or 'http'/, { lenient: true });
  });
});
