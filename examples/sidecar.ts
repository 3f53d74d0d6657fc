/**
 * A sidecar on Bun (`bun run examples/sidecar.ts`): proxykit in front of a local app, with
 * health checks and the PROXY protocol out, so the app learns each client's real address.
 *
 * The "local app" here is a `Bun.listen` TCP service started by the same file (in a pod it
 * is the neighbour container on 127.0.0.1): it reads the PROXY v2 header with proxykit's
 * `parseProxyHeader` and answers `hello HOST:PORT` with the client's address from the header.
 * The sidecar checks it every second (checks send the PROXY header too: `LOCAL`, answered
 * with nothing) and prints its state changes. Its Prometheus metrics are served on a second
 * port, at `/metrics` (HAProxy's `http-request use-service prometheus-exporter`). Prints
 * `app on HOST:PORT`, `listening on HOST:PORT` and `metrics on http://HOST:PORT/metrics`;
 * `PORT=8080` and `METRICS_PORT=8405` pick the ports. In your code, import from
 * "@proxykit/proxykit" (npm: "proxykit") and "@proxykit/proxykit/bun".
 */
import process from "node:process";
import { formatAddress, parseProxyHeader, ProxyServer } from "../mod.ts";
import { network } from "../adapters/bun.ts";

/** The part of Bun's API this file uses (the npm build needs no Bun types). */
interface AppSocket {
  data: { buf: Uint8Array };
  write(data: string): number;
  end(): void;
}
interface BunApi {
  listen(o: {
    hostname: string;
    port: number;
    data?: { buf: Uint8Array };
    socket: { open(s: AppSocket): void; data(s: AppSocket, chunk: Uint8Array): void };
  }): { hostname: string; port: number; stop(closeActive?: boolean): void };
}
const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

/** The local app: waits for the whole PROXY header, then greets the client it names. */
const app = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.data = { buf: new Uint8Array(0) };
    },
    data(s, chunk) {
      const buf = new Uint8Array(s.data.buf.length + chunk.length);
      buf.set(s.data.buf);
      buf.set(chunk, s.data.buf.length);
      s.data.buf = buf;
      const h = parseProxyHeader(buf);
      if (h.state === "incomplete") return;
      if (h.state === "done" && h.command === "PROXY" && h.source !== undefined) {
        s.write(`hello ${formatAddress(h.source)}\n`);
      }
      s.end(); // a LOCAL header (a health check) or no header at all: nothing to say
    },
  },
});
console.log(`app on ${app.hostname}:${app.port}`);

const proxy = new ProxyServer({
  frontends: [{
    name: "sidecar",
    binds: [{ transport: "tcp", hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) }],
    defaultBackend: "app",
    log: { target: "stdout", format: "tcplog" },
  }, {
    // The metrics endpoint: answered by the proxy itself, no server behind it.
    name: "metrics",
    mode: "http",
    binds: [{ transport: "tcp", hostname: "127.0.0.1", port: Number(process.env.METRICS_PORT ?? 0) }],
    defaultBackend: "none",
    httpRequest: [{ action: "use-service", service: "prometheus-exporter", condition: "if { path /metrics }" }],
  }],
  backends: [{ name: "none", mode: "http", servers: [] }, {
    name: "app",
    timeouts: { connectMs: 1000, serverMs: 30_000 },
    servers: [{
      name: "local",
      address: { transport: "tcp", hostname: "127.0.0.1", port: app.port },
      sendProxy: { version: 2 },
      check: { interMs: 1000, rise: 1, fall: 2 },
    }],
  }],
}, {
  network,
  log: (line) => console.log(line),
  hooks: { onServerStateChange: (e) => console.log(`server ${e.backend}/${e.server} is ${e.to}`) },
});
await proxy.start();
const [sidecar, metrics] = proxy.frontends.map((f) => f.addresses[0]);
if (sidecar?.transport === "tcp") console.log(`listening on ${sidecar.hostname}:${sidecar.port}`);
if (metrics?.transport === "tcp") console.log(`metrics on http://${metrics.hostname}:${metrics.port}/metrics`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await proxy.stop({ graceMs: 5000 });
    app.stop(true);
    process.exit(0);
  });
}
