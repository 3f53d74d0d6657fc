/**
 * Loads the subset of `haproxy.cfg` proxykit implements into a typed {@link ProxyConfig}.
 *
 * Sections `global`, `defaults`, `frontend`, `backend` and `listen`. Keywords: `bind`,
 * `mode tcp|http`, `default_backend`, `balance`, `server`, `default-server`, `retries`,
 * `[no] option redispatch`, `[no] option allbackups`, `option tcp-check`, `option httpchk`,
 * `http-check expect status`, `option tcplog [json]`, `log`, `no log`, `maxconn`, and
 * `timeout connect|client|server|queue|tunnel|check`; in `global`: `maxconn`, `log`,
 * `daemon`, `master-worker`, `nbthread` (accepted, no effect) and `stats`, `user`, `group`,
 * `uid`, `gid`, `chroot`, `pidfile` (accepted with a warning that they are ignored).
 * HTTP mode (`_cfg_http.ts`): `acl`, `use_backend`, `http-request` (`set-header`,
 * `add-header`, `del-header`, `replace-header`, `replace-value`, `set-path`, `allow`, `deny`,
 * `return`, `redirect`), `http-response` (the header actions), `option forwardfor`, `option
 * forwarded` (HAProxy 2.8's syntax) and `errorfile` (read through `options.readFile`), each
 * refused with HAProxy's own message after `file:line:`. HTTP connections: `timeout
 * http-request`, `timeout http-keep-alive`, `option http-keep-alive|http-server-close|httpclose`,
 * `http-reuse`, `option httplog`, `log-format`, the server options `pool-max-conn`,
 * `pool-purge-delay`, `max-reuse`. Persistence and HTTP balancing (`_cfg_persist.ts`). Proxy mode and
 * layer-7 retries (`_cfg_fwdproxy.ts`): `option http_proxy`, `http-proxy-allow`,
 * `http-proxy-auth` (proxykit's own) and `retry-on`. TLS (`_cfg_bind.ts`,
 * `_cfg_server_tls.ts`, `_cfg_crt_list.ts`): `bind ... ssl crt FILE|DIR crt-list FILE alpn
 * ssl-min-ver ssl-max-ver verify ca-file ca-verify-file strict-sni no-tls-tickets` (a crt-list
 * line's `[sslbindconf]` too), `server ... ssl verify ca-file sni verifyhost alpn crt
 * ssl-min-ver ssl-max-ver check-ssl check-sni no-ssl`, and in `global` `ssl-server-verify`,
 * `ssl-default-bind-options`, `ssl-default-server-options`, `crt-base`, `ca-base`; certificate
 * files are read through
 * `options.readFile` (and `options.readDir` for `crt DIR`).
 *
 * Anything else is refused, never silently ignored: `file:line: unknown keyword 'xyz' in
 * section 'backend be1'`. With `lenient`, unknown or unsupported keywords and options become
 * warnings and are skipped; invalid values are errors either way. `option tcplog json` is a
 * proxykit extension (HAProxy refuses it): the same fields as tcplog, one JSON object a line.
 *
 * @module
 */
import { isProxyError, ProxyError } from "../errors.ts";
import {
  type Ctx,
  emptySettings,
  GLOBAL_KEYWORDS,
  GLOBAL_NO_EFFECT,
  type GlobalSettings,
  HAPROXY_SECTIONS,
  type Kind,
  label,
  PROXY_KEYWORDS,
  type Section,
  type Settings,
} from "./_cfg_keywords.ts";
import { splitLines } from "./_cfg_tokens.ts";
import { emptySectionHttp, HTTP_KEYWORDS } from "./_cfg_http.ts";
import { STATS_KEYWORDS } from "./_cfg_stats.ts";
import { PERSIST_KEYWORDS } from "./_cfg_persist.ts";
import { TCP_CONNECTION_KEYWORDS } from "./_cfg_tcp_connection.ts";
import { buildHttp, checkSwitching } from "./_cfg_http_build.ts";
import { buildFwd, FWD_KEYWORDS } from "./_cfg_fwdproxy.ts";
import { TCP_REQUEST_KEYWORDS } from "./_cfg_tcp_request.ts";
import { NAME_PATTERN, resolveConfig } from "./defaults.ts";
import { sendProxyConfig } from "./_cfg_send_proxy.ts";
import { buildProcess, OPS_GLOBAL_KEYWORDS, OPS_KEYWORDS } from "./_cfg_ops.ts";
import {
  resolversConfig,
  resolversKeyword,
  type ResolversSection,
  serverResolve,
  startResolvers,
} from "./_cfg_resolvers.ts";
import type { BindConfig } from "./tls_types.ts";
import type { Address } from "../net.ts";
import type {
  BackendConfig,
  BackendTimeouts,
  BalanceAlgorithm,
  CheckConfig,
  CookieConfig,
  FrontendConfig,
  HealthCheckKind,
  LogConfig,
  ProxyConfig,
  ServerConfig,
  TcpRequestConfig,
} from "./types.ts";

