/**
 * Differential test of SNI passthrough routing: one haproxy.cfg (the reference frontend of
 * TLS_ACL_OPS C, `tcp-request inspect-delay`, `tcp-request content accept if {
 * req.ssl_hello_type 1 }`, `use_backend ... if { req.ssl_sni ... }`, plus frontends for
 * reject, `req.len`, no inspect-delay or no content rule, case sensitivity, ALPN and version) run by HAProxy
 * 2.6 and by proxykit (`examples/proxy.ts --config`), the same clients against each (whole,
 * split and fragmented ClientHellos, plain text, silence). Compared per client: `%b/%s`, the
 * termination state, the bytes echoed, whether `%Tw` reached the inspect delay, and what the
 * origin received (the bytes, untouched). Clients run concurrently; their log lines are told
 * apart by the client port.
 */
import { describe, it } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { type Child, startProgram, startProxy, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { concat, enc, freePorts, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";
import { clientHello, twoRecords } from "../tls/_client_hello.ts";

const { path: HAPROXY, skip } = peer("haproxy");
const net: Network = await nativeNetwork();

/**
 * inspect-delay of the frontends, ms: a wait reaching it is told apart from a short one.
 * What is sent "past the delay" is sent a whole second after it, so that a proxy loaded
 * enough to accept late (the delay counts from its accept) still sees it after the delay.
 */
const DELAY = 1000;

const FRONTENDS: Readonly<Record<string, readonly string[]>> = {
  pt: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_sni -i a.test }",
    "use_backend be_b if { req_ssl_sni -m end .b.test }",
    "default_backend be_def",
  ],
  pt_reject: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "tcp-request content reject",
    "default_backend be_def",
  ],
  pt_len: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.len ge 20 }",
    "use_backend be_a if { req.len ge 20 }",
    "default_backend be_def",
  ],
  pt_nodelay: [
    "use_backend be_a if { req.ssl_sni a.test }",
    "default_backend be_def",
  ],
  pt_norules: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "use_backend be_a if { req.ssl_sni a.test }",
    "default_backend be_def",
  ],
  pt_http: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if HTTP",
    "use_backend be_a if HTTP",
    "default_backend be_def",
  ],
  pt_sni: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_sni a.test }",
    "default_backend be_def",
  ],
  pt_alpn_h2: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_alpn h2 }",
    "default_backend be_def",
  ],
  pt_type: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content reject unless { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_ver 3.3 }",
    "default_backend be_def",
  ],
  pt_case: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_sni a.test }",
    "default_backend be_def",
  ],
  pt_alpn: [
    `tcp-request inspect-delay ${DELAY}ms`,
    "tcp-request content accept if { req.ssl_hello_type 1 }",
    "use_backend be_a if { req.ssl_alpn h2 }",
    "use_backend be_b if { req.ssl_ver 3.3 }",
    "default_backend be_def",
  ],
};

/** One client: which frontend, what it sends when (ms after connecting), whether it half-closes. */
interface Client {
  readonly name: string;
  readonly frontend: string;
  readonly sends: readonly (readonly [number, Uint8Array])[];
  /** Half-close after the last send (default); `false`: stay silent until the proxy closes. */
  readonly shut?: boolean;
  /**
   * HAProxy's answer is a race (what is buffered when the stream first runs: usually nothing,
   * under load sometimes the hello): proxykit's answer, decided at accept on nothing, is
   * checked alone.
   */
  readonly racy?: Seen;
}

