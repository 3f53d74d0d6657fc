/**
 * The runtime API (`src/runtime_api.ts`) and the typed admin API (`src/admin.ts`) on the
 * in-memory network: HAProxy 2.6's replies (TLS_ACL_OPS section E, checked against haproxy
 * 2.6.12), levels, and state changes seen in the traffic; a failed command changes nothing.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { config, Harness, servers, srvAddr } from "./_proxy_harness.ts";
import { RuntimeApiSession, splitCommands } from "../src/runtime_api.ts";
import { isProxyError } from "../src/errors.ts";
import { formatServersState } from "../src/server_state.ts";
import { dec, enc, Recorder, tcp } from "./_helpers.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import { ProxyServer } from "../src/proxy.ts";
import { MemoryNetwork } from "../adapters/memory.ts";

const STATS = tcp("127.0.0.1", 9999);

/** A harness proxy over `n` echo servers (roundrobin) with a stats socket of `level`. */
async function setup(
  n = 2,
  backend: Partial<ProxyConfig["backends"][number]> = {},
  level: "user" | "operator" | "admin" = "admin",
): Promise<{ h: Harness; cli: RuntimeApiSession }> {
  const h = new Harness();
  for (let i = 1; i <= n; i++) await h.server(`s${i}`, srvAddr(i));
  await h.start({
    ...config({ balance: { kind: "roundrobin" }, servers: servers(n), ...backend }),
    statsSockets: [{ address: STATS, level }],
  });
  return { h, cli: new RuntimeApiSession(h.proxy, level) };
}

/** Which servers `k` new exchanges reach. */
async function spread(h: Harness, k: number): Promise<string[]> {
  const from = h.sequence.length;
  for (let i = 0; i < k; i++) await h.exchange();
  return h.sequence.slice(from);
}

/** Sends `line` to the stats socket over the network and returns the whole answer. */
async function overSocket(h: Harness, line: string): Promise<string> {
  const s = await h.net.connect({ address: STATS });
  const rec = new Recorder();
  s.setHandlers(rec);
  s.write(enc(line));
  s.shutdownWrite(); // as socat does at the end of its input
  await h.until(() => rec.closeCount === 1 || rec.endCount === 1);
  return dec(rec.chunks);
}

describe("RuntimeApiSession: server state", () => {
  it("set server state drain stops new streams to the server, ready brings them back", async () => {
    const { h, cli } = await setup();
    assert.equal(cli.execute("set server be/s1 state drain"), "\n");
    assert.equal(h.proxy.backends[0]!.server("s1")!.state, "DRAIN");
    assert.deepEqual(await spread(h, 4), ["s2", "s2", "s2", "s2"]);
    assert.equal(cli.execute("set server be/s1 state ready"), "\n");
    assert.ok((await spread(h, 4)).includes("s1"));
  });

  it("maint (and disable server) logs the change and shows admin state 1 in show servers state", async () => {
    const { h, cli } = await setup();
    assert.equal(cli.execute("disable server be/s2"), "\n");
    assert.ok(
      h.lines.includes(
        "Server be/s2 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
      ),
      h.lines.join("\n"),
    );
    assert.deepEqual(await spread(h, 3), ["s1", "s1", "s1"]);
    const row = formatServersState(h.proxy).split("\n").find((l) => l.includes(" s2 "))!;
    assert.match(row, /^1 be 2 s2 10\.1\.0\.2 0 1 1 1 /);
    assert.equal(cli.execute("enable server be/s2"), "\n");
    assert.ok((await spread(h, 2)).includes("s2"));
  });

  it("maint ends a drain, drain ends maintenance, enable ends both (as haproxy 2.6)", async () => {
    const { h, cli } = await setup();
    const row = () => formatServersState(h.proxy).split("\n").find((l) => l.includes(" s1 "))!.split(" ").slice(5, 7);
    cli.execute("set server be/s1 state drain; set server be/s1 state maint");
    assert.deepEqual(row(), ["0", "1"]);
    cli.execute("set server be/s1 state drain");
    assert.deepEqual(row(), ["2", "8"]);
    cli.execute("enable server be/s1");
    assert.deepEqual(row(), ["2", "0"]);
    assert.equal(h.proxy.backends[0]!.server("s1")!.state, "UP");
    // The state lines haproxy 2.6 logged for the same commands.
    assert.deepEqual(h.lines, [
      "Server be/s1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
      "Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
      "Server be/s1 is UP/DRAIN (leaving forced maintenance).",
      "Server be/s1 is UP (leaving forced drain).",
    ]);
  });

  it("answers HAProxy's errors and changes nothing", async () => {
    const { h, cli } = await setup();
    assert.equal(
      cli.execute("set server be/s1 state bad"),
      "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
    );
    assert.equal(cli.execute("set server be/nosuch state maint"), "No such server.\n\n");
    assert.equal(cli.execute("set server nosuch/s1 state maint"), "No such backend.\n\n");
    assert.equal(cli.execute("set server be state maint"), "Require 'backend/server'.\n\n");
    assert.match(cli.execute("set server be/s1 bogus"), /^usage: set server <backend>\/<server> addr \| agent/);
    assert.equal(h.proxy.backends[0]!.server("s1")!.state, "UP");
  });
});

