/**
 * `show info` (management.txt 9.3): the process's `Name: value` lines in HAProxy 2.6's order,
 * the ones proxykit has a value for, then a blank line.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "../proxy.ts";
import { VERSION } from "../version.ts";

/** What the process around the proxy knows (the proxy itself runs on any runtime and cannot ask). */
export interface ProcessInfo {
  /** `Pid`. @default 0 (unknown) */
  readonly pid?: number;
  /** When the process started, ms since the Unix epoch (`Start_time_sec`, `Uptime`). @default `now` */
  readonly startedAt?: number;
  /** Now, ms since the Unix epoch. @default Date.now() */
  readonly now?: number;
  /** `Version` and `Build info`. @default proxykit's {@link VERSION} */
  readonly version?: string;
  /** `Nbthread`: workers sharing the listeners. @default 1 */
  readonly nbthread?: number;
  /** `node`: the host's name. @default undefined (the line is left out) */
  readonly node?: string;
  /** `Stopping`: a graceful stop is in progress. @default false */
  readonly stopping?: boolean;
}

/** HAProxy's `Uptime`: `0d 0h00m00s`. */
export function formatUptime(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${d}d ${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s`;
}

/**
 * The process-wide figures of `show info` that add up across processes serving the same
 * configuration: streams now (`CurrConns`), ever (`CumConns`), HTTP requests (`CumReq`),
 * sessions over the last second (`SessRate`, `ConnRate`: every connection is a session here)
 * and bytes sent (`TotalBytesOut`).
 */
export interface ProcessCounts {
  /** `CurrConns`. */
  readonly CurrConns: number;
  /** `CumConns`. */
  readonly CumConns: number;
  /** `CumReq`. */
  readonly CumReq: number;
  /** `ConnRate` and `SessRate`: the frontends' sessions over the last second. */
  readonly SessRate: number;
  /** `TotalBytesOut`. */
  readonly TotalBytesOut: number;
}

/** {@link ProcessCounts} of `proxy` alone. */
export function processCounts(proxy: ProxyServer): ProcessCounts {
  let cumReq = 0, bytesOut = 0, rate = 0;
  for (const f of proxy.frontends) {
    cumReq += f.counters.http.requests;
    bytesOut += f.counters.bytesOut;
    rate += f.counters.rate.current;
  }
  const c = proxy.counters;
  return { CurrConns: c.current, CumConns: c.total, CumReq: cumReq, SessRate: rate, TotalBytesOut: bytesOut };
}

/**
 * The `show info` values of `proxy` and its process, in HAProxy 2.6's order (`info_field_names`);
 * with peers (`ProxyServerOptions.statsPeers`), the {@link ProcessCounts} are the sums of every
 * process's.
 */
export function infoFields(proxy: ProxyServer, process: ProcessInfo = {}): [string, string | number][] {
  const now = process.now ?? Date.now();
  const started = process.startedAt ?? now;
  const uptime = Math.max(0, Math.floor((now - started) / 1000));
  const version = process.version ?? VERSION;
  const own = processCounts(proxy);
  const c = internalsOf(proxy).statsPeers?.mergeCounts(own) ?? own;
  const out: [string, string | number][] = [
    ["Name", "proxykit"],
    ["Version", version],
    ["Nbthread", process.nbthread ?? 1],
    ["Nbproc", 1],
    ["Process_num", 1],
    ["Pid", process.pid ?? 0],
    ["Uptime", formatUptime(uptime)],
    ["Uptime_sec", uptime],
    ["Maxconn", proxy.config.maxconn],
    ["CurrConns", c.CurrConns],
    ["CumConns", c.CumConns],
    ["CumReq", c.CumReq],
    ["ConnRate", c.SessRate],
    ["SessRate", c.SessRate],
  ];
  if (process.node !== undefined) out.push(["node", process.node]);
  out.push(
    ["Stopping", process.stopping === true ? 1 : 0],
    ["Jobs", c.CurrConns + proxy.addresses.length],
    ["Listeners", proxy.addresses.length],
    ["TotalBytesOut", c.TotalBytesOut],
    ["Build info", version],
    ["Start_time_sec", Math.floor(started / 1000)],
    ["Tainted", 0],
  );
  return out;
}

/**
 * `show info` of `proxy`: `Name: proxykit`, `Version`, `Uptime_sec`, `CurrConns`,
 * `CumConns`, `CumReq`... one `Name: value` line each, then a blank line.
 *
 * @example
 * ```ts ignore
 * import { showInfo } from "@proxykit/proxykit";
 * showInfo(proxy, { pid: process.pid, startedAt: Date.now() - 5000 }); // "Name: proxykit\n..."
 * ```
 */
export function showInfo(proxy: ProxyServer, process?: ProcessInfo): string {
  return `${infoFields(proxy, process).map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n`;
}
