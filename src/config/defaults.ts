/**
 * Every default of the configuration, in one place, and the validation of a typed
 * {@link ProxyConfig}. `haproxy.cfg` files and library users go through the same checks:
 * an invalid value is refused with a {@link ProxyError} `ERR_CONFIG_INVALID` whose message
 * starts with the key path, e.g. `backends[0].servers[1].weight: must be an integer 0..256`.
 *
 * @module
 */
import { addressProblem } from "../address.ts";
import { ProxyError } from "../errors.ts";
import type { Address, TlsServerOptions } from "../net.ts";
import type { BindConfig, ProxyV2Option, SendProxyConfig, TcpConnectionRule, TcpContentRule } from "./tls_types.ts";
import type { ResolvedBind, ResolvedTcpRequest } from "./resolved.ts";
import { checkSni, resolveBindTls, resolveServerTls } from "./_resolve_tls.ts";
import type { AclConfig } from "./http_types.ts";
import type { AclSet } from "../acl/acl.ts";
import { aclSetOf, PolicyError } from "../http/policy.ts";
import { compileContentRules } from "../inspect_rules.ts";
import { compileConnectionRules } from "../tcp_rules.ts";
import { checkBackends, MODES, resolveHttp } from "./_resolve_http.ts";
import { resolveForwardProxy, resolveRetryOn } from "./_resolve_fwdproxy.ts";
import { DEFAULT_POOL, type HttpConnectionMode, type HttpReuse } from "../pool.ts";
import { LogFormatError, parseLogFormat } from "../acl/log_format.ts";
import { LOG_RECORD_VARIABLES } from "../log.ts";
import { resolveStatsSockets } from "./stats_socket.ts";
import { resolveResolvers, resolveServerResolve } from "./_resolve_dns.ts";

/** `http-reuse` values. */
const HTTP_REUSE: readonly HttpReuse[] = ["never", "safe", "aggressive", "always"];
/** HTTP connection modes. */
const CONN_MODES: readonly HttpConnectionMode[] = ["keep-alive", "server-close", "close"];
import {
  checkHttpOnly,
  resolveCheckHeaders,
  resolveCookie,
  resolveHashType,
  resolveHttpBalance,
  resolveHttpExpect,
  resolveServerCookie,
} from "./_resolve_persist.ts";
import type {
  BackendConfig,
  BalanceAlgorithm,
  CustomBalancerFactory,
  FrontendConfig,
  HealthCheckKind,
  OnError,
  ProxyConfig,
  ServerConfig,
  UseBackendConfig,
} from "./types.ts";

