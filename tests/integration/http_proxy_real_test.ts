/**
 * Proxy mode and WebSocket tunnels on real loopback sockets, with the runtime's own adapter
 * and the real clock: curl (Debian's, `tests/_peers.ts`) uses proxykit as its HTTP proxy
 * toward a local node:http server, once with an absolute URI (`-x`) and once through a
 * CONNECT tunnel (`-p -x`); a WebSocket handshake goes through a reverse-proxy backend to a
 * node:http server handling `upgrade`, frames flow both ways and nothing is left afterwards.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { ProxyServer } from "../../src/proxy.ts";
import type { Network, Socket } from "../../src/net.ts";
import { enc, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";
import { peer } from "../_peers.ts";

const { path: CURL, skip } = peer("curl");
const net: Network = await nativeNetwork();
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

let origin: Server;
let originPort = 0;
let proxy: ProxyServer;
const lines: string[] = [];
/** Server sides of the WebSocket connections the origin accepted. */
const upgraded: Duplex[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)));
}

/** curl's output (bounded by --max-time and our own wait). */
function curl(args: readonly string[]): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      execFile(CURL!, ["-sS", "--max-time", "10", ...args], (err, stdout, stderr) => {
        if (err) reject(new Error(`curl ${args.join(" ")}: ${err.message} ${stderr}`));
        else resolve(stdout);
      });
    }),
    15_000,
    `curl ${args.join(" ")}`,
  );
}

describe("proxy mode and WebSocket on real sockets", { skip }, () => {
  before(async () => {
    origin = createServer((req: IncomingMessage, res) => {
      const body = `${req.method} ${req.url} host=${req.headers.host} pa=${req.headers["proxy-authorization"] ?? "-"}`;
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    origin.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
      const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}${WS_GUID}`).digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      // A server's first text frame, unmasked: "hi".
      socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
      socket.on("data", (d: Buffer) => socket.write(d)); // echo the client's frames as they are
      socket.on("end", () => socket.end());
      upgraded.push(socket);
    });
    originPort = await listen(origin);
    proxy = new ProxyServer({
      frontends: [
        {
          name: "fwd",
          mode: "http",
          binds: [tcp("127.0.0.1", 0)],
          defaultBackend: "fwd",
          log: { target: "stdout", format: "httplog" },
          clientTimeoutMs: 10_000,
        },
        {
          name: "ws",
          mode: "http",
          binds: [tcp("127.0.0.1", 0)],
          defaultBackend: "ws",
          log: { target: "stdout", format: "httplog" },
          clientTimeoutMs: 10_000,
        },
      ],
      backends: [
        {
          name: "fwd",
          mode: "http",
          servers: [],
          timeouts: { connectMs: 5000, serverMs: 10_000, tunnelMs: 10_000 },
          // Loopback is only reachable through an address rule naming it.
          forwardProxy: { allow: [`127.0.0.1:${originPort}`] },
        },
        {
          name: "ws",
          mode: "http",
          servers: [{ name: "o", address: tcp("127.0.0.1", originPort) }],
          timeouts: { connectMs: 5000, serverMs: 10_000, tunnelMs: 10_000 },
        },
      ],
    }, { network: net, log: (l) => lines.push(l) });
    await proxy.start();
  });

  after(async () => {
    await proxy?.stop();
    for (const s of upgraded) s.destroy();
    await new Promise<void>((resolve) => origin ? origin.close(() => resolve()) : resolve());
  });

  it("curl -x: an absolute-URI GET reaches the origin in origin-form", async () => {
    const p = portOf(proxy.addresses[0]);
    const out = await curl(["-x", `http://127.0.0.1:${p}`, `http://127.0.0.1:${originPort}/hello?x=1`]);
    assert.equal(out, `GET /hello?x=1 host=127.0.0.1:${originPort} pa=-`);
    await until(() => lines.some((l) => l.includes("GET http://127.0.0.1")), 5000, "the log line");
    assert.match(lines.find((l) => l.includes("GET http://"))!, / fwd fwd\/<NOSRV> .* 200 /);
  });

  it("curl -p -x: the same request through a CONNECT tunnel", async () => {
    const p = portOf(proxy.addresses[0]);
    const out = await curl(["-p", "-x", `http://127.0.0.1:${p}`, `http://127.0.0.1:${originPort}/tunnelled`]);
    assert.equal(out, `GET /tunnelled host=127.0.0.1:${originPort} pa=-`);
    await until(() => lines.some((l) => l.includes(`"CONNECT 127.0.0.1:${originPort} HTTP/1.1"`)), 5000, "the log");
    assert.match(lines.find((l) => l.includes("CONNECT"))!, / fwd fwd\/<NOSRV> .* 200 /);
  });

  it("curl -x to a destination the allow-list lacks: 403", async () => {
    const p = portOf(proxy.addresses[0]);
    const out = await curl([
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-x",
      `http://127.0.0.1:${p}`,
      "http://127.0.0.1:9/",
    ]);
    assert.equal(out, "403");
  });

  it("a WebSocket handshake through the proxy: 101, frames both ways, then nothing left", async () => {
    const c: Socket = await net.connect({ address: proxy.addresses[1]! });
    const r = new Recorder();
    c.setHandlers(r);
    const key = Buffer.from("0123456789abcdef").toString("base64");
    c.write(enc(
      `GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const accept = createHash("sha1").update(`${key}${WS_GUID}`).digest("base64");
    await until(() => r.text().includes("\r\n\r\n") && r.bytes >= r.text().indexOf("\r\n\r\n") + 8, 10_000, "101");
    const text = r.text();
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(
      text.toLowerCase(),
      new RegExp(`sec-websocket-accept: ${accept.toLowerCase().replace(/[+/=]/g, "\\$&")}`),
    );
    const head = text.indexOf("\r\n\r\n") + 4;
    assert.deepEqual([...r.chunks.flatMap((ch) => [...ch])].slice(head, head + 4), [0x81, 0x02, 0x68, 0x69]);
    // A masked client frame "yo" (mask 1,2,3,4), echoed back as it was.
    const frame = [0x81, 0x82, 1, 2, 3, 4, 0x79 ^ 1, 0x6f ^ 2];
    c.write(new Uint8Array(frame));
    await within(r.waitBytes(head + 4 + frame.length), 10_000, "the echoed frame");
    assert.deepEqual([...r.chunks.flatMap((ch) => [...ch])].slice(head + 4), frame);
    c.shutdownWrite();
    await within(r.ended.promise, 10_000, "the tunnel's end");
    c.close();
    await until(() => proxy.counters.current === 0, 10_000, "the session to end");
    await until(() => lines.some((l) => l.includes('"GET /chat HTTP/1.1"')), 5000, "the log line");
    assert.match(lines.find((l) => l.includes("GET /chat"))!, / ws ws\/o .* 101 .* ---- /);
    assert.equal(proxy.backends[1]!.counters.current, 0);
  });
});
