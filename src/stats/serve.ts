/**
 * The replies of the services a `mode http` frontend answers itself: `use-service
 * prometheus-exporter` (HAProxy's addons/promex: `cache-control: no-cache`, `content-type:
 * text/plain; version=0.0.4`) and the stats page (HTML, or the CSV at `<stats uri>;csv`).
 *
 * @module
 */
import type { HttpReply } from "../http/error_pages.ts";
import type { HeaderList } from "../http/head.ts";
import type { RequestDecision } from "../http/policy.ts";
import type { ProxyServer } from "../proxy.ts";
import { showStat } from "./csv.ts";
import type { ProcessInfo } from "./info.ts";
import { statsPage } from "./page.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusMetrics, prometheusQuery } from "./prometheus.ts";
import { statsAdminPost, statsRedirect } from "./admin_post.ts";

/** What a service sees of a request besides its URI: its method and, for an admin POST, its body. */
export interface ServiceRequest {
  /** The request's method. */
  readonly method: string;
  /**
   * The body of a POST to a stats page in admin mode (read before the service runs), or
   * `undefined` when it exceeded the buffer; empty otherwise (not read).
   */
  readonly body: Uint8Array | undefined;
  /** Hears each change the stats page's admin form makes, as a runtime API command. */
  readonly onChange?: (command: string) => void;
}

const UTF8 = new TextEncoder();

function ok(headers: HeaderList, text: string): HttpReply {
  const body = UTF8.encode(text);
  return {
    status: 200,
    head: {
      kind: "response",
      version: "HTTP/1.1",
      status: 200,
      reason: "OK",
      headers: [["cache-control", "no-cache"], ...headers, ["content-length", String(body.length)]],
    },
    body,
    close: false,
  };
}

/**
 * The reply of a service `decision` for a request to `target` (its URI), from `proxy`'s live
 * counters. `process` fills the process-wide figures (uptime, pid).
 */
export function serviceReply(
  proxy: ProxyServer,
  decision: Extract<RequestDecision, { kind: "service" }>,
  target: string,
  process: ProcessInfo,
  request?: ServiceRequest,
): HttpReply {
  if (decision.service === "prometheus-exporter") {
    const q = target.indexOf("?");
    const query = q < 0 ? {} : prometheusQuery(target.slice(q + 1));
    return ok([["content-type", PROMETHEUS_CONTENT_TYPE]], prometheusMetrics(proxy, { ...query, process }));
  }
  const st = decision.stats!;
  // HAProxy's `http_handle_stats()`: a POST is the admin form's, refused without `stats admin`.
  if (request?.method === "POST") {
    const status = decision.admin === true ? statsAdminPost(proxy, request.body, request.onChange) : "DENY";
    return statsRedirect(st.uri, target, status);
  }
  // HAProxy's `http_handle_stats()`: `;csv` anywhere after the prefix asks for the CSV.
  if (target.slice(st.uri.length).includes(";csv")) return ok([["content-type", "text/plain"]], showStat(proxy));
  const refresh: HeaderList = st.refreshMs > 0
    ? [["refresh", String(Math.max(1, Math.round(st.refreshMs / 1000)))]]
    : [];
  return ok(
    [["content-type", "text/html"], ...refresh],
    statsPage(proxy, {
      uri: st.uri,
      refreshMs: st.refreshMs,
      process,
      admin: decision.admin === true,
      status: /;st=([A-Z]{4})/.exec(target.slice(st.uri.length))?.[1],
    }),
  );
}
