/**
 * Differential test of the seed's transparent case and of PROXY headers received: the same
 * haproxy.cfg run by HAProxy 2.6 and by proxykit (`examples/proxy.ts --config`), the same
 * client bytes, compared on where the stream went (which origin received what), the bytes the
 * client got back, and the log line's client address, server, bytes and termination state;
 * and, for refused headers, on the connection error line HAProxy writes.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network, Socket } from "../../src/net.ts";
import { type Child, startProgram, startProxy, TCPLOG_PREAMBLE, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { enc, freePorts, nativeNetwork, portOf, Recorder, tcp, within } from "../_helpers.ts";

const { path: HAPROXY, skip } = peer("haproxy");
const net: Network = await nativeNetwork();

/** Echo origins, each recording what it received. */
const origins: { listener: Listener; received: Uint8Array[] }[] = [];
async function origin(port = 0): Promise<{ port: number; received: Uint8Array[] }> {
  const received: Uint8Array[] = [];
  const listener = await net.listen({
    address: tcp("127.0.0.1", port),
    onAccept: (s: Socket) => {
      const r = new Recorder();
      r.onDataHook = (c) => {
        received.push(c.slice());
        s.write(c.slice());
      };
      const end = r.onEnd.bind(r);
      r.onEnd = () => {
        end();
        s.shutdownWrite();
      };
      s.setHandlers(r);
    },
  });
  origins.push({ listener, received });
  return { port: portOf(listener.address), received };
}
after(async () => {
  for (const o of origins) await o.listener.close();
});

/** Starts `engine` on `cfg` (lines after the tcplog preamble). */
function start(engine: "haproxy" | "proxykit", cfg: readonly string[]): Child {
  const file = tempFile(`${engine}.cfg`, [...TCPLOG_PREAMBLE, ...cfg]);
  return engine === "haproxy" ? startProgram(HAPROXY!, ["-db", "-f", file.path]) : startProxy(["--config", file.path]);
}

/**
 * Sends `bytes`, half-closes, and returns what came back once the proxy closed. Connects
 * again while the engine is not listening yet (no probe connection: it would log a line).
 */
