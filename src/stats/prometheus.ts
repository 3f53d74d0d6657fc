/**
 * The Prometheus exporter (`http-request use-service prometheus-exporter`, HAProxy's
 * addons/promex): the text exposition format 0.0.4 with HAProxy 2.6's metric names, `# HELP`
 * texts (verbatim, their slips included) and `# TYPE`s, for the counters proxykit keeps.
 * Families come in HAProxy's order: process, frontends, backends, servers; one family's
 * lines go object by object, or, for `http_responses_total`, code by code and then object by
 * object, as HAProxy prints them. A field with no value prints `NaN`, as HAProxy's does.
 *
 * @module
 */
import type { ProxyServer } from "../proxy.ts";
import { infoFields, type ProcessInfo } from "./info.ts";
import { CHECK_STATUSES, collectStats, SERVER_STATES, type StatRow } from "./model.ts";

/** The `content-type` of a scrape, as HAProxy sends it. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4";

/** The scopes of a scrape (`?scope=`, addons/promex/README). */
export type PrometheusScope = "global" | "frontend" | "backend" | "server";

/** Options of {@link prometheusMetrics}. */
export interface PrometheusOptions {
  /** Which families (`?scope=`); undefined: all. @default undefined */
  readonly scopes?: ReadonlySet<PrometheusScope>;
  /** Skip servers in maintenance (`?no-maint`). @default false */
  readonly noMaint?: boolean;
  /** The process's details for the `haproxy_process_*` families. @default {} */
  readonly process?: ProcessInfo;
}

type Type = "gauge" | "counter";
/** A family: name suffix, type, HELP, and the CSV field it reads (ms fields are scaled to seconds). */
interface Family {
  readonly name: string;
  readonly type: Type;
  readonly help: string;
  /** The CSV field, or a special rendering. */
  readonly field: string;
  /** `ms`: the field is in ms, printed in seconds with 6 decimals. `flt`: printed with 6 decimals. */
  readonly unit?: "ms" | "flt";
  /** Only for HTTP proxies (HAProxy skips the others). */
  readonly http?: boolean;
}

const H = {
  cur: "Number of current sessions on the frontend, backend or server",
  max: "Highest value of current sessions encountered since process started",
  lim: "Frontend/listener/server's maxconn, backend's fullconn",
  tot: "Total number of sessions since process started",
  bin: "Total number of request bytes since process started",
  bout: "Total number of response bytes since process started",
  dreq: "Total number of denied requests since process started",
  status: "Current status of the service, per state label value.",
  hrsp: "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
  req: "Total number of HTTP requests processed by this object since the worker process started",
  qcur: "Number of current queued connections",
  qmax: "Highest value of queued connections encountered since process started",
  econ: "Total number of failed connections to server since the worker process started",
  wretr: "Total number of server connection retries since the worker process started",
  wredis: "Total number of server redispatches due to connection failures since the worker process started",
  weight: "Server's effective weight, or sum of active servers' effective weights for a backend",
  chkdown:
    "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started",
  lbtot:
    "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)",
  qtime: "Avg. queue time for last 1024 successful connections.",
  ctime: "Avg. connect time for last 1024 successful connections.",
  rtime: "Avg. response time for last 1024 successful connections.",
  ttime: "Avg. total time for last 1024 successful connections.",
  connect: "Total number of outgoing connection attempts on this backend/server since the worker process started",
  reuse: "Total number of reused connection on this backend/server since the worker process started",
  qtmax: "Maximum observed time spent in the queue",
  ctmax: "Maximum observed time spent waiting for a connection to complete",
  rtmax: "Maximum observed time spent waiting for a server response",
  ttmax: "Maximum observed total request+response time (request+queue+connect+response+processing)",
  uweight: "Server's user weight, or sum of active servers' user weights for a backend",
  rlim: "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)",
  srate: "Highest value of sessions per second observed since the worker process started",
  lastchg: "How long ago the last server state changed, in seconds",
  downtime: "Total time spent in DOWN state, for server or backend",
  cliAbrt: "Total number of requests or connections aborted by the client since the worker process started",
  srvAbrt: "Total number of requests or connections aborted by the server since the worker process started",
  lastsess: "How long ago some traffic was seen on this object on this worker process, in seconds",
} as const;

