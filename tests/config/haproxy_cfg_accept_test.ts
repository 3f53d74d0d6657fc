// haproxy.cfg for what runs before a stream (bind `accept-proxy` and `name`, `tcp-request
// connection`) and transparent server addresses (`0.0.0.0`, `*`, `:+N`): what is read, what is
// refused with file:line.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import { isProxyError } from "../../src/errors.ts";
import type { BindConfig } from "../../mod.ts";

const parse = (lines: readonly string[]) => parseHaproxyConfig(lines.join("\n"), "test.cfg");

function refuses(lines: readonly string[], line: number, text: RegExp): void {
  assert.throws(() => parse(lines), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.ok(e.message.startsWith(`test.cfg:${line}: `), e.message);
    assert.match(e.message, text);
    return true;
  });
}

const listen = (...lines: string[]) => ["listen app", ...lines, "  server s1 127.0.0.1:9000"];

describe("haproxy.cfg: bind options, tcp-request connection, transparent servers", () => {
  it("reads accept-proxy and name on each address of a bind line", () => {
    const cfg = parse(listen("  bind 127.0.0.1:8000,127.0.0.1:8001 accept-proxy name lb"));
    const binds = cfg.frontends[0]!.binds as BindConfig[];
    assert.deepEqual(binds.map((b) => [b.address, b.acceptProxy, b.name]), [
      [{ transport: "tcp", hostname: "127.0.0.1", port: 8000 }, true, "lb"],
      [{ transport: "tcp", hostname: "127.0.0.1", port: 8001 }, true, "lb"],
    ]);
    const r = resolveConfig(cfg);
    assert.equal(r.frontends[0]!.binds[0]!.acceptProxy, true);
    assert.equal(r.frontends[0]!.binds[1]!.name, "lb");
  });

  it("refuses an unknown bind option and a name without value", () => {
    refuses(listen("  bind 127.0.0.1:8000 frobnicate"), 2, /bind option 'frobnicate' is not supported/);
    refuses(listen("  bind 127.0.0.1:8000 name"), 2, /'name' expects a name/);
  });

  it("reads tcp-request connection rules with their conditions", () => {
    const cfg = parse(listen(
      "  bind 127.0.0.1:8000",
      "  acl lb src 10.0.0.0/8",
      "  tcp-request connection expect-proxy layer4 if lb",
      "  tcp-request connection reject unless { src 127.0.0.1 } || lb",
      "  tcp-request connection set-dst-port int(8080)",
      "  tcp-request connection accept",
    ));
    assert.deepEqual(cfg.frontends[0]!.tcpRequest?.connection, [
      { action: "expect-proxy", condition: ["if", "lb"] },
      { action: "reject", condition: ["unless", "{", "src", "127.0.0.1", "}", "||", "lb"] },
      { action: "set-dst-port", expr: "int(8080)" },
      { action: "accept" },
    ]);
  });

  it("refuses what HAProxy refuses in a connection rule, naming the line", () => {
    refuses(listen("  bind :8000", "  tcp-request connection expect-proxy"), 3, /expects 'layer4'/);
    refuses(listen("  bind :8000", "  tcp-request connection reject if nope"), 3, /no such ACL : 'nope'/);
    refuses(listen("  bind :8000", "  tcp-request connection reject when x"), 3, /unexpected keyword 'when'/);
    refuses(listen("  bind :8000", "  tcp-request connection set-dst"), 3, /expects a sample expression/);
    refuses(
      listen("  bind :8000", "  tcp-request connection silent-drop"),
      3,
      /'tcp-request connection silent-drop' is not supported/,
    );
    refuses(["defaults", "  tcp-request connection accept"], 2, /not allowed in 'defaults' section/);
  });

  it("reads transparent server addresses and port offsets", () => {
    const cfg = parse([
      "backend b",
      "  server t1 0.0.0.0",
      "  server t2 *:8080",
      "  server t3 0.0.0.0:+1000",
      "  server t4 10.0.0.1:-10",
      "  server t5 ::",
    ]);
    const s = cfg.backends[0]!.servers.map((x) => [x.address, x.mapPorts]);
    assert.deepEqual(s, [
      [{ transport: "tcp", hostname: "0.0.0.0", port: 0 }, undefined],
      [{ transport: "tcp", hostname: "0.0.0.0", port: 8080 }, undefined],
      [{ transport: "tcp", hostname: "0.0.0.0", port: 0 }, 1000],
      [{ transport: "tcp", hostname: "10.0.0.1", port: 0 }, -10],
      [{ transport: "tcp", hostname: "::", port: 0 }, undefined],
    ]);
    const r = resolveConfig({ frontends: [], backends: cfg.backends });
    assert.deepEqual(r.backends[0]!.servers.map((x) => x.transparent), [true, true, true, false, true]);
  });

  it("still refuses port 0 on an ordinary server", () => {
    refuses(["backend b", "  server s 10.0.0.1:0"], 2, /port 0 out of range/);
  });
});
