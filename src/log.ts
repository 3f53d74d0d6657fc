/**
 * One log line per stream, in HAProxy's TCP log format (`option tcplog`, configuration.txt
 * 8.2.2) or as one JSON object, with the two-letter termination state.
 *
 * @module
 */
import type { Address, TlsInfo } from "./net.ts";

/**
 * Everything a stream reports when it ends: the fields of HAProxy's TCP log line
 * (configuration.txt 8.2.2), named in words, plus the bytes the client sent. Times are ms;
 * -1 means "never reached".
 */
export interface StreamLogRecord {
  /**
   * `%ci:%cp`: the client as the accepted socket's peer address gives it. No PROXY protocol
   * header is read yet, so behind another proxy this is that proxy's address. Undefined when
   * the adapter reports no peer address; a Unix socket client is logged `unix:0`.
   */
  readonly client: Address | undefined;
  /** `%t`: when the connection was accepted, ms since the Unix epoch. */
  readonly acceptedAt: number;
  /** `%ft`: the name of the frontend that accepted the connection. */
  readonly frontend: string;
  /** `%b`: the name of the backend that served it (the frontend's default backend). */
  readonly backend: string;
  /**
   * `%s`: the last server tried (after a redispatch, the last one); undefined when no server
   * was reached, logged `<NOSRV>`.
   */
  readonly server: string | undefined;
  /** `%Tw`: time in queues; -1 when the stream ended before reaching a queue or a server. */
  readonly queueMs: number;
  /** `%Tc`: time to connect, retries included; -1 when never established. */
  readonly connectMs: number;
  /** `%Tt`: from accept to the last close. */
  readonly totalMs: number;
  /** `%B`: bytes from the server to the client. */
  readonly bytesToClient: number;
  /** Bytes from the client to the server (`%U` in HAProxy; in the JSON line only). */
  readonly bytesFromClient: number;
  /**
   * `%ts`: the termination state, two characters (configuration.txt 8.5): who or what ended
   * the stream, then in which phase, e.g. `--` (normal), `SC` (refused, or no usable
   * server), `sQ` (queue timeout), `cD` (client timeout during data), `K` first when the proxy
   * was stopped.
   */
  readonly termination: string;
  /** `%ac`: streams of the whole process when the stream ended, this one included. */
  readonly processConns: number;
  /** `%fc`: streams of the frontend when the stream ended, this one included. */
  readonly frontendConns: number;
  /**
   * `%bc`: streams of the backend (queued ones included) when the stream was logged. As in
   * HAProxy, which logs a TCP stream once its server side is released, this one is no longer
   * counted.
   */
  readonly backendConns: number;
  /** `%sc`: streams on the server (HAProxy's `cur_sess`) when the stream was logged, this one excluded. */
  readonly serverConns: number;
  /** `%rc`: connect retries (every attempt after the first, across redispatches). */
  readonly retries: number;
  /** A redispatch moved the stream to another server: `%rc` is then printed with a `+` before it. */
  readonly redispatched: boolean;
  /**
   * `%sq`: the stream's position in server queues as HAProxy's queue.c counts it (streams the
   * queue handed a slot to while this one waited, plus one), summed over every wait; 0 when it
   * never waited in a server queue.
   */
  readonly serverQueue: number;
  /** `%bq`: the same for the backend queue. */
  readonly backendQueue: number;
  /**
   * The client connection's TLS, on a TLS listener: the frontend is then logged with a `~`
   * (`%ft`, configuration.txt 8.2.3), and `%sslv` / `%sslc` print its version and cipher.
   * @default undefined (plain)
   */
  readonly tls?: TlsInfo | undefined;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** HAProxy's log date `06/Feb/2009:12:12:51.443`, in local time as HAProxy prints it. */
export function formatLogDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${
    pad(d.getSeconds())
  }.${pad(d.getMilliseconds(), 3)}`;
}

/** `%ft`: the frontend's name, with a `~` when the client connection is TLS. */
function frontendField(r: StreamLogRecord): string {
  return r.tls === undefined ? r.frontend : `${r.frontend}~`;
}

/**
 * HAProxy's error log line for a connection that failed before any stream (configuration.txt
 * 8.2.5): `127.0.0.1:55372 [30/Nov/2026:04:16:16.725] fe/1: SSL handshake failure`, the bind
 * named by its `name` or its 1-based position.
 *
 * @example
 * ```ts
 * import { formatConnectionError } from "@proxykit/proxykit";
 *
 * const line = formatConnectionError(
 *   { transport: "tcp", hostname: "127.0.0.1", port: 55372 },
 *   Date.now(),
 *   "fe",
 *   "1",
 *   "SSL handshake failure",
 * );
 * ```
 */
export function formatConnectionError(
  client: Address | undefined,
  at: number,
  frontend: string,
  bind: string,
  reason: string,
): string {
  const [ci, cp] = clientParts(client);
  return `${ci}:${cp} [${formatLogDate(at)}] ${frontend}/${bind}: ${reason}`;
}

/** `%ci` and `%cp`: IP and port, or `unix` and `0` for a Unix socket client. */
function clientParts(a: Address | undefined): [string, string] {
  if (a === undefined || a.transport === "unix") return ["unix", "0"];
  return [a.hostname, String(a.port)];
}

/**
 * Formats HAProxy's TCP log line (`option tcplog`, configuration.txt 8.2.2):
 * `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`, the date in local
 * time as HAProxy prints it.
 *
 * @example
 * ```ts
 * import { formatTcpLog } from "@proxykit/proxykit";
 *
 * const line = formatTcpLog({
 *   client: { transport: "tcp", hostname: "10.0.1.2", port: 33313 },
 *   acceptedAt: new Date(2009, 1, 6, 12, 12, 51, 443).getTime(),
 *   frontend: "fnt",
 *   backend: "bck",
 *   server: "srv1",
 *   queueMs: 0,
 *   connectMs: 0,
 *   totalMs: 5007,
 *   bytesToClient: 212,
 *   bytesFromClient: 48,
 *   termination: "--",
 *   processConns: 1,
 *   frontendConns: 1,
 *   backendConns: 0,
 *   serverConns: 0,
 *   retries: 0,
 *   redispatched: false,
 *   serverQueue: 0,
 *   backendQueue: 0,
 * });
 * // "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 1/1/0/0/0 0/0"
 * ```
 */
export function formatTcpLog(r: StreamLogRecord): string {
  const [ci, cp] = clientParts(r.client);
  return `${ci}:${cp} [${formatLogDate(r.acceptedAt)}] ${frontendField(r)} ${r.backend}/${
    r.server ?? "<NOSRV>"
  } ${r.queueMs}/${r.connectMs}/${r.totalMs} ${r.bytesToClient} ${r.termination} ${r.processConns}/${r.frontendConns}/${r.backendConns}/${r.serverConns}/${
    r.redispatched ? "+" : ""
  }${r.retries} ${r.serverQueue}/${r.backendQueue}`;
}

/**
 * The same record as one JSON object (`option tcplog json`, a proxykit extension): `client_ip`,
 * `client_port`, `accept_date` (ISO 8601, UTC), `frontend`, `backend`, `server`, `Tw`, `Tc`,
 * `Tt`, `bytes_read` (`%B`), `bytes_uploaded` (`%U`), `termination_state`, `actconn`, `feconn`,
 * `beconn`, `srv_conn`, `retries`, `redispatched`, `srv_queue`, `backend_queue`.
 */
export function formatJsonLog(r: StreamLogRecord): string {
  const [ci, cp] = clientParts(r.client);
  return JSON.stringify({
    client_ip: ci,
    client_port: Number(cp),
    accept_date: new Date(r.acceptedAt).toISOString(),
    frontend: r.frontend,
    backend: r.backend,
    server: r.server ?? "<NOSRV>",
    Tw: r.queueMs,
    Tc: r.connectMs,
    Tt: r.totalMs,
    bytes_read: r.bytesToClient,
    bytes_uploaded: r.bytesFromClient,
    termination_state: r.termination,
    actconn: r.processConns,
    feconn: r.frontendConns,
    beconn: r.backendConns,
    srv_conn: r.serverConns,
    retries: r.retries,
    redispatched: r.redispatched,
    srv_queue: r.serverQueue,
    backend_queue: r.backendQueue,
  });
}

/**
 * What an HTTP transaction reports when it ends, for `option httplog` (configuration.txt
 * 8.2.3): the fields of {@link StreamLogRecord} (`termination` then holds HAProxy's four
 * characters, e.g. `----`, `PR--`, `SH--`) and the HTTP ones. Times are ms; -1 means "never
 * reached".
 */
export interface HttpLogRecord extends StreamLogRecord {
  /** `%TR`: from the first byte of the request (or the end of the previous one) to its complete head. */
  readonly requestMs: number;
  /** `%Tr`: from the request sent to the server's response head. */
  readonly responseMs: number;
  /** `%Ta`: the active time of the transaction, request head to end. */
  readonly activeMs: number;
  /** `%ST`: the status sent to the client, -1 when none was. */
  readonly status: number;
  /** `%r`: `METHOD TARGET VERSION` as received; undefined for a request refused before its head was parsed (`<BADREQ>`). */
  readonly requestLine: string | undefined;
  /**
   * `%tsc`'s last two characters, the persistence cookie's status on the request and on the
   * response (configuration.txt 8.5); `--` without cookie persistence.
   */
  readonly cookieStatus?: string;
}

/**
 * `%r` as HAProxy writes it inside its quotes: bytes outside `!`..`~` but the space, `"` and
 * `#` become `#XX` (hex), so a log line stays one parsable line.
 */
export function escapeLogText(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x23) && c !== 0x20) {
      out += "#" + c.toString(16).toUpperCase().padStart(2, "0");
    } else out += text[i];
  }
  return out;
}

