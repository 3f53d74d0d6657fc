/**
 * The JavaScript reverse proxies `bench/http.ts` compares proxykit with, one per process, each
 * configured as a competent user would for a single origin: keep-alive connections toward the
 * origin, no logging, nothing but the proxying.
 *
 * Run on Node only (the libraries are Node libraries):
 * `node bench/_js_proxies.ts NAME --listen 127.0.0.1:PORT --target 127.0.0.1:PORT`; prints
 * `listening on 127.0.0.1:PORT` once it accepts (port 0 picks a free one), stops on SIGTERM or
 * SIGINT. NAME is one of:
 * - `http-proxy` (node-http-proxy 1.x): `createProxyServer({ target, agent })` behind
 *   `http.createServer`, `agent` a keep-alive `http.Agent` (its default is no agent at all:
 *   `Connection: close` toward the origin on every request);
 * - `http-proxy-3` (its successor, the same API): the same options (its default is also no
 *   agent);
 * - `httpxy` (unjs's successor): `createProxyServer({ target, agent })`, `await proxy.web()`,
 *   the same agent (its default agent is keep-alive too, 256 sockets, 64 kept free);
 * - `fastify` (`@fastify/http-proxy` on fastify 5, `upstream` the origin): `@fastify/reply-from`'s
 *   default undici pool (keep-alive, no pipelining), `logger: false`, and a `rewriteHeaders`
 *   dropping the origin's `connection` header (without it, a client's `Connection: close` gets
 *   `connection: keep-alive` back, the connection stays open and the next request on it is
 *   answered 400: `wrk -H 'Connection: close'` counted half its requests as errors).
 *
 * The agent: `new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 })`, so
 * that as many connections as the client opens stay open toward the origin. An error toward
 * the origin answers 502 (or drops the client connection once the response has started).
 *
 * Not benchmarked: `proxy-chain` (Apify), a forward proxy: it refuses an origin-form request
 * target (`GET / HTTP/1.1` answers 400 `Target "/" could not be parsed`) and has no option to
 * send every request to one origin.
 *
 * @module
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { parseArgs } from "node:util";

/** The proxies this script can run (`bench/http.ts` has the same list). */
const JS_PROXIES: readonly string[] = ["http-proxy", "http-proxy-3", "httpxy", "fastify"];

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { listen: { type: "string" }, target: { type: "string" } },
});
const name = positionals[0] ?? "";
if (!JS_PROXIES.includes(name) || flags.listen === undefined || flags.target === undefined) {
  console.error(
    `usage: node bench/_js_proxies.ts (${JS_PROXIES.join("|")}) --listen HOST:PORT --target HOST:PORT`,
  );
  process.exit(2);
}
const [host, portText] = splitHostPort(flags.listen);
const target = `http://${flags.target}`;
const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

/** Answers 502 when nothing was sent yet, else drops the client connection. */
function badGateway(res: ServerResponse | { destroy(): void }): void {
  if ("headersSent" in res && !res.headersSent) {
    res.writeHead(502, { "content-type": "text/plain", "content-length": "12" });
    res.end("bad gateway\n");
  } else {
    res.destroy();
  }
}

/** Starts `handler` on an HTTP server bound to the listen address. */
function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: portText }, () => resolve(server));
  });
}

let close: () => Promise<void>;
let address: AddressInfo;
if (name === "http-proxy") {
  const { default: httpProxy } = await import("http-proxy");
  const proxy = httpProxy.createProxyServer({ target, agent });
  proxy.on("error", (_e, _req, res) => badGateway(res));
  const server = await serve((req, res) => proxy.web(req, res));
  address = server.address() as AddressInfo;
  close = () => new Promise((r) => server.close(() => r()));
} else if (name === "http-proxy-3") {
  const { createProxyServer } = await import("http-proxy-3");
  const proxy = createProxyServer({ target, agent });
  proxy.on("error", (_e, _req, res) => badGateway(res));
  const server = await serve((req, res) => proxy.web(req, res));
  address = server.address() as AddressInfo;
  close = () => new Promise((r) => server.close(() => r()));
} else if (name === "httpxy") {
  const { createProxyServer } = await import("httpxy");
  const proxy = createProxyServer({ target, agent });
  const server = await serve((req, res) => {
    proxy.web(req, res).catch(() => badGateway(res));
  });
  address = server.address() as AddressInfo;
  close = () => new Promise((r) => server.close(() => r()));
} else {
  const { default: Fastify } = await import("fastify");
  const { default: fastifyHttpProxy } = await import("@fastify/http-proxy");
  const app = Fastify({ logger: false });
  await app.register(fastifyHttpProxy, {
    upstream: target,
    // @fastify/reply-from copies the origin's hop-by-hop `connection: keep-alive` into the
    // response, even to a client that sent `Connection: close`: Node then keeps the connection
    // open and answers the client's next request on it with 400. Dropped, Node answers as the
    // client asked (and closes).
    replyOptions: {
      rewriteHeaders: (headers) => {
        const { connection: _, ...rest } = headers;
        return rest;
      },
    },
  });
  await app.listen({ host, port: portText });
  address = app.server.address() as AddressInfo;
  close = () => app.close();
}

const stop = () => {
  // Keep-alive clients would hold close() open: the bench has measured by then.
  setTimeout(() => process.exit(0), 1000).unref();
  void close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
console.log(`listening on ${address.address}:${address.port} (${name})`);
