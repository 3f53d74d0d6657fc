/**
 * Helpers of the stats tests: a worker proxy on a memory network of its own that answered
 * monitor requests, and a `show stat` row by name.
 */
import { FakeClock, MemoryNetwork } from "../../testing.ts";
import { ProxyServer } from "../../src/proxy.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import type { StatsPeers } from "../../src/stats/peers.ts";
import { enc, Recorder, tcp } from "../_helpers.ts";

/** An HTTP frontend answering `/healthz` itself, and a backend of one server of weight 7. */
export const MONITOR_CFG = `
defaults
  mode http
  timeout client 5s
frontend fe
  bind 10.0.0.1:80
  monitor-uri /healthz
  default_backend be
backend be
  server s1 10.1.0.1:80 weight 7
`;

/**
 * A started proxy on a network of its own ({@link MONITOR_CFG}) that answered `connections`
 * connections, each carrying `perConnection` monitor requests (the last one closes), all
 * within its first second of fake time.
 */
export async function monitorWorker(
  connections: number,
  options: { readonly peers?: StatsPeers; readonly perConnection?: number } = {},
): Promise<{ proxy: ProxyServer; clock: FakeClock }> {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const proxy = new ProxyServer(parseHaproxyConfig(MONITOR_CFG, "w.cfg"), {
    network,
    clock,
    ...(options.peers ? { statsPeers: options.peers } : {}),
  });
  await proxy.start();
  const keepAlive = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
  const last = "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
  for (let i = 0; i < connections; i++) {
    const c = await network.connect({ address: tcp("10.0.0.1", 80) });
    const r = new Recorder();
    c.setHandlers(r);
    c.write(enc(keepAlive.repeat((options.perConnection ?? 1) - 1) + last));
    await clock.advance(0);
    await r.ended.promise;
    c.close();
  }
  await clock.advance(0);
  return { proxy, clock };
}

/** The row `svname` of a `show stat`, field name to text. */
export function statRow(csv: string, svname: string): Record<string, string> {
  const [head, ...rows] = csv.split("\n").filter((l) => l !== "");
  const names = head!.slice(2).split(",");
  const r = rows.map((l) => l.split(",")).find((v) => v[1] === svname)!;
  return Object.fromEntries(r.map((v, i) => [names[i]!, v]));
}
