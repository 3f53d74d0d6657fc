/**
 * The stats rows of a running proxy, as HAProxy's stats module fills them (management.txt 9.1,
 * `stats_fill_fe_stats()`, `stats_fill_sv_stats()`, `stats_fill_be_stats()` in src/stats.c):
 * one `FRONTEND` row per frontend, one row per server, one `BACKEND` row per backend, each a
 * record of CSV field names. The CSV, the Prometheus exporter and the HTML page all read
 * these rows, so the three always agree. A field proxykit has no counter for is absent (the
 * CSV leaves it empty, as HAProxy leaves fields that do not apply).
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import type { ResolvedBackendConfig, ResolvedServerConfig } from "../config/resolved.ts";
import type { CheckResult } from "../health.ts";
import { type BackendView, type FrontendView, internalsOf, type ProxyServer } from "../proxy.ts";
import type { ServerView } from "../server.ts";

/** A row's value: a number, a text, or absent (an empty CSV field). */
export type StatValue = number | string | undefined;

/** One row: CSV field name to value. */
export type StatFields = Readonly<Record<string, StatValue>>;

/** HAProxy's row types (the CSV `type` field). */
export const STAT_TYPE = { frontend: 0, backend: 1, server: 2 } as const;

/** One row of the stats, with what the renderers need beyond the CSV fields. */
export interface StatRow {
  /** `frontend`, `backend` or `server`. */
  readonly kind: "frontend" | "backend" | "server";
  /** `pxname`. */
  readonly proxy: string;
  /** `svname`: `FRONTEND`, `BACKEND` or the server's name. */
  readonly name: string;
  /** The proxy's `mode`. */
  readonly mode: "tcp" | "http";
  /** The CSV fields. */
  readonly fields: StatFields;
  /** Servers: the state name of the Prometheus `status` (`UP`, `DOWN`, `MAINT`, `DRAIN`). */
  readonly state?: string;
  /** Servers with a check: its last result's code (`L4OK`...), if one ran. */
  readonly checkStatus?: string;
}

/** The rows of one proxy name (a `listen` has both halves), in HAProxy's order. */
export interface StatProxy {
  /** The proxy's name. */
  readonly name: string;
  /** HAProxy's `iid`: 1 for the first proxy, in configuration order. */
  readonly id: number;
  /** `FRONTEND`, then the servers, then `BACKEND` (the halves it has). */
  readonly rows: readonly StatRow[];
}

/** HAProxy's check status codes, in the order of `enum healthcheck_status` (the Prometheus states). */
export const CHECK_STATUSES = [
  "HANA",
  "SOCKERR",
  "L4OK",
  "L4TOUT",
  "L4CON",
  "L6OK",
  "L6TOUT",
  "L6RSP",
  "L7TOUT",
  "L7RSP",
  "L7OK",
  "L7OKC",
  "L7STS",
  "PROCERR",
  "PROCTOUT",
  "PROCOK",
] as const;

/** Server states of the Prometheus `status` families, in HAProxy's order (`promex_srv_st`). */
export const SERVER_STATES = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"] as const;

/** A check's reason (what the server-state log line says) to HAProxy's status code. */
const REASON_CODES: Readonly<Record<string, (typeof CHECK_STATUSES)[number]>> = {
  "Health analyze": "HANA",
  "Layer4 check passed": "L4OK",
  "Layer4 timeout": "L4TOUT",
  "Layer4 connection problem": "L4CON",
  "Layer6 check passed": "L6OK",
  "Layer6 timeout": "L6TOUT",
  "Layer6 invalid response": "L6RSP",
  "Layer7 timeout": "L7TOUT",
  "Layer7 invalid response": "L7RSP",
  "Layer7 check passed": "L7OK",
  "Layer7 wrong status": "L7STS",
};

/** HAProxy's status code of a check result (`L4OK`, `L7STS`...), `SOCKERR` when unknown. */
export function checkStatusCode(r: CheckResult): string {
  return REASON_CODES[r.reason] ?? "SOCKERR";
}

/** The fields HTTP mode adds: `req_tot` and `hrsp_*`. */
function httpFields(
  mode: "tcp" | "http",
  c: { readonly http: { readonly requests: number; readonly responses: readonly number[] } },
): Record<string, StatValue> {
  if (mode !== "http") return {};
  const r = c.http.responses;
  return {
    req_tot: c.http.requests,
    hrsp_1xx: r[0],
    hrsp_2xx: r[1],
    hrsp_3xx: r[2],
    hrsp_4xx: r[3],
    hrsp_5xx: r[4],
    hrsp_other: r[5],
  };
}

/** `rate` and `rate_max`: sessions over the last second, and the most in one second. */
function rateFields(
  c: { readonly rate: { readonly current: number; readonly max: number } },
): Record<string, StatValue> {
  return { rate: c.rate.current, rate_max: c.rate.max };
}

