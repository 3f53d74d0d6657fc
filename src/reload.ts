/**
 * Reloading a running proxy with a new configuration (management.txt 4, HAProxy's seamless
 * reload): the new proxy is built and checked first (a broken configuration changes nothing),
 * takes over the listeners whose address is unchanged, binds the new ones; the old proxy
 * closes the removed ones and lets its streams finish on the old settings.
 *
 * A reload makes a new {@link ProxyServer} rather than changing the running one in place: the
 * old one must go on running its established streams with the old backends, servers and
 * rules, and every view a program holds (`frontends`, `backends`, `config`) stays true to
 * what it describes. The caller swaps its reference to the proxy returned.
 *
 * @module
 */
import { ProxyServer, type ProxyServerOptions } from "./proxy.ts";
import type { ProxyConfig } from "./config/types.ts";
import { Handover } from "./handover.ts";

/** Options of {@link reloadProxy}. */
export interface ReloadOptions extends ProxyServerOptions {
  /**
   * How long the old proxy's streams may go on finishing before the rest are killed (logged
   * with `K`), ms: the command line passes `hard-stop-after`.
   * @default 0
   */
  readonly graceMs?: number;
  /** Called with the new proxy before it starts (e.g. to apply a server-state file). */
  readonly prepare?: (next: ProxyServer) => void;
  /**
   * More listeners to hand over, beside the proxy's own binds and stats sockets (which it
   * offers itself): offer them here; those the new proxy does not take stay with their owner.
   */
  readonly handover?: Handover;
}

/** What {@link reloadProxy} returns. */
export interface Reloaded {
  /** The proxy now accepting connections. */
  readonly proxy: ProxyServer;
  /** Resolves once the old proxy's last stream ended (after at most `graceMs`). */
  readonly drained: Promise<void>;
}

/**
 * Replaces `old` by a proxy built from `config`, without refusing a connection on the
 * addresses both listen on. Throws (and `old` runs on, unchanged) when `config` is invalid or
 * a new address cannot be bound.
 * @throws {ProxyError} `ERR_CONFIG_INVALID`, `ERR_CAPABILITY_MISSING` or `ERR_LISTEN`.
 *
 * @example
 * ```ts
 * import { ProxyServer, reloadProxy, type ProxyConfig } from "@proxykit/proxykit";
 * import { MemoryNetwork } from "@proxykit/proxykit/testing";
 *
 * const network = new MemoryNetwork();
 * const config = (port: number): ProxyConfig => ({
 *   frontends: [{ name: "fe", binds: [{ transport: "tcp", hostname: "10.0.0.1", port: 80 }], defaultBackend: "be" }],
 *   backends: [{ name: "be", servers: [{ name: "s1", address: { transport: "tcp", hostname: "10.1.0.1", port } }] }],
 * });
 * let proxy = new ProxyServer(config(8000), { network });
 * await proxy.start();
 * const { proxy: next, drained } = await reloadProxy(proxy, config(8001), { network, graceMs: 5_000 });
 * proxy = next;
 * await drained;
 * await proxy.stop();
 * ```
 */
export async function reloadProxy(old: ProxyServer, config: ProxyConfig, options: ReloadOptions): Promise<Reloaded> {
  const { graceMs = 0, prepare, handover = new Handover(), ...proxyOptions } = options;
  const next = new ProxyServer(config, proxyOptions);
  prepare?.(next);
  old.offerListeners(handover);
  await next.start({ handover });
  return { proxy: next, drained: old.stop({ graceMs }) };
}