const f = (name: string, type: Type, help: string, field: string, more: Partial<Family> = {}): Family => ({
  name,
  type,
  help,
  field,
  ...more,
});

/** `max_session_rate`: every object. */
const MAX_RATE = f("max_session_rate", "gauge", H.srate, "rate_max");

/** `check_last_change_seconds` and `downtime_seconds_total`: backends and servers. */
const STATE_AGE: readonly Family[] = [
  f("check_last_change_seconds", "gauge", H.lastchg, "lastchg"),
  f("downtime_seconds_total", "counter", H.downtime, "downtime"),
];

/** Sessions now and at most, then the limit when `limit`, then totals: every object. */
const SESSIONS = (limit: boolean): Family[] => [
  f("current_sessions", "gauge", H.cur, "scur"),
  f("max_sessions", "gauge", H.max, "smax"),
  ...(limit ? [f("limit_sessions", "gauge", H.lim, "slim")] : []),
  f("sessions_total", "counter", H.tot, "stot"),
  f("bytes_in_total", "counter", H.bin, "bin"),
  f("bytes_out_total", "counter", H.bout, "bout"),
];

const FRONTEND: readonly Family[] = [
  ...SESSIONS(true),
  f("requests_denied_total", "counter", H.dreq, "dreq"),
  f("status", "gauge", H.status, "#status"),
  f("limit_session_rate", "gauge", H.rlim, "rate_lim"),
  MAX_RATE,
  f("http_responses_total", "counter", H.hrsp, "#hrsp", { http: true }),
  f(
    "http_requests_rate_max",
    "gauge",
    "Highest value of http requests observed since the worker process started",
    "req_rate_max",
    { http: true },
  ),
  f("http_requests_total", "counter", H.req, "req_tot", { http: true }),
  f(
    "connections_rate_max",
    "gauge",
    "Highest value of connections per second observed since the worker process started",
    "conn_rate_max",
  ),
  f(
    "connections_total",
    "counter",
    "Total number of new connections accepted on this frontend since the worker process started",
    "conn_tot",
  ),
  f(
    "intercepted_requests_total",
    "counter",
    "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started",
    "intercepted",
    { http: true },
  ),
];

/** `client_aborts_total`, `server_aborts_total` and `last_session_seconds`: backends and servers. */
const ABORTS: readonly Family[] = [
  f("client_aborts_total", "counter", H.cliAbrt, "cli_abrt"),
  f("server_aborts_total", "counter", H.srvAbrt, "srv_abrt"),
  f("last_session_seconds", "gauge", H.lastsess, "lastsess"),
];

/** What backends and servers share, after their first families. */
const TIMES: readonly Family[] = [
  f("queue_time_average_seconds", "gauge", H.qtime, "qtime", { unit: "ms" }),
  f("connect_time_average_seconds", "gauge", H.ctime, "ctime", { unit: "ms" }),
  f("response_time_average_seconds", "gauge", H.rtime, "rtime", { unit: "ms" }),
  f("total_time_average_seconds", "gauge", H.ttime, "ttime", { unit: "ms" }),
];
const REUSE: readonly Family[] = [
  f("connection_attempts_total", "counter", H.connect, "connect"),
  f("connection_reuses_total", "counter", H.reuse, "reuse"),
];
const MAX_TIMES: readonly Family[] = [
  f("max_queue_time_seconds", "gauge", H.qtmax, "qtime_max", { unit: "ms" }),
  f("max_connect_time_seconds", "gauge", H.ctmax, "ctime_max", { unit: "ms" }),
  f("max_response_time_seconds", "gauge", H.rtmax, "rtime_max", { unit: "ms" }),
  f("max_total_time_seconds", "gauge", H.ttmax, "ttime_max", { unit: "ms" }),
];

