/**
 * A Deno app served with `Deno.serve` behind proxykit in the same process
 * (`deno run -A examples/deno_app.ts`): the app listens on a loopback port only the proxy
 * reaches; proxykit (`mode http`, the Deno adapter) faces clients, adds `X-Forwarded-For`
 * and logs HAProxy's httplog lines. Prints `app on HOST:PORT` and `listening on HOST:PORT`
 * (`PORT=8080` picks the proxy's port). In your code, import from "@proxykit/proxykit" and
 * "@proxykit/proxykit/deno".
 */
import { ProxyServer } from "../mod.ts";
import { network } from "../adapters/deno.ts";

/** The part of Deno's API this file uses (tsc checks examples without Deno's types). */
interface DenoApi {
  serve(
    o: { hostname: string; port: number; onListen?: (a: { hostname: string; port: number }) => void },
    handler: (req: Request) => Response,
  ): { addr: { hostname: string; port: number }; shutdown(): Promise<void> };
  env: { get(name: string): string | undefined };
  addSignalListener(signal: "SIGINT" | "SIGTERM", fn: () => void): void;
  exit(code: number): never;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

const app = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  const path = new URL(req.url).pathname;
  return new Response(`hello from Deno.serve: ${req.method} ${path}, for ${req.headers.get("x-forwarded-for")}\n`);
});
console.log(`app on ${app.addr.hostname}:${app.addr.port}`);

const proxy = new ProxyServer({
  frontends: [{
    name: "www",
    mode: "http",
    binds: [{ transport: "tcp", hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 0) }],
    defaultBackend: "app",
    clientTimeoutMs: 30_000,
    log: { target: "stdout", format: "httplog" },
  }],
  backends: [{
    name: "app",
    mode: "http",
    forwardFor: {},
    timeouts: { connectMs: 1000, serverMs: 30_000 },
    servers: [{ name: "deno", address: { transport: "tcp", hostname: "127.0.0.1", port: app.addr.port } }],
  }],
}, { network, log: (line) => console.log(line) });
await proxy.start();
for (const a of proxy.addresses) if (a.transport === "tcp") console.log(`listening on ${a.hostname}:${a.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await proxy.stop({ graceMs: 5000 });
    await app.shutdown();
    Deno.exit(0);
  });
}
