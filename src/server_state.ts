/**
 * The server-state file (configuration.txt 3.1 `server-state-file`, 4.2
 * `load-server-state-from-file`): the text of the runtime API's `show servers state`
 * (management.txt 9.3, format version 1), saved before a reload or stop and applied to the
 * new proxy before it starts, so that servers put in maintenance or drain, and weights set at
 * run time, survive.
 *
 * What is applied, as HAProxy 2.6 does (`srv_state_srv_update()`): the forced maintenance and
 * drain flags, the user weight unless the configured weight changed since the file was
 * written, the port, and the IP address of a server configured with a host name resolved at
 * start (not one with an IP address, nor one following DNS with `resolvers`, as HAProxy 2.6's
 * `srv_init_addr()`). Rows are matched by backend and server name.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "./proxy.ts";
import { ProxyError } from "./errors.ts";
import { isIPv4 } from "./address.ts";
import type { Server, ServerState } from "./server.ts";

/** The column header of format version 1 (HAProxy 2.6, verbatim). */
const HEADER = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
  "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state " +
  "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr " +
  "srv_agent_addr srv_agent_port";

/** `srv_admin_state` bits (management.txt 9.3). */
const ADMIN = { FMAINT: 0x01, CMAINT: 0x04, FDRAIN: 0x08 } as const;

/** One row of a server-state file, the fields proxykit reads. */
export interface ServerStateRow {
  /** `be_name`. */
  readonly backend: string;
  /** `srv_name`. */
  readonly server: string;
  /** `srv_op_state`: 0 stopped, 2 running. */
  readonly opState: number;
  /** `srv_admin_state` bit mask. */
  readonly adminState: number;
  /** `srv_uweight`: the weight in force. */
  readonly userWeight: number;
  /** `srv_iweight`: the configured weight when the row was written. */
  readonly initialWeight: number;
  /** `srv_addr`: the IP address in use, undefined for `-`. */
  readonly address: string | undefined;
  /** `srv_port`, undefined when the row has none. */
  readonly port: number | undefined;
}

function rowOf(be: number, backend: string, srv: Server): string {
  const host = srv.address.transport === "tcp" ? srv.address.hostname : "-";
  const literal = host.includes(":") || isIPv4(host);
  const state = srv.state;
  // The administrative flags (a weight of 0 drains without one): forced or configured
  // maintenance, forced drain.
  const admin = (srv.forcedMaint ? (srv.settings.disabled ? ADMIN.CMAINT : ADMIN.FMAINT) : 0) |
    (srv.drained ? ADMIN.FDRAIN : 0);
  const op = state === "UP" || state === "DRAIN" ? 2 : 0;
  // No checks: what HAProxy 2.6 shows for an unchecked server (L4OK, passed, rise+fall-1, flags).
  const health = srv.check?.health ?? 4;
  return [
    be,
    backend,
    srv.id,
    srv.name,
    literal ? host : "-",
    op,
    admin,
    srv.userWeight,
    srv.settings.weight,
    0,
    6,
    3,
    health,
    6,
    0,
    0,
    0,
    literal || host === "-" ? "-" : host,
    srv.address.transport === "tcp" ? srv.address.port : 0,
    "-",
    srv.tls === undefined ? 0 : 1,
    0,
    "-",
    "-",
    0,
  ].join(" ") + "\n";
}

/**
 * `show servers state [backend]` (management.txt 9.3): version line `1`, the column header, a
 * row per server, an empty line. `be_id` is the backend's position among backends.
 * @throws {ProxyError} `ERR_CONFIG_INVALID` for an unknown backend (HAProxy: `Can't find backend.`).
 */
export function formatServersState(proxy: ProxyServer, backend?: string): string {
  const backends = internalsOf(proxy).backends;
  if (backend !== undefined && !backends.some((b) => b.name === backend)) {
    throw new ProxyError("ERR_CONFIG_INVALID", "Can't find backend.");
  }
  let out = `1\n${HEADER}\n`;
  backends.forEach((b, i) => {
    if (backend !== undefined && b.name !== backend) return;
    for (const s of b.servers) out += rowOf(i + 1, b.name, s);
  });
  return `${out}\n`;
}