/**
 * Formats HAProxy's HTTP log line (`option httplog`, configuration.txt 8.2.3):
 * `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc
 * %sq/%bq %{+Q}r` (no header captures, so `%hr %hs` are absent, as HAProxy prints them).
 *
 * @example
 * `127.0.0.1:41372 [30/Nov/2026:04:16:43.750] fe be/s1 0/0/0/1/1 200 60 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`
 */
export function formatHttpLog(r: HttpLogRecord): string {
  const [ci, cp] = clientParts(r.client);
  const line = r.requestLine === undefined ? "<BADREQ>" : escapeLogText(r.requestLine);
  return `${ci}:${cp} [${formatLogDate(r.acceptedAt)}] ${frontendField(r)} ${r.backend}/${
    r.server ?? "<NOSRV>"
  } ${r.requestMs}/${r.queueMs}/${r.connectMs}/${r.responseMs}/${r.activeMs} ${r.status} ${r.bytesToClient} - - ${r.termination}${
    r.cookieStatus ?? "--"
  } ${r.processConns}/${r.frontendConns}/${r.backendConns}/${r.serverConns}/${
    r.redispatched ? "+" : ""
  }${r.retries} ${r.serverQueue}/${r.backendQueue} "${line}"`;
}

/** {@link formatJsonLog} with the HTTP fields (`TR`, `Tr`, `Ta`, `status_code`, `http_request`). */
export function formatHttpJsonLog(r: HttpLogRecord): string {
  const base = JSON.parse(formatJsonLog(r)) as Record<string, unknown>;
  return JSON.stringify({
    ...base,
    TR: r.requestMs,
    Tr: r.responseMs,
    Ta: r.activeMs,
    status_code: r.status,
    http_request: r.requestLine ?? "<BADREQ>",
  });
}

