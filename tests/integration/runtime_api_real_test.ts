/**
 * The runtime API on real sockets with socat as the client, as a user drives HAProxy's: a Unix
 * stats socket at admin level and a TCP loopback one at user level, in front of three real
 * origins that answer their name. Each command's reply is checked byte for byte, and every
 * change is checked in the traffic that follows (drain, maint, weight, addr, add/del server);
 * an error changes nothing. Where haproxy 2.6 is installed, a few replies are compared with
 * its own on the same commands.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxyServer } from "../../src/proxy.ts";
import type { Address, Listener, Network } from "../../src/net.ts";
import { dec, enc, freePorts, nativeNetwork, portOf, Recorder, tcp, within } from "../_helpers.ts";
import { peer } from "../_peers.ts";
import { startProgram } from "../_child.ts";
import { testCerts } from "../_certs.ts";
import { servedCn } from "../_tls_peers.ts";

const socat = peer("socat");

/** Sends `input` to the stats socket `target` (socat's address syntax) and returns the reply. */
function cli(target: string, input: string): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      const c = spawn(socat.path!, ["-t5", "-", target], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      c.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
      c.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
      c.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`socat exit ${code}: ${err}`))));
      c.stdin!.end(input);
    }),
    10_000,
    `socat ${target} ${JSON.stringify(input)}`,
  );
}

