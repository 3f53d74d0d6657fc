/**
 * DNS service discovery of a proxy (configuration.txt 5.3): one {@link DnsClient} per
 * `resolvers` section, one {@link Resolution} per name and group of servers, `init-addr` at
 * start-up, then a resolution of every name each `timeout resolve`, its answer applied to the
 * servers. Platform-free: the clock schedules, the network adapter gives UDP and `libc`.
 *
 * @module
 */
import type { Clock, Timer } from "../clock.ts";
import type { Network } from "../net.ts";
import type { Server } from "../server.ts";
import { ProxyError } from "../errors.ts";
import { isIPv6 } from "../address.ts";
import type { ResolvedResolversConfig, ResolvedServerResolve } from "../config/dns_types.ts";
import { DnsClient, type DnsOutcome, type NameserverCounters } from "./client.ts";
import { type DnsEntry, Resolution } from "./resolution.ts";
import type { DnsAddressRecord, DnsRecordType } from "./wire.ts";

/** What discovery needs of a backend: its name and servers. */
export interface DiscoveryBackend {
  /** `backend <name>`. */
  readonly name: string;
  /** Its servers; those with `settings.resolve` are followed. */
  readonly servers: readonly Server[];
}

/** Options of {@link Discovery}. */
export interface DiscoveryOptions {
  /** The network adapter: UDP (`openDatagram`) and the system resolver (`init-addr libc`). */
  readonly net: Network;
  /** Times resolutions, retries and holds. */
  readonly clock: Clock;
  /** Receives HAProxy's lines (`be/s1 changed its IP from ...`). @default dropped */
  readonly log?: (line: string) => void;
  /** Draws query ids. @default Math.random */
  readonly random?: () => number;
}

interface Job {
  readonly resolution: Resolution;
  readonly settings: ResolvedServerResolve;
  readonly section: ResolvedResolversConfig;
  readonly client: DnsClient;
  /** The configured port (A/AAAA names). */
  readonly port: number;
  timer: Timer | undefined;
}

/** The family order `resolve-prefer` asks for. */
function families(prefer: "ipv4" | "ipv6"): [DnsRecordType, DnsRecordType] {
  return prefer === "ipv6" ? ["AAAA", "A"] : ["A", "AAAA"];
}

/** Addresses of `name` in `records`, the preferred family first. */
function addressesOf(records: readonly { type: string; name: string }[], name: string, prefer: "ipv4" | "ipv6") {
  const [first, second] = families(prefer);
  const of = (t: string) => records.filter((r): r is DnsAddressRecord => r.type === t && r.name === name);
  const a = of(first);
  return (a.length > 0 ? a : of(second)).map((r) => r.address);
}

/** Every resolution of a proxy. Built with the proxy; started and stopped with it. */
export class Discovery {
  /** Nameserver counters by section, then nameserver (`show resolvers`). */
  readonly counters: ReadonlyMap<string, ReadonlyMap<string, NameserverCounters>>;
  readonly #jobs: Job[] = [];
  readonly #clients: DnsClient[] = [];
  readonly #opts: DiscoveryOptions;
  readonly #log: (line: string) => void;
  #running = false;

