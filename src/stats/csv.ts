/**
 * `show stat` (management.txt 9.1, 9.3): HAProxy's CSV, one row per frontend, server and
 * backend. A minimal version (pxname, svname, queue, sessions, bytes, status, weight, addr);
 * the stats module fills every column.
 *
 * @module
 */
import type { ProxyServer } from "../proxy.ts";
import { formatAddress } from "../address.ts";

/** HAProxy 2.6's `show stat` header (the fields, `-`, the stats modules' fields), verbatim. */
const HEADER =
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,";
const FIELDS = HEADER.slice(2, -1).split(",");

function row(values: Readonly<Record<string, string | number>>): string {
  return FIELDS.map((f) => `${values[f] ?? ""},`).join("");
}

/** The `show stat` dump of `proxy`: the header, a row per object, a blank line. */
export function showStat(proxy: ProxyServer): string {
  const rows = [HEADER];
  for (const fe of proxy.frontends) {
    const c = fe.counters;
    rows.push(row({ pxname: fe.name, svname: "FRONTEND", scur: c.current, stot: c.total, status: "OPEN", type: 0 }));
  }
  for (const be of proxy.backends) {
    for (const s of be.servers) {
      const c = s.counters;
      rows.push(row({
        pxname: be.name,
        svname: s.name,
        qcur: s.queued,
        scur: c.current,
        stot: c.total,
        bin: c.bytesIn,
        bout: c.bytesOut,
        status: s.state === "UP" && s.check === undefined ? "no check" : s.state,
        weight: s.weight,
        act: s.backup ? 0 : 1,
        bck: s.backup ? 1 : 0,
        sid: s.id,
        lbtot: c.lbChosen,
        type: 2,
        addr: formatAddress(s.address),
      }));
    }
    const c = be.counters;
    rows.push(row({
      pxname: be.name,
      svname: "BACKEND",
      qcur: c.queueCurrent,
      scur: c.current,
      stot: c.total,
      status: be.servers.some((s) => s.weight > 0) ? "UP" : "DOWN",
      type: 1,
    }));
  }
  return rows.join("\n") + "\n\n";
}