describe("runtime API with socat", { skip: socat.skip }, () => {
  let net: Network;
  let dir: string;
  let proxy: ProxyServer;
  let front: Address;
  let unixSock: string;
  let tcpSock: string;
  const origins: Listener[] = [];
  const ports: number[] = [];

  /** Opens one connection through the proxy; resolves with what the origin answered. */
  async function fetchName(): Promise<string> {
    const s = await net.connect({ address: front });
    const r = new Recorder();
    s.setHandlers(r);
    s.write(enc("x"));
    await within(r.ended.promise, 5000, "origin answer");
    s.close();
    return dec(r.chunks);
  }

  async function spread(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await fetchName());
    return out;
  }

  const admin = (line: string) => cli(`UNIX-CONNECT:${unixSock}`, `${line}\n`);

  before(async () => {
    net = await nativeNetwork();
    dir = mkdtempSync(join(tmpdir(), "proxykit-rtapi-"));
    unixSock = join(dir, "admin.sock");
    // Origins a, b, c answer their name and close.
    for (const name of ["a", "b", "c"]) {
      const l = await net.listen({
        address: tcp("127.0.0.1", 0),
        onAccept: (s) => {
          const r = new Recorder();
          r.onDataHook = () => {
            s.write(enc(name));
            s.close();
          };
          s.setHandlers(r);
        },
      });
      origins.push(l);
      ports.push(portOf(l.address));
    }
    proxy = new ProxyServer({
      frontends: [{ name: "fe", binds: [tcp("127.0.0.1", 0)], defaultBackend: "be", clientTimeoutMs: 5000 }],
      backends: [{
        name: "be",
        balance: { kind: "roundrobin" },
        timeouts: { connectMs: 2000, serverMs: 5000 },
        servers: [
          { name: "s1", address: tcp("127.0.0.1", ports[0]!) },
          { name: "s2", address: tcp("127.0.0.1", ports[1]!) },
        ],
      }],
      statsSockets: [
        { address: { transport: "unix", path: unixSock }, level: "admin" },
        { address: tcp("127.0.0.1", 0), level: "user" },
      ],
    }, { network: net });
    await proxy.start();
    front = proxy.addresses[0]!;
    tcpSock = `TCP:127.0.0.1:${portOf(proxy.statsAddresses[1])}`;
  });

  after(async () => {
    await proxy?.stop();
    for (const l of origins) await l.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers show and get commands on both sockets; the user socket refuses changes", async () => {
    assert.equal(await admin("show cli level"), "admin\n\n");
    assert.equal(await cli(tcpSock, "show cli level\n"), "user\n\n");
    assert.equal(await cli(tcpSock, "set server be/s1 state maint\n"), "Permission denied\n\n");
    assert.equal(await cli(tcpSock, "get weight be/s1\n"), "1 (initial 1)\n\n");
    const stat = await cli(tcpSock, "show stat\n");
    assert.ok(stat.startsWith("# pxname,svname,"));
    assert.match(stat, new RegExp(`\nbe,s1,.*,127\\.0\\.0\\.1:${ports[0]},`));
    assert.ok(stat.endsWith(",\n\n"));
    const state = await admin("show servers state");
    assert.match(state, new RegExp(`^1\n# be_id .*\n1 be 1 s1 127\\.0\\.0\\.1 2 0 1 1 .* ${ports[0]} - 0 0 - - 0\n`));
    assert.equal(await admin("show cli level; get weight be/s2"), "admin\n\n1 (initial 1)\n\n");
    assert.deepEqual((await spread(4)).sort(), ["a", "a", "b", "b"]);
  });

  it("drain and maint stop new streams to a server; ready brings it back", async () => {
    assert.equal(await admin("set server be/s1 state drain"), "\n");
    assert.deepEqual(await spread(3), ["b", "b", "b"]);
    assert.equal(await admin("set server be/s1 state maint"), "\n");
    assert.deepEqual(await spread(2), ["b", "b"]);
    assert.match(await admin("show servers state be"), /\n1 be 1 s1 127\.0\.0\.1 0 1 /);
    assert.equal(await admin("set server be/s1 state ready"), "\n");
    assert.deepEqual((await spread(4)).sort(), ["a", "a", "b", "b"]);
  });

  it("weight changes the spread", async () => {
    assert.equal(await admin("set server be/s1 weight 3"), "\n");
    const got = await spread(8);
    assert.equal(got.filter((n) => n === "a").length, 6, got.join());
    assert.equal(await admin("set weight be/s1 100%"), "\n");
  });

  it("set addr moves the server's traffic to another origin", async () => {
    assert.equal(
      await admin(`set server be/s2 addr 127.0.0.1 port ${ports[2]}`),
      `no need to change the addr, port changed from '${ports[1]}' to '${ports[2]}' by 'stats socket command'\n\n`,
    );
    assert.deepEqual((await spread(4)).sort(), ["a", "a", "c", "c"]);
    await admin(`set server be/s2 addr 127.0.0.1 port ${ports[1]}`);
  });

  it("add server receives traffic once enabled; del server removes it", async () => {
    assert.equal(await admin(`add server be/s3 127.0.0.1:${ports[2]}`), "New server registered.\n\n");
    assert.deepEqual((await spread(2)).sort(), ["a", "b"]);
    assert.equal(await admin("enable server be/s3"), "\n");
    assert.deepEqual((await spread(3)).sort(), ["a", "b", "c"]);
    assert.equal(await admin("del server be/s3"), "Only servers in maintenance mode can be deleted.\n");
    assert.equal(await admin("disable server be/s3; del server be/s3"), "\nServer deleted.\n");
    assert.deepEqual((await spread(2)).sort(), ["a", "b"]);
  });

  it("errors answer HAProxy's line and change nothing", async () => {
    assert.equal(await admin("set server be/nosuch state maint"), "No such server.\n\n");
    assert.equal(await admin("set server be/s1 weight abc"), "Empty weight string empty or preceded by garbage\n");
    assert.equal(
      await admin("set server be/s1 addr not-an-ip"),
      "Invalid addr 'not-an-ip' by 'stats socket command'\n\n",
    );
    assert.match(await admin("sho stat"), /^Unknown command, but maybe one of the following ones is a better match:\n/);
    assert.equal(await admin("get weight be/s1"), "1 (initial 1)\n\n");
    assert.deepEqual((await spread(2)).sort(), ["a", "b"]);
  });

  it("prompt mode answers each line with '> ' until quit", async () => {
    assert.equal(await admin("prompt\nshow cli level\nquit"), "\n> admin\n\n> ");
  });
});

const haproxy = peer("haproxy");

