/**
 * The typed admin API of a running proxy (`proxy.admin`): what HAProxy's runtime API changes
 * (management.txt 9.3 `set server`, `add server`, `del server`, `enable|disable server`,
 * `enable|disable health`, `set maxconn server`, `shutdown sessions server`, `set ssl cert`),
 * as methods. A failed operation throws a {@link ProxyError} whose message is HAProxy's reply
 * and changes nothing; the runtime API (`src/runtime_api.ts`) prints those messages.
 *
 * @module
 */
import { ProxyError } from "./errors.ts";
import { isIPv4, isIPv6 } from "./address.ts";
import type { Address, Network } from "./net.ts";
import type { Clock } from "./clock.ts";
import type { Backend } from "./backend.ts";
import type { Server } from "./server.ts";
import { createHealthChecker, type HealthChecker } from "./health.ts";
import type { BindTlsConfig, ServerConfig } from "./config/types.ts";
import { resolveConfig, type ResolvedBackendConfig, type ResolvedProxyConfig } from "./config/defaults.ts";
import { toServerSettings } from "./_settings.ts";
import { MAX_WEIGHT } from "./config/defaults.ts";
import type { ResolversStats } from "./dns/show.ts";

/** What `set server B/S state` sets: in load balancing, draining, or in maintenance. */
export type AdminServerState = "ready" | "drain" | "maint";

/** Who HAProxy names as the author of an address change in its reply and log. */
const UPDATER = "stats socket command";

/**
 * The operations of HAProxy's runtime API on backends and servers, typed. Servers are named
 * by backend and server name (or `#<id>` for the server, as HAProxy accepts).
 */
export interface ProxyAdmin {
  /**
   * `set server B/S state ready|drain|maint`: `ready` leaves maintenance and drain (a checked
   * server comes back one failed check from DOWN, as HAProxy); `drain` takes the server out of
   * load balancing (leaving maintenance), its streams going on; `maint` (which ends a drain)
   * also stops its checks and sends its queued streams elsewhere with `option redispatch`.
   * @throws {ProxyError} `ERR_NO_SUCH_OBJECT` (`No such backend.`, `No such server.`).
   */
  setServerState(backend: string, server: string, state: AdminServerState): void;
  /** `enable server B/S`: the same as `set server B/S state ready`. @throws {ProxyError} as {@link setServerState}. */
  enableServer(backend: string, server: string): void;
  /** `disable server B/S`: the same as `set server B/S state maint`. @throws {ProxyError} as {@link setServerState}. */
  disableServer(backend: string, server: string): void;
  /**
   * `set server B/S weight N|N%` (`set weight`): an absolute weight 0..256, or a percentage of
   * the configured weight. A static algorithm accepts only `0%`/`100%` (0 or the configured one).
   * @throws {ProxyError} `ERR_INVALID_OPERATION` with HAProxy's text (`Absolute weight can only
   * be between 0 and 256 inclusive.`...), `ERR_NO_SUCH_OBJECT`.
   */
  setServerWeight(backend: string, server: string, weight: number | string): void;
  /** The user and configured weights (`get weight B/S`). @throws {ProxyError} `ERR_NO_SUCH_OBJECT`. */
  getServerWeight(backend: string, server: string): { readonly current: number; readonly initial: number };
  /**
   * `set server B/S addr IP [port P]`: new streams go to the new address, idle pooled
   * connections to the old one are closed, streams in progress keep theirs. Returns HAProxy's
   * report (`IP changed from '127.0.0.1' to '127.0.0.2' by 'stats socket command'`).
   * @throws {ProxyError} `ERR_INVALID_OPERATION` (`Invalid addr '...' by 'stats socket command'`).
   */
  setServerAddress(backend: string, server: string, ip: string, port?: number): string;
  /** `set maxconn server B/S N`: the connection limit, 0 = none; waiters get new slots at once. */
  setServerMaxconn(backend: string, server: string, maxconn: number): void;
  /**
   * `enable health B/S`: runs the server's active checks again.
   * @throws {ProxyError} `ERR_INVALID_OPERATION` when the server has no `check`.
   */
  enableHealth(backend: string, server: string): void;
  /** `disable health B/S`: stops its active checks (if any); its state stays as it is. */
  disableHealth(backend: string, server: string): void;
  /** `shutdown sessions server B/S`: kills every stream on the server now; returns how many. */
  shutdownSessions(backend: string, server: string): number;
  /**
   * `add server B/S ...`: a new server, last of the backend, in maintenance as HAProxy starts
   * it (call {@link enableServer}, and {@link enableHealth} when it has `check`). Settings from
   * `default-server` do not apply.
   * @throws {ProxyError} `ERR_NO_SUCH_OBJECT` (`No such backend.`), `ERR_INVALID_OPERATION`
   * (`Backend must use a dynamic load balancing to support dynamic servers.`, `Already exists
   * a server with the same name in backend.`, or the invalid setting named).
   */
  addServer(backend: string, name: string, settings: Omit<ServerConfig, "name">): void;
  /**
   * `del server B/S`: removes a server in maintenance with no stream on it or waiting for it
   * (its idle pooled connections are closed).
   * @throws {ProxyError} `ERR_INVALID_OPERATION` (`Only servers in maintenance mode can be
   * deleted.`, `Server still has connections attached to it, cannot remove it.`).
   */
  deleteServer(backend: string, server: string): void;
  /**
   * `set ssl cert` + `commit ssl cert`: new TLS settings of a running bind for the handshakes
   * to come (`ProxyServer.setBindTls()`).
   * @throws {ProxyError} as `ProxyServer.setBindTls()`.
   */
  setSslCert(frontend: string, bind: string, tls: BindTlsConfig): void;
  /**
   * `show resolvers [<section>]`: the nameserver counters of every `resolvers` section (or of
   * one), summed over the command line's workers.
   * @throws {ProxyError} `ERR_NO_SUCH_OBJECT` (`Can't find that resolvers section`).
   */
  resolvers(section?: string): ResolversStats[];
}