/** Each client's bytes are its own (a distinct random field), so that an origin's are told apart. */
let seq = 0;
const hello = (o: Parameters<typeof clientHello>[0]) => clientHello({ ...o, random: ++seq });
const HELLO_A = hello({ sni: "a.test", pad: 200 });
const HELLO_A2 = hello({ sni: "a.test", pad: 200 });
const HELLO_A3 = hello({ sni: "a.test", pad: 200 });
const HELLO_A4 = hello({ sni: "a.test", pad: 200 });
const HELLO_A5 = hello({ sni: "a.test", pad: 200 });
const HELLO_A6 = hello({ sni: "a.test", pad: 200 });
const CLIENTS: readonly Client[] = [
  { name: "sni a.test", frontend: "pt", sends: [[0, HELLO_A]] },
  { name: "sni A.TEST with -i", frontend: "pt", sends: [[0, hello({ sni: "A.TEST" })]] },
  { name: "sni x.b.test, -m end", frontend: "pt", sends: [[0, hello({ sni: "x.b.test" })]] },
  { name: "no sni", frontend: "pt", sends: [[0, hello({ alpn: ["h2"] })]] },
  {
    name: "split 3 B + rest at 300 ms",
    frontend: "pt",
    sends: [[0, HELLO_A2.subarray(0, 3)], [300, HELLO_A2.subarray(3)]],
  },
  {
    name: "split 100 B + rest past inspect-delay",
    frontend: "pt",
    sends: [[0, HELLO_A3.subarray(0, 100)], [DELAY + 1000, HELLO_A3.subarray(100)]],
  },
  { name: "plain text", frontend: "pt", sends: [[0, enc("GET /1 HTTP/1.0\r\n\r\n")]] },
  { name: "silent client", frontend: "pt", sends: [], shut: false },
  { name: "hello in two records", frontend: "pt", sends: [[0, twoRecords(HELLO_A4, 60)]] },
  { name: "reject plain text", frontend: "pt_reject", sends: [[0, enc("GET /2 HTTP/1.0\r\n\r\n")]] },
  { name: "accept a hello", frontend: "pt_reject", sends: [[0, HELLO_A5]] },
  { name: "req.len 10 + 13 B", frontend: "pt_len", sends: [[0, enc("0123456789")], [300, enc("abcdefghijklm")]] },
  { name: "req.len 10 B only", frontend: "pt_len", sends: [[0, enc("9876543210")], [DELAY + 1000, enc("!")]] },
  {
    name: "no inspect-delay",
    frontend: "pt_nodelay",
    sends: [[0, HELLO_A6]],
    racy: { route: "pt_nodelay be_def/s", term: "--", echoed: "279", waitedDelay: false, origin: "be_def true" },
  },
  {
    name: "inspect-delay without content rules",
    frontend: "pt_norules",
    sends: [[0, hello({ sni: "a.test" })]],
    racy: { route: "pt_norules be_def/s", term: "--", echoed: "75", waitedDelay: false, origin: "be_def true" },
  },
  { name: "HTTP request", frontend: "pt_http", sends: [[0, enc("GET /3 HTTP/1.0\r\n\r\n")]] },
  {
    name: "HTTP request in two parts",
    frontend: "pt_http",
    sends: [[0, enc("GET /4 HTT")], [300, enc("P/1.0\r\n\r\n")]],
  },
  { name: "TLS is not HTTP", frontend: "pt_http", sends: [[0, hello({ sni: "a.test" })]] },
  { name: "case-sensitive without -i", frontend: "pt_case", sends: [[0, hello({ sni: "A.Test" })]] },
  { name: "alpn h2 second", frontend: "pt_alpn", sends: [[0, hello({ alpn: ["http/1.1", "h2"] })]] },
  { name: "ssl_ver 3.3", frontend: "pt_alpn", sends: [[0, hello({ alpn: ["http/1.1"] })]] },
];

interface Seen {
  route: string;
  term: string;
  echoed: string;
  waitedDelay: boolean;
  origin: string;
}

