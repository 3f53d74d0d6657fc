/**
 * Stats across processes: the command line's workers (`--workers N`) each run the same
 * configuration on their own proxy, and each sends the others a snapshot of its counters every
 * second; a worker's `show stat`, stats page and Prometheus exporter then show the sums, as one
 * HAProxy process with `nbthread N` shows one set of counters for all its threads.
 *
 * What is summed: counters and current values (sessions, bytes, denials, errors, retries,
 * redispatches, client and server aborts, responses by class, requests, elections, connections opened and reused, idle
 * connections, queued streams, rates over the last second), and the process-wide figures of
 * `show info` (`CurrConns`, `CumConns`, `CumReq`, `SessRate`, `TotalBytesOut`). What is the largest of the processes': the maxima (`qmax`,
 * `smax`, the time maxima, the rate maxima). What is the youngest: `lastsess`. What stays the process's own: states, weights, limits, checks (one
 * worker runs them) and the time averages.
 *
 * @module
 */
import type { ProxyServer } from "../proxy.ts";
import { type ProcessCounts, processCounts } from "./info.ts";
import { type ResolversSnapshot, resolversSnapshot } from "../dns/show.ts";
import { collectStats, type StatProxy, type StatRow, type StatValue } from "./model.ts";

/** CSV fields added up across processes. */
const SUMMED: readonly string[] = [
  "qcur",
  "scur",
  "stot",
  "bin",
  "bout",
  "dreq",
  "dresp",
  "ereq",
  "econ",
  "eresp",
  "wretr",
  "wredis",
  "lbtot",
  "hrsp_1xx",
  "hrsp_2xx",
  "hrsp_3xx",
  "hrsp_4xx",
  "hrsp_5xx",
  "hrsp_other",
  "req_tot",
  "cli_abrt",
  "srv_abrt",
  "conn_tot",
  "intercepted",
  "connect",
  "reuse",
  "idle_conn_cur",
  "safe_conn_cur",
  "used_conn_cur",
  "rate",
  "req_rate",
  "conn_rate",
];

/** CSV fields whose largest value across processes is shown. */
const MAXED: readonly string[] = [
  "qmax",
  "smax",
  "qtime_max",
  "ctime_max",
  "rtime_max",
  "ttime_max",
  "rate_max",
  "req_rate_max",
  "conn_rate_max",
];

/**
 * CSV fields of an age since the latest event (`lastsess`, -1 for never): the youngest across
 * processes (the latest session any of them had), -1 only if none had one.
 */
const YOUNGEST: readonly string[] = ["lastsess"];

/** The age of the later of two events, each -1 for never. */
function youngest(a: number, b: number): number {
  if (a < 0) return b;
  return b < 0 ? a : Math.min(a, b);
}

/** A process's counters as another process receives them (JSON-safe). */
export interface StatsSnapshot {
  /** One entry per row: `pxname/svname` and the numeric fields that merge. */
  readonly rows: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The process-wide `show info` figures that add up (absent from an older process's snapshot). */
  readonly process?: ProcessCounts;
  /** The nameserver counters (`show resolvers`): every worker resolves on its own. */
  readonly resolvers?: ResolversSnapshot;
}

/** The counters of `proxy` that other processes merge into theirs. */
export function statsSnapshot(proxy: ProxyServer): StatsSnapshot {
  const rows: Record<string, Record<string, number>> = {};
  for (const px of collectStats(proxy, false)) {
    for (const r of px.rows) {
      const f: Record<string, number> = {};
      for (const k of [...SUMMED, ...MAXED, ...YOUNGEST]) {
        const v = r.fields[k];
        if (typeof v === "number") f[k] = v;
      }
      rows[`${r.proxy}/${r.name}`] = f;
    }
  }
  return { rows, process: processCounts(proxy), resolvers: resolversSnapshot(proxy) };
}

/**
 * The latest snapshots of the other processes serving the same configuration, by process
 * number. Give it to each proxy ({@link ProxyServerOptions}'s `statsPeers`); its stats then
 * include the peers' counters. A row a peer does not have (a server added on this process
 * only) shows this process's figures; a peer's row this process lacks is ignored.
 */
export class StatsPeers {
  readonly #peers = new Map<number, StatsSnapshot>();

  /** Records the latest snapshot of process `id` (replacing its previous one). */
  set(id: number, snapshot: StatsSnapshot): void {
    this.#peers.set(id, snapshot);
  }

  /** Forgets process `id` (it stopped). */
  delete(id: number): void {
    this.#peers.delete(id);
  }

  /** `own` with the peers' counters merged in. */
  merge(own: readonly StatProxy[]): StatProxy[] {
    if (this.#peers.size === 0) return [...own];
    return own.map((px) => ({ ...px, rows: px.rows.map((r) => this.#mergeRow(r)) }));
  }

  /** The peers' nameserver counters, one snapshot per peer that sent them (added to this process's). */
  resolvers(): ResolversSnapshot[] {
    return [...this.#peers.values()].flatMap((p) => p.resolvers === undefined ? [] : [p.resolvers]);
  }

  /** `own` process-wide figures plus those of every peer that sent them. */
  mergeCounts(own: ProcessCounts): ProcessCounts {
    const sum: Record<string, number> = { ...own };
    for (const snap of this.#peers.values()) {
      const p = snap.process;
      if (p === undefined) continue;
      for (const k of Object.keys(sum) as (keyof ProcessCounts)[]) sum[k] = sum[k]! + (p[k] ?? 0);
    }
    return sum as unknown as ProcessCounts;
  }

  #mergeRow(r: StatRow): StatRow {
    const fields: Record<string, StatValue> = { ...r.fields };
    const key = `${r.proxy}/${r.name}`;
    for (const snap of this.#peers.values()) {
      const p = snap.rows[key];
      if (p === undefined) continue;
      for (const k of SUMMED) {
        const v = p[k];
        if (v !== undefined) fields[k] = (typeof fields[k] === "number" ? (fields[k] as number) : 0) + v;
      }
      for (const k of MAXED) {
        const v = p[k];
        if (v !== undefined) fields[k] = Math.max(typeof fields[k] === "number" ? (fields[k] as number) : 0, v);
      }
      for (const k of YOUNGEST) {
        const v = p[k];
        if (v !== undefined) fields[k] = youngest(typeof fields[k] === "number" ? (fields[k] as number) : -1, v);
      }
    }
    return { ...r, fields };
  }
}