/** What the admin API reaches of its proxy (made by `ProxyServer`; not public). */
export interface AdminHost {
  /** The resolved configuration (the backends' check settings). */
  readonly config: ResolvedProxyConfig;
  /** The run-time backends, in configuration order. */
  readonly backends: readonly Backend[];
  /** The proxy's health checkers: a server added with `check` joins, a deleted one leaves. */
  readonly checkers: HealthChecker[];
  /** The network checks connect through. */
  readonly net: Network;
  /** The proxy's clock. */
  readonly clock: Clock;
  /** Counts the streams on `srv` (TCP streams and HTTP transactions); kills them when `kill`. */
  streamsOn(srv: Server, kill: boolean): number;
  /** `ProxyServer.setBindTls()`. */
  setBindTls(frontend: string, bind: string, tls: BindTlsConfig): void;
  /** The nameserver counters (`show resolvers`). */
  resolvers(section?: string): ResolversStats[];
}

function noSuch(what: "backend" | "server"): never {
  throw new ProxyError("ERR_NO_SUCH_OBJECT", `No such ${what}.`);
}

function refuse(message: string): never {
  throw new ProxyError("ERR_INVALID_OPERATION", message);
}

/**
 * The new user weight `text` asks for (HAProxy's `server_parse_weight_change_request()`),
 * or HAProxy's complaint as `ERR_INVALID_OPERATION`.
 */
export function parseWeight(text: string, initial: number, dynamic: boolean): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (text === "") refuse("Require <weight> or <weight%>.");
  if (m === null) refuse("Empty weight string empty or preceded by garbage");
  let w = Number(m[1]);
  const rest = text.slice(m[0].length);
  if (rest === "%") {
    if (w < 0) refuse("Relative weight must be positive.");
    w = Math.min(MAX_WEIGHT, Math.floor((initial * Math.min(w, 25600)) / 100));
  } else if (w < 0 || w > MAX_WEIGHT) {
    refuse("Absolute weight can only be between 0 and 256 inclusive.");
  } else if (rest !== "") refuse("Trailing garbage in weight string");
  if (w !== 0 && w !== initial && !dynamic) {
    refuse("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
  }
  return w;
}

/** The admin API over `host` (what `ProxyServer.admin` returns). */
export function createAdmin(host: AdminHost): ProxyAdmin {
  return new Admin(host);
}

class Admin implements ProxyAdmin {
  readonly #host: AdminHost;

  constructor(host: AdminHost) {
    this.#host = host;
  }