/** Options of {@link parseHaproxyConfig}. */
export interface HaproxyConfigOptions {
  /** Unknown or unsupported keywords and options warn and are skipped instead of failing. @default false */
  readonly lenient?: boolean;
  /** Receives each warning, prefixed with `file:line:`. @default warnings are dropped */
  readonly onWarning?: (message: string) => void;
  /**
   * Variables for `"$NAME"` / `"${NAME}"` inside double quotes (an unset one expands to
   * nothing, as HAProxy, configuration.txt 2.3). A program passes its process environment
   * here if it wants HAProxy's behaviour.
   * @default undefined (any expansion is an error)
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Reads a file the configuration names (`errorfile`), relative paths as the program
   * decides; thrown errors become `error opening file '<path>'.`. A program passes its
   * runtime's file API here (the loader itself does no I/O).
   * @default undefined (an `errorfile` line is an error)
   */
  readonly readFile?: (path: string) => string | Uint8Array;
  /**
   * Lists a folder the configuration names (`crt DIR`): the entry names, or `undefined` when
   * the path is not a folder (it is then read as a file); a thrown error means it cannot be
   * read (`unable to stat SSL certificate from file ...`). A program passes its runtime's API.
   * @default undefined (every `crt` path is read as a file)
   */
  readonly readDir?: (path: string) => readonly string[] | undefined;
}