/** Queue, sessions, bytes, connect errors, retries and redispatches of a backend or server. */
function traffic(
  qcur: number,
  c: BackendView["counters"] | ServerView["counters"],
): Record<string, StatValue> {
  return {
    qcur,
    qmax: c.queueMax,
    scur: c.current,
    smax: c.max,
    stot: c.total,
    bin: c.bytesIn,
    bout: c.bytesOut,
    econ: c.connectErrors,
    wretr: c.retries,
    wredis: c.redispatches,
  };
}

/**
 * `cli_abrt`, `srv_abrt` and `lastsess` of a backend or server (frontends leave them empty, as
 * HAProxy's `stats_fill_fe_stats()`).
 */
function abortFields(c: BackendView["counters"] | ServerView["counters"]): Record<string, StatValue> {
  return { cli_abrt: c.clientAborts, srv_abrt: c.serverAborts, lastsess: c.lastSession.age };
}

/** `qtime`...`ttime` (ms, rounded as HAProxy's integer averages) and their maxima. */
function timeFields(t: ServerView["counters"]["times"]): Record<string, StatValue> {
  return {
    qtime: Math.round(t.queueMs),
    ctime: Math.round(t.connectMs),
    rtime: Math.round(t.responseMs),
    ttime: Math.round(t.totalMs),
    qtime_max: t.queueMaxMs,
    ctime_max: t.connectMaxMs,
    rtime_max: t.responseMaxMs,
    ttime_max: t.totalMaxMs,
  };
}

/**
 * A server's `status` text: `MAINT`, `DRAIN`, `no check` (UP without a check), `UP`/`DOWN`,
 * or `UP 1/3` / `DOWN 1/2` while checks move it (HAProxy's `srv_hlt_st`).
 */
function serverStatus(s: ServerView, cfg: ResolvedServerConfig | undefined): string {
  if (s.state === "MAINT" || s.state === "DRAIN") return s.state;
  const check = cfg?.check;
  if (s.check === undefined || check === undefined) return s.state === "UP" ? "no check" : s.state;
  const { rise, fall } = check;
  const h = s.check.health;
  if (s.state === "UP") return h < rise + fall - 1 ? `UP ${h - rise + 1}/${fall}` : "UP";
  return h > 0 ? `DOWN ${h}/${rise}` : "DOWN";
}

/** A server's configuration by name (servers added at run time have none). */
function serverConfig(b: ResolvedBackendConfig | undefined, name: string): ResolvedServerConfig | undefined {
  return b?.servers.find((x) => x.name === name);
}

function frontendRow(
  fe: FrontendView,
  mode: "tcp" | "http",
  maxconn: number,
  rateLimit: number,
  iid: number,
): StatRow {
  const c = fe.counters;
  return {
    kind: "frontend",
    proxy: fe.name,
    name: "FRONTEND",
    mode,
    fields: {
      pxname: fe.name,
      svname: "FRONTEND",
      scur: c.current,
      smax: c.max,
      slim: maxconn > 0 ? maxconn : undefined,
      stot: c.total,
      bin: c.bytesIn,
      bout: c.bytesOut,
      dreq: c.denied,
      status: "OPEN",
      // `rate-limit sessions`, 0 without one, as HAProxy prints it for every frontend.
      rate_lim: rateLimit,
      pid: 1,
      iid,
      sid: 0,
      type: STAT_TYPE.frontend,
      ...rateFields(c),
      ...httpFields(mode, c),
      ...(mode === "http" ? { req_rate: c.http.rate.current, req_rate_max: c.http.rate.max } : {}),
      mode,
      // Every connection a frontend accepts is a session here: the same counter.
      conn_rate: c.rate.current,
      conn_rate_max: c.rate.max,
      conn_tot: c.total,
      intercepted: mode === "http" ? c.intercepted : undefined,
    },
  };
}

function serverRow(
  be: BackendView,
  s: ServerView,
  cfg: ResolvedServerConfig | undefined,
  mode: "tcp" | "http",
  iid: number,
): StatRow {
  const c = s.counters;
  const last = s.check?.last;
  const checked = s.check !== undefined && cfg?.check !== undefined;
  const status = checked && last !== undefined ? checkStatusCode(last) : undefined;
  const pool = s.pool;
  return {
    kind: "server",
    proxy: be.name,
    name: s.name,
    mode,
    state: s.state,
    ...(status !== undefined ? { checkStatus: status } : {}),
    fields: {
      pxname: be.name,
      svname: s.name,
      ...traffic(s.queued, c),
      slim: s.maxconn > 0 ? s.maxconn : undefined,
      status: serverStatus(s, cfg),
      // HAProxy shows a DOWN or MAINT server's weight as set (its `eweight`).
      weight: s.state === "DOWN" || s.state === "MAINT" ? s.userWeight : s.weight,
      act: s.backup ? 0 : 1,
      bck: s.backup ? 1 : 0,
      chkfail: checked ? s.check!.counters.failed : undefined,
      chkdown: checked ? c.downTransitions : undefined,
      lastchg: s.lastChange,
      downtime: checked ? s.downtime : undefined,
      qlimit: cfg !== undefined && cfg.maxqueue > 0 ? cfg.maxqueue : undefined,
      pid: 1,
      iid,
      sid: s.id,
      lbtot: c.lbChosen,
      type: STAT_TYPE.server,
      ...rateFields(c),
      check_status: status,
      check_code: checked ? last?.code : undefined,
      check_duration: checked && last !== undefined ? last.durationMs : undefined,
      ...httpFields(mode, c),
      hanafail: checked ? s.check!.counters.observedFailures : undefined,
      ...abortFields(c),
      last_chk: checked ? last?.info : undefined,
      ...timeFields(c.times),
      check_desc: checked ? last?.reason : undefined,
      check_rise: cfg?.check?.rise,
      check_fall: cfg?.check?.fall,
      check_health: checked ? s.check!.health : undefined,
      addr: formatAddress(s.address),
      cookie: cfg?.cookie,
      mode,
      connect: pool?.counters.opened,
      reuse: pool?.counters.reused,
      idle_conn_cur: pool?.size,
      safe_conn_cur: pool?.safeSize,
      used_conn_cur: c.current,
      uweight: s.userWeight,
    },
  };
}