  #backend(name: string): Backend {
    return this.#host.backends.find((b) => b.name === name) ?? noSuch("backend");
  }

  #find(backend: string, server: string): [Backend, Server] {
    const be = this.#backend(backend);
    const id = server.startsWith("#") ? Number(server.slice(1)) : NaN;
    const srv = be.servers.find((s) => s.name === server || s.id === id) ?? noSuch("server");
    return [be, srv];
  }

  // HAProxy's srv_adm_set_maint|drain|ready(): maint clears the forced drain, drain clears
  // maintenance, ready clears both (include/haproxy/server.h).
  setServerState(backend: string, server: string, state: AdminServerState): void {
    const [, srv] = this.#find(backend, server);
    srv.drained = state === "drain";
    srv.forcedMaint = state === "maint";
    if (state === "maint") srv.setState("MAINT", "", "maint");
    else if (srv.state === "MAINT") this.#leaveMaint(srv);
    else if (srv.state === "UP" || srv.state === "DRAIN") {
      srv.setState(srv.upState, "", state === "drain" ? "drain" : "undrain");
    }
  }

  enableServer(backend: string, server: string): void {
    this.setServerState(backend, server, "ready");
  }

  disableServer(backend: string, server: string): void {
    this.setServerState(backend, server, "maint");
  }

  /**
   * HAProxy's `srv_adm_set_ready()`: a checked server restarts at `rise` health, UP; one still
   * without an address (DNS) stays in maintenance until it resolves.
   */
  #leaveMaint(srv: Server): void {
    if (srv.resolutionMaint !== undefined) return;
    const hc = srv.check as HealthChecker | undefined;
    if (hc?.settings.check !== undefined) hc.health = hc.settings.check.rise;
    srv.setState(srv.upState, "", "ready");
  }

  setServerWeight(backend: string, server: string, weight: number | string): void {
    const [be, srv] = this.#find(backend, server);
    const w = parseWeight(String(weight), srv.settings.weight, be.dynamic);
    srv.setWeight(w);
    if (srv.state === "DRAIN" && !srv.drained && w > 0) srv.setState("UP");
    be.serverChanged(srv);
  }

  getServerWeight(backend: string, server: string): { readonly current: number; readonly initial: number } {
    const [, srv] = this.#find(backend, server);
    return { current: srv.userWeight, initial: srv.settings.weight };
  }

  setServerAddress(backend: string, server: string, ip: string, port?: number): string {
    const [, srv] = this.#find(backend, server);
    const old = srv.address;
    if (!isIPv4(ip) && !isIPv6(ip)) refuse(`Invalid addr '${ip}' by '${UPDATER}'`);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      refuse(`Invalid port '${port}' by '${UPDATER}'`);
    }
    if (old.transport !== "tcp") refuse(`Invalid addr '${ip}' by '${UPDATER}'`);
    const hostname = ip.toLowerCase();
    let msg = hostname === old.hostname
      ? "no need to change the addr"
      : `IP changed from '${old.hostname}' to '${hostname}'`;
    if (port !== undefined) {
      msg += port === old.port ? ", no need to change the port" : `, port changed from '${old.port}' to '${port}'`;
    }
    const next: Address = { transport: "tcp", hostname, port: port ?? old.port };
    if (next.hostname !== old.hostname || next.port !== old.port) srv.setAddress(next);
    return `${msg} by '${UPDATER}'`;
  }

  setServerMaxconn(backend: string, server: string, maxconn: number): void {
    const [be, srv] = this.#find(backend, server);
    if (!Number.isInteger(maxconn) || maxconn < 0) refuse("maxconn string empty or preceded by garbage");
    srv.setMaxconn(maxconn);
    be.serverChanged(srv);
  }

  enableHealth(backend: string, server: string): void {
    const hc = this.#find(backend, server)[1].check as HealthChecker | undefined;
    (hc ?? refuse("Health check was not configured on this server, cannot enable.")).start();
  }

  disableHealth(backend: string, server: string): void {
    (this.#find(backend, server)[1].check as HealthChecker | undefined)?.stop();
  }

  shutdownSessions(backend: string, server: string): number {
    return this.#host.streamsOn(this.#find(backend, server)[1], true);
  }

  addServer(backend: string, name: string, settings: Omit<ServerConfig, "name">): void {
    const be = this.#backend(backend);
    if (!be.dynamic) refuse("Backend must use a dynamic load balancing to support dynamic servers.");
    if (be.server(name) !== undefined) refuse("Already exists a server with the same name in backend.");
    const i = this.#host.backends.indexOf(be);
    const config = this.#host.config.backends[i]!;
    const used = new Set(be.servers.map((s) => s.id));
    if (settings.id !== undefined && used.has(settings.id)) refuse(`Server id ${settings.id} already used.`);
    let id = settings.id ?? 1;
    while (used.has(id)) id++;
    // Checked by the configuration's own rules, in a backend like this one.
    let resolved: ResolvedBackendConfig["servers"][number];
    try {
      resolved = resolveConfig({
        frontends: [],
        backends: [{ name: be.name, mode: config.mode, servers: [{ ...settings, name, id, disabled: true }] }],
      }).backends[0]!.servers[0]!;
    } catch (e) {
      const why = e instanceof Error ? e.message.replace(/^backends\[0\]\.servers\[0\]\.?/, "") : String(e);
      throw new ProxyError("ERR_INVALID_OPERATION", `'server ${be.name}/${name}' : ${why}`, { cause: e });
    }
    const srv = be.addServer(toServerSettings(resolved));
    if (resolved.check !== undefined) {
      this.#host.checkers.push(createHealthChecker(be, config, resolved, srv, this.#host.net, this.#host.clock));
    }
  }

  deleteServer(backend: string, server: string): void {
    const [be, srv] = this.#find(backend, server);
    if (srv.state !== "MAINT") refuse("Only servers in maintenance mode can be deleted.");
    if (srv.served > 0 || srv.queued > 0 || this.#host.streamsOn(srv, false) > 0) {
      refuse("Server still has connections attached to it, cannot remove it.");
    }
    const hc = srv.check as HealthChecker | undefined;
    if (hc !== undefined) {
      hc.stop();
      this.#host.checkers.splice(this.#host.checkers.indexOf(hc), 1);
    }
    be.removeServer(srv);
  }

  setSslCert(frontend: string, bind: string, tls: BindTlsConfig): void {
    this.#host.setBindTls(frontend, bind, tls);
  }

  resolvers(section?: string): ResolversStats[] {
    return this.#host.resolvers(section);
  }
}
