/**
 * The stats page (`stats enable`, `stats uri`, configuration.txt 4.2 `stats`): one table per
 * proxy, its `FRONTEND` row, a row per server coloured by state, its `BACKEND` row; the CSV of
 * the same rows at the page's URI followed by `;csv`. A single self-contained document (no
 * script, no external asset), readable on a phone as on a wall screen.
 *
 * @module
 */
import { DEFAULT_STATS_URI } from "../http/policy.ts";
import type { ProxyServer } from "../proxy.ts";
import { formatUptime, infoFields, type ProcessInfo } from "./info.ts";
import { collectStats, type StatProxy, type StatRow, type StatValue } from "./model.ts";
import { STATS_ADMIN_ACTIONS, STATS_STATUS_MESSAGES } from "./admin_post.ts";

/** Options of {@link statsPage}. */
export interface StatsPageOptions {
  /** `stats uri`: the page's own path, for its `;csv` link. @default "/haproxy?stats" */
  readonly uri?: string;
  /** `stats refresh`: the page reloads itself every so many ms; 0 = never. @default 0 */
  readonly refreshMs?: number;
  /** The process's details for the header. @default {} */
  readonly process?: ProcessInfo;
  /**
   * Admin mode (`stats admin`): each backend's table is HAProxy's form, a checkbox per server
   * and the actions to apply to the checked ones, posted to the page. @default false
   */
  readonly admin?: boolean;
  /** The outcome of the last POST (`;st=DONE` in the URI): HAProxy's message above the tables. */
  readonly status?: string | undefined;
}

