/**
 * The server-state file (`src/server_state.ts`): `show servers state` text, read back and
 * applied to a new proxy as HAProxy 2.6 does (maintenance, drain, user weight unless the
 * configured weight changed), on the in-memory network.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../adapters/memory.ts";
import { ProxyServer } from "../src/proxy.ts";
import { internalsOf } from "../src/proxy.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { applyServersState, formatServersState, parseServersState } from "../src/server_state.ts";
import { FRONT, srvAddr } from "./_proxy_harness.ts";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";

function config(weights: number[]): ProxyConfig {
  return {
    frontends: [{ name: "fe", binds: [FRONT], defaultBackend: "be" }],
    backends: [
      { name: "be", servers: weights.map((weight, i) => ({ name: `s${i + 1}`, address: srvAddr(i + 1), weight })) },
      { name: "other", servers: [{ name: "o1", address: { transport: "tcp", hostname: "db.example", port: 5432 } }] },
    ],
  };
}

const proxy = (weights: number[]) => new ProxyServer(config(weights), { network: new MemoryNetwork() });

describe("server-state file", () => {
  it("formats `show servers state` version 1: header, a row per server, an empty line", () => {
    const p = proxy([10, 1]);
    p.admin.setServerState("be", "s1", "maint");
    p.admin.setServerState("be", "s2", "drain");
    const text = formatServersState(p);
    const lines = text.split("\n");
    assert.equal(lines[0], "1");
    assert.ok(lines[1]!.startsWith("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state"));
    assert.equal(lines[2], "1 be 1 s1 10.1.0.1 0 1 10 10 0 6 3 4 6 0 0 0 - 8000 - 0 0 - - 0");
    assert.equal(lines[3], "1 be 2 s2 10.1.0.2 2 8 1 1 0 6 3 4 6 0 0 0 - 8000 - 0 0 - - 0");
    assert.equal(lines[4], "2 other 1 o1 - 2 0 1 1 0 6 3 4 6 0 0 0 db.example 5432 - 0 0 - - 0");
    assert.equal(lines[5], "");
    assert.equal(lines.length, 7, "ends with an empty line");
    assert.equal(formatServersState(p, "other").split("\n").length, 5);
    assert.throws(() => formatServersState(p, "nope"), /Can't find backend\./);
  });

  it("applies maintenance, drain and the user weight; a changed configured weight wins", () => {
    const before = proxy([10, 20]);
    before.admin.setServerState("be", "s1", "maint");
    before.admin.setServerWeight("be", "s2", 5);
    const rows = parseServersState(formatServersState(before), "state");
    const same = proxy([10, 20]);
    const messages = applyServersState(same, rows);
    const s = internalsOf(same).backends[0]!;
    assert.equal(s.server("s1")!.state, "MAINT");
    assert.equal(s.server("s2")!.userWeight, 5);
    assert.deepEqual(messages, ["Server be/s1 is DOWN, changed from server-state after a reload."]);
    const changed = proxy([10, 30]);
    applyServersState(changed, rows);
    assert.equal(internalsOf(changed).backends[0]!.server("s2")!.userWeight, 30, "configured 20 → 30: not restored");
    const only = proxy([10, 20]);
    applyServersState(only, rows, ["other"]);
    assert.equal(internalsOf(only).backends[0]!.server("s1")!.state, "UP", "backend not loading state: untouched");
  });

  it("restores the port; the IP only of a server configured with a host name", () => {
    const before = proxy([1, 1]);
    const [be, other] = internalsOf(before).backends;
    be!.server("s1")!.setAddress({ transport: "tcp", hostname: "10.9.9.9", port: 9001 });
    other!.server("o1")!.setAddress({ transport: "tcp", hostname: "10.8.8.8", port: 6000 });
    const after = proxy([1, 1]);
    applyServersState(after, parseServersState(formatServersState(before), "state"));
    const [be2, other2] = internalsOf(after).backends;
    assert.deepEqual(be2!.server("s1")!.address, { transport: "tcp", hostname: "10.1.0.1", port: 9001 });
    assert.deepEqual(other2!.server("o1")!.address, { transport: "tcp", hostname: "10.8.8.8", port: 6000 });
  });

  it("refuses another version and short rows, naming the file and line", () => {
    assert.throws(() => parseServersState("2\n", "st"), /st:1: unknown server-state version '2'/);
    assert.throws(() => parseServersState("1\n# c\n1 be 1\n", "st"), /st:3: invalid server-state row/);
    assert.deepEqual(parseServersState("", "st"), []);
  });

  it("reads hard-stop-after, nbthread, server-state-file/base and which backends load the file", () => {
    const backends = "backend a\n server s 127.0.0.1:1\nbackend b\n load-server-state-from-file local\n" +
      " server-state-file-name b.state\n server s 127.0.0.1:2\nbackend c\n load-server-state-from-file none\n" +
      " server s 127.0.0.1:3\n";
    const cfg = parseHaproxyConfig(
      "global\n hard-stop-after 3s\n nbthread 2\n server-state-base /var/lib/px\n server-state-file all\n" +
        "defaults\n load-server-state-from-file global\n" + backends,
      "st.cfg",
    );
    assert.deepEqual(cfg.process, {
      hardStopAfterMs: 3000,
      nbthread: 2,
      serverStateFile: "/var/lib/px/all",
      serverStates: [{ backend: "a", file: "/var/lib/px/all" }, { backend: "b", file: "/var/lib/px/b.state" }],
    });
    assert.throws(
      () => parseHaproxyConfig("defaults\n load-server-state-from-file global\n" + backends, "st.cfg"),
      /st\.cfg:3: backend 'a': 'load-server-state-from-file global' needs 'server-state-file' in 'global'/,
    );
    assert.throws(
      () => parseHaproxyConfig("global\n hard-stop-after soon\n" + backends, "st.cfg"),
      /st\.cfg:2: 'hard-stop-after' in section 'global'/,
    );
    assert.throws(
      () => parseHaproxyConfig("backend a\n load-server-state-from-file always\n", "st.cfg"),
      /st\.cfg:2: .*expects 'global', 'local' or 'none'/,
    );
  });
});
