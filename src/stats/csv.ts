/**
 * `show stat` and the stats page's `;csv`: HAProxy 2.6's CSV (management.txt 9.1), its header
 * line verbatim (the base fields, a `-` column, then the stats modules' fields), one line per
 * row, every line ending with `,`, and a blank line at the end.
 *
 * @module
 */
import type { ProxyServer } from "../proxy.ts";
import { collectStats, type StatValue } from "./model.ts";

/** The base fields of HAProxy 2.6's CSV, in order (management.txt 9.1). */
export const STAT_FIELDS: readonly string[] = (
  "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight," +
  "act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim," +
  "rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other," +
  "hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess," +
  "last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc," +
  "check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate," +
  "conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur," +
  "src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur," +
  "need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status"
).split(",");

/**
 * The stats modules' fields HAProxy 2.6 lists after the `-` column (SSL, HTTP/2, HTTP/1);
 * proxykit keeps none of these counters, so their columns stay empty.
 */
export const STAT_MODULE_FIELDS: readonly string[] = (
  "ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd," +
  "h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors," +
  "h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections," +
  "h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams," +
  "h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out"
).split(",");

/** HAProxy's header line: `# ` then every field, `-`, the module fields, each followed by `,`. */
export const STAT_HEADER = `# ${[...STAT_FIELDS, "-", ...STAT_MODULE_FIELDS].map((f) => `${f},`).join("")}`;

/**
 * A CSV value as HAProxy prints it (`csv_enc()`): a text with a comma, a quote or a line
 * break is quoted, its quotes doubled; line breaks become spaces.
 */
function csvValue(v: StatValue): string {
  if (v === undefined) return "";
  const s = String(v);
  if (!/[",\r\n]/.test(s)) return s;
  return `"${s.replace(/[\r\n]/g, " ").replace(/"/g, '""')}"`;
}

/**
 * HAProxy's `show stat` of `proxy` (and the stats page's `;csv`): the header, then for each
 * proxy in configuration order its `FRONTEND` row, its server rows and its `BACKEND` row,
 * then a blank line. Fields proxykit has no counter for are empty.
 *
 * @example
 * ```ts ignore
 * import { showStat } from "@proxykit/proxykit";
 * console.log(showStat(proxy).split("\n")[1]); // "fe,FRONTEND,,,0,0,,0,0,0,0,,,,,,,OPEN,..."
 * ```
 */
export function showStat(proxy: ProxyServer): string {
  const lines = [STAT_HEADER];
  const trailer = ",".repeat(STAT_MODULE_FIELDS.length);
  for (const px of collectStats(proxy)) {
    for (const row of px.rows) {
      lines.push(`${STAT_FIELDS.map((f) => `${csvValue(row.fields[f])},`).join("")}-,${trailer}`);
    }
  }
  return `${lines.join("\n")}\n\n`;
}