/**
 * Reads a server-state file's text: version `1` only; comments and empty lines skipped.
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming `fileName` and the line for another
 * version or a row with too few fields.
 */
export function parseServersState(text: string, fileName: string): ServerStateRow[] {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) return [];
  if (lines[first]!.trim() !== "1") {
    throw new ProxyError(
      "ERR_CONFIG_INVALID",
      `${fileName}:${first + 1}: unknown server-state version '${lines[first]}'`,
    );
  }
  const rows: ServerStateRow[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === "" || l.startsWith("#")) continue;
    const f = l.split(/\s+/);
    const n = (k: number) => Number(f[k]);
    if (f.length < 9 || [5, 6, 7, 8].some((k) => !Number.isInteger(n(k)))) {
      throw new ProxyError("ERR_CONFIG_INVALID", `${fileName}:${i + 1}: invalid server-state row '${l}'`);
    }
    const port = Number(f[18]);
    rows.push({
      backend: f[1]!,
      server: f[3]!,
      opState: n(5),
      adminState: n(6),
      userWeight: n(7),
      initialWeight: n(8),
      address: f[4] === "-" ? undefined : f[4],
      port: Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined,
    });
  }
  return rows;
}

/** The port from the row; the IP too for a server configured with a name resolved once. */
function restoreAddress(srv: Server, row: ServerStateRow): void {
  const configured = srv.settings.address;
  const now = srv.address;
  if (configured.transport !== "tcp" || now.transport !== "tcp" || srv.followsClient) return;
  const named = !(configured.hostname.includes(":") || isIPv4(configured.hostname)) &&
    srv.settings.resolve === undefined;
  const ip = row.address !== undefined && (row.address.includes(":") || isIPv4(row.address)) ? row.address : undefined;
  const hostname = named && ip !== undefined ? ip : now.hostname;
  const port = row.port ?? now.port;
  if (hostname !== now.hostname || port !== now.port) srv.setAddress({ transport: "tcp", hostname, port });
}

/**
 * Applies `rows` to the servers of `backends` (all when omitted) of a proxy not started yet.
 * Returns what happened, one line each, as HAProxy logs it.
 */
export function applyServersState(
  proxy: ProxyServer,
  rows: readonly ServerStateRow[],
  backends?: readonly string[],
): string[] {
  const messages: string[] = [];
  for (const row of rows) {
    if (backends !== undefined && !backends.includes(row.backend)) continue;
    const srv = internalsOf(proxy).backends.find((b) => b.name === row.backend)?.server(row.server);
    if (srv === undefined) continue;
    const name = `${row.backend}/${row.server}`;
    restoreAddress(srv, row);
    // The user weight, unless the configuration's weight changed since the file was written.
    if (row.initialWeight === srv.settings.weight && row.userWeight !== srv.userWeight) srv.setWeight(row.userWeight);
    if ((row.adminState & ADMIN.FMAINT) !== 0 && !srv.forcedMaint) {
      srv.forcedMaint = true;
      srv.setState("MAINT", "changed from server-state after a reload");
      messages.push(`Server ${name} is DOWN, changed from server-state after a reload.`);
    } else if ((row.adminState & ADMIN.FDRAIN) !== 0 && !srv.drained) {
      srv.drained = true;
      if (srv.state !== "MAINT" && srv.state !== "DOWN") {
        srv.setState("DRAIN", "changed from server-state after a reload");
      }
      messages.push(`Server ${name} remains in forced drain mode.`);
    }
  }
  return messages;
}

/**
 * Sets the state of `backend/server` as another process decided it (the command line's
 * worker that runs the health checks tells the others). Returns false for an unknown server.
 */
export function setServerState(
  proxy: ProxyServer,
  backend: string,
  server: string,
  state: ServerState,
  reason: string,
): boolean {
  const srv = internalsOf(proxy).backends.find((b) => b.name === backend)?.server(server);
  if (srv === undefined) return false;
  srv.setState(state, reason);
  return true;
}