describe("RuntimeApiSession: weight", () => {
  it("a relative weight is a share of the configured one; get weight reports both", async () => {
    const { h, cli } = await setup(2, { servers: servers(2, { weight: 10 }) });
    assert.equal(cli.execute("set server be/s1 weight 50%"), "\n");
    assert.equal(cli.execute("get weight be/s1"), "5 (initial 10)\n\n");
    assert.equal(cli.execute("set weight be/s1 300%"), "\n");
    assert.equal(cli.execute("get weight be/s1"), "30 (initial 10)\n\n");
    // 30 against 10: s1 takes three streams in four.
    const got = await spread(h, 8);
    assert.equal(got.filter((s) => s === "s1").length, 6);
    // show stat reports the weight set at run time (weight and uweight), not the configured one.
    const csv = cli.execute("show stat").split("\n");
    const header = csv[0]!.slice(2).split(",");
    const row = csv.find((l) => l.startsWith("be,s1,"))!.split(",");
    assert.equal(row[header.indexOf("weight")], "30");
    assert.equal(row[header.indexOf("uweight")], "30");
  });

  it("weight 0 takes the server out of the spread", async () => {
    const { h, cli } = await setup();
    cli.execute("set server be/s2 weight 0");
    assert.deepEqual(await spread(h, 3), ["s1", "s1", "s1"]);
  });

  it("refuses bad weights with HAProxy's text, with or without the blank line", async () => {
    const { h, cli } = await setup();
    assert.equal(
      cli.execute("set server be/s1 weight 257"),
      "Absolute weight can only be between 0 and 256 inclusive.\n\n",
    );
    assert.equal(
      cli.execute("set server be/s1 weight -1"),
      "Absolute weight can only be between 0 and 256 inclusive.\n\n",
    );
    assert.equal(cli.execute("set server be/s1 weight abc"), "Empty weight string empty or preceded by garbage\n");
    assert.equal(cli.execute("set server be/s1 weight 10x"), "Trailing garbage in weight string\n");
    assert.equal(cli.execute("set server be/s1 weight"), "Require <weight> or <weight%>.\n\n");
    assert.equal(cli.execute("get weight be/s1"), "1 (initial 1)\n\n");
    assert.equal(h.proxy.backends[0]!.server("s1")!.weight, 1);
  });

  it("a static algorithm accepts only 0% and 100%", async () => {
    const { cli } = await setup(1, { balance: { kind: "source" }, servers: servers(1, { weight: 10 }) });
    assert.equal(
      cli.execute("set server be/s1 weight 5"),
      "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n",
    );
    assert.equal(cli.execute("set server be/s1 weight 0"), "\n");
    assert.equal(cli.execute("set server be/s1 weight 100%"), "\n");
    assert.equal(cli.execute("get weight be/s1"), "10 (initial 10)\n\n");
  });
});

