/**
 * Test tools for programs built on proxykit: a complete in-memory network (listeners,
 * connections, refusals, resets, latency, partial writes, fault injection) and a manual clock
 * that drives every timeout, retry delay and health-check interval of the core. With both, a
 * proxy's behaviour is tested deterministically, in clock time, without real sockets.
 *
 * @example A proxy on the in-memory network, driven by a fake clock
 * ```ts
 * import { ProxyServer } from "@proxykit/proxykit";
 * import { FakeClock, MemoryNetwork } from "@proxykit/proxykit/testing";
 *
 * const clock = new FakeClock();
 * const network = new MemoryNetwork({ clock });
 * const proxy = new ProxyServer({
 *   frontends: [{ name: "fe", binds: [{ transport: "tcp", hostname: "10.0.0.1", port: 80 }], defaultBackend: "be" }],
 *   backends: [{
 *     name: "be",
 *     retries: 2,
 *     servers: [{ name: "s1", address: { transport: "tcp", hostname: "10.1.0.1", port: 8000 } }],
 *   }],
 * }, { network, clock });
 * await proxy.start();
 * await clock.advance(1000); // every timer due within the next second fires, in order
 * await proxy.stop();
 * ```
 *
 * @module
 */

export { FakeClock } from "./src/clock.ts";
export { createNetwork, MemoryNetwork, MemorySocket } from "./adapters/memory.ts";
export type { MemoryNetworkOptions } from "./adapters/memory.ts";