/** Runs every client through `engine` on the same configuration. */
async function run(engine: "haproxy" | "proxykit", clients: readonly Client[]): Promise<Record<string, Seen>> {
  // Each origin echoes, half-closes after the client's EOF, and keeps what it received.
  const received = new Map<number, { be: string; bytes: Uint8Array[] }>();
  const origins: Listener[] = [];
  const originPorts = new Map<string, number>();
  for (const be of ["be_a", "be_b", "be_def"]) {
    const l = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (s) => {
        const entry = { be, bytes: [] as Uint8Array[] };
        const rec = new Recorder();
        rec.keep = false;
        rec.onDataHook = (c) => {
          entry.bytes.push(c.slice());
          s.write(c);
        };
        const end = rec.onEnd.bind(rec);
        rec.onEnd = () => {
          end();
          s.shutdownWrite();
        };
        s.setHandlers(rec);
        received.set(received.size, entry);
      },
    });
    origins.push(l);
    originPorts.set(be, portOf(l.address));
  }
  const names = Object.keys(FRONTENDS);
  const ports = await freePorts(net, names.length + 1);
  const fePort = new Map(names.map((n, i) => [n, ports[i]!]));
  const readyPort = ports[names.length]!;
  const cfgFile = tempFile("haproxy.cfg", [
    ...TCPLOG_PREAMBLE,
    "    timeout connect 1s",
    "    timeout client 2s",
    "    timeout server 5s",
    ...names.flatMap((
      n,
    ) => [`frontend ${n}`, `    bind 127.0.0.1:${fePort.get(n)}`, ...FRONTENDS[n]!.map((l) => `    ${l}`)]),
    ...["be_a", "be_b", "be_def"].flatMap((b) => [`backend ${b}`, `    server s 127.0.0.1:${originPorts.get(b)}`]),
    "listen ready",
    `    bind 127.0.0.1:${readyPort}`,
    `    server r 127.0.0.1:${originPorts.get("be_def")}`,
  ]);
  const child: Child = engine === "haproxy"
    ? startProgram(HAPROXY!, ["-db", "-f", cfgFile.path])
    : startProxy(["--config", cfgFile.path]);
  try {
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
    received.clear();
    // At most BATCH clients at once: HAProxy writes its log lines to a pipe without blocking
    // and drops them when the pipe is full, which a busy test process (Bun's) lets happen.
    const BATCH = 50;
    const drive = async (cl: Client) => {
      const c: Socket = await net.connect({ address: tcp("127.0.0.1", fePort.get(cl.frontend)!) });
      const port = portOf(c.localAddress);
      const r = new Recorder();
      c.setHandlers(r);
      const t0 = Date.now();
      for (const [at, bytes] of cl.sends) {
        const wait = at - (Date.now() - t0);
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        c.write(bytes.slice());
      }
      if (cl.shut !== false) c.shutdownWrite();
      // A reset client sees its close only; a client that never shut its side, the proxy's FIN.
      await within(Promise.race([r.closed.promise, r.ended.promise]), 20_000, `${engine}: ${cl.name} ends`);
      c.close();
      return { cl, r, port, at: Date.now() };
    };
    const conns: Awaited<ReturnType<typeof drive>>[] = [];
    for (let i = 0; i < clients.length; i += BATCH) {
      conns.push(...await Promise.all(clients.slice(i, i + BATCH).map(drive)));
    }
    await until(() => child.stdout.filter((l) => / pt\S* /.test(l)).length >= clients.length, 60_000, `${engine} logs`);
    const out: Record<string, Seen> = {};
    // A client port may serve twice in a run once the first connection is over: lines are
    // taken in order, each once, the clients in the order they ended.
    const used = new Set<number>();
    for (const { cl, r, port } of [...conns].sort((a, b) => a.at - b.at)) {
      const i = child.stdout.findIndex((l, j) =>
        !used.has(j) && l.startsWith(`127.0.0.1:${port} `) && l.includes(`] ${cl.frontend} `)
      );
      used.add(i);
      const line = child.stdout[i];
      assert.ok(line !== undefined, `${engine}: no log line for ${cl.name} (port ${port})`);
      const m = /^\S+ \[[^\]]+\] (\S+) (\S+) (-?\d+)\/(-?\d+)\/(\d+) (\d+) (\S\S) /.exec(line)!;
      assert.ok(m !== null, `${engine}: unexpected log line ${line}`);
      const sent = concat(cl.sends.map(([, b]) => b));
      const origin = [...received.values()].find((e) => e.bytes.length > 0 && isPrefix(concat(e.bytes), sent));
      out[cl.name] = {
        route: `${m[1]} ${m[2]}`,
        term: m[7]!,
        echoed: String(r.bytes),
        waitedDelay: Number(m[3]) >= DELAY,
        origin: origin === undefined ? "-" : `${origin.be} ${concat(origin.bytes).length === sent.length}`,
      };
    }
    return out;
  } finally {
    child.child.kill("SIGTERM");
    await within(child.exited, 10_000, `${engine} exit`).catch(() => child.child.kill("SIGKILL"));
    for (const l of origins) await l.close();
    cfgFile.remove();
  }
}