/** Connect retries per stream, as HAProxy (`CONN_RETRIES`, include/haproxy/defaults.h). */
export const DEFAULT_RETRIES = 3;
/** Server weight, as HAProxy (configuration.txt 5.2 `weight`). */
export const DEFAULT_WEIGHT = 1;
/** Highest server weight, as HAProxy (`SRV_UWGHT_MAX`). */
export const MAX_WEIGHT = 256;
/** Health check interval, as HAProxy (`DEF_CHKINTR`). */
export const DEFAULT_INTER_MS = 2000;
/** Successes to go UP, as HAProxy (`DEF_RISETIME`). */
export const DEFAULT_RISE = 2;
/** Failures to go DOWN, as HAProxy (`DEF_FALLTIME`). */
export const DEFAULT_FALL = 3;
/** Consecutive observed errors before `on-error` acts, as HAProxy (`DEF_HANA_ERRLIMIT`). */
export const DEFAULT_ERROR_LIMIT = 10;
/** What `observe` does at the error limit, as HAProxy (`DEF_HANA_ONERR`). */
export const DEFAULT_ON_ERROR: OnError = "fail-check";
/** Draws of `balance random` (power of two choices), as HAProxy. */
export const DEFAULT_RANDOM_DRAWS = 2;
/** Algorithm when none is set: HAProxy picks `random` (configuration.txt 4.2 `balance`). */
export const DEFAULT_BALANCE: BalanceAlgorithm = { kind: "random", draws: DEFAULT_RANDOM_DRAWS };
/** `option redispatch` is off unless asked for, as HAProxy. */
export const DEFAULT_REDISPATCH = 0;
/** `maxconn`, `maxqueue`: 0 means unlimited, as HAProxy for servers. */
export const UNLIMITED = 0;
/** `option httpchk` method, as HAProxy (its request line is `OPTIONS / HTTP/1.0`). */
export const DEFAULT_HTTPCHK_METHOD = "OPTIONS";
/** `option httpchk` URI, as HAProxy. */
export const DEFAULT_HTTPCHK_URI = "/";
/** `option httpchk` HTTP version, as HAProxy. */
export const DEFAULT_HTTPCHK_VERSION = "HTTP/1.0";
/** Log target of a typed `LogConfig` that names none. */
export const DEFAULT_LOG_TARGET = "stdout";
/** Log format of a typed `LogConfig` that names none: HAProxy's TCP log line. */
export const DEFAULT_LOG_FORMAT = "tcplog";
/** HAProxy timers are signed 32-bit milliseconds (~24.8 days); larger is "timer overflow". */
export const MAX_TIMEOUT_MS = 2147483647;
/** Upper bound of counts (maxconn, ids, retries...): HAProxy stores them in C `int`s. */
export const MAX_COUNT = 2147483647;
/** Characters HAProxy permits in proxy and server names (`invalid_char()`). */
export const NAME_PATTERN: RegExp = /^[A-Za-z0-9_.:-]+$/;
/** On-error actions HAProxy knows. */
export const ON_ERROR_VALUES: readonly OnError[] = ["fastinter", "fail-check", "sudden-death", "mark-down"];

export type {
  ResolvedBackendConfig,
  ResolvedBackendTimeouts,
  ResolvedBind,
  ResolvedCheckConfig,
  ResolvedCookieConfig,
  ResolvedFrontendConfig,
  ResolvedHashType,
  ResolvedHealthCheck,
  ResolvedHttpConfig,
  ResolvedHttpExpect,
  ResolvedLogConfig,
  ResolvedProxyConfig,
  ResolvedServerConfig,
  ResolvedTcpRequest,
} from "./resolved.ts";
import type {
  ResolvedBackendConfig,
  ResolvedCheckConfig,
  ResolvedFrontendConfig,
  ResolvedHealthCheck,
  ResolvedLogConfig,
  ResolvedProxyConfig,
  ResolvedServerConfig,
} from "./resolved.ts";

/** Options of {@link resolveConfig}. */
export interface ResolveOptions {
  /** Receives warnings (missing timeouts, as HAProxy warns). @default warnings are dropped */
  readonly onWarning?: (message: string) => void;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object" && v !== null) return JSON.stringify(v) ?? "an object";
  return String(v);
}

