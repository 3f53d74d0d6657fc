/**
 * `show resolvers [<section>]` (management.txt 9.3): the counters of every nameserver of
 * every `resolvers` section, in HAProxy 2.6's text, and the typed view behind it
 * (`proxy.admin.resolvers()`). With the command line's workers, each worker resolves on its
 * own, so the view adds up every worker's counters (as `show stat` does, src/stats/peers.ts).
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "../proxy.ts";
import { ProxyError } from "../errors.ts";

/**
 * The counters `show resolvers` prints per nameserver, in its order. proxykit's DNS client
 * counts `sent`, `snd_error`, `valid`, `nx`, `timeout`, `refused`, `other`, `invalid`,
 * `truncated` and `outdated`; `update`, `cname`, `cname_error`, `any_err` and `too_big` stay 0
 * (it follows no CNAME chain itself, reads an empty answer as a valid one, and asks for
 * answers up to `accepted_payload_size`).
 */
export const RESOLVER_COUNTERS = [
  "sent",
  "snd_error",
  "valid",
  "update",
  "cname",
  "cname_error",
  "any_err",
  "nx",
  "timeout",
  "refused",
  "other",
  "invalid",
  "too_big",
  "truncated",
  "outdated",
] as const;

/** One counter of {@link RESOLVER_COUNTERS}. */
export type ResolverCounter = typeof RESOLVER_COUNTERS[number];

/** One nameserver's counters, by HAProxy's names. */
export interface NameserverStats {
  /** The nameserver's name in its section. */
  readonly name: string;
  /** Every counter of {@link RESOLVER_COUNTERS}. */
  readonly counters: Readonly<Record<ResolverCounter, number>>;
}

/** One `resolvers` section's nameservers, in configuration order. */
export interface ResolversStats {
  /** The section's id (`resolvers <id>`). */
  readonly section: string;
  /** Its nameservers, in configuration order. */
  readonly nameservers: readonly NameserverStats[];
}

/** Sections by id, then nameservers by name, then counters: what workers send each other. */
export type ResolversSnapshot = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;

/** This process's counters only, as a snapshot for the other workers. */
export function resolversSnapshot(proxy: ProxyServer): ResolversSnapshot {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const [section, servers] of internalsOf(proxy).resolvers) {
    const s: Record<string, Record<string, number>> = out[section] = {};
    for (const [name, c] of servers) s[name] = { ...c };
  }
  return out;
}

/**
 * The counters of `proxy`'s `resolvers` sections (or of `section` alone), with the other
 * workers' added when it has stats peers.
 * @throws {ProxyError} `ERR_NO_SUCH_OBJECT` (`Can't find that resolvers section`).
 */
export function resolversStats(proxy: ProxyServer, section?: string): ResolversStats[] {
  const i = internalsOf(proxy);
  const peers = i.statsPeers?.resolvers() ?? [];
  const out: ResolversStats[] = [];
  for (const [id, servers] of i.resolvers) {
    if (section !== undefined && id !== section) continue;
    const nameservers = [...servers].map(([name, own]) => {
      const counters = {} as Record<ResolverCounter, number>;
      for (const k of RESOLVER_COUNTERS) {
        counters[k] = peers.reduce(
          (n, p) => n + (p[id]?.[name]?.[k] ?? 0),
          (own as Partial<Record<ResolverCounter, number>>)[k] ?? 0,
        );
      }
      return { name, counters };
    });
    out.push({ section: id, nameservers });
  }
  if (section !== undefined && out.length === 0) {
    throw new ProxyError("ERR_NO_SUCH_OBJECT", "Can't find that resolvers section");
  }
  return out;
}

/**
 * HAProxy 2.6's `show resolvers` text: `Resolvers section <id>`, then per nameserver
 * ` nameserver <name>:` and one `  <counter>: <value>` line per counter, the values aligned.
 */
export function formatResolvers(sections: readonly ResolversStats[]): string {
  let out = "";
  for (const s of sections) {
    out += `Resolvers section ${s.section}\n`;
    for (const ns of s.nameservers) {
      out += ` nameserver ${ns.name}:\n`;
      for (const k of RESOLVER_COUNTERS) out += `  ${`${k}:`.padEnd(13)}${ns.counters[k]}\n`;
    }
  }
  return out;
}