/** Copies the defined entries only, so optional properties stay absent (exactOptionalPropertyTypes). */
function compact<T>(o: { [K in keyof T]?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Parses `haproxy.cfg` text into a {@link ProxyConfig}, applying `defaults` sections as
 * HAProxy does (each proxy starts from the last `defaults` above it; a new `defaults`
 * section starts from scratch). A `listen` section gives a frontend and a backend of the same
 * name; without `bind` it is a backend only (HAProxy warns alike). The result also passes
 * {@link resolveConfig}; missing-timeout warnings are left to that call.
 *
 * @example
 * ```ts
 * import { parseHaproxyConfig } from "@proxykit/proxykit";
 *
 * // In a program, `text` is the file's contents, read with your runtime's file API.
 * const text = `
 * defaults
 *   timeout connect 5s
 *   timeout client 30s
 *   timeout server 30s
 * listen app
 *   bind 127.0.0.1:8080
 *   balance leastconn
 *   server s1 127.0.0.1:9001 check inter 1s
 *   server s2 "\${BACKUP_HOST}:9002" backup
 * `;
 * const config = parseHaproxyConfig(text, "haproxy.cfg", {
 *   env: { BACKUP_HOST: "10.0.0.2" },
 *   onWarning: (message) => console.warn(message),
 * });
 * config.backends[0]?.servers[1]?.address; // { transport: "tcp", hostname: "10.0.0.2", port: 9002 }
 * config.frontends[0]?.defaultBackend; // "app": a listen section is a frontend and a backend
 * ```
 * @throws {ProxyError} `ERR_CONFIG_INVALID`, the message starting with `file:line:` and naming
 *   the keyword: unknown keyword, invalid value or address, duplicate section or server name,
 *   frontend without `bind` or backend, unknown `default_backend`.
 */
export function parseHaproxyConfig(text: string, fileName: string, options: HaproxyConfigOptions = {}): ProxyConfig {
  const lenient = options.lenient ?? false;
  const at = (line: number, msg: string): string => `${fileName}:${line}: ${msg}`;
  const fail = (line: number, msg: string): never => {
    throw new ProxyError("ERR_CONFIG_INVALID", at(line, msg));
  };
  const warn = (line: number, msg: string): void => options.onWarning?.(at(line, msg));
  const unsupported = (line: number, msg: string): void => {
    if (!lenient) fail(line, msg);
    warn(line, `${msg}; ignored (lenient)`);
  };

  const global: GlobalSettings = { logs: [] };
  let defaults = emptySettings();
  let current: Section | ResolversSection | "global" | "skip" | undefined;
  const resolvers: ResolversSection[] = [];
  const sections: Section[] = [];
  const seen = new Map<string, Section[]>();

  const describe = (sec: Section): string => (sec.kind === "defaults" ? "defaults" : `${sec.kind} ${sec.name}`);

  const startSection = (kind: Kind, args: readonly string[], line: number): void => {
    const name = args[0] ?? "";
    if (kind === "defaults" ? args.length > 1 : args.length !== 1) {
      fail(line, `'${kind}' expects ${kind === "defaults" ? "at most a name" : "a name"} ('from' is not supported)`);
    }
    if (name !== "" && !NAME_PATTERN.test(name)) {
      fail(line, `'${kind}' name '${name}' has a character HAProxy does not permit`);
    }
    // A frontend and a backend may share a name; a listen section is both, so it may not.
    const clash = (seen.get(name) ?? []).find((o) => o.kind === kind || o.kind === "listen" || kind === "listen");
    if (kind !== "defaults" && clash !== undefined) {
      fail(line, `'${kind}' name '${name}' is already used by ${clash.kind} '${name}' at line ${clash.line}`);
    }
    const s: Settings = kind === "defaults" ? emptySettings() : structuredClone(defaults);
    const sec: Section = { kind, name, line, s, binds: [], servers: [], http: emptySectionHttp() };
    if (kind === "defaults") defaults = s;
    else {
      sections.push(sec);
      seen.set(name, [...(seen.get(name) ?? []), sec]);
    }
    current = sec;
  };

  const lines = splitLines(text, options.env, (line, reason) => fail(line, reason));
  for (const { line, words } of lines) {
    const [kw = "", ...args] = words;
    if (kw === "global") {
      if (args.length > 0) fail(line, "'global' expects no argument");
      current = "global";
      continue;
    }
    if (kw === "defaults" || kw === "frontend" || kw === "backend" || kw === "listen") {
      startSection(kw, args, line);
      continue;
    }
    if (kw === "resolvers") {
      const r = startResolvers(args, line, (msg) => fail(line, msg));
      const dup = resolvers.find((o) => o.name === r.name);
      if (dup !== undefined) fail(line, `resolvers '${r.name}' is already defined at line ${dup.line}`);
      resolvers.push(r);
      current = r;
      continue;
    }
    if (HAPROXY_SECTIONS.has(kw)) {
      unsupported(line, `section '${kw}' is not supported`);
      current = "skip";
      continue;
    }
    if (current === "skip") continue;
    if (current === undefined) return fail(line, `unknown keyword '${kw}' out of section`);
    const dns = current !== "global" && "config" in current ? current : undefined;
    const sec = current === "global" || "config" in current ? undefined : current;
    const [name, kwArgs] = sec === undefined ? [kw, args] : label(words);
    const where = dns !== undefined ? `resolvers ${dns.name}` : sec === undefined ? "global" : describe(sec);
    const ctx: Ctx = {
      s: sec?.s ?? emptySettings(),
      sec: sec ??
        { kind: "defaults", name: "", line, s: emptySettings(), binds: [], servers: [], http: emptySectionHttp() },
      line,
      global,
      readFile: options.readFile,
      readDir: options.readDir,
      error: (msg) => fail(line, msg),
      fail: (msg) => fail(line, `'${name}' in section '${where}': ${msg}`),
      warn: (msg) => warn(line, `'${name}' in section '${where}': ${msg}`),
      unsupported: (msg) => unsupported(line, `'${name}' in section '${where}': ${msg}`),
    };
    if (dns !== undefined) {
      resolversKeyword(dns, ctx, kw, args);
      continue;
    }
    if (sec === undefined) {
      const handler = GLOBAL_KEYWORDS[kw] ?? OPS_GLOBAL_KEYWORDS[kw];
      const noEffect = GLOBAL_NO_EFFECT[kw];
      if (handler !== undefined) handler(ctx, args);
      else if (typeof noEffect === "string") ctx.warn(`ignored: ${noEffect}`);
      else if (noEffect === undefined) unsupported(line, `unknown keyword '${kw}' in section 'global'`);
      continue;
    }
    const k = PROXY_KEYWORDS[name] ?? HTTP_KEYWORDS[name] ?? FWD_KEYWORDS[name] ?? PERSIST_KEYWORDS[name] ??
      TCP_CONNECTION_KEYWORDS[name] ?? TCP_REQUEST_KEYWORDS[name] ?? STATS_KEYWORDS[name] ?? OPS_KEYWORDS[name];
    if (k === undefined) {
      if (name.startsWith("no option ") && PROXY_KEYWORDS[name.slice(3)] !== undefined) {
        ctx.fail("negation is not supported for this option");
      }
      unsupported(line, `unknown keyword '${name}' in section '${where}'`);
      continue;
    }
    if (sec.kind === "defaults" && !k.inDefaults) ctx.fail("not allowed in 'defaults' section");
    const missing = sec.kind === "frontend" && k.cap === "be"
      ? "backend"
      : sec.kind === "backend" && k.cap === "fe"
      ? "frontend"
      : undefined;
    if (missing !== undefined) {
      const msg = `${sec.kind} '${sec.name}' has no ${missing} capability`;
      if (k.strictCap === true) ctx.fail(`not allowed because ${msg}`);
      ctx.warn(`ignored because ${msg}`);
      continue;
    }
    k.parse(ctx, kwArgs);
  }

  const backendSections = new Map(sections.filter((s) => s.kind !== "frontend").map((s) => [s.name, s]));
  const frontends: FrontendConfig[] = [];
  const backends: BackendConfig[] = [];
  for (const sec of sections) {
    if (sec.kind !== "frontend") backends.push(buildBackend(sec, (l, m) => warn(l, m)));
    if (sec.kind === "backend") continue;
    if (sec.binds.length === 0) {
      if (sec.kind === "frontend") fail(sec.line, `frontend '${sec.name}' has no 'bind' line`);
      warn(sec.line, `listen '${sec.name}' has no 'bind' line: used as a backend only`);
      continue;
    }
    const db = sec.s.defaultBackend ?? (sec.kind === "listen" ? { name: sec.name, line: sec.line } : undefined);
    // In mode http, a request no rule routes gets a 503, as in HAProxy.
    if (db === undefined && (sec.s.mode ?? "tcp") === "tcp") {
      return fail(sec.line, `frontend '${sec.name}' has no 'default_backend' line`);
    }
    if (db !== undefined && !backendSections.has(db.name)) {
      fail(db.line, `'default_backend' of ${sec.kind} '${sec.name}': no backend named '${db.name}'`);
    }
    checkSwitching(sec, db, backendSections, fileName, fail);
    frontends.push(buildFrontend(sec, db?.name, { warn, unsupported }));
  }
  if (frontends.length === 0) {
    options.onWarning?.(`${fileName}: no frontend or listen section with a 'bind' line: nothing listens`);
  }

  const config: ProxyConfig = compact<ProxyConfig>({
    frontends,
    backends,
    maxconn: global.maxconn,
    statsSockets: global.statsSockets,
    resolvers: resolvers.length > 0 ? resolvers.map((r) => resolversConfig(r, fail)) : undefined,
    process: buildProcess(global, sections.filter((s) => s.kind !== "frontend"), fail),
  });
  try {
    resolveConfig(config);
  } catch (e) {
    if (isProxyError(e)) throw new ProxyError("ERR_CONFIG_INVALID", `${fileName}: ${e.message}`, { cause: e });
    throw e;
  }
  return config;
}

function buildBackend(sec: Section, warn: (line: number, msg: string) => void): BackendConfig {
  const { s } = sec;
  const healthCheck = buildHealthCheck(sec, warn);
  const lb = buildPersistence(sec, warn);
  const servers = sec.servers.map(({ name, address, mapPorts, opts: o, tls }): ServerConfig => {
    const check = o.check === true
      ? compact<CheckConfig>({
        interMs: o.interMs,
        fastinterMs: o.fastinterMs,
        downinterMs: o.downinterMs,
        rise: o.rise,
        fall: o.fall,
        port: o.port,
        sendProxy: o.checkSendProxy,
        ssl: o.checkSsl,
        sni: o.checkSni,
      })
      : undefined;
    return compact<ServerConfig>({
      name,
      address,
      mapPorts,
      weight: o.weight,
      maxconn: o.maxconn,
      maxqueue: o.maxqueue,
      backup: o.backup,
      disabled: o.disabled,
      slowstartMs: o.slowstartMs,
      check,
      observe: o.observe,
      errorLimit: o.errorLimit,
      onError: o.onError,
      cookie: lb.cookie !== undefined ? o.cookie : undefined,
      id: o.id,
      poolMaxConn: o.poolMaxConn,
      poolPurgeDelayMs: o.poolPurgeDelayMs,
      maxReuse: o.maxReuse,
      sendProxy: sendProxyConfig(o.sendProxy),
      tls,
      resolve: serverResolve(o, address, name),
    });
  });
  const t = s.timeouts;
  return compact<BackendConfig>({
    name: sec.name,
    ...buildHttp(sec, "backend", warn),
    balance: lb.balance,
    hashType: s.hashType,
    cookie: lb.cookie,
    persist: s.persist,
    servers,
    retries: s.retries,
    redispatch: s.redispatch,
    timeouts: compact<BackendTimeouts>({
      connectMs: t.connect,
      serverMs: t.server,
      queueMs: t.queue,
      tunnelMs: t.tunnel,
      checkMs: t.check,
    }),
    healthCheck,
    allBackups: s.allBackups,
    abortOnClose: s.abortOnClose,
    httpReuse: s.httpReuse,
    httpConnectionMode: s.connMode,
    httpBufferRequest: s.bufferRequest,
    ...buildFwd(s.fwd),
  });
}

/**
 * `balance` and `cookie` as HAProxy keeps them: in `mode tcp`, the HTTP algorithms fall back to
 * round-robin and the cookie (with the servers' values) is ignored, with HAProxy's warnings;
 * a cookie value shared by two non-backup servers is warned about too.
 */
function buildPersistence(
  sec: Section,
  warn: (line: number, msg: string) => void,
): { balance: BalanceAlgorithm | undefined; cookie: CookieConfig | undefined } {
  const { s } = sec;
  const who = `${sec.kind === "listen" ? "proxy" : sec.kind} '${sec.name}'`;
  let balance = s.balance;
  let cookie = s.cookie;
  if ((s.mode ?? "tcp") === "tcp") {
    if (balance !== undefined && ["uri", "url_param", "hdr"].includes(balance.kind)) {
      warn(sec.line, `Layer 7 hash not possible for ${who} (needs 'mode http'). Falling back to round robin.`);
      balance = { kind: "roundrobin" };
    }
    if (cookie !== undefined) warn(sec.line, `cookie will be ignored for ${who} (needs 'mode http').`);
    for (const srv of sec.servers) {
      if (srv.opts.cookie !== undefined) {
        warn(srv.line, `${who} : ignoring cookie for server '${srv.name}' as HTTP mode is disabled.`);
      }
    }
    cookie = undefined;
  }
  const seen = new Map<string, string>();
  for (const srv of sec.servers) {
    const v = srv.opts.cookie;
    if (v === undefined || srv.opts.backup === true) continue;
    if (seen.has(v)) {
      warn(
        srv.line,
        `'server ${srv.name}' : same cookie value is set for a previous non-backup server in the same backend, it may break connection persistence`,
      );
    }
    seen.set(v, srv.name);
  }
  return { balance, cookie };
}

/**
 * `option httpchk` with what `http-check send` and `http-check expect` add (send's `meth`,
 * `uri`, `ver` replace httpchk's). Without `option httpchk`, the `http-check` lines are
 * ignored with a warning, as HAProxy does.
 */
function buildHealthCheck(sec: Section, warn: (line: number, msg: string) => void): HealthCheckKind | undefined {
  const { s } = sec;
  const hc = s.healthCheck;
  if (hc?.kind !== "http") {
    for (const [kw, line] of [["expect", s.expect?.line], ["send", s.httpSend?.line]] as const) {
      if (line === undefined) continue;
      warn(line, `${sec.kind} '${sec.name}' uses 'http-check ${kw}' without 'option httpchk': ignored (as HAProxy)`);
    }
    return hc;
  }
  const send = s.httpSend;
  const e = s.expect?.expect;
  // A plain `expect status` keeps its shorthand, `expectStatus`.
  const plain = e?.kind === "status" && e.negate !== true ? e.codes : undefined;
  return compact<HealthCheckKind>({
    ...hc,
    method: send?.method ?? hc.method,
    uri: send?.uri ?? hc.uri,
    version: send?.version ?? hc.version,
    headers: send !== undefined && send.headers.length > 0 ? send.headers : undefined,
    expectStatus: plain,
    expect: plain === undefined ? e : undefined,
  });
}

function buildFrontend(
  sec: Section,
  defaultBackend: string | undefined,
  report: { warn: (line: number, msg: string) => void; unsupported: (line: number, msg: string) => void },
): FrontendConfig {
  const { s } = sec;
  const [first, second] = s.logs;
  let log: LogConfig | undefined;
  const format = s.tcplog ?? (s.logFormat !== undefined ? "tcplog" : undefined);
  if (format !== undefined && first === undefined) {
    report.warn(
      sec.line,
      `${sec.kind} '${sec.name}' has 'option tcplog' but no log target: nothing is logged (as HAProxy)`,
    );
  } else if (format === undefined && first !== undefined) {
    report.warn(
      sec.line,
      `${sec.kind} '${sec.name}' has a log target but no 'option tcplog': proxykit only writes tcplog lines, so nothing is logged`,
    );
  } else if (format !== undefined && first !== undefined) {
    if (second !== undefined) {
      report.unsupported(second.line, `${sec.kind} '${sec.name}': 'log': only one log target per proxy is supported`);
    }
    log = compact<LogConfig>({ target: first.target, format, logFormat: s.logFormat });
  }
  const { tcpContent: content, tcpConnection: connection } = sec.http;
  const tcpRequest = s.inspectDelayMs !== undefined || content.length > 0 || connection.length > 0
    ? compact<TcpRequestConfig>({
      inspectDelayMs: s.inspectDelayMs,
      connection: connection.length > 0 ? connection : undefined,
      content: content.length > 0 ? content : undefined,
    })
    : undefined;
  return compact<FrontendConfig>({
    name: sec.name,
    binds: httpAlpn(sec, report.warn),
    tcpRequest,
    ...buildHttp(sec, "frontend", report.warn),
    defaultBackend,
    clientTimeoutMs: s.timeouts.client,
    maxconn: s.maxconn,
    rateLimitSessions: s.rateLimitSessions,
    log,
    httpRequestTimeoutMs: s.timeouts.httpRequest,
    httpKeepAliveTimeoutMs: s.timeouts.httpKeepAlive,
    httpConnectionMode: s.connMode,
    httpBufferRequest: s.bufferRequest,
    uniqueIdFormat: s.uniqueIdFormat,
    uniqueIdHeader: s.uniqueIdHeader,
  });
}

/**
 * `alpn h2,http/1.1` on a `mode http` frontend: proxykit speaks HTTP/1.1 only, so `h2` is
 * dropped with a warning (clients then use HTTP/1.1, as with HAProxy without `alpn`).
 */
function httpAlpn(sec: Section, warn: (line: number, msg: string) => void): (Address | BindConfig)[] {
  if ((sec.s.mode ?? "tcp") !== "http") return sec.binds;
  return sec.binds.map((b) => {
    if (!("address" in b)) return b;
    const alpn = b.tls?.alpnProtocols;
    if (b.tls === undefined || alpn === undefined || !alpn.includes("h2")) return b;
    warn(sec.line, `${sec.kind} '${sec.name}': 'alpn h2' dropped: proxykit speaks HTTP/1.1 only in mode http`);
    const rest = alpn.filter((p) => p !== "h2");
    const { alpnProtocols: _, ...tls } = b.tls;
    return { ...b, tls: rest.length > 0 ? { ...tls, alpnProtocols: rest } : tls };
  });
}