describe("RuntimeApiSession: set server addr", () => {
  it("moves new streams to the new address and reports the change as HAProxy words it", async () => {
    const { h, cli } = await setup(1);
    await h.server("other", tcp("10.1.0.9", 8001));
    assert.deepEqual(await spread(h, 1), ["s1"]);
    assert.equal(
      cli.execute("set server be/s1 addr 10.1.0.9 port 8001"),
      "IP changed from '10.1.0.1' to '10.1.0.9', port changed from '8000' to '8001' by 'stats socket command'\n\n",
    );
    assert.deepEqual(await spread(h, 2), ["other", "other"]);
    assert.equal(
      cli.execute("set server be/s1 addr 10.1.0.9"),
      "no need to change the addr by 'stats socket command'\n\n",
    );
  });

  it("a stream in progress keeps its server connection", async () => {
    const { h, cli } = await setup(1);
    await h.server("other", tcp("10.1.0.9", 8000));
    const c = await h.client();
    c.socket.write(enc("before"));
    await h.until(() => h.servers.get("s1")!.recorders[0]?.bytes === 6);
    cli.execute("set server be/s1 addr 10.1.0.9");
    c.socket.write(enc("+after"));
    await h.until(() => h.servers.get("s1")!.recorders[0]?.bytes === 12);
    assert.equal(h.servers.get("other")!.accepted.length, 0);
  });

  it("refuses what is not an IP and changes nothing", async () => {
    const { h, cli } = await setup(1);
    assert.equal(
      cli.execute("set server be/s1 addr not-an-ip"),
      "Invalid addr 'not-an-ip' by 'stats socket command'\n\n",
    );
    assert.deepEqual(h.proxy.backends[0]!.server("s1")!.address, srvAddr(1));
  });
});

describe("RuntimeApiSession: add server, del server", () => {
  it("a new server starts in maintenance, takes traffic once enabled, and is deleted from maintenance", async () => {
    const { h, cli } = await setup(1);
    await h.server("s3", srvAddr(3));
    assert.equal(cli.execute("add server be/s3 10.1.0.3:8000 weight 2"), "New server registered.\n\n");
    assert.equal(h.proxy.backends[0]!.server("s3")!.state, "MAINT");
    assert.deepEqual(await spread(h, 2), ["s1", "s1"]);
    assert.equal(cli.execute("enable server be/s3"), "\n");
    const got = await spread(h, 6);
    assert.equal(got.filter((s) => s === "s3").length, 4, got.join());
    assert.equal(cli.execute("del server be/s3"), "Only servers in maintenance mode can be deleted.\n");
    cli.execute("disable server be/s3");
    assert.equal(cli.execute("del server be/s3"), "Server deleted.\n");
    assert.equal(h.proxy.backends[0]!.server("s3"), undefined);
    assert.deepEqual(await spread(h, 2), ["s1", "s1"]);
  });

  it("a server in maintenance with a stream on it cannot be deleted", async () => {
    const { h, cli } = await setup(1);
    await h.client();
    cli.execute("disable server be/s1");
    assert.equal(cli.execute("del server be/s1"), "Server still has connections attached to it, cannot remove it.\n");
    assert.ok(h.proxy.backends[0]!.server("s1") !== undefined);
  });

  it("answers add server's errors and adds nothing", async () => {
    const { h, cli } = await setup(1);
    assert.equal(
      cli.execute("add server be/s1 10.1.0.3:8000"),
      "Already exists a server with the same name in backend.\n\n",
    );
    assert.equal(cli.execute("add server nosuch/s3 10.1.0.3:8000"), "No such backend.\n");
    assert.equal(cli.execute("add server be/s3 10.1.0.3:8000 foo"), "unknown keyword 'foo'\n\n");
    assert.equal(cli.execute("add server be/s3"), "'server' expects <name> and <addr>[:<port>] as arguments.\n\n");
    assert.equal(cli.execute("del server be/nosuch"), "No such server.\n");
    assert.equal(cli.execute("del server be"), "Require 'backend/server'.\n");
    assert.equal(h.proxy.backends[0]!.servers.length, 1);
  });

  it("a static algorithm takes no dynamic server", async () => {
    const { cli } = await setup(1, { balance: { kind: "static-rr" } });
    assert.equal(
      cli.execute("add server be/s3 10.1.0.3:8000"),
      "Backend must use a dynamic load balancing to support dynamic servers.\n",
    );
  });

  it("an added server with check gets its checker once `enable health` is sent", async () => {
    const { h, cli } = await setup(1);
    await h.server("s3", srvAddr(3));
    cli.execute("add server be/s3 10.1.0.3:8000 check inter 1s");
    assert.equal(h.checkers.length, 1);
    assert.equal(cli.execute("enable health be/s3; enable server be/s3"), "\n\n");
    await h.clock.advance(3000);
    assert.ok(h.checkers[0]!.counters.checks > 0);
    assert.equal(h.proxy.backends[0]!.server("s3")!.state, "UP");
    cli.execute("disable server be/s3");
    assert.equal(cli.execute("del server be/s3"), "Server deleted.\n");
    assert.equal(h.checkers.length, 0);
  });
});