  /**
   * Groups the servers that resolve a name by backend and `group`.
   * @throws {ProxyError} `ERR_CAPABILITY_MISSING` when a server uses DNS and the adapter has
   *   no UDP (`openDatagram`).
   */
  constructor(
    sections: readonly ResolvedResolversConfig[],
    backends: readonly DiscoveryBackend[],
    options: DiscoveryOptions,
  ) {
    this.#opts = options;
    this.#log = options.log ?? (() => {});
    const clients = new Map<string, DnsClient>();
    for (const s of sections) {
      const client = new DnsClient(
        {
          nameservers: s.nameservers,
          retries: s.resolveRetries,
          retryMs: s.retryMs,
          payloadSize: s.acceptedPayloadSize,
        },
        options.net,
        options.clock,
        options.random,
      );
      clients.set(s.name, client);
      this.#clients.push(client);
    }
    this.counters = new Map([...clients].map(([name, c]) => [name, c.counters]));
    for (const be of backends) {
      const groups = new Map<string, Server[]>();
      for (const srv of be.servers) {
        const r = srv.settings.resolve;
        if (r === undefined) continue;
        if (options.net.openDatagram === undefined) {
          throw new ProxyError(
            "ERR_CAPABILITY_MISSING",
            `backend '${be.name}' server '${srv.name}' resolvers ${r.resolvers}: the ${options.net.name} adapter has no UDP (openDatagram)`,
          );
        }
        const key = `${r.resolvers}\0${r.group}`;
        groups.set(key, [...(groups.get(key) ?? []), srv]);
      }
      for (const servers of groups.values()) {
        const first = servers[0]!;
        const settings = first.settings.resolve!;
        const section = sections.find((s) => s.name === settings.resolvers)!;
        const a = first.address;
        this.#jobs.push({
          resolution: new Resolution(be.name, settings.fqdn, servers, section.hold, options.clock.now(), this.#log),
          settings,
          section,
          client: clients.get(section.name)!,
          port: a.transport === "tcp" ? a.port : 0,
          timer: undefined,
        });
      }
    }
  }

  /**
   * `init-addr` for every resolution (configuration.txt 5.2), then the first DNS resolution of
   * each name without waiting for it.
   * @throws {ProxyError} `ERR_CONFIG_INVALID` when no `init-addr` method gave an address and
   *   `none` is not among them (`could not resolve address`).
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    for (const job of this.#jobs) await this.#initAddr(job);
    for (const job of this.#jobs) void this.#run(job);
  }

  /** Stops resolving; servers keep what they have. */
  stop(): void {
    this.#running = false;
    for (const job of this.#jobs) this.#opts.clock.clearTimer(job.timer);
    for (const c of this.#clients) c.close();
  }

  async #initAddr(job: Job): Promise<void> {
    const { resolution: res, settings } = job;
    const now = () => this.#opts.clock.now();
    for (const m of settings.initAddr) {
      if (m === "last") continue; // no server-state file (yet)
      if (m === "none") {
        for (const srv of res.servers) {
          this.#log(`'server ${res.backend}/${srv.name}' : could not resolve address '${res.fqdn}', disabling server.`);
        }
        return;
      }
      let ips: string[] = [];
      if (m === "libc" && !res.srv) {
        try {
          const all = await this.#opts.net.resolve(res.fqdn);
          const v6 = all.filter(isIPv6);
          const v4 = all.filter((ip) => !isIPv6(ip));
          ips = settings.prefer === "ipv6" && v6.length > 0 ? v6 : v4.length > 0 ? v4 : v6;
        } catch {
          ips = [];
        }
      } else if (typeof m === "object") ips = [m.ip];
      if (ips.length > 0) {
        res.apply(ips.map((ip) => ({ key: ip, ip, port: job.port, via: "init-addr" })), now());
        return;
      }
    }
    const first = res.servers[0]!;
    throw new ProxyError(
      "ERR_CONFIG_INVALID",
      `'server ${res.backend}/${first.name}' : could not resolve address '${res.fqdn}'.`,
    );
  }

  /** One resolution of a name, applied, then the next one after `timeout resolve`. */
  async #run(job: Job): Promise<void> {
    job.timer = undefined;
    if (!this.#running) return;
    const outcome = job.resolution.srv
      ? await this.#srvEntries(job)
      : await this.#hostEntries(job, job.resolution.fqdn);
    if (!this.#running) return;
    const now = this.#opts.clock.now();
    if ("entries" in outcome) job.resolution.apply(outcome.entries, now);
    else job.resolution.fail(outcome.status, now);
    job.timer = this.#opts.clock.setTimer(() => void this.#run(job), job.section.resolveMs);
  }

  /** A/AAAA: the preferred family first, the other one when it has no record (as HAProxy). */
  async #hostEntries(
    job: Job,
    name: string,
  ): Promise<{ entries: DnsEntry[] } | { status: Exclude<DnsOutcome["status"], "valid"> }> {
    let last: DnsOutcome | undefined;
    for (const type of families(job.settings.prefer)) {
      const o = await job.client.query(name, type);
      if (o.status !== "valid") return { status: o.status };
      last = o;
      const ips = (o.message?.answers ?? []).filter((r): r is DnsAddressRecord => r.type === type).map((r) =>
        r.address
      );
      if (ips.length > 0) {
        const via = `${job.section.name}/${o.nameserver}`;
        return { entries: ips.map((ip) => ({ key: ip, ip, port: job.port, via })) };
      }
    }
    return last === undefined ? { status: "other" } : { entries: [] };
  }

  /**
   * SRV: each target with its port and weight; its address from the Additional section, else
   * from its own A/AAAA resolution.
   */
  async #srvEntries(job: Job): Promise<{ entries: DnsEntry[] } | { status: Exclude<DnsOutcome["status"], "valid"> }> {
    const o = await job.client.query(job.resolution.fqdn, "SRV");
    if (o.status !== "valid") return { status: o.status };
    const m = o.message!;
    const entries: DnsEntry[] = [];
    for (const r of m.answers ?? []) {
      if (r.type !== "SRV") continue;
      const weight = job.settings.ignoreWeight ? undefined : Math.floor((r.weight + 255) / 256);
      const extra = addressesOf(m.additionals ?? [], r.target, job.settings.prefer);
      let ip = extra[0];
      let via = "DNS additional record";
      if (ip === undefined) {
        const own = await this.#hostEntries(job, r.target);
        if (!("entries" in own) || own.entries.length === 0) continue;
        ip = own.entries[0]!.ip;
        via = own.entries[0]!.via;
      }
      entries.push({
        key: `${r.target}:${r.port}`,
        ip,
        port: r.port,
        via,
        ...(weight !== undefined ? { weight } : {}),
      });
    }
    return { entries };
  }
}