/** Throws `ERR_CONFIG_INVALID` for `path`; `got` (even `undefined`) is shown when passed. */
function bad(path: string, what: string, ...got: unknown[]): never {
  const tail = got.length > 0 ? `, got ${show(got[0])}` : "";
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${what}${tail}`);
}

function int(v: unknown, path: string, min: number, max: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    bad(path, `must be an integer ${min}..${max}`, v);
  }
  return v;
}

/** A timeout: 0 and `undefined` both mean infinite, as HAProxy (a zero tick is eternity). */
function timeout(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = int(v, path, 0, MAX_TIMEOUT_MS);
  return ms === 0 ? undefined : ms;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") bad(path, "must be a boolean", v);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!values.includes(v as T)) bad(path, `must be one of ${values.map((x) => `"${x}"`).join(", ")}`, v);
  return v as T;
}

/**
 * A `log-format` string (`vars`: the variables beyond a request's it may use), parsed once to
 * refuse it here with HAProxy's message.
 */
function logFormat(
  v: unknown,
  path: string,
  vars: ReadonlySet<string> | undefined = LOG_RECORD_VARIABLES,
): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") bad(path, "must be a string", v);
  try {
    parseLogFormat(v, vars);
  } catch (e) {
    if (e instanceof LogFormatError) bad(path, e.message);
    throw e;
  }
  return v;
}

/** `unique-id-header`: a field name (an RFC 9110 token), kept lowercase as every field. */
function uniqueIdHeader(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) bad(path, "must be a header name", v);
  return v.toLowerCase();
}

function name(v: unknown, path: string): string {
  if (typeof v !== "string" || !NAME_PATTERN.test(v)) {
    bad(path, "must be a non-empty name of letters, digits, '_', '.', ':' or '-'", v);
  }
  return v;
}

/** A `bind`: a plain address, or an address with options. */
function resolveBind(v: unknown, path: string, index: number): ResolvedBind {
  const o = obj(v, path);
  if (o.transport !== undefined) {
    return { address: address(o, path, true), tls: undefined, acceptProxy: false, name: `${index + 1}` };
  }
  const b = o as Partial<Record<keyof BindConfig, unknown>>;
  const tls: TlsServerOptions | undefined = b.tls === undefined ? undefined : resolveBindTls(b.tls, `${path}.tls`);
  if (b.name !== undefined && (typeof b.name !== "string" || b.name === "")) {
    bad(`${path}.name`, "must be a non-empty string", b.name);
  }
  return {
    address: address(b.address, `${path}.address`, true),
    tls,
    acceptProxy: bool(b.acceptProxy, `${path}.acceptProxy`),
    name: (b.name as string | undefined) ?? `${index + 1}`,
  };
}

/**
 * `tcpRequest`: inspect-delay and rule lists; content rules are compiled once against the
 * frontend's ACLs (`acls`) to refuse what would not run.
 */
function resolveTcpRequest(
  v: unknown,
  path: string,
  acls: unknown,
  onWarning: ((m: string) => void) | undefined,
): ResolvedTcpRequest {
  if (v === undefined) return { inspectDelayMs: 0, connection: [], content: [] };
  const o = obj(v, path);
  const content = (o.content === undefined ? [] : list(o.content, `${path}.content`)) as TcpContentRule[];
  const connection =
    (o.connection === undefined ? [] : list(o.connection, `${path}.connection`)) as TcpConnectionRule[];
  if (content.length + connection.length > 0) {
    let set: AclSet | undefined;
    try {
      set = aclSetOf((Array.isArray(acls) ? acls : []) as AclConfig[]);
    } catch (e) {
      // An invalid ACL is reported with its own key by the HTTP settings' check.
      if (!(e instanceof PolicyError)) throw e;
    }
    const warn = onWarning === undefined ? undefined : (m: string) => onWarning(`${path}: ${m}`);
    try {
      if (set !== undefined) {
        compileContentRules(content, set, warn);
        compileConnectionRules(connection, set, warn);
      }
    } catch (e) {
      if (e instanceof PolicyError) bad(`${path}.${e.key}`, e.message);
      throw e;
    }
  }
  return {
    inspectDelayMs: int(o.inspectDelayMs, `${path}.inspectDelayMs`, 0, MAX_TIMEOUT_MS, 0),
    connection,
    content,
  };
}

/** Whether `v` is a TCP address `0.0.0.0` or `::` (a transparent server's). */
function isAnyAddress(v: unknown): boolean {
  const a = v as Partial<Address> | null;
  return typeof a === "object" && a !== null && a.transport === "tcp" &&
    (a.hostname === "0.0.0.0" || a.hostname === "::");
}

/** `sendProxy`: version 1 or 2, v2 options from the known set. */
function resolveSendProxy(v: unknown, path: string): SendProxyConfig {
  const o = obj(v, path);
  if (o.version !== 1 && o.version !== 2) bad(`${path}.version`, "must be 1 or 2", o.version);
  const known: readonly ProxyV2Option[] = ["ssl", "cert-cn", "ssl-cipher", "authority", "unique-id", "crc32c"];
  const opts = o.v2Options === undefined ? [] : list(o.v2Options, `${path}.v2Options`);
  opts.forEach((w, i) => {
    if (!known.includes(w as ProxyV2Option)) bad(`${path}.v2Options[${i}]`, `must be one of ${known.join(", ")}`, w);
  });
  return { version: o.version, v2Options: opts as ProxyV2Option[] };
}

function address(v: unknown, path: string, allowPortZero: boolean): Address {
  const problem = addressProblem(v, { allowPortZero });
  if (problem !== undefined) bad(path, problem);
  return v as Address;
}

function list(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) bad(path, "must be an array", v);
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "must be an object", v);
  return v as Record<string, unknown>;
}

/** `balance`: the kind, for `random` its draws (an integer ≥ 1), for `custom` its factory. */
export function resolveBalance(v: unknown, path: string): BalanceAlgorithm {
  if (v === undefined) return DEFAULT_BALANCE;
  const b = obj(v, path);
  switch (b.kind) {
    case "roundrobin":
    case "static-rr":
    case "leastconn":
    case "first":
    case "source":
      return { kind: b.kind };
    case "uri":
    case "url_param":
    case "hdr":
      return resolveHttpBalance(b, path);
    case "random":
      return { kind: "random", draws: int(b.draws, `${path}.draws`, 1, MAX_COUNT, DEFAULT_RANDOM_DRAWS) };
    case "custom": {
      if (typeof b.create !== "function") bad(`${path}.create`, "must be a function returning a Balancer", b.create);
      const name = b.name ?? "custom";
      if (typeof name !== "string" || name === "") bad(`${path}.name`, "must be a non-empty string", name);
      return { kind: "custom", name, create: b.create as CustomBalancerFactory };
    }
    default:
      return bad(
        `${path}.kind`,
        "must be roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr, random or custom",
        b.kind,
      );
  }
}

function resolveHealthCheck(v: unknown, path: string): ResolvedHealthCheck {
  if (v === undefined) return { kind: "tcp" };
  const h = obj(v, path) as { [K in keyof Extract<HealthCheckKind, { kind: "http" }>]?: unknown };
  if (h.kind === "tcp") return { kind: "tcp" };
  if (h.kind !== "http") bad(`${path}.kind`, `must be "tcp" or "http"`, h.kind);
  const text = (x: unknown, key: string, re: RegExp, what: string, dflt: string): string => {
    if (x === undefined) return dflt;
    if (typeof x !== "string" || !re.test(x)) bad(`${path}.${key}`, what, x);
    return x;
  };
  let expectStatus: readonly number[] | undefined;
  if (h.expectStatus !== undefined) {
    const codes = list(h.expectStatus, `${path}.expectStatus`);
    if (codes.length === 0) bad(`${path}.expectStatus`, "must list at least one status");
    expectStatus = codes.map((c, i) => int(c, `${path}.expectStatus[${i}]`, 100, 599));
  }
  const headers = resolveCheckHeaders(h.headers, `${path}.headers`);
  const expect = resolveHttpExpect(h.expect, `${path}.expect`);
  return {
    kind: "http",
    method: text(
      h.method,
      "method",
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
      "must be an HTTP method token",
      DEFAULT_HTTPCHK_METHOD,
    ),
    uri: text(
      h.uri,
      "uri",
      /^[\x21-\x7e]+$/,
      "must be a URI without spaces or control characters",
      DEFAULT_HTTPCHK_URI,
    ),
    version: text(h.version, "version", /^HTTP\/\d\.\d$/, "must look like HTTP/1.1", DEFAULT_HTTPCHK_VERSION),
    expectStatus,
    headers,
    expect,
  };
}

function resolveServer(
  v: unknown,
  path: string,
  dns: ReadonlySet<string>,
): Omit<ResolvedServerConfig, "id"> & { id: number | undefined } {
  const s = obj(v, path) as Partial<Record<keyof ServerConfig, unknown>>;
  let check: ResolvedCheckConfig | undefined;
  if (s.check !== undefined) {
    const c = obj(s.check, `${path}.check`);
    const interMs = int(c.interMs, `${path}.check.interMs`, 1, MAX_TIMEOUT_MS, DEFAULT_INTER_MS);
    check = {
      interMs,
      fastinterMs: int(c.fastinterMs, `${path}.check.fastinterMs`, 1, MAX_TIMEOUT_MS, interMs),
      downinterMs: int(c.downinterMs, `${path}.check.downinterMs`, 1, MAX_TIMEOUT_MS, interMs),
      rise: int(c.rise, `${path}.check.rise`, 1, MAX_COUNT, DEFAULT_RISE),
      fall: int(c.fall, `${path}.check.fall`, 1, MAX_COUNT, DEFAULT_FALL),
      port: c.port === undefined ? undefined : int(c.port, `${path}.check.port`, 1, 65535),
      ...(bool(c.sendProxy, `${path}.check.sendProxy`) ? { sendProxy: true } : {}),
    };
    // HAProxy checks an `ssl` server over TLS unless `port` sends the checks elsewhere.
    const ssl = c.ssl === undefined ? s.tls !== undefined && c.port === undefined : bool(c.ssl, `${path}.check.ssl`);
    const sni = checkSni(c.sni, `${path}.check.sni`);
    if (ssl) check = { ...check, ssl };
    if (sni !== undefined) check = { ...check, sni };
  }
  if (s.observe !== undefined && s.observe !== "layer4" && s.observe !== "layer7") {
    bad(`${path}.observe`, `must be "layer4" or "layer7"`, s.observe);
  }
  const transparent = isAnyAddress(s.address);
  const resolve = s.resolve === undefined
    ? undefined
    : resolveServerResolve(s.resolve, `${path}.resolve`, String(s.name), dns);
  const srv = resolve?.fqdn.startsWith("_") === true;
  const mapPorts = s.mapPorts === undefined ? undefined : int(s.mapPorts, `${path}.mapPorts`, -65535, 65535);
  if (transparent && check !== undefined && check.port === undefined) {
    bad(`${path}.check`, "a transparent server (0.0.0.0) has no address of its own to check: set check.port");
  }
  return {
    name: name(s.name, `${path}.name`),
    // An SRV server's port comes from its record (configuration.txt 5.3).
    address: address(s.address, `${path}.address`, transparent || mapPorts !== undefined || srv),
    weight: int(s.weight, `${path}.weight`, 0, MAX_WEIGHT, DEFAULT_WEIGHT),
    maxconn: int(s.maxconn, `${path}.maxconn`, 0, MAX_COUNT, UNLIMITED),
    maxqueue: int(s.maxqueue, `${path}.maxqueue`, 0, MAX_COUNT, UNLIMITED),
    backup: bool(s.backup, `${path}.backup`),
    disabled: bool(s.disabled, `${path}.disabled`),
    slowstartMs: int(s.slowstartMs, `${path}.slowstartMs`, 0, MAX_TIMEOUT_MS, 0),
    check,
    observe: s.observe,
    errorLimit: int(s.errorLimit, `${path}.errorLimit`, 1, MAX_COUNT, DEFAULT_ERROR_LIMIT),
    onError: oneOf(s.onError, `${path}.onError`, ON_ERROR_VALUES, DEFAULT_ON_ERROR),
    poolMaxConn: int(s.poolMaxConn, `${path}.poolMaxConn`, -1, MAX_COUNT, DEFAULT_POOL.maxIdle),
    poolPurgeDelayMs: int(s.poolPurgeDelayMs, `${path}.poolPurgeDelayMs`, 1, MAX_TIMEOUT_MS, DEFAULT_POOL.purgeDelayMs),
    maxReuse: int(s.maxReuse, `${path}.maxReuse`, -1, MAX_COUNT, DEFAULT_POOL.maxReuse),
    tls: s.tls === undefined ? undefined : resolveServerTls(s.tls, `${path}.tls`),
    sendProxy: s.sendProxy === undefined ? undefined : resolveSendProxy(s.sendProxy, `${path}.sendProxy`),
    transparent,
    mapPorts,
    cookie: resolveServerCookie(s.cookie, `${path}.cookie`),
    id: s.id === undefined ? undefined : int(s.id, `${path}.id`, 1, MAX_COUNT),
    ...(resolve !== undefined ? { resolve } : {}),
  };
}

/**
 * Gives servers without an `id` the smallest unused id, counting on from the last one given,
 * as HAProxy's `get_next_id()` does at the end of parsing: without explicit ids this is the
 * position in the backend, from 1.
 */
function assignIds(
  servers: readonly (Omit<ResolvedServerConfig, "id"> & { id: number | undefined })[],
  path: string,
): ResolvedServerConfig[] {
  const used = new Map<number, number>();
  servers.forEach((s, i) => {
    if (s.id === undefined) return;
    const first = used.get(s.id);
    if (first !== undefined) bad(`${path}[${i}].id`, `id ${s.id} is already used by ${path}[${first}]`);
    used.set(s.id, i);
  });
  let next = 1;
  return servers.map((s) => {
    if (s.id !== undefined) return { ...s, id: s.id };
    while (used.has(next)) next++;
    used.set(next, -1);
    return { ...s, id: next };
  });
}

function resolveBackend(
  v: unknown,
  path: string,
  dns: ReadonlySet<string>,
  onWarning?: (m: string) => void,
): ResolvedBackendConfig {
  const b = obj(v, path) as Partial<Record<keyof BackendConfig, unknown>>;
  const mode = oneOf(b.mode, `${path}.mode`, MODES, "tcp");
  const servers = list(b.servers, `${path}.servers`).map((s, i) => resolveServer(s, `${path}.servers[${i}]`, dns));
  const seen = new Map<string, number>();
  servers.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) {
      bad(`${path}.servers[${i}].name`, `duplicate server name "${s.name}" (also servers[${first}])`);
    }
    seen.set(s.name, i);
  });
  const retries = int(b.retries, `${path}.retries`, 0, MAX_COUNT, DEFAULT_RETRIES);
  // A negative interval N redispatches on retry number `retries + 1 + N`; it must exist.
  const redispatch = int(b.redispatch, `${path}.redispatch`, -retries, MAX_COUNT, DEFAULT_REDISPATCH);
  const t = b.timeouts === undefined ? {} : obj(b.timeouts, `${path}.timeouts`);
  const connectMs = timeout(t.connectMs, `${path}.timeouts.connectMs`);
  // HAProxy presets an unset (zero) `timeout queue` with `timeout connect` (configuration.txt
  // 4.2 `timeout queue`).
  const queueMs = timeout(t.queueMs, `${path}.timeouts.queueMs`) ?? connectMs;
  const beName = name(b.name, `${path}.name`);
  // HTTP-aware balancing and persistence (`_resolve_persist.ts`).
  const balance = resolveBalance(b.balance, `${path}.balance`);
  const cookie = resolveCookie(b.cookie, `${path}.cookie`);
  checkHttpOnly(mode, balance, cookie, path);
  return {
    name: beName,
    mode,
    http: resolveHttp({ ...(v as BackendConfig), name: beName }, mode, path, onWarning, "backend"),
    balance,
    hashType: resolveHashType(b.hashType, `${path}.hashType`),
    cookie,
    persist: bool(b.persist, `${path}.persist`),
    servers: assignIds(servers, `${path}.servers`),
    retries,
    redispatch,
    timeouts: {
      connectMs,
      serverMs: timeout(t.serverMs, `${path}.timeouts.serverMs`),
      queueMs,
      tunnelMs: timeout(t.tunnelMs, `${path}.timeouts.tunnelMs`),
      checkMs: timeout(t.checkMs, `${path}.timeouts.checkMs`),
    },
    healthCheck: resolveHealthCheck(b.healthCheck, `${path}.healthCheck`),
    allBackups: bool(b.allBackups, `${path}.allBackups`),
    abortOnClose: bool(b.abortOnClose, `${path}.abortOnClose`),
    httpReuse: oneOf(b.httpReuse, `${path}.httpReuse`, HTTP_REUSE, "safe"),
    httpConnectionMode: oneOf(b.httpConnectionMode, `${path}.httpConnectionMode`, CONN_MODES, "keep-alive"),
    httpBufferRequest: bool(b.httpBufferRequest, `${path}.httpBufferRequest`),
    forwardProxy: resolveForwardProxy(b.forwardProxy, `${path}.forwardProxy`, mode, servers.length),
    retryOn: resolveRetryOn(b.retryOn, `${path}.retryOn`),
  };
}

function resolveFrontend(
  v: unknown,
  path: string,
  backends: ReadonlyMap<string, "tcp" | "http">,
  onWarning?: (m: string) => void,
): ResolvedFrontendConfig {
  const f = obj(v, path) as Partial<Record<keyof FrontendConfig, unknown>>;
  const binds = list(f.binds, `${path}.binds`).map((a, i) => resolveBind(a, `${path}.binds[${i}]`, i));
  if (binds.length === 0) bad(`${path}.binds`, "must hold at least one address");
  const mode = oneOf(f.mode, `${path}.mode`, MODES, "tcp");
  const feName = name(f.name, `${path}.name`);
  binds.forEach((b, i) => {
    if (mode === "http" && b.tls?.alpnProtocols?.includes("h2") === true) {
      bad(`${path}.binds[${i}].tls.alpnProtocols`, `"h2" is not supported in mode http (HTTP/1.1 only)`);
    }
  });
  // HAProxy answers 503 to an HTTP request no rule routes; a TCP stream has no such answer.
  if (f.defaultBackend !== undefined || mode === "tcp") {
    if (typeof f.defaultBackend !== "string") bad(`${path}.defaultBackend`, "must be a backend name", f.defaultBackend);
    if (!backends.has(f.defaultBackend)) bad(`${path}.defaultBackend`, `no backend named "${f.defaultBackend}"`);
  }
  const useBackends = f.useBackends === undefined ? [] : list(f.useBackends, `${path}.useBackends`);
  checkBackends(
    feName,
    mode,
    f.defaultBackend as string | undefined,
    useBackends as UseBackendConfig[],
    backends,
    path,
  );
  let log: ResolvedLogConfig | undefined;
  if (f.log !== undefined) {
    const l = obj(f.log, `${path}.log`);
    log = {
      target: oneOf(l.target, `${path}.log.target`, ["stdout", "stderr"], DEFAULT_LOG_TARGET),
      format: oneOf(l.format, `${path}.log.format`, ["tcplog", "json", "httplog"], DEFAULT_LOG_FORMAT),
      logFormat: logFormat(l.logFormat, `${path}.log.logFormat`),
    };
  }
  return {
    name: feName,
    binds,
    tcpRequest: resolveTcpRequest(f.tcpRequest, `${path}.tcpRequest`, f.acls, onWarning),
    mode,
    defaultBackend: f.defaultBackend as string | undefined,
    http: resolveHttp({ ...(v as FrontendConfig), name: feName }, mode, path, onWarning),
    clientTimeoutMs: timeout(f.clientTimeoutMs, `${path}.clientTimeoutMs`),
    maxconn: int(f.maxconn, `${path}.maxconn`, 0, MAX_COUNT, UNLIMITED),
    rateLimitSessions: int(f.rateLimitSessions, `${path}.rateLimitSessions`, 0, MAX_COUNT, UNLIMITED),
    log,
    httpRequestTimeoutMs: timeout(f.httpRequestTimeoutMs, `${path}.httpRequestTimeoutMs`),
    httpKeepAliveTimeoutMs: timeout(f.httpKeepAliveTimeoutMs, `${path}.httpKeepAliveTimeoutMs`),
    httpConnectionMode: oneOf(f.httpConnectionMode, `${path}.httpConnectionMode`, CONN_MODES, "keep-alive"),
    httpBufferRequest: bool(f.httpBufferRequest, `${path}.httpBufferRequest`),
    // Rendered from the request: a finished stream's variables (`%ST`...) are refused.
    uniqueIdFormat: logFormat(f.uniqueIdFormat, `${path}.uniqueIdFormat`, undefined),
    uniqueIdHeader: uniqueIdHeader(f.uniqueIdHeader, `${path}.uniqueIdHeader`),
  };
}

function bindKey(a: Address): string | undefined {
  if (a.transport === "unix") return `unix:${a.path}`;
  return a.port === 0 ? undefined : `tcp:${a.hostname}:${a.port}`;
}

/**
 * Validates a typed configuration and applies every default (the constants above).
 *
 * Checks what the `haproxy.cfg` loader checks: value ranges (weight 0..256, timeouts
 * 0..2147483647 ms, counts ≥ 0, rise/fall/error-limit/inter ≥ 1), names, addresses, unique
 * frontend, backend and server names and server ids, at least one bind per frontend, the
 * same address bound twice, and that every `defaultBackend` and `useBackends` target exists
 * (an `http` backend for an `http` frontend). Compiles the HTTP settings (ACLs, conditions,
 * rules, forwarding options, error files) with HAProxy's error texts after the key path.
 * Warns, as HAProxy does, about a frontend without a client timeout, a backend without
 * connect or server timeout, and an ACL without patterns.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "@proxykit/proxykit";
 *
 * const cfg = resolveConfig({
 *   frontends: [{
 *     name: "fe",
 *     binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 8080 }],
 *     defaultBackend: "be",
 *   }],
 *   backends: [{
 *     name: "be",
 *     servers: [{ name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 9000 } }],
 *   }],
 * }, { onWarning: (message) => console.warn(message) }); // warns: no timeout client, connect, server
 * cfg.backends[0]?.retries; // 3
 * cfg.backends[0]?.balance; // { kind: "random", draws: 2 }
 * cfg.backends[0]?.servers[0]?.id; // 1
 * ```
 * @throws {ProxyError} `ERR_CONFIG_INVALID`, the message starting with the key path.
 */
export function resolveConfig(config: ProxyConfig, options: ResolveOptions = {}): ResolvedProxyConfig {
  const c = obj(config, "config") as Partial<Record<keyof ProxyConfig, unknown>>;
  const warn = options.onWarning;
  const resolvers = c.resolvers === undefined
    ? []
    : list(c.resolvers, "resolvers").map((r, i) => resolveResolvers(r, `resolvers[${i}]`));
  const dns = new Set<string>();
  resolvers.forEach((r, i) => {
    if (dns.has(r.name)) bad(`resolvers[${i}].name`, `duplicate resolvers name "${r.name}"`);
    dns.add(r.name);
  });
  const backends = list(c.backends, "backends").map((b, i) => resolveBackend(b, `backends[${i}]`, dns, warn));
  const names = new Map<string, "tcp" | "http">();
  backends.forEach((b, i) => {
    if (names.has(b.name)) bad(`backends[${i}].name`, `duplicate backend name "${b.name}"`);
    names.set(b.name, b.mode);
  });
  const frontends = list(c.frontends, "frontends").map((f, i) => resolveFrontend(f, `frontends[${i}]`, names, warn));
  const feNames = new Set<string>();
  const bound = new Map<string, string>();
  frontends.forEach((f, i) => {
    if (feNames.has(f.name)) bad(`frontends[${i}].name`, `duplicate frontend name "${f.name}"`);
    feNames.add(f.name);
    f.binds.forEach((b, j) => {
      const key = bindKey(b.address);
      if (key === undefined) return;
      const first = bound.get(key);
      if (first !== undefined) bad(`frontends[${i}].binds[${j}]`, `address already bound by ${first}`);
      bound.set(key, `frontends[${i}]`);
    });
  });
  if (warn !== undefined) {
    for (const f of frontends) {
      if (f.clientTimeoutMs === undefined) warn(`missing timeouts for frontend '${f.name}': set 'timeout client'`);
    }
    for (const b of backends) {
      if (b.timeouts.connectMs === undefined || b.timeouts.serverMs === undefined) {
        warn(`missing timeouts for backend '${b.name}': set 'timeout connect' and 'timeout server'`);
      }
    }
  }
  return {
    frontends,
    backends,
    maxconn: int(c.maxconn, "maxconn", 0, MAX_COUNT, UNLIMITED),
    resolvers,
    statsSockets: resolveStatsSockets(c.statsSockets),
  };
}