/** Queue, sessions (with the limit, for servers), traffic, errors, status and weight: backends and servers. */
const COMMON = (limit: boolean): Family[] => [
  f("current_queue", "gauge", H.qcur, "qcur"),
  f("max_queue", "gauge", H.qmax, "qmax"),
  ...SESSIONS(limit),
  f("connection_errors_total", "counter", H.econ, "econ"),
  f("retry_warnings_total", "counter", H.wretr, "wretr"),
  f("redispatch_warnings_total", "counter", H.wredis, "wredis"),
  f("status", "gauge", H.status, "#status"),
  f("weight", "gauge", H.weight, "weight"),
];

const BACKEND: readonly Family[] = [
  ...COMMON(false),
  f("active_servers", "gauge", "Total number of active UP servers with a non-zero weight", "act"),
  f("backup_servers", "gauge", "Total number of backup UP servers with a non-zero weight", "bck"),
  f("check_up_down_total", "counter", H.chkdown, "chkdown"),
  ...STATE_AGE,
  f("loadbalanced_total", "counter", H.lbtot, "lbtot"),
  MAX_RATE,
  f("http_responses_total", "counter", H.hrsp, "#hrsp", { http: true }),
  f("http_requests_total", "counter", H.req, "req_tot", { http: true }),
  ...ABORTS,
  ...TIMES,
  ...REUSE,
  ...MAX_TIMES,
  f("uweight", "gauge", H.uweight, "uweight"),
  f("agg_server_status", "gauge", "Backend's aggregated gauge of servers' status", "#agg_server_status"),
  f("agg_check_status", "gauge", "Backend's aggregated gauge of servers' state check status", "#agg_check_status"),
];

const SERVER: readonly Family[] = [
  ...COMMON(true),
  f(
    "check_failures_total",
    "counter",
    "Total number of failed individual health checks per server/backend, since the worker process started",
    "chkfail",
  ),
  f("check_up_down_total", "counter", H.chkdown, "chkdown"),
  ...STATE_AGE,
  f(
    "queue_limit",
    "gauge",
    "Limit on the number of connections in queue, for servers only (maxqueue argument)",
    "qlimit",
  ),
  f("loadbalanced_total", "counter", H.lbtot, "lbtot"),
  MAX_RATE,
  f("check_status", "gauge", "Status of last health check, per state label value.", "#check_status"),
  f("check_code", "gauge", "layer5-7 code, if available of the last health check.", "#check_code"),
  f(
    "check_duration_seconds",
    "gauge",
    "Total duration of the latest server health check, in seconds.",
    "#check_duration",
  ),
  f("http_responses_total", "counter", H.hrsp, "#hrsp", { http: true }),
  ...ABORTS,
  ...TIMES,
  ...REUSE,
  f(
    "idle_connections_current",
    "gauge",
    "Current number of idle connections available for reuse on this server",
    "idle_conn_cur",
    { http: true },
  ),
  ...MAX_TIMES,
  f("unsafe_idle_connections_current", "gauge", "Current number of unsafe idle connections", "#unsafe", {
    http: true,
  }),
  f("safe_idle_connections_current", "gauge", "Current number of safe idle connections", "safe_conn_cur", {
    http: true,
  }),
  f("used_connections_current", "gauge", "Current number of connections in use", "used_conn_cur"),
  f("uweight", "gauge", H.uweight, "uweight"),
];

const CODES = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"] as const;
const HRSP = ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"] as const;

/** A number as HAProxy prints it: integers as such, `ms`/`flt` fields with 6 decimals, empty as `NaN`. */
function num(v: unknown, unit?: "ms" | "flt"): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "NaN";
  if (unit === "ms") return (v / 1000).toFixed(6);
  if (unit === "flt") return v.toFixed(6);
  return String(v);
}

/** A label value, escaped as the exposition format wants (`\\`, `\"`, `\n`). */
function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(row: StatRow, extra = ""): string {
  const server = row.kind === "server" ? `,server="${label(row.name)}"` : "";
  return `{proxy="${label(row.proxy)}"${server}${extra}}`;
}