async function exchange(port: number, bytes: Uint8Array, child: Child): Promise<string> {
  const deadline = Date.now() + 15_000;
  let s: Socket;
  for (;;) {
    try {
      s = await net.connect({ address: tcp("127.0.0.1", port) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`not listening: ${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const r = new Recorder();
  s.setHandlers(r);
  s.write(bytes);
  s.shutdownWrite();
  await within(r.closed.promise, 10_000, "proxy closes the client");
  return r.text();
}

/** A tcplog line's fields that both engines must agree on. */
function fields(line: string): { client: string; server: string; bytes: string; term: string } {
  const m = /^(\S+):\d+ \[[^\]]+\] \S+ (\S+) \S+ (\S+) (\S\S) /.exec(line);
  if (m === null) throw new Error(`not a tcplog line: ${line}`);
  return { client: m[1]!, server: m[2]!, bytes: m[3]!, term: m[4]! };
}

interface Case {
  name: string;
  /** Frontend and backend lines; `${FE}` is the frontend port, `${O1}`/`${O2}` the origins'. */
  cfg: string[];
  /** The client's bytes (with the same placeholders). */
  send: string;
  /** What the outcome must be on both engines. */
  expect: { origin: 1 | 2 | 0; reply: string; log?: RegExp };
}

const CASES: Case[] = [
  {
    name: "server 0.0.0.0 takes the PROXY header's destination, address and port",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE} accept-proxy",
      "  default_backend be",
      "backend be",
      "  server t 0.0.0.0",
    ],
    send: "PROXY TCP4 192.0.2.9 127.0.0.1 4000 ${O1}\r\nhello",
    expect: { origin: 1, reply: "hello" },
  },
  {
    name: "a port offset applies to the header's destination port",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE} accept-proxy",
      "  default_backend be",
      "backend be",
      "  server t 0.0.0.0:+1",
    ],
    send: "PROXY TCP4 192.0.2.9 127.0.0.1 4000 ${O1m1}\r\nplus-one",
    expect: { origin: 1, reply: "plus-one" },
  },
  {
    name: "a fixed port on a transparent server wins over the client's",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE} accept-proxy",
      "  default_backend be",
      "backend be",
      "  server t 0.0.0.0:${O2}",
    ],
    send: "PROXY TCP4 192.0.2.9 127.0.0.1 4000 ${O1}\r\nfixed",
    expect: { origin: 2, reply: "fixed" },
  },
  {
    name: "tcp-request connection set-dst-port, no PROXY header",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE}",
      "  tcp-request connection set-dst-port int(${O2})",
      "  default_backend be",
      "backend be",
      "  server t 0.0.0.0",
    ],
    send: "set-dst",
    expect: { origin: 2, reply: "set-dst" },
  },
  {
    name: "expect-proxy layer4 for a trusted source",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE}",
      "  tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }",
      "  default_backend be",
      "backend be",
      "  server s 127.0.0.1:${O1}",
    ],
    send: "PROXY TCP6 2001:db8::1 ::1 5555 443\r\nv6",
    expect: { origin: 1, reply: "v6" },
  },
  {
    name: "garbage instead of a header: closed, nothing forwarded, an error line",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE} accept-proxy",
      "  default_backend be",
      "backend be",
      "  server s 127.0.0.1:${O1}",
    ],
    send: "GET / HTTP/1.0\r\n\r\n",
    expect: {
      origin: 0,
      reply: "",
      log: /fe\/1: Received something which does not look like a PROXY protocol header$/,
    },
  },
  {
    name: "a v1 header with a bad protocol",
    cfg: [
      "frontend fe",
      "  bind 127.0.0.1:${FE} accept-proxy",
      "  default_backend be",
      "backend be",
      "  server s 127.0.0.1:${O1}",
    ],
    send: "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\nx",
    expect: { origin: 0, reply: "", log: /fe\/1: Received an unhandled protocol in the PROXY protocol header$/ },
  },
];

describe("transparent destinations and PROXY headers: HAProxy 2.6 vs proxykit", { skip }, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const results: { reply: string; origin: number; line: string }[] = [];
      for (const engine of ["haproxy", "proxykit"] as const) {
        const o1 = await origin();
        const o2 = await origin();
        const [fe] = await freePorts(net, 1);
        const sub = (t: string) =>
          t.replaceAll("${FE}", String(fe)).replaceAll("${O1m1}", String(o1.port - 1))
            .replaceAll("${O1}", String(o1.port)).replaceAll("${O2}", String(o2.port));
        const cfg = [
          "defaults",
          "    mode tcp",
          "    log global",
          "    option tcplog",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          ...c.cfg.map(sub),
        ];
        const child = start(engine, cfg);
        const reply = await exchange(fe!, enc(sub(c.send)), child);
        const line = (await child.line(c.expect.log ?? / \S+\/\S+ \S+ \d+ \S\S /)).input!;
        child.child.kill("SIGKILL");
        await child.exited;
        const reached = o1.received.length > 0 ? 1 : o2.received.length > 0 ? 2 : 0;
        results.push({ reply, origin: reached, line });
      }
      const [ha, pk] = results;
      for (const [who, r] of [["haproxy", ha!], ["proxykit", pk!]] as const) {
        assert.equal(r.origin, c.expect.origin, `${who}: origin reached`);
        assert.equal(r.reply, c.expect.reply, `${who}: reply`);
      }
      if (c.expect.log === undefined) assert.deepEqual(fields(pk!.line), fields(ha!.line), "log fields");
      else assert.match(pk!.line, c.expect.log, "proxykit's connection error line");
    });
  }
});
