/**
 * One resolution: a name (A/AAAA, or SRV) and the servers of one backend that share it (one
 * `server` line, or the servers of one `server-template` line), and how each answer is
 * applied to them, as HAProxy's `snr_resolution_cb()` / `snr_resolution_error_cb()`
 * (configuration.txt 5.3):
 * - an address (or SRV target) a server holds stays with it while it is in the answers;
 * - one that left the answers is kept for `hold obsolete`, then the server takes a free one
 *   (its address changes) or, with none left, goes into maintenance (`No IP for server`,
 *   `entry removed from SRV record`);
 * - free entries go to servers without one, in server order, which leave maintenance;
 * - after an error (no answer, NXDOMAIN, ...) servers keep their address until the matching
 *   `hold` has run since the last valid answer, then go into maintenance (`DNS timeout
 *   status`...): a DNS server that stops answering empties nothing before `hold timeout`.
 *
 * @module
 */
import type { Server } from "../server.ts";
import type { DnsStatus } from "./client.ts";
import type { ResolvedResolversConfig } from "../config/dns_types.ts";

/** One usable entry of an answer: an address, with its port and weight for SRV targets. */
export interface DnsEntry {
  /** What identifies it across answers: the IP (A/AAAA), or `target:port` (SRV). */
  readonly key: string;
  /** The IP literal to connect to. */
  readonly ip: string;
  /** The port to connect to. */
  readonly port: number;
  /** The server weight it gives (SRV, HAProxy's `(w + 255) / 256`), undefined: unchanged. */
  readonly weight?: number;
  /** What the log says gave the address (`dns/ns1`, `DNS additional record`). */
  readonly via: string;
}

/** What a server holds from the answers. */
interface Holding {
  key: string;
  /** When the entry was last in an answer, ms. */
  seen: number;
}

/** Reasons of a resolution MAINT after an error, as HAProxy logs them. */
const ERROR_REASONS: Readonly<Record<Exclude<DnsStatus, "valid">, string>> = {
  nx: "DNS NX status",
  timeout: "DNS timeout status",
  refused: "DNS refused status",
  other: "unspecified DNS error",
};

/** The servers of one resolution and what each holds. */
export class Resolution {
  /** The backend's name, for log lines. */
  readonly backend: string;
  /** The name resolved. */
  readonly fqdn: string;
  /** An SRV name (`_service._proto.name`). */
  readonly srv: boolean;
  /** The servers sharing it, in configuration order. */
  readonly servers: readonly Server[];
  readonly #hold: ResolvedResolversConfig["hold"];
  readonly #held = new Map<Server, Holding>();
  readonly #log: (line: string) => void;
  /** When the last valid answer came, ms (start-up counts as one). */
  #lastValid: number;
  /** An address change was logged for the answer being applied (the next ones are "by DNS cache"). */
  #logged = false;

  /** A resolution of `fqdn` for `servers` of `backend`; `now` is the start time. */
  constructor(
    backend: string,
    fqdn: string,
    servers: readonly Server[],
    hold: ResolvedResolversConfig["hold"],
    now: number,
    log: (line: string) => void,
  ) {
    this.backend = backend;
    this.fqdn = fqdn;
    this.srv = fqdn.startsWith("_");
    this.servers = servers;
    this.#hold = hold;
    this.#lastValid = now;
    this.#log = log;
  }

  /** Applies a valid answer's entries (possibly none) at time `now`. */
  apply(entries: readonly DnsEntry[], now: number): void {
    this.#lastValid = now;
    this.#logged = false;
    const byKey = new Map(entries.map((e) => [e.key, e]));
    const free = new Map(byKey);
    const stale: Server[] = [];
    for (const srv of this.servers) {
      const h = this.#held.get(srv);
      if (h === undefined) continue;
      const e = byKey.get(h.key);
      if (e !== undefined) {
        h.seen = now;
        free.delete(h.key);
        this.#use(srv, e, true);
      } else if (now - h.seen >= this.#hold.obsoleteMs) stale.push(srv);
      else free.delete(h.key);
    }
    const left = [...free.values()];
    for (const srv of stale) {
      const e = left.shift();
      if (e !== undefined) {
        this.#held.set(srv, { key: e.key, seen: now });
        this.#use(srv, e, false);
        continue;
      }
      this.#held.delete(srv);
      // HAProxy's text, trailing space included: `(No IP for server )`.
      srv.setResolutionMaint(this.srv ? "entry removed from SRV record" : "No IP for server ");
    }
    for (const srv of this.servers) {
      if (this.#held.has(srv) || srv.resolutionMaint === undefined) continue;
      const e = left.shift();
      if (e === undefined) break;
      this.#held.set(srv, { key: e.key, seen: now });
      this.#use(srv, e, false);
    }
  }

  /**
   * A resolution that ended without a valid answer: servers keep their address until the
   * status's `hold` has passed since the last valid answer.
   */
  fail(status: Exclude<DnsStatus, "valid">, now: number): void {
    const holdMs = this.#hold[`${status}Ms`];
    if (now - this.#lastValid < holdMs) return;
    for (const srv of this.servers) {
      if (!this.#held.delete(srv)) continue;
      srv.setResolutionMaint(ERROR_REASONS[status]);
    }
  }

  /** Gives `srv` the entry's address (and weight), bringing it out of maintenance. */
  #use(srv: Server, e: DnsEntry, kept: boolean): void {
    const a = srv.address;
    const oldIp = a.transport === "tcp" && srv.resolutionMaint === undefined ? a.hostname : undefined;
    if (!kept || a.transport !== "tcp" || a.hostname !== e.ip || a.port !== e.port) {
      const from = kept || oldIp !== undefined ? oldIp : "(none)";
      if (from !== e.ip) {
        // Each HAProxy server resolves on its own; after the first, the answer comes from its cache.
        const via = this.#logged && !this.srv ? "DNS cache" : e.via;
        this.#log(`${this.backend}/${srv.name} changed its IP from ${from ?? "(none)"} to ${e.ip} by ${via}.`);
        this.#logged = true;
      }
      srv.setAddress({ transport: "tcp", hostname: e.ip, port: e.port });
    }
    if (e.weight !== undefined) srv.setWeight(e.weight);
    if (srv.resolutionMaint !== undefined) {
      srv.setResolutionMaint(undefined);
      // A server also in admin maintenance (`disabled`) stays there, silently.
      if (srv.state !== "MAINT") {
        this.#log(`Server ${this.backend}/${srv.name} administratively READY thanks to valid DNS answer.`);
      }
    }
  }
}