/** `a` starts `b` (what the origin got is what the client sent, in order). */
function isPrefix(a: Uint8Array, b: Uint8Array): boolean {
  return a.length <= b.length && a.every((v, i) => v === b[i]);
}

describe("SNI passthrough: proxykit against HAProxy 2.6 on the same haproxy.cfg", { skip }, () => {
  it("routes, waits, rejects and forwards as HAProxy for every client", async () => {
    const haproxy = await run("haproxy", CLIENTS);
    const proxykit = await run("proxykit", CLIENTS);
    if (process.env.SNI_DEBUG) console.log(JSON.stringify({ haproxy, proxykit }, null, 1));
    for (const cl of CLIENTS) assert.deepEqual(proxykit[cl.name], cl.racy ?? haproxy[cl.name], cl.name);
  });

  it("reads damaged ClientHellos as HAProxy does: SNI, ALPN, hello type, version", async () => {
    const haproxy = await run("haproxy", MUTANTS);
    const proxykit = await run("proxykit", MUTANTS);
    const seen = (o: Seen | undefined) => `${o?.route} ${o?.term}`;
    const differ = MUTANTS.filter((cl) => seen(haproxy[cl.name]) !== seen(proxykit[cl.name]))
      .map((cl) => `${cl.name}: haproxy ${seen(haproxy[cl.name])}, proxykit ${seen(proxykit[cl.name])}`);
    assert.deepEqual(differ, []);
    // Every answer occurs: the damage sometimes spares what is read, sometimes not.
    const routes = new Set(MUTANTS.map((cl) => `${haproxy[cl.name]?.route} ${haproxy[cl.name]?.term}`));
    assert.deepEqual([...routes].sort(), [
      "pt_alpn_h2 be_a/s --",
      "pt_alpn_h2 be_def/s --",
      "pt_sni be_a/s --",
      "pt_sni be_def/s --",
      "pt_type be_a/s --",
      "pt_type be_def/s --",
      "pt_type pt_type/<NOSRV> PR",
    ]);
  });
});

/**
 * ClientHellos with `a.test` damaged in one place (a byte set, a 16-bit length made to lie),
 * each sent whole then half-closed (the pass is final at once in both) to three frontends:
 * `pt_sni` routes to be_a when `req.ssl_sni` reads `a.test`, `pt_alpn_h2` when `req.ssl_alpn`
 * reads `h2`, and `pt_type` rejects unless `req.ssl_hello_type` is 1, then routes on
 * `req.ssl_ver 3.3`. Deterministic (xorshift), so a difference replays.
 * The host name's own length is left alone: there proxykit differs on purpose (it refuses a
 * name running past the extensions; HAProxy returns bytes past them, and its exact match
 * then stops at the first NUL, see docs/sni_routing.md).
 */
const MUTANT_COUNT = 100;
/** Where the builder puts the host name's 16-bit length (sid 0, one suite, SNI first). */
const NAME_LENGTH_AT = 59;
const MUTANTS: readonly Client[] = (() => {
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const out: Client[] = [];
  for (let i = 0; out.length < 3 * MUTANT_COUNT; i++) {
    const b = clientHello({ sni: "a.test", alpn: ["h2"], random: i, ...(i % 3 === 0 ? { pad: 40 } : {}) });
    const at = 5 + (next() % (b.length - 6));
    const width = i % 2 === 0 ? 1 : 2;
    if (at < NAME_LENGTH_AT + 2 && at + width > NAME_LENGTH_AT) continue;
    let what: string;
    if (width === 1) {
      const v = next() & 0xff;
      b[at] = v;
      what = `byte ${at} = ${v}`;
    } else {
      const v = [0, 1, 4, 0x40, 0xffff][next() % 5]!;
      b[at] = v >> 8;
      b[at + 1] = v & 0xff;
      what = `u16 at ${at} = ${v}`;
    }
    for (const fe of ["pt_sni", "pt_alpn_h2", "pt_type"]) {
      out.push({ name: `mutant ${i} (${fe}): ${what}`, frontend: fe, sends: [[0, b]] });
    }
  }
  return out;
})();