/** The sample lines of one family over `rows`. */
function samples(prefix: string, fam: Family, rows: readonly StatRow[]): string[] {
  const name = `${prefix}${fam.name}`;
  const out: string[] = [];
  const line = (row: StatRow, extra: string, v: string) => out.push(`${name}${labels(row, extra)} ${v}`);
  const list = fam.http === true ? rows.filter((r) => r.mode === "http") : rows;
  switch (fam.field) {
    case "#hrsp":
      CODES.forEach((code, i) => {
        for (const r of list) line(r, `,code="${code}"`, num(r.fields[HRSP[i]!]));
      });
      return out;
    case "#status":
      for (const r of list) {
        const states = r.kind === "server" ? SERVER_STATES : (["DOWN", "UP"] as const);
        const now = r.kind === "frontend" ? "UP" : r.state;
        for (const s of states) line(r, `,state="${s}"`, now === s ? "1" : "0");
      }
      return out;
    case "#check_status":
      for (const r of list) {
        if (r.fields.check_health === undefined) continue;
        for (const s of CHECK_STATUSES) line(r, `,state="${s}"`, r.checkStatus === s ? "1" : "0");
      }
      return out;
    case "#check_code":
      for (const r of list) if (r.fields.check_health !== undefined) line(r, "", num(r.fields.check_code ?? 0));
      return out;
    case "#check_duration":
      for (const r of list) {
        if (r.fields.check_health !== undefined) line(r, "", num(r.fields.check_duration ?? 0, "ms"));
      }
      return out;
    case "#unsafe":
      for (const r of list) {
        const idle = r.fields.idle_conn_cur, safe = r.fields.safe_conn_cur;
        line(r, "", typeof idle === "number" && typeof safe === "number" ? String(idle - safe) : "NaN");
      }
      return out;
    default:
      for (const r of list) line(r, "", num(r.fields[fam.field], fam.unit));
      return out;
  }
}

/** `agg_server_status` / `agg_check_status` of one backend: its servers counted per state. */
function aggregate(prefix: string, fam: Family, backends: readonly StatRow[], servers: readonly StatRow[]): string[] {
  const name = `${prefix}${fam.name}`;
  const out: string[] = [];
  for (const be of backends) {
    const mine = servers.filter((s) => s.proxy === be.proxy);
    const states = fam.field === "#agg_server_status" ? SERVER_STATES : CHECK_STATUSES;
    for (const st of states) {
      const n = mine.filter((s) => (fam.field === "#agg_server_status" ? s.state : s.checkStatus) === st).length;
      out.push(`${name}${labels(be, `,state="${st}"`)} ${n}`);
    }
  }
  return out;
}

/** HELP, TYPE and samples of each family that has samples. */
function families(prefix: string, list: readonly Family[], rows: readonly StatRow[], servers: readonly StatRow[]) {
  const out: string[] = [];
  for (const fam of list) {
    const lines = fam.field.startsWith("#agg_") ? aggregate(prefix, fam, rows, servers) : samples(prefix, fam, rows);
    if (lines.length === 0) continue;
    out.push(`# HELP ${prefix}${fam.name} ${fam.help}`, `# TYPE ${prefix}${fam.name} ${fam.type}`, ...lines);
  }
  return out;
}

/** `haproxy_process_*` families proxykit has a value for: name, type, `show info` field (none: 1). */
const PROCESS: readonly (readonly [string, Type, string?])[] = [
  ["nbthread", "gauge", "Nbthread"],
  ["nbproc", "gauge"],
  ["relative_process_id", "gauge"],
  ["uptime_seconds", "gauge", "Uptime_sec"],
  ["max_connections", "gauge", "Maxconn"],
  ["current_connections", "gauge", "CurrConns"],
  ["connections_total", "counter", "CumConns"],
  ["requests_total", "counter", "CumReq"],
  ["current_connection_rate", "gauge", "ConnRate"],
  ["current_session_rate", "gauge", "SessRate"],
  ["stopping", "gauge", "Stopping"],
  ["listeners", "gauge", "Listeners"],
  ["bytes_out_total", "counter", "TotalBytesOut"],
];