function backendRow(
  be: BackendView,
  cfg: ResolvedBackendConfig | undefined,
  mode: "tcp" | "http",
  iid: number,
): StatRow {
  const c = be.counters;
  let weight = 0, act = 0, bck = 0, lbtot = 0, connect = 0, reuse = 0, uweight = 0;
  let pooled = false;
  for (const s of be.servers) {
    lbtot += s.counters.lbChosen;
    if (s.pool !== undefined) {
      pooled = true;
      connect += s.pool.counters.opened;
      reuse += s.pool.counters.reused;
    }
    if (s.state !== "UP" || s.weight === 0) continue;
    if (s.backup) bck++;
    else act++;
    weight += s.weight;
    uweight += s.userWeight;
  }
  return {
    kind: "backend",
    proxy: be.name,
    name: "BACKEND",
    mode,
    state: act + bck > 0 ? "UP" : "DOWN",
    fields: {
      pxname: be.name,
      svname: "BACKEND",
      ...traffic(c.queueCurrent, c),
      status: act + bck > 0 ? "UP" : "DOWN",
      weight,
      act,
      bck,
      chkdown: c.downTransitions,
      lastchg: be.lastChange,
      // HAProxy leaves a backend's downtime empty when it has no server.
      downtime: be.servers.length > 0 ? be.downtime : undefined,
      pid: 1,
      iid,
      sid: 0,
      lbtot,
      type: STAT_TYPE.backend,
      ...rateFields(c),
      ...httpFields(mode, c),
      ...abortFields(c),
      ...timeFields(c.times),
      mode,
      algo: cfg?.balance.kind,
      connect: pooled ? connect : undefined,
      reuse: pooled ? reuse : undefined,
      uweight,
    },
  };
}

/**
 * The proxies' names in configuration order, from the frontends' and the backends' orders: a
 * `listen` (in both) comes after the frontends and the backends listed before it. Between a
 * frontend and a backend with nothing in common, the frontend is taken first.
 */
export function proxyOrder(frontends: readonly string[], backends: readonly string[]): string[] {
  const out: string[] = [];
  const both = new Set(frontends.filter((n) => backends.includes(n)));
  let j = 0;
  for (const name of frontends) {
    if (both.has(name)) {
      for (; j < backends.length && backends[j] !== name; j++) if (!both.has(backends[j]!)) out.push(backends[j]!);
      j++;
    }
    out.push(name);
  }
  for (; j < backends.length; j++) if (!both.has(backends[j]!)) out.push(backends[j]!);
  return out;
}

/**
 * Every proxy's rows, in configuration order ({@link proxyOrder}), read live from `proxy`'s
 * public views; with `withPeers` (the default), the counters of the other processes serving
 * the same configuration merged in (`ProxyServerOptions.statsPeers`, src/stats/peers.ts).
 */
export function collectStats(proxy: ProxyServer, withPeers = true): StatProxy[] {
  const own = ownStats(proxy);
  const peers = withPeers ? internalsOf(proxy).statsPeers : undefined;
  return peers === undefined ? own : peers.merge(own);
}

function ownStats(proxy: ProxyServer): StatProxy[] {
  const cfg = proxy.config;
  return proxyOrder(proxy.frontends.map((f) => f.name), proxy.backends.map((b) => b.name)).map((name, i) => {
    const iid = i + 1;
    const rows: StatRow[] = [];
    const fi = proxy.frontends.findIndex((f) => f.name === name);
    if (fi >= 0) {
      const f = cfg.frontends[fi]!;
      rows.push(frontendRow(proxy.frontends[fi]!, f.mode, f.maxconn || cfg.maxconn, f.rateLimitSessions, iid));
    }
    const bi = proxy.backends.findIndex((b) => b.name === name);
    if (bi >= 0) {
      const be = proxy.backends[bi]!;
      const b = cfg.backends[bi];
      const mode = b?.mode ?? "tcp";
      for (const s of be.servers) rows.push(serverRow(be, s, serverConfig(b, s.name), mode, iid));
      rows.push(backendRow(be, b, mode, iid));
    }
    return { name, id: iid, rows };
  });
}