/** HTML text escaping. */
function esc(v: StatValue): string {
  if (v === undefined) return "";
  return String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Bytes in a short human form (`1.2 MB`), the exact count in the title. */
function bytes(v: StatValue): string {
  if (typeof v !== "number") return "";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = v, u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `<span title="${v}">${u === 0 ? n : n.toFixed(1)} ${units[u]}</span>`;
}

/** Seconds as HAProxy's page prints them (`human_time()`): `45s`, `3m20s`, `2h5m`, `4d6h`. */
export function age(v: StatValue): string {
  if (typeof v !== "number") return "";
  const d = Math.floor(v / 86400), h = Math.floor((v % 86400) / 3600), m = Math.floor((v % 3600) / 60), s = v % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The CSS class of a row's status: `up`, `down`, `maint`, `drain`, `going-down`, `going-up`, `nocheck`. */
export function statusClass(row: StatRow): string {
  const s = String(row.fields.status ?? "");
  if (row.kind === "frontend") return "open";
  if (s === "no check") return "nocheck";
  if (s.startsWith("UP ")) return "going-down";
  if (s.startsWith("DOWN ")) return "going-up";
  return s.toLowerCase();
}

const COLUMNS = [
  "Name",
  "Status",
  "Queue cur/max",
  "Sessions cur/max/limit",
  "Rate cur/max",
  "Total",
  "LB tot",
  "Last sess",
  "Bytes in",
  "Bytes out",
  "2xx",
  "4xx",
  "5xx",
  "Conn err",
  "Retries",
  "Redisp",
  "Aborts cli / srv",
  "Weight",
  "Act/Bck",
  "Check",
  "Last change",
  "Down: times / total",
  "Avg ctime / rtime",
  "Reuse",
] as const;

function cell(v: StatValue | string, cls = ""): string {
  return `<td${cls === "" ? "" : ` class="${cls}"`}>${v ?? ""}</td>`;
}

function row(r: StatRow, admin: boolean): string {
  const f = r.fields;
  const pair = (a: StatValue, b: StatValue) => (a === undefined && b === undefined ? "" : `${esc(a)} / ${esc(b)}`);
  const check = f.check_status === undefined
    ? ""
    : `<span title="${esc(f.check_desc)}${f.last_chk !== undefined ? `: ${esc(f.last_chk)}` : ""}">${
      esc(f.check_status)
    }${f.check_code !== undefined ? ` ${esc(f.check_code)}` : ""} in ${esc(f.check_duration)}ms</span>`;
  const name = r.kind === "server" ? `${esc(r.name)}<small>${esc(f.addr)}</small>` : esc(r.name);
  return `<tr class="${r.kind} ${statusClass(r)}">` +
    (admin ? cell(r.kind === "server" ? `<input type="checkbox" name="s" value="${esc(r.name)}">` : "", "sel") : "") +
    cell(name, "name") +
    cell(`<span class="badge">${esc(f.status)}</span>`) +
    cell(pair(f.qcur, f.qmax)) +
    cell(`${esc(f.scur)} / ${esc(f.smax)} / ${f.slim === undefined ? "-" : esc(f.slim)}`) +
    cell(pair(f.rate, f.rate_max)) +
    cell(esc(f.stot)) +
    cell(esc(f.lbtot)) +
    cell(f.lastsess === -1 ? "never" : age(f.lastsess)) +
    cell(bytes(f.bin)) +
    cell(bytes(f.bout)) +
    cell(esc(f.hrsp_2xx)) +
    cell(esc(f.hrsp_4xx)) +
    cell(esc(f.hrsp_5xx)) +
    cell(esc(f.econ)) +
    cell(esc(f.wretr)) +
    cell(esc(f.wredis)) +
    cell(pair(f.cli_abrt, f.srv_abrt)) +
    cell(esc(f.weight)) +
    cell(pair(f.act, f.bck)) +
    cell(check, "check") +
    cell(age(f.lastchg)) +
    cell(f.chkdown === undefined && f.downtime === undefined ? "" : `${esc(f.chkdown)} / ${age(f.downtime)}`) +
    cell(r.kind === "frontend" ? "" : `${esc(f.ctime)} / ${esc(f.rtime)} ms`) +
    cell(pair(f.reuse, f.connect)) +
    "</tr>";
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1d2330;--card:#fff;--line:#e3e6ec;--muted:#6b7385;
--up:#1f9d55;--up-bg:#e3f6ea;--down:#d64545;--down-bg:#fde8e8;--maint:#8a6d3b;--maint-bg:#f3ecdf;
--drain:#2f6fd6;--drain-bg:#e5eefc;--warn:#c98a00;--warn-bg:#fdf3dc}
@media (prefers-color-scheme:dark){:root{--bg:#11141a;--fg:#e6e9ef;--card:#1a1e27;--line:#2a303c;--muted:#98a0b3;
--up-bg:#133322;--down-bg:#3a1a1a;--maint-bg:#322a1c;--drain-bg:#172642;--warn-bg:#362b10}}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--fg)}header{padding:20px 24px 8px}h1{margin:0;font-size:20px}
h1 span{color:var(--muted);font-weight:400;font-size:14px;margin-left:8px}
.info{display:flex;flex-wrap:wrap;gap:8px 20px;color:var(--muted);margin-top:6px}.info b{color:var(--fg)}
main{padding:8px 24px 24px}section{background:var(--card);border:1px solid var(--line);border-radius:10px;
margin:14px 0;overflow-x:auto}section h2{margin:0;padding:10px 14px;font-size:15px;border-bottom:1px solid var(--line)}
section h2 small{color:var(--muted);font-weight:400;margin-left:8px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600}th:first-child,td.name{text-align:left}
td.check{text-align:left}td.name small{display:block;color:var(--muted);font-size:11px}tr:last-child td{border-bottom:0}
tr.frontend td,tr.backend td{font-weight:600}tr.backend td{border-top:2px solid var(--line)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
tr.up .badge,tr.open .badge,tr.nocheck .badge{background:var(--up-bg);color:var(--up)}
tr.down .badge{background:var(--down-bg);color:var(--down)}tr.down td.name{box-shadow:inset 4px 0 var(--down)}
tr.maint .badge{background:var(--maint-bg);color:var(--maint)}tr.drain .badge{background:var(--drain-bg);color:var(--drain)}
tr.going-down .badge,tr.going-up .badge{background:var(--warn-bg);color:var(--warn)}
tr.up td.name,tr.nocheck td.name{box-shadow:inset 4px 0 var(--up)}tr.maint td.name{box-shadow:inset 4px 0 var(--maint)}
tr.drain td.name{box-shadow:inset 4px 0 var(--drain)}tr.going-down td.name,tr.going-up td.name{box-shadow:inset 4px 0 var(--warn)}
footer{padding:0 24px 24px;color:var(--muted)}a{color:var(--drain)}
td.sel,th.sel{width:1px;text-align:center}.admin{padding:10px 14px;border-top:1px solid var(--line)}
.msg{margin:14px 0;padding:10px 14px;border-radius:10px}.msg ul{margin:4px 0 0}.msg a{margin-right:6px}
.active_up{background:var(--up-bg)}.active_going_down,.active_no_check{background:var(--warn-bg)}
.active_down{background:var(--down-bg)}
`;

/** A proxy's table; in admin mode, a backend with servers is HAProxy's form around it. */
function section(p: StatProxy, admin: boolean): string {
  const mode = p.rows[0]?.mode ?? "tcp";
  const algo = p.rows.find((r) => r.kind === "backend")?.fields.algo;
  const form = admin && p.rows.some((r) => r.kind === "backend") && p.rows.some((r) => r.kind === "server");
  const table = `<table><thead><tr>${form ? `<th class="sel"></th>` : ""}${
    COLUMNS.map((c) => `<th>${c}</th>`).join("")
  }</tr></thead><tbody>${p.rows.map((r) => row(r, form)).join("")}</tbody></table>`;
  // HAProxy's form: the checked servers (`s`), the action, the backend (`b=#<id>`), posted to the page.
  const actions = `<option value=""></option>` +
    STATS_ADMIN_ACTIONS.map(([v, label]) => `<option value="${v}">${label}</option>`).join("");
  const body = form
    ? `<form method="post">${table}<div class="admin">Choose the action to perform on the checked servers : ` +
      `<select name=action>${actions}</select><input type="hidden" name="b" value="#${p.id}">&nbsp;` +
      `<input type="submit" value="Apply"></div></form>`
    : table;
  return `<section id="${esc(p.name)}"><h2>${esc(p.name)}<small>mode ${mode}${
    algo !== undefined ? ` · balance ${esc(algo)}` : ""
  }</small></h2>${body}</section>`;
}

/**
 * The stats page of `proxy` as one HTML document.
 *
 * @example A fetch-style handler serving the page and its CSV (hand it to your runtime's HTTP server)
 * ```ts ignore
 * import { showStat, statsPage } from "@proxykit/proxykit";
 * const stats = (req: Request): Response =>
 *   new URL(req.url).search === "?stats;csv"
 *     ? new Response(showStat(proxy), { headers: { "content-type": "text/plain" } })
 *     : new Response(statsPage(proxy, { uri: "/?stats" }), { headers: { "content-type": "text/html" } });
 * ```
 */
export function statsPage(proxy: ProxyServer, options: StatsPageOptions = {}): string {
  const uri = options.uri ?? DEFAULT_STATS_URI;
  const info = new Map(infoFields(proxy, options.process));
  const refresh = options.refreshMs ?? 0;
  const sections = collectStats(proxy).map((p) => section(p, options.admin === true));
  const msg = options.status === undefined ? undefined : STATS_STATUS_MESSAGES[options.status];
  // HAProxy's message after a POST, its [X] link back to the page without it.
  const banner = msg === undefined
    ? ""
    : `<p><div class="msg ${msg[0]}"><a class=lfsb href="${esc(uri)}" title="Remove this message">[X]</a> ${
      msg[1]
    }</div>`;
  const uptime = formatUptime(Number(info.get("Uptime_sec")));
  return "<!DOCTYPE html>\n" +
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    (refresh > 0 ? `<meta http-equiv="refresh" content="${Math.max(1, Math.round(refresh / 1000))}">` : "") +
    `<title>Statistics Report for proxykit</title><style>${STYLE}</style></head><body>` +
    `<header><h1>proxykit<span>Statistics Report${
      info.get("Version") === "unknown" ? "" : ` · version ${esc(info.get("Version"))}`
    }</span></h1>` +
    `<div class="info"><span>uptime <b>${uptime}</b></span>` +
    (info.get("Pid") === 0 ? "" : `<span>pid <b>${esc(info.get("Pid"))}</b></span>`) +
    `<span>current conns <b>${esc(info.get("CurrConns"))}</b></span>` +
    `<span>total conns <b>${esc(info.get("CumConns"))}</b></span>` +
    `<span>requests <b>${esc(info.get("CumReq"))}</b></span>` +
    `<span>maxconn <b>${info.get("Maxconn") === 0 ? "none" : esc(info.get("Maxconn"))}</b></span>` +
    (refresh > 0 ? `<span>refresh <b>${Math.max(1, Math.round(refresh / 1000))} s</b></span>` : "") +
    `</div></header><main>${banner}${sections.join("")}</main>` +
    `<footer><a href="${esc(uri)};csv">CSV export</a></footer></body></html>\n`;
}