/** HAProxy's HELP texts of {@link PROCESS}. */
const PROCESS_HELP: Readonly<Record<string, string>> = {
  nbthread: "Number of started threads (global.nbthread)",
  nbproc: "Number of started worker processes (historical, always 1)",
  relative_process_id: "Relative worker process number (1)",
  uptime_seconds: "How long ago this worker process was started (seconds)",
  max_connections: "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)",
  current_connections: "Current number of connections on this worker process",
  connections_total: "Total number of connections on this worker process since started",
  requests_total: "Total number of requests on this worker process since started",
  current_connection_rate: "Number of front connections created on this worker process over the last second",
  current_session_rate: "Number of sessions created on this worker process over the last second",
  stopping: "1 if the worker process is currently stopping, otherwise zero",
  listeners: "Current number of active listeners on the current worker process",
  bytes_out_total: "Total number of bytes emitted by current worker process since started",
};

/** The `haproxy_process_*` families proxykit has values for, from `show info`. */
function processFamilies(proxy: ProxyServer, process: ProcessInfo | undefined): string[] {
  const info = new Map(infoFields(proxy, process));
  const out: string[] = [];
  for (const [name, type, key] of PROCESS) {
    const help = PROCESS_HELP[name]!;
    out.push(`# HELP haproxy_process_${name} ${help}`, `# TYPE haproxy_process_${name} ${type}`);
    out.push(`haproxy_process_${name} ${key === undefined ? 1 : info.get(key)}`);
  }
  const version = label(String(info.get("Version")));
  out.push(
    "# HELP haproxy_process_build_info Build info",
    "# TYPE haproxy_process_build_info gauge",
    `haproxy_process_build_info{version="${version}"} 1`,
    "# HELP haproxy_process_start_time_seconds Start time in seconds",
    "# TYPE haproxy_process_start_time_seconds gauge",
    `haproxy_process_start_time_seconds ${info.get("Start_time_sec")}`,
  );
  return out;
}

/**
 * A scrape of `proxy` in the Prometheus text format (HAProxy's `prometheus-exporter`
 * service): `haproxy_process_*`, `haproxy_frontend_*`, `haproxy_backend_*` and
 * `haproxy_server_*` families, each with `# HELP` and `# TYPE`.
 *
 * @example A fetch-style handler serving it (hand it to your runtime's HTTP server)
 * ```ts ignore
 * import { PROMETHEUS_CONTENT_TYPE, prometheusMetrics } from "@proxykit/proxykit";
 * const metrics = (): Response =>
 *   new Response(prometheusMetrics(proxy), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 * ```
 */
export function prometheusMetrics(proxy: ProxyServer, options: PrometheusOptions = {}): string {
  const want = (s: PrometheusScope) => options.scopes === undefined || options.scopes.has(s);
  const rows = collectStats(proxy).flatMap((p) => p.rows);
  const servers = rows.filter((r) => r.kind === "server" && !(options.noMaint === true && r.state === "MAINT"));
  const out: string[] = [];
  if (want("global")) out.push(...processFamilies(proxy, options.process));
  if (want("frontend")) {
    out.push(...families("haproxy_frontend_", FRONTEND, rows.filter((r) => r.kind === "frontend"), servers));
  }
  if (want("backend")) {
    out.push(...families("haproxy_backend_", BACKEND, rows.filter((r) => r.kind === "backend"), servers));
  }
  if (want("server")) out.push(...families("haproxy_server_", SERVER, servers, servers));
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * The options a scrape's query asks for (addons/promex/README): `scope=global|frontend|
 * backend|server|*` (repeatable; an empty `scope=` clears the ones before) and `no-maint`.
 * Unknown scopes (`listener`, `sticktable`: proxykit has none) select nothing.
 */
export function prometheusQuery(query: string): Pick<PrometheusOptions, "scopes" | "noMaint"> {
  let scopes: Set<PrometheusScope> | undefined;
  let noMaint = false;
  for (const part of query.split("&")) {
    const [k, v = ""] = part.split("=", 2) as [string, string?];
    if (k === "no-maint") noMaint = true;
    if (k !== "scope") continue;
    scopes ??= new Set();
    if (v === "") scopes.clear();
    else if (v === "*") { for (const s of ["global", "frontend", "backend", "server"] as const) scopes.add(s); }
    else if (v === "global" || v === "frontend" || v === "backend" || v === "server") scopes.add(v);
  }
  return scopes === undefined ? { noMaint } : { scopes, noMaint };
}