/**
 * A server state change with what it did to the backend (HAProxy's `srv_update_status()`):
 * what a server state line reports and what `onServerStateChange` hooks receive.
 */
export interface ServerStateEvent {
  /** The name of the server's backend. */
  readonly backend: string;
  /** The server's name. */
  readonly server: string;
  /** A backup server: its line starts with `Backup Server`, as HAProxy words it. */
  readonly backup: boolean;
  /** The state before the change: `UP`, `DOWN`, `MAINT` or `DRAIN`. */
  readonly from: string;
  /** The new state: `UP`, `DOWN`, `MAINT` or `DRAIN`. */
  readonly to: string;
  /**
   * Text after `reason: `: the health check result that caused the change, as HAProxy words
   * it (`Layer4 connection problem, info: "Connection refused", check duration: 0ms`); empty
   * when no check caused it.
   */
  readonly reason: string;
  /** Usable active servers of the backend after the change (HAProxy's `srv_act`). */
  readonly activeServers: number;
  /** Usable backup servers of the backend after the change (HAProxy's `srv_bck`). */
  readonly backupServers: number;
  /** Streams on the server after the change (HAProxy's `cur_sess`). */
  readonly sessions: number;
  /** Streams waiting in the server's own queue after the change. */
  readonly queued: number;
  /**
   * Streams the change moved (HAProxy's `xferred`): taken from the backend queue by a server
   * coming UP, or sent back to election from its own queue by one going DOWN or into
   * maintenance with `option redispatch`.
   */
  readonly requeued: number;
  /**
   * The administrative change that made it (runtime API, `proxy.admin`), which HAProxy words
   * apart (`is going DOWN for maintenance`, `enters drain state`...); absent otherwise.
   */
  readonly admin?: "maint" | "ready" | "drain" | "undrain";
  /** The name the server's address comes from, for a server found through DNS (`resolvers`). */
  readonly fqdn?: string;
}

/**
 * HAProxy's server state line, e.g. `Server be/s1 is DOWN, reason: Layer4 connection problem,
 * info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0
 * sessions active, 0 requeued, 0 remaining in queue.` (server.c `srv_append_status()`).
 */
