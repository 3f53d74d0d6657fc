/**
 * One log line per stream, in HAProxy's TCP log format (`option tcplog`, configuration.txt
 * 8.2.2) or as one JSON object, with the two-letter termination state.
 *
 * @module
 */
import type { Address } from "./net.ts";

/** Everything a stream reports when it ends. Times are ms; -1 means "never reached". */
export interface StreamLogRecord {
  /** Client address (after a PROXY header, the one it announced). */
  readonly client: Address | undefined;
  /** Accept time, ms since the epoch. */
  readonly acceptedAt: number;
  readonly frontend: string;
  readonly backend: string;
  /** Last server tried; undefined when none was reached (`<NOSRV>`). */
  readonly server: string | undefined;
  /** `%Tw`: time in queues; -1 when the stream ended before reaching a queue or a server. */
  readonly queueMs: number;
  /** `%Tc`: time to connect, retries included; -1 when never established. */
  readonly connectMs: number;
  /** `%Tt`: accept to last close. */
  readonly totalMs: number;
  /** `%B`: bytes from the server to the client. */
  readonly bytesToClient: number;
  /** Bytes from the client to the server (JSON only; `%U` in HAProxy). */
  readonly bytesFromClient: number;
  /** `%ts`: two characters, e.g. `--`, `SC`, `cD`. */
  readonly termination: string;
  /** `%ac/%fc/%bc/%sc` at the end of the stream (this one included). */
  readonly processConns: number;
  readonly frontendConns: number;
  readonly backendConns: number;
  readonly serverConns: number;
  /** `%rc`: connect retries. */
  readonly retries: number;
  /** A redispatch happened (`+` before `%rc`). */
  readonly redispatched: boolean;
  /** `%sq/%bq`: queue positions when queued. */
  readonly serverQueue: number;
  readonly backendQueue: number;
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

/** `%ci` and `%cp`: IP and port, or `unix` and `0` for a Unix socket client. */
function clientParts(a: Address | undefined): [string, string] {
  if (a === undefined || a.transport === "unix") return ["unix", "0"];
  return [a.hostname, String(a.port)];
}

/**
 * Formats HAProxy's TCP log line:
 * `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`.
 *
 * @example
 * `127.0.0.1:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 1/1/1/1/0 0/0`
 */
export function formatTcpLog(r: StreamLogRecord): string {
  const [ci, cp] = clientParts(r.client);
  return `${ci}:${cp} [${formatLogDate(r.acceptedAt)}] ${r.frontend} ${r.backend}/${
    r.server ?? "<NOSRV>"
  } ${r.queueMs}/${r.connectMs}/${r.totalMs} ${r.bytesToClient} ${r.termination} ${r.processConns}/${r.frontendConns}/${r.backendConns}/${r.serverConns}/${
    r.redispatched ? "+" : ""
  }${r.retries} ${r.serverQueue}/${r.backendQueue}`;
}

/** The same record as one JSON object (field names spelled out; date in ISO 8601 UTC). */
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
 * A server state change with what it did to the backend (HAProxy's `srv_update_status()`):
 * what a server state line reports and what `onServerStateChange` hooks receive.
 */
export interface ServerStateEvent {
  readonly backend: string;
  readonly server: string;
  /** A backup server's line starts with `Backup Server`, as HAProxy words it. */
  readonly backup: boolean;
  readonly from: string;
  /** The new state: `UP`, `DOWN`, `MAINT` or `DRAIN`. */
  readonly to: string;
  /** Text after `reason: ` (see `describeCheck` in `src/health.ts`); empty for admin changes. */
  readonly reason: string;
  /** Usable active and backup servers after the change (HAProxy's `srv_act`, `srv_bck`). */
  readonly activeServers: number;
  readonly backupServers: number;
  /** Streams on the server (`cur_sess`), and waiting in its own queue after the change. */
  readonly sessions: number;
  readonly queued: number;
  /**
   * Streams the change moved (HAProxy's `xferred`): taken from the backend queue by a server
   * coming UP, or sent back to election from its own queue by one going DOWN or into
   * maintenance with `option redispatch`.
   */
  readonly requeued: number;
}

/**
 * HAProxy's server state line, e.g. `Server be/s1 is DOWN, reason: Layer4 connection problem,
 * info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0
 * sessions active, 0 requeued, 0 remaining in queue.` (server.c `srv_append_status()`).
 */
export function formatServerState(e: ServerStateEvent): string {
  const why = e.reason === "" ? "" : `, reason: ${e.reason}`;
  const head = `${e.backup ? "Backup " : ""}Server ${e.backend}/${e.server} is ${e.to}${why}.`;
  // HAProxy adds "Running on backup." while only backup servers are left to serve.
  const counts = `${e.activeServers} active and ${e.backupServers} backup servers`;
  const onBackup = e.activeServers === 0 && e.backupServers > 0 ? " Running on backup." : "";
  if (e.to === "UP") {
    return `${head} ${counts} online.${onBackup} ${e.requeued} sessions requeued, ${e.queued} total in queue.`;
  }
  return `${head} ${counts} left.${onBackup} ${e.sessions} sessions active, ${e.requeued} requeued, ${e.queued} remaining in queue.`;
}