describe("RuntimeApiSession: limits, sessions, health", () => {
  it("set maxconn server raises the limit and a queued stream gets the slot at once", async () => {
    const { h, cli } = await setup(1, { servers: servers(1, { maxconn: 1 }), timeouts: { queueMs: 60_000 } });
    await h.client();
    await h.client();
    await h.clock.advance(10);
    const srv = h.proxy.backends[0]!.server("s1")!;
    assert.equal(srv.served, 1);
    assert.equal(cli.execute("set maxconn server be/s1 2"), "\n");
    await h.clock.advance(10);
    assert.equal(srv.served, 2);
    assert.equal(cli.execute("set maxconn server be/s1 abc"), "maxconn string empty or preceded by garbage\n");
    assert.equal(cli.execute("set maxconn server be/s1"), "Require <maxconn>.\n\n");
  });

  it("shutdown sessions server kills the streams on it, with K in their log lines", async () => {
    const { h, cli } = await setup(2);
    await h.client();
    await h.client();
    await h.clock.advance(10);
    assert.equal(cli.execute("shutdown sessions server be/s1"), "\n");
    await h.until(() => h.lines.length === 1);
    assert.equal(Harness.fields(h.lines[0]!).server, "s1");
    assert.equal(Harness.fields(h.lines[0]!).term[0], "K");
    assert.equal(h.proxy.counters.current, 1);
  });

  it("enable/disable health start and stop the checks; a server without check answers HAProxy's text", async () => {
    const { h, cli } = await setup(2, {
      servers: [{ name: "s1", address: srvAddr(1), check: { interMs: 1000 } }, { name: "s2", address: srvAddr(2) }],
    });
    assert.equal(
      cli.execute("enable health be/s2"),
      "Health check was not configured on this server, cannot enable.\n\n",
    );
    assert.equal(cli.execute("disable health be/s1"), "\n");
    const before = h.checkers[0]!.counters.checks;
    await h.clock.advance(5000);
    assert.equal(h.checkers[0]!.counters.checks, before);
    cli.execute("enable health be/s1");
    await h.clock.advance(5000);
    assert.ok(h.checkers[0]!.counters.checks > before);
  });
});

describe("RuntimeApiSession: levels, parsing, help", () => {
  it("a command above the session's level answers Permission denied and changes nothing", async () => {
    for (const level of ["user", "operator"] as const) {
      const { h, cli } = await setup(1, {}, level);
      for (
        const c of [
          "set server be/s1 state maint",
          "disable server be/s1",
          "add server be/s9 10.1.0.9:1",
          "del server be/s1",
          "set weight be/s1 0",
        ]
      ) {
        assert.equal(cli.execute(c), "Permission denied\n\n", `${level}: ${c}`);
      }
      assert.equal(cli.execute("show sess"), level === "user" ? "Permission denied\n\n" : "\n");
      assert.equal(cli.execute("get weight be/s1"), "1 (initial 1)\n\n");
      assert.equal(h.proxy.backends[0]!.server("s1")!.state, "UP");
    }
  });

  it("show cli level, and user/operator lower the level for good", async () => {
    const { cli } = await setup(1);
    assert.equal(cli.execute("show cli level"), "admin\n\n");
    assert.equal(
      cli.execute("operator; show cli level; user; show cli level; operator; show cli level"),
      "\noperator\n\n\nuser\n\n\nuser\n\n",
    );
  });

  it("`;` separates commands and a backslash escapes it", () => {
    assert.deepEqual(splitCommands("show info;show  stat\t; a\\;b"), [["show", "info"], ["show", "stat"], ["a;b"]]);
  });

  it("help lists the commands in HAProxy's format; an unknown command gets suggestions", async () => {
    const { cli } = await setup(1);
    const help = cli.execute("help");
    assert.ok(help.startsWith("The following commands are valid at this level:\n"));
    assert.ok(
      help.includes("\n  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl\n"),
    );
    assert.ok(help.endsWith("  quit                                    : disconnect\n\n"));
    const typo = cli.execute("shwo stat");
    assert.ok(typo.startsWith("Unknown command, but maybe one of the following ones is a better match:\n"), typo);
    assert.ok(typo.includes("  show stat "), typo);
    assert.ok(cli.execute("").startsWith("Unknown command. Please enter one of the following commands only:\n"));
  });

  it("show servers state of an unknown backend, show stat and show info", async () => {
    const { cli } = await setup(2);
    assert.equal(cli.execute("show servers state nosuch"), "Can't find backend.\n\n");
    const state = cli.execute("show servers state be").split("\n");
    assert.equal(state[0], "1");
    assert.ok(state[1]!.startsWith("# be_id be_name srv_id srv_name srv_addr"));
    assert.equal(state.length, 2 + 2 + 2);
    const stat = cli.execute("show stat");
    assert.ok(stat.startsWith("# pxname,svname,qcur,qmax,"));
    assert.ok(stat.endsWith(",\n\n"));
    assert.match(stat, /\nbe,s1,/);
    assert.match(cli.execute("show info"), /^Name: /);
  });
});

