/**
 * The typed API with a program's own server election and connect-failure hook, on Deno, Bun
 * or Node (`deno run -A examples/custom_balancer.ts`, `bun run ...`, `node ...`).
 *
 * Three local "apps" answer `served by app-N`; app-3's address refuses connections (nothing
 * listens there). The balancer elects the usable server with the fewest connect failures
 * seen so far (round-robin among equals); the `onConnectFailure` hook counts each failure
 * and answers "redispatch", so a client whose first connect was refused is served by
 * another server at once instead of after three retries on the dead one.
 * Prints `listening on HOST:PORT`, then one line per connect failure. In your code, import
 * from "@proxykit/proxykit" (npm: "proxykit") instead of "../mod.ts".
 */
import { createServer, type Server } from "node:net";
import process from "node:process";
import type { Balancer, LbServer, Network, ProxyHooks } from "../mod.ts";
import { ProxyServer } from "../mod.ts";

/** A local TCP app answering its name to each connection. */
async function app(name: string): Promise<Server> {
  const srv = createServer((s) => {
    s.on("error", () => {}); // a client gone before the answer is no concern of this app
    s.end(`served by ${name}\n`);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return srv;
}

/** Connect failures per server name, written by the hook, read by the balancer. */
const failures = new Map<string, number>();

/** Elects the usable server with the fewest failures, rotating among equals. */
function fewestFailures(servers: readonly LbServer[]): Balancer {
  let turn = 0;
  return {
    pick(ctx) {
      const usable = servers.filter((s) => s.usable && s !== ctx?.avoid);
      if (usable.length === 0) return undefined;
      const least = Math.min(...usable.map((s) => failures.get(s.name) ?? 0));
      const best = usable.filter((s) => (failures.get(s.name) ?? 0) === least);
      return best[turn++ % best.length];
    },
    update() {},
    hasUsableServer: () => servers.some((s) => s.usable),
  };
}

const hooks: ProxyHooks = {
  onConnectFailure(f) {
    if (f.server !== undefined) failures.set(f.server, (failures.get(f.server) ?? 0) + 1);
    console.log(`connect failure: ${f.backend}/${f.server} attempt ${f.attempt} ${f.code ?? "timeout"}: redispatch`);
    return "redispatch";
  },
};

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const { network } = (await import(`../adapters/${runtime}.ts`)) as { network: Network };
const apps = [await app("app-1"), await app("app-2")];
const dead = await app("app-3");
const deadPort = (dead.address() as { port: number }).port;
dead.close(); // its port now refuses connections
const port = (s: Server): number => (s.address() as { port: number }).port;
const address = (p: number) => ({ transport: "tcp" as const, hostname: "127.0.0.1", port: p });

const proxy = new ProxyServer({
  frontends: [{ name: "fe", binds: [address(Number(process.env.PORT ?? 0))], defaultBackend: "be" }],
  backends: [{
    name: "be",
    balance: { kind: "custom", name: "fewest-failures", create: fewestFailures },
    retries: 3,
    timeouts: { connectMs: 1000 },
    servers: [
      { name: "app-3", address: address(deadPort) },
      { name: "app-1", address: address(port(apps[0]!)) },
      { name: "app-2", address: address(port(apps[1]!)) },
    ],
  }],
}, { network, hooks, log: (line) => console.log(line) });
await proxy.start();
for (const a of proxy.addresses) if (a.transport === "tcp") console.log(`listening on ${a.hostname}:${a.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await proxy.stop({ graceMs: 1000 });
    for (const a of apps) a.close();
    process.exit(0);
  });
}
