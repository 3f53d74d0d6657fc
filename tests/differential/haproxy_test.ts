/**
 * Differential test: the same small haproxy.cfg files run through HAProxy (Debian's 2.6,
 * installed by scripts/peers.sh) and through proxykit (`examples/proxy.ts --config`), driven
 * by the same client, compared on the server sequence, the log lines' server, termination
 * state, byte count and retry field, and server state lines. Timers are not compared.
 * Only behaviours where HAProxy 2.6 and current HAProxy agree are used.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { type Child, startProgram, startProxy, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { agreeTwice } from "./_twice.ts";
import {
  echoRecorder,
  enc,
  freePorts,
  nativeNetwork,
  portOf,
  Recorder,
  runtime,
  tcp,
  until,
  within,
} from "../_helpers.ts";

// A missing HAProxy fails this file unless PROXYKIT_ALLOW_MISSING_PEERS=1 (tests/_peers.ts).
const { path: HAPROXY, skip } = peer("haproxy");
const net: Network = await nativeNetwork();

interface Scenario {
  /**
   * Server lines; `dead` servers get a closed port, `silent` ones accept and read but never
   * answer nor close.
   */
  servers: {
    name: string;
    dead?: boolean;
    silent?: boolean;
    /** Answers every connection with this HTTP status line and closes (a health-check target). */
    http?: string;
    /** A `dead` server starts listening once the first state line is out. */
    revive?: boolean;
    /**
     * Health checks go to a port of their own (`port P` is appended to `opts`), which answers
     * `HTTP/1.0 200 OK` (use `option httpchk`: a TCP check may reset before it is accepted,
     * and would go uncounted) until `failChecksAfterClients` closes it.
     */
    checkPort?: boolean;
    opts?: string;
  }[];
  /** Backend lines besides `server`s. */
  backend: string[];
  /** Frontend lines besides `bind` and `default_backend`. */
  frontend?: string[];
  connections: number;
  /**
   * Open the clients one after the other without waiting for each to end (default: one at a
   * time). Client i+1 starts once min(i+1, `served`) streams reached a server. With
   * `closeInOrder`, once `immediateLogs` lines are out, the (silent) servers close their
   * streams one at a time in accept order, each after the previous one's log line: streams
   * ending together on timers would log in an order that load can swap.
   */
  concurrent?: { served: number; closeInOrder?: boolean; immediateLogs?: number };
  /** The client keeps its write side open after "hello" (default: it half-closes). */
  clientKeepsOpen?: boolean;
  /** Wait for this many "Server ..." state lines before driving clients. */
  waitStateLines?: number;
  /**
   * Once every client is connected, the check ports start refusing, right after a check
   * passed: the next check (`inter` later, so the clients are settled by then) fails.
   */
  failChecksAfterClients?: boolean;
}

interface Outcome {
  sequence: string[];
  /** `conns` is `%bc/%sc`: `%ac/%fc` race with a previous stream's release in HAProxy too. */
  logs: { server: string; bytes: string; term: string; conns: string; retries: string; queues: string }[];
  states: string[];
}