describe("stats socket over the network", () => {
  it("answers one line and closes; prompt mode keeps the connection and prints '> '", async () => {
    const { h } = await setup(1);
    assert.equal(await overSocket(h, "show cli level\n"), "admin\n\n");
    assert.equal(await overSocket(h, "show cli level"), "admin\n\n", "a last line without newline at EOF");
    assert.equal(
      await overSocket(h, "prompt\nshow cli level\nset server be/s1 state drain\nquit\n"),
      "\n> admin\n\n> \n> ",
    );
    assert.equal(await overSocket(h, "prompt\nprompt\nshow cli level\nshow cli level\n"), "\n> \nadmin\n\n");
    assert.equal(await overSocket(h, "show cli level;quit;show cli level\n"), "admin\n\n");
    assert.equal(h.proxy.backends[0]!.server("s1")!.state, "DRAIN");
    assert.deepEqual(h.proxy.statsAddresses, [STATS]);
  });

  it("closes with the proxy", async () => {
    const { h } = await setup(1);
    await h.proxy.stop();
    await assert.rejects(h.net.connect({ address: STATS }));
  });
});

describe("ProxyAdmin (typed)", () => {
  it("throws ProxyErrors with stable codes and HAProxy's message, changing nothing", async () => {
    const { h } = await setup(1);
    const admin = h.proxy.admin;
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        assert.ok(isProxyError(e));
        return `${e.code} ${e.message}`;
      }
      return "no error";
    };
    assert.equal(code(() => admin.setServerState("be", "nosuch", "maint")), "ERR_NO_SUCH_OBJECT No such server.");
    assert.equal(code(() => admin.setServerWeight("nosuch", "s1", 3)), "ERR_NO_SUCH_OBJECT No such backend.");
    assert.equal(
      code(() => admin.setServerWeight("be", "s1", 999)),
      "ERR_INVALID_OPERATION Absolute weight can only be between 0 and 256 inclusive.",
    );
    assert.match(
      code(() => admin.addServer("be", "s2", { address: srvAddr(2), weight: 300 })),
      /^ERR_INVALID_OPERATION 'server be\/s2' : weight/,
    );
    assert.equal(h.proxy.backends[0]!.servers.length, 1);
    assert.equal(
      admin.setServerAddress("be", "#1", "10.1.0.7"),
      "IP changed from '10.1.0.1' to '10.1.0.7' by 'stats socket command'",
    );
  });
});

describe("stats socket configuration", () => {
  it("haproxy.cfg: stats socket with a level, Unix or loopback TCP", () => {
    const cfg = parseHaproxyConfig(
      "global\n  stats socket /run/pk.sock mode 600 level admin\n  stats socket ipv4@127.0.0.1:9999\n  stats timeout 30s\n",
      "h.cfg",
      { onWarning: () => {} },
    );
    assert.deepEqual(cfg.statsSockets, [
      { address: { transport: "unix", path: "/run/pk.sock" }, level: "admin" },
      { address: tcp("127.0.0.1", 9999) },
    ]);
  });

  it("refuses a TCP stats socket off loopback and a bad level, naming the file and key", () => {
    assert.throws(
      () => parseHaproxyConfig("global\n  stats socket 0.0.0.0:9999 level admin\n", "h.cfg"),
      /^ProxyError: h\.cfg:2: 'stats' in section 'global': 'stats socket' on 0\.0\.0\.0:9999: a TCP stats socket must be on a loopback address/,
    );
    assert.throws(
      () => parseHaproxyConfig("global\n  stats socket /x level root\n", "h.cfg"),
      /h\.cfg:2: .*'level' only supports/,
    );
    const net = new MemoryNetwork();
    assert.throws(
      () =>
        new ProxyServer({ frontends: [], backends: [], statsSockets: [{ address: tcp("10.0.0.5", 9999) }] }, {
          network: net,
        }),
      /statsSockets\[0\]\.address: a TCP stats socket must be on a loopback address/,
    );
  });
});
