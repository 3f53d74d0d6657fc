/**
 * Differential test of HTTP mode end to end: one haproxy.cfg run by HAProxy 2.6 and by
 * proxykit (`ProxyServer` on this runtime's sockets), each in front of its own scripted
 * origin (tests/http/_origin.ts on real sockets). The same raw client conversations go to
 * both; compared: the bytes the client gets, whether the client connection ends, what the
 * origin receives (heads and bodies, and which requests shared a server connection), and the
 * httplog lines (backend/server, which timers are set, status, bytes, termination state,
 * request line).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { ProxyServer } from "../../src/proxy.ts";
import type { Network } from "../../src/net.ts";
import { H1ResponseParser } from "../../src/http/parser.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { freePorts, nativeNetwork, tcp, within } from "../_helpers.ts";
import { agreeTwice } from "./_twice.ts";
import { peer } from "../_peers.ts";
import { Origin, type OriginRequest } from "../http/_origin.ts";

const { path: HAPROXY, skip } = peer("haproxy");

/** Origin answers by path: `/r/NAME` scripts a behaviour, anything else a 200 naming the path. */
function respond(r: OriginRequest): string {
  const body = r.path;
  switch (r.path) {
    case "/r/junk":
      return "HTTP/1.1 2x0 OK\r\n\r\n";
    case "/r/close":
      return "close";
    case "/r/hang":
      return "hang";
    case "/r/chunked":
      return "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nb\r\n0123456789a\r\n0\r\nX-Trailer: t\r\n\r\n";
    case "/r/204":
      return "HTTP/1.1 204 No Content\r\n\r\n";
    case "/r/304":
      return "HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n";
    case "/r/srvclose":
      return `HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    case "/r/10":
      return `HTTP/1.0 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    case "/r/100":
      return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";
    case "/r/hdrs":
      return `HTTP/1.1 200 OK\r\nX-Up: A\r\nKeep-Alive: timeout=5\r\ncontent-length: 0\r\n\r\n`;
    default:
      return `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  }
}

/** A conversation: what the client writes (one write each), the methods of the responses it waits for. */
interface Scenario {
  readonly name: string;
  /** The frontend it talks to. */
  readonly fe?: "fe" | "sc" | "lf" | "ac" | "bf";
  /** After the first write, wait for an interim `100 Continue` (not a final response). */
  readonly continueFirst?: boolean;
  /** The client shuts its write side after its last write, once the origin has the request. */
  readonly halfClose?: boolean;
  readonly writes: readonly string[];
  /** Methods of the requests whose final responses are awaited, in order. */
  readonly methods: readonly string[];
  /**
   * Compare which requests shared a server connection (default). Not for pipelined requests:
   * HAProxy sends the ones already buffered when a response ends on a new connection (the
   * previous one is not back in its idle list yet); proxykit reuses it.
   */
  readonly sameConns?: boolean;
}

const get = (path: string, extra = "", version = "1.1") => `GET ${path} HTTP/${version}\r\nhost: h\r\n${extra}\r\n`;

const SCENARIOS: readonly Scenario[] = [
  { name: "keep-alive, two requests", writes: [get("/a"), get("/b")], methods: ["GET", "GET"] },
  {
    name: "pipelined",
    writes: [get("/1") + get("/2") + get("/3")],
    methods: ["GET", "GET", "GET"],
    sameConns: false,
  },
  { name: "client Connection: close", writes: [get("/c", "Connection: close\r\n")], methods: ["GET"] },
  { name: "HTTP/1.0 without keep-alive", writes: [get("/old", "", "1.0")], methods: ["GET"] },
  { name: "HTTP/1.0 keep-alive", writes: [get("/ka", "Connection: keep-alive\r\n", "1.0")], methods: ["GET"] },
  { name: "HTTP/1.0 server response", writes: [get("/r/10"), get("/after")], methods: ["GET", "GET"] },
  { name: "server Connection: close", writes: [get("/r/srvclose"), get("/next")], methods: ["GET", "GET"] },
  {
    name: "chunked both ways with trailers",
    writes: [
      "POST /r/chunked HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n2;e=1\r\nhi\r\na\r\n0123456789\r\n0\r\n\r\n",
    ],
    methods: ["POST"],
  },
  {
    name: "HEAD, 204, 304",
    writes: ["HEAD /h HTTP/1.1\r\nhost: h\r\n\r\n" + get("/r/204") + get("/r/304")],
    methods: ["HEAD", "GET", "GET"],
    sameConns: false,
  },
  {
    name: "100-continue",
    writes: ["PUT /r/100 HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\nok"],
    methods: ["PUT"],
  },
  {
    name: "hop-by-hop and TE",
    writes: [get("/r/hdrs", "Connection: X-Foo\r\nX-Foo: 1\r\nTE: gzip, trailers\r\n")],
    methods: ["GET"],
  },
  { name: "deny, then a request", writes: [get("/deny/x"), get("/ok")], methods: ["GET", "GET"] },
  {
    name: "tcp-request content reject on a kept-alive connection's second request",
    writes: [get("/tcp/ok"), get("/tcp/reject")],
    methods: ["GET", "GET"],
  },
  { name: "invalid request", writes: ["GET / HTTP/1.1\r\nhost : h\r\n\r\n"], methods: ["GET"] },
  { name: "invalid response", writes: [get("/r/junk")], methods: ["GET"] },
  { name: "server closes without a response", writes: [get("/r/close")], methods: ["GET"] },
  { name: "server timeout", writes: [get("/r/hang")], methods: ["GET"] },
  { name: "http-server-close", fe: "sc", writes: [get("/s1"), get("/s2")], methods: ["GET", "GET"] },
  {
    name: "http-buffer-request answers 100-continue",
    fe: "bf",
    writes: ["PUT /bf HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n", "body"],
    methods: ["PUT"],
    continueFirst: true,
  },
  { name: "client FIN, no abortonclose", writes: [get("/r/hang")], methods: ["GET"], halfClose: true },
  { name: "client FIN with abortonclose", fe: "ac", writes: [get("/r/hang")], methods: ["GET"], halfClose: true },
  { name: "log-format", fe: "lf", writes: [get("/lf/a?x=1"), get("/deny/b")], methods: ["GET", "GET"] },
];

/** What one side produced for a scenario. */
interface Outcome {
  readonly client: string;
  readonly closed: boolean;
  readonly origin: string[];
  readonly logs: string[];
}

/** Sends the writes (each after the previous responses came), returns the client's bytes and whether it was closed. */
async function converse(
  port: number,
  s: Scenario,
  originGot: () => number,
): Promise<{ text: string; closed: boolean }> {
  const sock = connect(port, "127.0.0.1");
  sock.setNoDelay(true);
  let text = "";
  let closed = false;
  let wake: (() => void) | undefined;
  const parser = new H1ResponseParser();
  let finals = 0;
  sock.on("data", (d: Buffer) => {
    text += d.toString("latin1");
    parser.push(new Uint8Array(d));
    try {
      for (let ev = parser.read(); ev !== null; ev = parser.read()) {
        if (ev.type === "head" && ev.interim) parser.read(); // its end
        else if (ev.type === "end") finals++;
      }
    } catch { /* a response HAProxy cut short: the close says the rest */ }
    wake?.();
  });
  sock.on("end", () => {
    closed = true;
    wake?.();
  });
  sock.on("error", () => {
    closed = true;
    wake?.();
  });
  const waitFor = (cond: () => boolean, ms: number) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => (cond() ? resolve() : void 0);
        wake = check;
        check();
      }),
      ms,
      `${s.name}: ${JSON.stringify(text)}`,
    );
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", () => resolve());
    sock.once("error", reject);
  });
  let expected = 0;
  for (const [i, w] of s.writes.entries()) {
    const reqs = w.split(/(?=(?:GET|POST|PUT|HEAD) \/)/).length;
    // The second write of a continueFirst scenario is the body of the first request.
    const fresh = i === 1 && s.continueFirst === true ? 0 : reqs;
    for (let k = 0; k < fresh; k++) parser.expect(s.methods[expected + k] ?? "GET");
    expected += fresh;
    sock.write(w);
    if (i === s.writes.length - 1 && s.halfClose === true) {
      // The FIN once the origin has the request (a FIN in the same read as the request is
      // another case: both proxies then answer as if it had not come).
      const before = originGot();
      for (let k = 0; k < 200 && originGot() <= before; k++) await new Promise((r) => setTimeout(r, 10));
      sock.end();
    }
    if (i === 0 && s.continueFirst === true) {
      await waitFor(() => text.includes(" 100 Continue\r\n\r\n") || closed, 5000);
    } else if (i < s.writes.length - 1) await waitFor(() => finals >= expected || closed, 5000);
  }
  await waitFor(() => finals >= expected || closed, 5000);
  // Whether the proxy ends the connection after its last response: a bounded wait for the EOF.
  await waitFor(() => closed, 400).catch(() => {});
  sock.destroy();
  return { text, closed };
}

/** The comparable part of an httplog line: no address, date, counts or times (only which timers are -1). */
function logShape(line: string): string {
  const m = /^\S+ \[[^\]]+\] (\S+) (\S+) (\S+) (-?\d+) (\d+) (\S+) (\S+) (\S{4}) \S+ \S+ (".*")$/.exec(line);
  if (!m) return `not an httplog line: ${line}`;
  const timers = m[3]!.split("/").map((t) => (t === "-1" ? "-1" : "n")).join("/");
  return [m[1], m[2], timers, m[4], m[5], m[6], m[7], m[8], m[9]].join(" ");
}

/** Origin requests of a scenario: heads and bodies, connections renumbered by first use. */
function originShape(reqs: readonly OriginRequest[]): string[] {
  const ids = new Map<number, number>();
  return reqs.map((r) => {
    if (!ids.has(r.conn)) ids.set(r.conn, ids.size);
    return `conn ${ids.get(r.conn)}: ${r.head}${r.body}`;
  });
}

describe("HTTP mode against HAProxy 2.6", { skip }, () => {
  let net: Network;
  let haproxy: Child;
  let cfgFile: { path: string; remove(): void };
  let proxy: ProxyServer;
  const pkLogs: string[] = [];
  const hapOrigin = new Origin();
  const pkOrigin = new Origin();
  hapOrigin.respond = respond;
  pkOrigin.respond = respond;
  let hapPorts: Record<"fe" | "sc" | "lf" | "ac" | "bf", number>;
  let pkPorts: Record<"fe" | "sc" | "lf" | "ac" | "bf", number>;

  const cfg = (fe: number, sc: number, lf: number, ac: number, bf: number, origin: number) => [
    "global",
    "  log stdout format raw local0",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  timeout connect 2s",
    "  timeout client 5s",
    "  timeout server 1s",
    "frontend fe",
    `  bind 127.0.0.1:${fe}`,
    "  tcp-request content reject if { path_beg /tcp/reject } { src 127.0.0.1 }",
    "  http-request deny if { path_beg /deny }",
    "  default_backend be",
    "frontend sc",
    `  bind 127.0.0.1:${sc}`,
    "  option http-server-close",
    "  default_backend be",
    "frontend lf",
    `  bind 127.0.0.1:${lf}`,
    '  log-format "%ci %f %b/%s %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r %HM %HP %HQ %[src]"',
    "  http-request deny if { path_beg /deny }",
    "  default_backend be",
    "frontend ac",
    `  bind 127.0.0.1:${ac}`,
    "  default_backend beac",
    "frontend bf",
    `  bind 127.0.0.1:${bf}`,
    "  option http-buffer-request",
    "  default_backend be",
    "backend be",
    `  server s1 127.0.0.1:${origin}`,
    "backend beac",
    "  option abortonclose",
    `  server s1 127.0.0.1:${origin}`,
  ];

  before(async () => {
    net = await nativeNetwork();
    const [hfe, hsc, hlf, hac, hbf, ho, pfe, psc, plf, pac, pbf, po] = await freePorts(net, 12) as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    await hapOrigin.listen(net, tcp("127.0.0.1", ho));
    await pkOrigin.listen(net, tcp("127.0.0.1", po));
    hapPorts = { fe: hfe, sc: hsc, lf: hlf, ac: hac, bf: hbf };
    pkPorts = { fe: pfe, sc: psc, lf: plf, ac: pac, bf: pbf };
    cfgFile = tempFile("http.cfg", cfg(hfe, hsc, hlf, hac, hbf, ho));
    haproxy = startProgram(HAPROXY!, ["-db", "-f", cfgFile.path]);
    const pkCfg = parseHaproxyConfig(cfg(pfe, psc, plf, pac, pbf, po).join("\n"), "http.cfg");
    proxy = new ProxyServer(pkCfg, { network: net, log: (l) => pkLogs.push(l) });
    await proxy.start();
    for (let i = 0;; i++) {
      try {
        const warmUp = { name: "warm-up", writes: [get("/warm-up", "Connection: close\r\n")], methods: ["GET"] };
        await converse(hfe, warmUp, () => hapOrigin.requests.length);
        break;
      } catch (e) {
        if (i > 100) throw new Error(`HAProxy did not start: ${haproxy.stderr()} (${e})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Its log line, so that it is not taken for the first scenario's.
    await haproxy.line(/warm-up/, 5000);
  });

  after(async () => {
    haproxy?.child.kill("SIGKILL");
    await proxy?.stop();
    await hapOrigin.listener?.close();
    await pkOrigin.listener?.close();
    for (const s of [...hapOrigin.sockets, ...pkOrigin.sockets]) s.abort();
    cfgFile?.remove();
  });

  for (const s of SCENARIOS) {
    it(s.name, async () => {
      const run = async (port: number, origin: Origin, logs: () => string[]): Promise<Outcome> => {
        const r0 = origin.requests.length;
        const l0 = logs().length;
        const { text, closed } = await converse(port, s, () => origin.requests.length);
        // A log line may trail the response: one per request, within a bounded wait.
        for (let i = 0; i < 100 && logs().length - l0 < s.methods.length; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const reqs = originShape(origin.requests.slice(r0));
        const shape = s.sameConns === false ? reqs.map((r) => r.replace(/^conn \d+: /, "")) : reqs;
        return { client: text, closed, origin: shape, logs: logs().slice(l0) };
      };
      await agreeTwice(s.name, async () => {
        const [hap, pk] = await Promise.all([
          run(
            hapPorts[s.fe ?? "fe"],
            hapOrigin,
            () => haproxy.stdout.filter((l) => l.includes(" [") || l.startsWith("127.")),
          ),
          run(pkPorts[s.fe ?? "fe"], pkOrigin, () => pkLogs),
        ]);
        assert.equal(pk.client, hap.client, "client bytes");
        assert.equal(pk.closed, hap.closed, "client connection ended");
        assert.deepEqual(pk.origin, hap.origin, "what the origin received");
        // log-format lines compare as they are; httplog lines without their times and counts.
        const shape = s.fe === "lf" ? (l: string) => l : logShape;
        assert.deepEqual(pk.logs.map(shape), hap.logs.map(shape), "log lines");
      });
    });
  }
});
