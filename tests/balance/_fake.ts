/** Fake servers for the balancer suites: plain mutable objects implementing LbServer. */
import type { Balancer, LbServer, PickContext } from "../../src/balance/mod.ts";

/** An LbServer whose fields the test changes between picks. */
export type FakeServer = { -readonly [K in keyof LbServer]: LbServer[K] };

/** A usable, idle, weight-1, unlimited server named `name`; `init` overrides fields. */
export function fake(name: string, init: Partial<FakeServer> = {}): FakeServer {
  return {
    name,
    id: 0,
    backup: false,
    weight: 1,
    usable: true,
    served: 0,
    queued: 0,
    maxconn: 0,
    maxqueue: 0,
    ...init,
  };
}

/** Servers named A, B, C... with the given weights, ids 1, 2, 3... */
export function weighted(...weights: number[]): FakeServer[] {
  return weights.map((weight, i) => fake(String.fromCharCode(65 + i), { weight, id: i + 1 }));
}

/**
 * Picks `n` times and returns the names elected ("-" for none). With `take`, each elected
 * server's `served` is incremented, as the core would do when it starts connecting.
 */
export function picks(lb: Balancer, n: number, ctx?: PickContext, take = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = lb.pick(ctx) as FakeServer | undefined;
    if (take && s !== undefined) s.served++;
    out.push(s?.name ?? "-");
  }
  return out;
}