export function formatServerState(e: ServerStateEvent): string {
  const why = e.reason === "" ? "" : `, reason: ${e.reason}`;
  const who = `${e.backup ? "Backup " : ""}Server ${e.backend}/${e.server}`;
  const paren = e.reason === "" ? "" : ` (${e.reason})`;
  // Maintenance is worded apart (server.c `srv_update_status()`): `is going DOWN for
  // maintenance (No IP for server )`, and `('app.test') is UP/READY (resolves again)` when it ends.
  const what = e.to === "MAINT"
    ? `going DOWN for maintenance${paren}`
    : e.from === "MAINT" && e.to === "UP"
    ? `UP/READY${paren}`
    : `${e.to}${why}`;
  const head = `${who} is ${what}.`;
  // A server leaving resolution maintenance: HAProxy names the FQDN and gives no counts.
  if (e.fqdn !== undefined && e.from === "MAINT" && e.to === "UP" && e.reason === "resolves again") {
    return `${who} ('${e.fqdn}') is UP/READY (resolves again).`;
  }
  // HAProxy adds "Running on backup." while only backup servers are left to serve.
  const counts = `${e.activeServers} active and ${e.backupServers} backup servers`;
  const onBackup = e.activeServers === 0 && e.backupServers > 0 ? " Running on backup." : "";
  // Administrative changes, as haproxy 2.6 words them (server.c `srv_update_status()`).
  switch (e.admin) {
    case "maint":
      if (e.from === "DOWN") return `${who} was DOWN and now enters maintenance.`;
      return `${who} is going DOWN for maintenance. ${counts} left.${onBackup} ${e.sessions} sessions active, ${e.requeued} requeued, ${e.queued} remaining in queue.`;
    case "ready":
      return `${who} is UP/${e.to === "DRAIN" ? "DRAIN" : "READY"} (leaving forced maintenance).`;
    case "drain":
      return `${who} enters drain state. ${counts} online.${onBackup} ${e.requeued} sessions requeued, ${e.queued} total in queue.`;
    case "undrain":
      return `${who} is UP (leaving forced drain).`;
  }
  if (e.to === "UP") {
    return `${head} ${counts} online.${onBackup} ${e.requeued} sessions requeued, ${e.queued} total in queue.`;
  }
  return `${head} ${counts} left.${onBackup} ${e.sessions} sessions active, ${e.requeued} requeued, ${e.queued} remaining in queue.`;
}

/** The variables of a log line `log-format` renders from a record (configuration.txt 8.2.4). */
const RECORD_VARIABLES: Readonly<Record<string, (r: StreamLogRecord, h: HttpLogRecord | undefined) => string>> = {
  t: (r) => formatLogDate(r.acceptedAt),
  tr: (r) => formatLogDate(r.acceptedAt),
  Ts: (r) => String(Math.floor(r.acceptedAt / 1000)),
  ci: (r) => clientParts(r.client)[0],
  cp: (r) => clientParts(r.client)[1],
  f: (r) => r.frontend,
  ft: frontendField,
  sslv: (r) => r.tls?.protocol ?? "-",
  sslc: (r) => r.tls?.cipher ?? "-",
  b: (r) => r.backend,
  s: (r) => r.server ?? "<NOSRV>",
  Tw: (r) => String(r.queueMs),
  Tc: (r) => String(r.connectMs),
  Tt: (r) => String(r.totalMs),
  TR: (_r, h) => String(h?.requestMs ?? -1),
  Tr: (_r, h) => String(h?.responseMs ?? -1),
  Ta: (r, h) => String(h?.activeMs ?? r.totalMs),
  ST: (_r, h) => String(h?.status ?? -1),
  B: (r) => String(r.bytesToClient),
  U: (r) => String(r.bytesFromClient),
  ts: (r) => r.termination,
  tsc: (r, h) => r.termination + (h?.cookieStatus ?? "--"),
  ac: (r) => String(r.processConns),
  fc: (r) => String(r.frontendConns),
  bc: (r) => String(r.backendConns),
  sc: (r) => String(r.serverConns),
  rc: (r) => (r.redispatched ? "+" : "") + String(r.retries),
  sq: (r) => String(r.serverQueue),
  bq: (r) => String(r.backendQueue),
  CC: () => "-",
  CS: () => "-",
  r: (_r, h) => (h === undefined ? "" : h.requestLine ?? "<BADREQ>"),
};

/** The names `log-format` accepts beyond a request's (`%HM`, `%[...]`...). */
export const LOG_RECORD_VARIABLES: ReadonlySet<string> = new Set(Object.keys(RECORD_VARIABLES));

/**
 * Renders one variable of a log line from its record (`undefined` for a variable of the
 * request, which `renderLogFormat()` takes from the request's sample context): the renderer of
 * a `log-format` line (`src/acl/log_format.ts`). `http` is the record of an HTTP transaction.
 */
export function recordVariable(name: string, r: StreamLogRecord, http?: HttpLogRecord): string | undefined {
  return RECORD_VARIABLES[name]?.(r, http);
}