/** Runs `sc` through `engine` and returns what the client and the logs saw. */
async function run(engine: "haproxy" | "proxykit", sc: Scenario): Promise<Outcome> {
  const sequence: string[] = [];
  const listeners: Listener[] = [];
  const held: Socket[] = [];
  const ports = new Map<string, number>();
  const serve = (s: Scenario["servers"][number], port: number) =>
    net.listen({
      address: tcp("127.0.0.1", port),
      // A stream is counted when its first bytes arrive: health checks (`check`) connect
      // and close without sending, and how many land during a run depends on timing.
      onAccept: (sock) => {
        let counted = false;
        const count = () => {
          if (!counted) sequence.push(s.name);
          counted = true;
        };
        if (s.http !== undefined) {
          sock.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
          sock.write(enc(`HTTP/1.0 ${s.http}\r\nContent-Length: 0\r\n\r\n`));
          sock.close();
        } else if (s.silent) {
          held.push(sock);
          sock.setHandlers({ onData: count, onEnd() {}, onDrain() {}, onClose() {} });
        } else sock.setHandlers(echoRecorder(sock, count));
      },
    });
  // Dead servers' ports are closed only once every other port of the run is taken, so that
  // none of them (frontend, ready, check ports) can be handed the same port by the system.
  const dead: Listener[] = [];
  for (const s of sc.servers) {
    const l = await serve(s, 0);
    ports.set(s.name, portOf(l.address));
    if (s.dead) dead.push(l);
    else listeners.push(l);
  }
  // Check ports: each counts the checks it accepted.
  const checkPorts = new Map<string, { listener: Listener; accepted: number }>();
  for (const s of sc.servers.filter((x) => x.checkPort)) {
    const entry = { listener: undefined as unknown as Listener, accepted: 0 };
    entry.listener = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (sock) => {
        entry.accepted++;
        sock.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
        sock.write(enc("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        sock.close();
      },
    });
    checkPorts.set(s.name, entry);
  }
  const [fePort, readyPort] = (await freePorts(net, 2)) as [number, number];
  const readyTarget = await net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (s) => s.setHandlers({ onData() {}, onEnd: () => s.close(), onDrain() {}, onClose() {} }),
  });
  listeners.push(readyTarget);
  for (const l of dead) await l.close();
  const cfgFile = tempFile("haproxy.cfg", [
    ...TCPLOG_PREAMBLE,
    "    timeout connect 300ms",
    "    timeout client 5s",
    "    timeout server 5s",
    "frontend fe",
    `    bind 127.0.0.1:${fePort}`,
    "    default_backend be",
    ...(sc.frontend ?? []).map((l) => `    ${l}`),
    "backend be",
    ...sc.backend.map((l) => `    ${l}`),
    ...sc.servers.map((s) => {
      const check = checkPorts.get(s.name);
      const opts = [s.opts, check && `port ${portOf(check.listener.address)}`].filter(Boolean).join(" ");
      return `    server ${s.name} 127.0.0.1:${ports.get(s.name)}${opts ? ` ${opts}` : ""}`;
    }),
    "listen ready",
    `    bind 127.0.0.1:${readyPort}`,
    `    server r 127.0.0.1:${portOf(readyTarget.address)}`,
  ]);
  const cfg = cfgFile.path;
  const child: Child = engine === "haproxy"
    ? startProgram(HAPROXY!, ["-db", "-f", cfg])
    : startProxy(["--config", cfg]);
  try {
    // Ready once the `ready` section (bound after `fe`) accepts; its log lines are ignored.
    // The retry loop ends with its deadline, so that a failure leaves nothing running.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const probe = await net.connect({ address: tcp("127.0.0.1", readyPort) });
        probe.setHandlers(new Recorder());
        probe.close();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`${engine} is not listening after 20 s (stderr: ${child.stderr()})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    // The probe's stream must be over, or it would count in the first line's %ac. HAProxy drops
    // a log line it cannot write at once (a busy machine may leave the pipe unread for a while):
    // probe again until one line is out.
    for (let probes = 1;; probes++) {
      try {
        await until(() => child.stdout.some((l) => / ready ready\//.test(l)), 2_000, `${engine}: probe logged`);
        break;
      } catch (e) {
        if (probes >= 10) throw e;
        const probe = await net.connect({ address: tcp("127.0.0.1", readyPort) });
        probe.setHandlers(new Recorder());
        probe.close();
      }
    }
    const stateLines = () => child.stdout.filter((l) => /^(Backup )?Server /.test(l)).length;
    const revived = sc.servers.filter((s) => s.revive);
    if (revived.length > 0) {
      await until(() => stateLines() >= 1, 20_000, `${engine}: first state line`);
      for (const s of revived) listeners.push(await serve(s, ports.get(s.name)!));
    }
    const want = sc.waitStateLines ?? 0;
    await until(() => stateLines() >= want, 20_000, `${engine} state lines`);
    const logged = () => child.stdout.filter((l) => / fe be\//.test(l)).length;
    const open: { c: Socket; r: Recorder }[] = [];
    for (let i = 0; i < sc.connections; i++) {
      const c = await net.connect({ address: tcp("127.0.0.1", fePort) });
      const r = new Recorder();
      c.setHandlers(r);
      c.write(enc("hello"));
      if (!sc.clientKeepsOpen) c.shutdownWrite();
      if (sc.concurrent !== undefined) {
        const served = Math.min(i + 1, sc.concurrent.served);
        await until(() => sequence.length >= served, 20_000, `${engine}: ${served} stream(s) on a server`);
        open.push({ c, r });
        continue;
      }
      await within(r.ended.promise, 20_000, `${engine}: connection ${i} to end`);
      c.close();
      await until(() => logged() > i, 20_000, `${engine}: log line ${i}`);
    }
    if (sc.failChecksAfterClients) {
      for (const [name, check] of checkPorts) {
        const seen = check.accepted;
        await until(() => check.accepted > seen, 20_000, `${engine}: a check of ${name} after the clients`);
        await check.listener.close();
      }
    }
    if (sc.concurrent?.closeInOrder) {
      const immediate = sc.concurrent.immediateLogs ?? 0;
      await until(() => logged() >= immediate, 20_000, `${engine}: ${immediate} immediate log line(s)`);
      for (let i = 0; logged() < sc.connections; i++) {
        await until(() => held.length > i, 20_000, `${engine}: stream ${i} on a server`);
        const before = logged();
        held[i]!.close();
        await until(() => logged() > before, 20_000, `${engine}: log line after closing stream ${i}`);
      }
    }
    for (const [i, { c, r }] of open.entries()) {
      await within(r.ended.promise, 20_000, `${engine}: connection ${i} to end`);
      c.close();
    }
    await until(() => logged() >= sc.connections, 20_000, `${engine}: every log line`);
    const logs = child.stdout.filter((l) => / fe be\//.test(l)).map((l) => {
      const m = /^\S+ \[[^\]]+\] fe be\/(\S+) \S+ (\S+) (\S\S) \d+\/\d+\/(\d+\/\d+)\/(\+?\d+) (\d+\/\d+)$/.exec(l);
      if (!m) throw new Error(`${engine}: unexpected log line: ${l}`);
      return { server: m[1]!, bytes: m[2]!, term: m[3]!, conns: m[4]!, retries: m[5]!, queues: m[6]! };
    });
    const states = child.stdout.filter((l) => /^(Backup )?Server /.test(l)).map((l) =>
      l.replace(/check duration: \d+ms/, "check duration: Nms")
    );
    return { sequence, logs, states };
  } finally {
    child.child.kill("SIGTERM");
    await within(child.exited, 10_000, `${engine} exit`).catch(() => child.child.kill("SIGKILL"));
    for (const h of held) h.abort();
    for (const l of listeners) await l.close();
    for (const c of checkPorts.values()) await c.listener.close();
    cfgFile.remove();
  }
}

const scenarios: Record<string, Scenario> = {
  "balance roundrobin": {
    servers: [{ name: "s1" }, { name: "s2" }, { name: "s3" }],
    backend: ["balance roundrobin"],
    connections: 6,
  },
  "balance static-rr with weights 3 and 1": {
    servers: [{ name: "a", opts: "weight 3" }, { name: "b", opts: "weight 1" }],
    backend: ["balance static-rr"],
    connections: 8,
  },
  "balance first": {
    servers: [{ name: "s1" }, { name: "s2" }],
    backend: ["balance first"],
    connections: 3,
  },
  "balance source": {
    servers: [{ name: "s1" }, { name: "s2" }, { name: "s3" }],
    backend: ["balance source"],
    connections: 3,
  },
  "balance source with hash-type consistent (sdbm + avalanche)": {
    servers: [{ name: "s1", opts: "id 4" }, { name: "s2", opts: "id 9 weight 3" }, { name: "s3", opts: "id 17" }],
    backend: ["balance source", "hash-type consistent"],
    connections: 3,
  },
  "balance source with hash-type map-based sdbm avalanche": {
    servers: [{ name: "s1" }, { name: "s2" }, { name: "s3" }, { name: "s4" }],
    backend: ["balance source", "hash-type map-based sdbm avalanche"],
    connections: 3,
  },
  "retries on a refused server, then SC": {
    servers: [{ name: "dead", dead: true }],
    backend: ["balance roundrobin", "retries 2"],
    connections: 1,
  },
  "option redispatch moves to the live server": {
    servers: [{ name: "dead", dead: true }, { name: "live" }],
    backend: ["balance roundrobin", "retries 3", "option redispatch"],
    connections: 3,
  },
  "no usable server: <NOSRV> SC": {
    servers: [{ name: "off", opts: "disabled" }],
    backend: ["balance roundrobin"],
    connections: 1,
  },
  "health check marks a dead server DOWN and traffic avoids it": {
    servers: [{ name: "dead", dead: true, opts: "check inter 200 fall 1 rise 1" }, {
      name: "live",
      opts: "check inter 200",
    }],
    backend: ["balance roundrobin"],
    connections: 3,
    waitStateLines: 1,
  },
  "balance roundrobin with weights 2 and 1": {
    servers: [{ name: "a", opts: "weight 2" }, { name: "b", opts: "weight 1" }],
    backend: ["balance roundrobin"],
    connections: 6,
  },
  "a server of weight 0 is never elected": {
    servers: [{ name: "zero", opts: "weight 0" }, { name: "s1" }, { name: "s2" }],
    backend: ["balance roundrobin"],
    connections: 4,
  },
  "balance leastconn": {
    servers: [{ name: "s1" }, { name: "s2" }, { name: "s3" }],
    backend: ["balance leastconn"],
    connections: 4,
  },
  "a backup server takes over once the only active one is DOWN": {
    servers: [{ name: "dead", dead: true, opts: "check inter 200 fall 1 rise 1" }, { name: "spare", opts: "backup" }],
    backend: ["balance roundrobin"],
    connections: 2,
    waitStateLines: 1,
  },
  "a backup server's state line starts with Backup Server": {
    servers: [{ name: "live" }, { name: "spare", dead: true, opts: "backup check inter 200 fall 1 rise 1" }],
    backend: ["balance roundrobin"],
    connections: 2,
    waitStateLines: 1,
  },
  "timeout client half-closes an idle client's stream toward the server: cD": {
    servers: [{ name: "s1" }],
    backend: ["timeout server 5s"],
    frontend: ["timeout client 300ms"],
    connections: 1,
    clientKeepsOpen: true,
  },
  "maxconn 1: the second client waits in the queue until timeout queue ends it with sQ": {
    servers: [{ name: "slow", silent: true, opts: "maxconn 1" }],
    backend: ["timeout queue 300ms", "timeout server 1s"],
    connections: 2,
    concurrent: { served: 1 },
  },
  "balance first fills the first server up to its maxconn": {
    servers: [{ name: "s1", silent: true, opts: "maxconn 2" }, { name: "s2", silent: true }],
    backend: ["balance first"],
    connections: 3,
    concurrent: { served: 3, closeInOrder: true },
  },
  "balance leastconn spreads concurrent streams": {
    servers: [{ name: "s1", silent: true }, { name: "s2", silent: true }],
    backend: ["balance leastconn"],
    connections: 3,
    concurrent: { served: 3, closeInOrder: true },
  },
  "balance source: a full server queues, a full queue refuses with SQ": {
    servers: [{ name: "s1", silent: true, opts: "maxconn 1 maxqueue 1" }],
    backend: ["balance source", "timeout queue 15s"],
    connections: 3,
    concurrent: { served: 1, closeInOrder: true, immediateLogs: 1 },
  },
  "a server DOWN at start comes UP once it answers its check": {
    servers: [{ name: "late", dead: true, revive: true, opts: "check inter 200 fall 1 rise 2" }, { name: "s2" }],
    backend: ["balance roundrobin"],
    connections: 4,
    waitStateLines: 2,
  },
  "option httpchk: a server answering 503 goes DOWN, one answering 200 stays UP": {
    servers: [
      { name: "sick", http: "503 Service Unavailable", opts: "check inter 200 fall 1" },
      { name: "fine", http: "200 OK", opts: "check inter 200" },
    ],
    backend: ["balance roundrobin", "option httpchk GET /health", "http-check expect status 200"],
    connections: 0,
    waitStateLines: 1,
  },
  "a server going DOWN with option redispatch sends its own queue to the backup (pendconn_redistribute)": {
    servers: [
      { name: "s1", silent: true, checkPort: true, opts: "maxconn 1 check inter 1s fall 1 rise 1" },
      { name: "b", opts: "backup" },
    ],
    backend: ["balance source", "option redispatch", "timeout queue 10s", "option httpchk"],
    connections: 2,
    concurrent: { served: 1, closeInOrder: true, immediateLogs: 1 },
    failChecksAfterClients: true,
  },
  "timeout server ends a silent server's stream with sD": {
    servers: [{ name: "mute", silent: true }],
    backend: ["timeout server 300ms"],
    connections: 1,
  },
};

describe(`differential: HAProxy 2.6 vs proxykit on ${runtime}`, {
  skip,
}, () => {
  for (const [name, sc] of Object.entries(scenarios)) {
    it(name, async () => {
      await agreeTwice(name, async () => {
        const ref = await run("haproxy", sc);
        const got = await run("proxykit", sc);
        assert.equal(ref.logs.length, sc.connections, `haproxy logged ${ref.logs.length} lines`);
        assert.deepEqual(got.sequence, ref.sequence, "server sequence");
        assert.deepEqual(got.logs, ref.logs, "log lines: server, bytes, termination, %bc/%sc, retries");
        assert.deepEqual(got.states, ref.states, "server state lines");
      });
    });
  }
});