describe("runtime API replies compared with haproxy 2.6", { skip: socat.skip || haproxy.skip }, () => {
  const commands = [
    "show cli level",
    "set server be/s1 state bad",
    "set server be/nosuch state ready",
    "set server nosuch/s1 state ready",
    "set server be state ready",
    "set server be/s1 weight 257",
    "set server be/s1 weight abc",
    "set server be/s1 weight 50%; get weight be/s1",
    "set server be/s1 addr not-an-ip",
    "set server be/s1 bogus",
    "add server be/s1 127.0.0.1:7003",
    "add server be/s3 127.0.0.1:7003; del server be/s3",
    "del server be/s2",
    "set server be/s2 state maint; show servers state nosuch",
    "enable health be/s1",
    "set maxconn server be/s1 abc",
    "show cli level;quit;show cli level",
    // No server resolves through these sections: every counter stays 0 in both.
    "show resolvers dns",
    "show resolvers other",
    "show resolvers nosuch",
    "show sess 0x1",
  ];

  it("gives the same bytes for the same commands", async () => {
    const net = await nativeNetwork();
    const [hp, pp] = await freePorts(net, 2) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), "proxykit-rtapi-h-"));
    try {
      const cfg = (port: number) =>
        [
          "global",
          `  stats socket ipv4@127.0.0.1:${port} level admin`,
          "resolvers dns",
          "  nameserver ns1 127.0.0.1:1",
          "  nameserver ns2 127.0.0.1:2",
          "resolvers other",
          "  nameserver x 127.0.0.1:3",
          "defaults",
          "  mode tcp",
          "  timeout connect 1s",
          "  timeout client 5s",
          "  timeout server 5s",
          "backend be",
          "  balance roundrobin",
          "  server s1 127.0.0.1:7001 weight 10",
          "  server s2 127.0.0.1:7002",
          "",
        ].join("\n");
      writeFileSync(join(dir, "h.cfg"), cfg(hp));
      const h = startProgram(haproxy.path!, ["-db", "-f", join(dir, "h.cfg")]);
      const { parseHaproxyConfig } = await import("../../src/config/haproxy_cfg.ts");
      const ours = new ProxyServer(parseHaproxyConfig(cfg(pp), "p.cfg", { onWarning: () => {} }), { network: net });
      await ours.start();
      try {
        await h.line(/./, 5000).catch(() => undefined);
        for (let i = 0; i < 50; i++) {
          if (await cli(`TCP:127.0.0.1:${hp}`, "show cli level\n").catch(() => "") !== "") break;
          await new Promise((r) => setTimeout(r, 100));
        }
        for (const c of commands) {
          const theirs = await cli(`TCP:127.0.0.1:${hp}`, `${c}\n`);
          const mine = await cli(`TCP:127.0.0.1:${pp}`, `${c}\n`);
          assert.equal(mine, theirs, c);
        }
      } finally {
        await ours.stop();
        h.child.kill("SIGKILL");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const openssl = peer("openssl");

describe("set ssl cert + commit ssl cert with socat and openssl", { skip: socat.skip || openssl.skip }, () => {
  it("the bind serves the committed certificate from the next handshake on", async (t) => {
    const net = await nativeNetwork();
    if (!net.capabilities.tlsServer) return t.skip(`${net.name} has no TLS server`);
    const certs = testCerts();
    const dir = mkdtempSync(join(tmpdir(), "proxykit-rtapi-tls-"));
    const sock = join(dir, "admin.sock");
    const proxy = new ProxyServer({
      frontends: [{
        name: "fe",
        binds: [{ address: tcp("127.0.0.1", 0), tls: { certificates: [{ ...certs.b, file: "/etc/site.pem" }] } }],
        defaultBackend: "be",
      }],
      backends: [{ name: "be", servers: [{ name: "s1", address: tcp("127.0.0.1", 9) }] }],
      statsSockets: [{ address: { transport: "unix", path: sock }, level: "admin" }],
    }, { network: net });
    await proxy.start();
    try {
      const port = portOf(proxy.addresses[0]);
      const admin = (text: string) => cli(`UNIX-CONNECT:${sock}`, text);
      assert.equal(await servedCn(openssl.path!, port, "b.test"), "b.test");
      assert.equal(
        await admin(`set ssl cert /etc/site.pem <<\n${certs.a.cert}${certs.a.key}\n`),
        "Transaction created for certificate /etc/site.pem!\n\n",
      );
      assert.equal(await servedCn(openssl.path!, port, "b.test"), "b.test", "nothing changes before the commit");
      const committed = await admin("commit ssl cert /etc/site.pem\n");
      if (!net.capabilities.tlsReload) {
        assert.match(committed, /^Committing \/etc\/site\.pem\n.*tlsReload.*\nCan't commit \/etc\/site\.pem!\n\n$/);
        return;
      }
      assert.equal(committed, "Committing /etc/site.pem.\nSuccess!\n\n");
      assert.equal(await servedCn(openssl.path!, port, "b.test"), "a.test");
    } finally {
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
