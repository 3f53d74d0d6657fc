/**
 * The stats page's admin form (configuration.txt 4.2 `stats admin`): what HAProxy 2.6's
 * `stats_process_http_post()` does with a POST to the stats URI, and the codes it reports with
 * its redirect (`303 See Other`, `Location: <uri>;st=DONE|NONE|PART|ERRP|EXCD|DENY`), so that
 * reloading the page never posts again. The actions go through `proxy.admin`, the code the
 * runtime API's `set server`, `enable|disable health` and `shutdown sessions server` use.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "../proxy.ts";
import type { HttpReply } from "../http/error_pages.ts";
import { collectStats } from "./model.ts";

/**
 * The outcome of a POST (HAProxy's `STAT_STATUS_*`): `DONE` every server named was changed,
 * `PART` some were (others unknown), `NONE` nothing to do (no backend, action or server),
 * `ERRP` invalid parameters (an unknown action or backend, no server known), `EXCD` the body
 * exceeded the buffer, `DENY` the page is not in admin mode for this request.
 */
export type StatsAdminStatus = "DONE" | "NONE" | "PART" | "ERRP" | "EXCD" | "DENY";

/**
 * The actions of the form: HAProxy's values and labels, those proxykit has. `dagent`,
 * `eagent`, `arunn`, `adown` are accepted and change nothing (no agent checks); `hrunn`,
 * `hnolb`, `hdown` (forcing a check's result) are not offered and answer `ERRP`.
 */
export const STATS_ADMIN_ACTIONS: readonly (readonly [value: string, label: string])[] = [
  ["ready", "Set state to READY"],
  ["drain", "Set state to DRAIN"],
  ["maint", "Set state to MAINT"],
  ["dhlth", "Health: disable checks"],
  ["ehlth", "Health: enable checks"],
  ["shutdown", "Kill Sessions"],
];

const AGENT_ACTIONS = new Set(["dagent", "eagent", "arunn", "adown"]);

/** HAProxy's message of each status, shown on the page a redirect leads to. */
export const STATS_STATUS_MESSAGES: Readonly<Record<string, readonly [cls: string, html: string]>> = {
  DONE: ["active_up", "Action processed successfully."],
  NONE: ["active_going_down", "Nothing has changed."],
  PART: [
    "active_going_down",
    "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).",
  ],
  ERRP: [
    "active_down",
    "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>",
  ],
  EXCD: [
    "active_down",
    "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
  ],
  DENY: ["active_down", "<b>Action denied.</b>"],
  IVAL: ["active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>"],
  UNKN: ["active_no_check", "Unexpected result."],
};

/** `application/x-www-form-urlencoded` pairs (`+` is a space), in order; a bad escape stays as sent. */
export function parseForm(body: string): [string, string][] {
  const dec = (s: string): string => {
    const t = s.replace(/\+/g, " ");
    try {
      return decodeURIComponent(t);
    } catch {
      return t;
    }
  };
  return body.split("&").filter((p) => p !== "").map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? [dec(p), ""] : [dec(p.slice(0, eq)), dec(p.slice(eq + 1))];
  });
}

/**
 * Applies a POST of the admin form to `proxy` (HAProxy's `stats_process_http_post()`): the
 * last `b` (a backend's name or `#<id>`) and the last `action` are read first, then each `s`
 * (a server of that backend) gets the action. `body` undefined: it exceeded the buffer (`EXCD`).
 * `onChange` hears each change as the runtime API command that makes it (what `--workers`
 * forwards to the other workers).
 */
export function statsAdminPost(
  proxy: ProxyServer,
  body: Uint8Array | undefined,
  onChange?: (command: string) => void,
): StatsAdminStatus {
  if (body === undefined) return "EXCD";
  const params = parseForm(new TextDecoder().decode(body));
  const last = (k: string): string | undefined => [...params].reverse().find(([key]) => key === k)?.[1];
  const b = last("b"), action = last("action");
  const be = b === undefined ? undefined : findBackend(proxy, b);
  if (b !== undefined && be === undefined) return "ERRP";
  if (action !== undefined && !STATS_ADMIN_ACTIONS.some(([v]) => v === action) && !AGENT_ACTIONS.has(action)) {
    return "ERRP";
  }
  if (be === undefined || action === undefined) return "NONE";
  const backend = internalsOf(proxy).backends.find((x) => x.name === be)!;
  let total = 0, altered = 0;
  for (const [key, name] of params) {
    if (key !== "s") continue;
    const srv = backend.servers.find((s) => s.name === name);
    if (srv === undefined) {
      total++;
      continue;
    }
    const command = runAction(proxy, be, name, action, srv.check !== undefined);
    if (command === undefined) continue;
    total++;
    altered++;
    onChange?.(command);
  }
  if (total === 0) return "NONE";
  if (altered === 0) return "ERRP";
  return altered === total ? "DONE" : "PART";
}

/**
 * One server's action through `proxy.admin`; the runtime API command that does the same, or
 * undefined when the action does not apply to it (health actions without `check`, agent ones).
 */
function runAction(proxy: ProxyServer, be: string, srv: string, action: string, checked: boolean): string | undefined {
  const admin = proxy.admin;
  switch (action) {
    case "ready":
    case "drain":
    case "maint":
      admin.setServerState(be, srv, action);
      return `set server ${be}/${srv} state ${action}`;
    case "dhlth":
    case "ehlth":
      if (!checked) return undefined;
      if (action === "dhlth") admin.disableHealth(be, srv);
      else admin.enableHealth(be, srv);
      return `${action === "dhlth" ? "disable" : "enable"} health ${be}/${srv}`;
    case "shutdown":
      admin.shutdownSessions(be, srv);
      return `shutdown sessions server ${be}/${srv}`;
    default:
      return undefined; // agent actions: proxykit has no agent checks
  }
}

/** The backend `b` names (its name, or `#<id>` as the form sends it), or undefined. */
function findBackend(proxy: ProxyServer, b: string): string | undefined {
  const backends = internalsOf(proxy).backends;
  if (!b.startsWith("#")) return backends.find((x) => x.name === b)?.name;
  const id = Number(b.slice(1));
  const px = collectStats(proxy, false).find((p) => p.id === id);
  return px !== undefined && backends.some((x) => x.name === px.name) ? px.name : undefined;
}

/**
 * HAProxy's answer to a POST: `303 See Other` to `<uri>;st=<status>` (with the request's
 * `;up` and `;norefresh`), empty, `cache-control: no-cache`.
 */
export function statsRedirect(uri: string, target: string, status: StatsAdminStatus): HttpReply {
  const rest = target.slice(uri.length);
  const location = `${uri};st=${status}${rest.includes(";up") ? ";up" : ""}${
    rest.includes(";norefresh") ? ";norefresh" : ""
  }`;
  return {
    status: 303,
    head: {
      kind: "response",
      version: "HTTP/1.1",
      status: 303,
      reason: "See Other",
      headers: [
        ["cache-control", "no-cache"],
        ["content-type", "text/plain"],
        ["content-length", "0"],
        ["location", location],
      ],
    },
    body: new Uint8Array(0),
    close: false,
  };
}
