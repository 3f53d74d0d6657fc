/**
 * The keywords of the `haproxy.cfg` subset: what each one accepts, where it may appear, and
 * how it changes the section being read. The driver is `haproxy_cfg.ts`.
 *
 * @module
 */
import type { Address, TlsVersion } from "../net.ts";
import { address, exactArgs, int, serverAddress, time } from "./_cfg_values.ts";
import { mergeServerOptions, type ServerOptions, serverOptions } from "./_cfg_server.ts";
import { serverTls } from "./_cfg_server_tls.ts";
import { bindOptions, bindsOf } from "./_cfg_bind.ts";
import { tlsVersion } from "./_cfg_ssl_conf.ts";
import type { BindConfig, ServerTlsConfig } from "./tls_types.ts";
import { DEFAULT_RANDOM_DRAWS, MAX_COUNT, NAME_PATTERN } from "./defaults.ts";
import type { BalanceAlgorithm, CookieConfig, HashTypeConfig, HttpCheckExpect } from "./types.ts";
import type { HttpConnectionMode, HttpReuse } from "../pool.ts";
import type { HttpSettings, SectionHttp } from "./_cfg_http.ts";
import type { FwdSettings } from "./_cfg_fwdproxy.ts";
import { httpBalance } from "./_cfg_persist.ts";
import { serverTemplateKeyword } from "./_cfg_resolvers.ts";
import { LogFormatError, parseLogFormat } from "../acl/log_format.ts";
import { LOG_RECORD_VARIABLES } from "../log.ts";
import { statsSocket } from "./_cfg_stats_socket.ts";
import type { StatsSocketConfig } from "./stats_socket.ts";

/** Kinds of proxy sections (`global` is handled apart). */
export type Kind = "defaults" | "frontend" | "backend" | "listen";

/** Options of a `server` line, as read (`_cfg_server.ts`). */
export type { ServerOptions } from "./_cfg_server.ts";

/** A `log` target proxykit can write to, and the line that declared it. */
export interface LogTarget {
  /** `log stdout ...` or `log stderr ...`. */
  readonly target: "stdout" | "stderr";
  /** 1-based line of the `log` keyword, for warnings. */
  readonly line: number;
}

/**
 * What a `defaults` section holds and each following proxy starts from (a deep copy); fields
 * are undefined until a keyword sets them, and `*.line` is where, for messages.
 */
export interface Settings {
  /** `mode tcp` or `mode http`. */
  mode?: "tcp" | "http";
  /** `option forwardfor`, `option forwarded`, `errorfile`. */
  http: HttpSettings;
  /** `balance`. */
  balance?: BalanceAlgorithm;
  /** `retries`. */
  retries?: number;
  /** `[no] option redispatch [N]`: 0 off, -1 last retry, else the interval. */
  redispatch?: number;
  /** `[no] option allbackups`. */
  allBackups?: boolean;
  /** `[no] option http-buffer-request`. */
  bufferRequest?: boolean;
  /** `[no] option abortonclose`. */
  abortOnClose?: boolean;
  /** `timeout connect|client|server|queue|tunnel|check`, ms. */
  timeouts: {
    connect?: number;
    client?: number;
    server?: number;
    queue?: number;
    tunnel?: number;
    check?: number;
    httpRequest?: number;
    httpKeepAlive?: number;
  };
  /** `option http-keep-alive | http-server-close | httpclose`. */
  connMode?: HttpConnectionMode;
  /** `http-reuse`. */
  httpReuse?: HttpReuse;
  /** `option tcp-check` or `option httpchk [<method>] [<uri>] [<version>]`. */
  healthCheck?: { kind: "tcp" } | { kind: "http"; method?: string; uri?: string; version?: string };
  /** `http-check expect [!] status|rstatus|string <pattern>` (status ranges expanded). */
  expect?: { expect: HttpCheckExpect; line: number };
  /** `http-check send meth|uri|ver|hdr ...`. */
  httpSend?: { method?: string; uri?: string; version?: string; headers: [string, string][]; line?: number };
  /** `hash-type`. */
  hashType?: HashTypeConfig;
  /** `cookie`. */
  cookie?: CookieConfig;
  /** `[no] option persist`. */
  persist?: boolean;
  /** `maxconn` of a frontend. */
  maxconn?: number;
  /** `rate-limit sessions <rate>` of a frontend. */
  rateLimitSessions?: number;
  /** `tcp-request inspect-delay`, ms. */
  inspectDelayMs?: number;
  /** `default_backend`. */
  defaultBackend?: { name: string; line: number };
  /** `option tcplog` (`tcplog`), `option tcplog json` (`json`) or `option httplog` (`httplog`). */
  tcplog?: "tcplog" | "json" | "httplog";
  /** `log-format STRING`. */
  logFormat?: string;
  /** `unique-id-format STRING`. */
  uniqueIdFormat?: string;
  /** `unique-id-header NAME`. */
  uniqueIdHeader?: string;
  /** `log` targets, including those `log global` copied from the `global` section. */
  logs: LogTarget[];
  /** `default-server` options, the base of every later `server` line. */
  defaultServer: ServerOptions;
  /** `option http_proxy`, `http-proxy-allow`, `http-proxy-auth`, `retry-on` (`_cfg_fwdproxy.ts`). */
  fwd?: FwdSettings;
  /** `load-server-state-from-file` (`_cfg_ops.ts`). */
  loadServerState?: "global" | "local" | "none";
  /** `server-state-file-name` (`_cfg_ops.ts`); undefined: the backend's name. */
  serverStateFileName?: string | undefined;
}

/** The versions `ssl-default-bind-options` / `ssl-default-server-options` set. */
export interface SslDefaultOptions {
  /** `ssl-min-ver`. */
  minVersion?: TlsVersion;
  /** `ssl-max-ver`. */
  maxVersion?: TlsVersion;
}

/**
 * `ssl-default-bind-options` / `ssl-default-server-options` (configuration.txt 3.1): the
 * versions; `no-sslv3`, `no-tlsv10`, `no-tlsv11` and `no-tls-tickets` are accepted without
 * effect (proxykit never offers those versions, and keeps resuming sessions as HAProxy's
 * cache does); other options are unsupported.
 */
function sslDefaultOptions(c: Ctx, args: readonly string[]): SslDefaultOptions {
  const o: SslDefaultOptions = {};
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === "ssl-min-ver" || w === "ssl-max-ver") {
      const v = tlsVersion(c, "", args[++i], w);
      if (v !== undefined) o[w === "ssl-min-ver" ? "minVersion" : "maxVersion"] = v;
    } else if (!["no-sslv3", "no-tlsv10", "no-tlsv11", "no-tls-tickets"].includes(w)) {
      c.unsupported(`option '${w}' is not supported`);
    }
  }
  if (o.minVersion === "TLSv1.3" && o.maxVersion === "TLSv1.2") {
    c.fail("'ssl-min-ver TLSv1.3' is above 'ssl-max-ver TLSv1.2': all SSL/TLS versions are disabled");
  }
  return o;
}

/** What the `global` section sets. */
export interface GlobalSettings {
  /** `maxconn` of the process. */
  maxconn?: number;
  /** `log` targets, for proxies that say `log global`. */
  readonly logs: LogTarget[];
  /** `crt-base`: the folder relative `crt` and `crt-list` paths are read from. */
  crtBase?: string;
  /** `ca-base`: the folder relative `ca-file` paths are read from. */
  caBase?: string;
  /** `ssl-server-verify none|required`: the default `verify` of `server ... ssl`. */
  sslServerVerify?: "none" | "required";
  /** `ssl-default-bind-options`: the versions of `bind ... ssl` lines that set none. */
  sslDefaultBind?: SslDefaultOptions;
  /** `ssl-default-server-options`: the versions of `server ... ssl` lines that set none. */
  sslDefaultServer?: SslDefaultOptions;
  /** `stats socket` lines. */
  statsSockets?: StatsSocketConfig[];
  /** `hard-stop-after`, ms (`_cfg_ops.ts`). */
  hardStopAfterMs?: number;
  /** `nbthread`: worker processes of the command line. */
  nbthread?: number;
  /** `server-state-file` (`_cfg_ops.ts`). */
  serverStateFile?: string;
  /** `server-state-base` (`_cfg_ops.ts`). */
  serverStateBase?: string;
}

/** A `defaults`, `frontend`, `backend` or `listen` section being read. */
export interface Section {
  /** Which kind of section. */
  readonly kind: Kind;
  /** Its name; `""` for an unnamed `defaults`. */
  readonly name: string;
  /** 1-based line of the section keyword. */
  readonly line: number;
  /** What its keywords set, starting from the last `defaults` above it. */
  readonly s: Settings;
  /** `bind` addresses with their options, in order. */
  readonly binds: (Address | BindConfig)[];
  /** `server` lines, in order, with `default-server` options already merged in. */
  readonly servers: {
    name: string;
    address: Address;
    /** A port offset (`:+N`, `:-N`). */
    mapPorts?: number;
    opts: ServerOptions;
    line: number;
    /** `ssl` and its options, checked (`undefined`: plain). */
    tls: ServerTlsConfig | undefined;
  }[];
  /** ACLs, `use_backend` and rules (never inherited from `defaults`). */
  readonly http: SectionHttp;
}

/** What a keyword handler works on, and how it reports. */
export interface Ctx {
  /** The settings the keyword changes (the section's, or a scratch copy in `global`). */
  readonly s: Settings;
  /** The section being read. */
  readonly sec: Section;
  /** 1-based line of the keyword. */
  readonly line: number;
  /** What the `global` section set (for `log global`). */
  readonly global: GlobalSettings;
  /**
   * Refuses the line: throws `ERR_CONFIG_INVALID` with `file:line:`, the keyword and section.
   * @throws {ProxyError} always.
   */
  fail(msg: string): never;
  /** Reports a warning with `file:line:`, the keyword and section; reading goes on. */
  warn(msg: string): void;
  /** An unknown or unsupported option: an error, or a warning when lenient. */
  unsupported(msg: string): void;
  /**
   * Refuses the line with HAProxy's own complete message, prefixed with `file:line:` only.
   * @throws {ProxyError} always.
   */
  error(msg: string): never;
  /** Reads a file named in the configuration (`errorfile`); `undefined`: none given. */
  readonly readFile: ((path: string) => string | Uint8Array) | undefined;
  /**
   * Lists a folder named in the configuration (`crt DIR`): its entry names, or `undefined`
   * when the path is not a folder; `undefined` itself: every path is read as a file.
   */
  readonly readDir: ((path: string) => readonly string[] | undefined) | undefined;
}

/** Reads one keyword's arguments (the words after its label) into {@link Ctx.s}. */
export type Handler = (c: Ctx, args: readonly string[]) => void;

/**
 * How a proxy keyword is parsed, and which sections may hold it (configuration.txt 4.1
 * "Proxy keywords matrix").
 */
export interface Keyword {
  /** Which side of a proxy the keyword configures ("both" for mode, log). */
  readonly cap: "fe" | "be" | "both";
  /** Whether `defaults` may hold it. */
  readonly inDefaults: boolean;
  /** On the wrong side: an error (as HAProxy for `server`) rather than a warning. */
  readonly strictCap?: boolean;
  /** Reads the keyword's arguments. */
  readonly parse: Handler;
}

/** The one log-format string argument of `log-format` or `unique-id-format`, checked. */
function formatArg(c: Ctx, args: readonly string[], vars: ReadonlySet<string> | undefined): string {
  exactArgs(c, args, 1, 1, "one argument (don't forget to escape spaces)");
  try {
    parseLogFormat(args[0]!, vars);
  } catch (e) {
    if (e instanceof LogFormatError) c.fail(e.message);
    throw e;
  }
  return args[0]!;
}

/** Syslog facilities HAProxy knows; one is required after a log target. */
const LOG_FACILITIES = (
  "kern user mail daemon auth syslog lpr news uucp cron auth2 ftp ntp audit alert cron2 " +
  "local0 local1 local2 local3 local4 local5 local6 local7"
).split(" ");
/** Syslog levels, most severe first; stream logs are sent at `info`, as HAProxy. */
const LOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
const INFO_LEVEL = 6;

/** Global keywords with no effect here: `true` silently, a string is the warning's reason. */
export const GLOBAL_NO_EFFECT: Readonly<Record<string, true | string>> = {
  // proxykit stays in the foreground, where service managers and containers want it.
  daemon: true,
  "master-worker": true,
  user: "proxykit does not change its user; run it as the right user",
  group: "proxykit does not change its group; run it as the right group",
  uid: "proxykit does not change its user; run it as the right user",
  gid: "proxykit does not change its group; run it as the right group",
  chroot: "proxykit does not chroot",
  pidfile: "proxykit writes no pid file",
};

/** Other HAProxy sections: refused as unsupported (skipped whole when lenient). */
export const HAPROXY_SECTIONS: ReadonlySet<string> = new Set(
  "userlist peers resolvers mailers program http-errors ring cache log-forward fcgi-app".split(" "),
);

/** `log <target> [len N] [format F] [sample R:S] <facility> [<level> [<minlevel>]]`, stdout/stderr raw only. */
function logTarget(c: Ctx, args: readonly string[]): LogTarget | undefined {
  const target = args[0];
  if (target === undefined) return c.fail("expects 'global' or a target such as 'stdout format raw local0'");
  if (target !== "stdout" && target !== "stderr") {
    c.unsupported(`log target '${target}' is not supported (only stdout and stderr)`);
    return undefined;
  }
  let i = 1;
  let format: string | undefined;
  for (; args[i] === "format" || args[i] === "len" || args[i] === "sample"; i += 2) {
    if (args[i + 1] === undefined) c.fail(`'${args[i]}' expects a value`);
    if (args[i] !== "format") {
      c.unsupported(`log option '${args[i]}' is not supported`);
      return undefined;
    }
    format = args[i + 1];
  }
  const [facility, level, minlevel, extra] = args.slice(i);
  if (facility === undefined || !LOG_FACILITIES.includes(facility)) c.fail(`unknown log facility '${facility ?? ""}'`);
  for (const l of [level, minlevel]) if (l !== undefined && !LOG_LEVELS.includes(l)) c.fail(`unknown log level '${l}'`);
  if (extra !== undefined) c.fail(`unexpected argument '${extra}'`);
  if (format !== "raw") {
    c.unsupported(
      format === undefined
        ? `needs 'format raw': proxykit writes raw lines to ${target}, without a syslog header`
        : `log format '${format}' is not supported (only raw)`,
    );
    return undefined;
  }
  if (level !== undefined && LOG_LEVELS.indexOf(level) < INFO_LEVEL) {
    c.warn(`level '${level}' filters out stream logs (sent at 'info'): this target receives nothing`);
    return undefined;
  }
  return { target, line: c.line };
}

function balance(c: Ctx, args: readonly string[]): void {
  const http = httpBalance(c, args);
  if (http !== undefined) {
    c.s.balance = http;
    return;
  }
  exactArgs(
    c,
    args,
    1,
    1,
    "one algorithm: roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr(name) or random[(N)]",
  );
  const algo = args[0] ?? "";
  const random = /^random(?:\((.*)\))?$/.exec(algo);
  if (random !== null) {
    c.s.balance = {
      kind: "random",
      draws: random[1] === undefined ? DEFAULT_RANDOM_DRAWS : int(c, "random draws: ", random[1], 1, MAX_COUNT),
    };
  } else if (["roundrobin", "static-rr", "leastconn", "first", "source"].includes(algo)) {
    c.s.balance = { kind: algo as "roundrobin" };
  } else {
    c.fail(
      `algorithm '${algo}' is not supported (roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr(name), random[(N)])`,
    );
  }
}

/** `server <name> <address> [params*]`; `address`, when given, replaces the parsed one (`server-template`). */
function server(outer: Ctx, args: readonly string[], address?: Address): void {
  const [name, addr] = args;
  if (name === undefined || addr === undefined) return outer.fail("expects a name and an address");
  const c: Ctx = {
    ...outer,
    fail: (msg) => outer.fail(`server '${name}': ${msg}`),
    warn: (msg) => outer.warn(`server '${name}': ${msg}`),
    unsupported: (msg) => outer.unsupported(`server '${name}': ${msg}`),
  };
  if (!NAME_PATTERN.test(name)) c.fail(`invalid server name '${name}'`);
  const dup = c.sec.servers.find((s) => s.name === name);
  if (dup !== undefined) c.fail(`duplicate server name '${name}' (first at line ${dup.line})`);
  const who = `'server ${c.sec.name}/${name}' : `;
  const opts = mergeServerOptions(c.s.defaultServer, serverOptions(c, args.slice(2), true, who));
  // HAProxy refuses `verify required` without a CA when it loads the server (at its line here).
  const tls = serverTls(c, opts, who);
  const sameId = opts.id === undefined ? undefined : c.sec.servers.find((s) => s.opts.id === opts.id);
  if (sameId !== undefined) c.fail(`'id' ${opts.id} already used by server '${sameId.name}' at line ${sameId.line}`);
  c.sec.servers.push({
    name,
    ...(address !== undefined ? { address } : serverAddress(c, addr)),
    opts,
    line: c.line,
    tls,
  });
}

function httpchk(c: Ctx, args: readonly string[]): void {
  exactArgs(c, args, 0, 3, "[<method>] [<uri>] [<version>]");
  const [a, b, v] = args;
  const [method, uri] = b === undefined ? [undefined, a] : [a, b];
  if (method !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) c.fail(`invalid method '${method}'`);
  if (uri !== undefined && !/^[\x21-\x7e]+$/.test(uri)) c.fail(`invalid URI '${uri}'`);
  if (v !== undefined && !/^HTTP\/\d\.\d$/.test(v)) {
    c.fail(`version must look like HTTP/1.1, got '${v}' (headers are not supported)`);
  }
  c.s.healthCheck = {
    kind: "http",
    ...(method === undefined ? {} : { method }),
    ...(uri === undefined ? {} : { uri }),
    ...(v === undefined ? {} : { version: v }),
  };
}

type TimeoutKey = keyof Settings["timeouts"];
const timeoutKw = (key: TimeoutKey, cap: "fe" | "be"): Keyword => ({
  cap,
  inDefaults: true,
  parse: (c, args) => {
    exactArgs(c, args, 1, 1, "one duration");
    c.s.timeouts[key] = time(c, "", args[0], 0);
  },
});
const flagKw = (cap: Keyword["cap"], apply: (c: Ctx) => void): Keyword => ({
  cap,
  inDefaults: true,
  parse: (c, args) => {
    exactArgs(c, args, 0, 0, "no argument");
    apply(c);
  },
});

/** Proxy keywords by label (`option x`, `timeout x`, `http-check x` are labels of their own). */
export const PROXY_KEYWORDS: Readonly<Record<string, Keyword>> = {
  bind: {
    cap: "fe",
    inDefaults: false,
    parse: (c, args) => {
      const list = args[0] ?? c.fail("expects an address list");
      const addresses = list.split(",").map((a) => address(c, a));
      c.sec.binds.push(...bindsOf(addresses, bindOptions(c, args.slice(1), list)));
    },
  },
  mode: {
    cap: "both",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "'tcp' or 'http'");
      if (args[0] !== "tcp" && args[0] !== "http") c.fail(`expects 'tcp' or 'http', got '${args[0]}'`);
      c.s.mode = args[0] as "tcp" | "http";
    },
  },
  default_backend: {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a backend name");
      c.s.defaultBackend = { name: args[0] ?? "", line: c.line };
    },
  },
  maxconn: {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a number");
      c.s.maxconn = int(c, "", args[0], 0, MAX_COUNT);
    },
  },
  "rate-limit": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      // configuration.txt 4.2: `rate-limit sessions <rate>`, new sessions per second, 0 = no limit.
      if (args[0] !== "sessions") c.fail(`only supports 'sessions' (got '${args[0] ?? ""}')`);
      exactArgs(c, args, 2, 2, "'sessions' and an integer value");
      c.s.rateLimitSessions = int(c, "sessions: ", args[1], 0, MAX_COUNT);
    },
  },
  log: {
    cap: "both",
    inDefaults: true,
    parse: (c, args) => {
      if (args[0] !== "global") {
        const t = logTarget(c, args);
        if (t !== undefined) c.s.logs.push(t);
        return;
      }
      exactArgs(c, args, 1, 1, "nothing after 'global'");
      c.s.logs.push(...c.global.logs);
    },
  },
  "no log": flagKw("both", (c) => {
    c.s.logs = [];
  }),
  "option tcplog": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 0, 1, "nothing, or 'json' (a proxykit extension)");
      if (args[0] !== undefined && args[0] !== "json") c.fail(`unexpected argument '${args[0]}'`);
      c.s.tcplog = args[0] === "json" ? "json" : "tcplog";
    },
  },
  "log-format": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      c.s.logFormat = formatArg(c, args, LOG_RECORD_VARIABLES);
    },
  },
  // configuration.txt 4.2: frontends, listens and defaults; a backend's is ignored (warned),
  // as HAProxy, which reads the frontend's.
  "unique-id-format": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      // Rendered from the request: a finished stream's variables (`%ST`...) are unknown there.
      c.s.uniqueIdFormat = formatArg(c, args, undefined);
    },
  },
  "unique-id-header": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a header name");
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(args[0]!)) c.fail(`'${args[0]}' is not a header name`);
      c.s.uniqueIdHeader = args[0]!;
    },
  },
  "option httplog": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 0, 0, "no argument ('clf' is not supported)");
      c.s.tcplog = "httplog";
    },
  },
  "option http-buffer-request": flagKw("both", (c) => {
    c.s.bufferRequest = true;
  }),
  "no option http-buffer-request": flagKw("both", (c) => {
    c.s.bufferRequest = false;
  }),
  "option http-keep-alive": flagKw("both", (c) => {
    c.s.connMode = "keep-alive";
  }),
  "option http-server-close": flagKw("both", (c) => {
    c.s.connMode = "server-close";
  }),
  "option httpclose": flagKw("both", (c) => {
    c.s.connMode = "close";
  }),
  "http-reuse": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "one of never, safe, aggressive, always");
      const v = args[0] as HttpReuse;
      if (!["never", "safe", "aggressive", "always"].includes(v)) {
        c.fail(`expects 'never', 'safe', 'aggressive' or 'always', got '${args[0]}'`);
      }
      c.s.httpReuse = v;
    },
  },
  balance: { cap: "be", inDefaults: true, parse: balance },
  server: { cap: "be", inDefaults: false, strictCap: true, parse: server },
  "server-template": serverTemplateKeyword(server),
  "default-server": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      const who = `'default-server' in section '${c.sec.kind}${c.sec.name === "" ? "" : ` ${c.sec.name}`}' : `;
      c.s.defaultServer = mergeServerOptions(c.s.defaultServer, serverOptions(c, args, false, who));
    },
  },
  retries: {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a number");
      c.s.retries = int(c, "", args[0], 0, MAX_COUNT);
    },
  },
  "option redispatch": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 0, 1, "an optional interval");
      // No argument means "on the last retry" (-1), as HAProxy (cfgparse-listen.c).
      c.s.redispatch = args[0] === undefined ? -1 : int(c, "", args[0], -MAX_COUNT, MAX_COUNT);
    },
  },
  "no option redispatch": flagKw("be", (c) => {
    c.s.redispatch = 0;
  }),
  "option allbackups": flagKw("be", (c) => {
    c.s.allBackups = true;
  }),
  "option abortonclose": flagKw("be", (c) => {
    c.s.abortOnClose = true;
  }),
  "no option abortonclose": flagKw("be", (c) => {
    c.s.abortOnClose = false;
  }),
  "no option allbackups": flagKw("be", (c) => {
    c.s.allBackups = false;
  }),
  "option tcp-check": flagKw("be", (c) => {
    c.s.healthCheck = { kind: "tcp" };
  }),
  "option httpchk": { cap: "be", inDefaults: true, parse: httpchk },
  "timeout connect": timeoutKw("connect", "be"),
  "timeout client": timeoutKw("client", "fe"),
  "timeout server": timeoutKw("server", "be"),
  "timeout queue": timeoutKw("queue", "be"),
  "timeout tunnel": timeoutKw("tunnel", "be"),
  "timeout check": timeoutKw("check", "be"),
  "timeout http-request": timeoutKw("httpRequest", "fe"),
  "timeout http-keep-alive": timeoutKw("httpKeepAlive", "fe"),
};

/** The keyword label of a proxy line (`option x`, `no option x`, `timeout x`...) and its arguments. */
export function label(words: readonly string[]): [string, readonly string[]] {
  const [w0 = "", w1, w2] = words;
  if (w0 === "no" && w1 === "option" && w2 !== undefined) return [`no option ${w2}`, words.slice(3)];
  if (w0 === "no" && w1 !== undefined) return [`no ${w1}`, words.slice(2)];
  if ((w0 === "option" || w0 === "timeout" || w0 === "http-check" || w0 === "tcp-request") && w1 !== undefined) {
    return [`${w0} ${w1}`, words.slice(2)];
  }
  return [w0, words.slice(1)];
}

/** Settings of a fresh `defaults` section: nothing set. */
export function emptySettings(): Settings {
  return { timeouts: {}, logs: [], defaultServer: {}, http: {} };
}

/** Keywords of the `global` section besides {@link GLOBAL_NO_EFFECT}. */
export const GLOBAL_KEYWORDS: Readonly<Record<string, Handler>> = {
  maxconn: (c, args) => {
    exactArgs(c, args, 1, 1, "a number");
    c.global.maxconn = int(c, "", args[0], 0, MAX_COUNT);
  },
  log: (c, args) => {
    if (args[0] === "global") c.fail("'log global' is meaningless in the global section");
    const t = logTarget(c, args);
    if (t !== undefined) c.global.logs.push(t);
  },
  "crt-base": (c, args) => {
    exactArgs(c, args, 1, 1, "a directory");
    c.global.crtBase = args[0]!;
  },
  "ca-base": (c, args) => {
    exactArgs(c, args, 1, 1, "a directory");
    c.global.caBase = args[0]!;
  },
  "ssl-default-bind-options": (c, args) => {
    c.global.sslDefaultBind = sslDefaultOptions(c, args);
  },
  "ssl-default-server-options": (c, args) => {
    c.global.sslDefaultServer = sslDefaultOptions(c, args);
  },
  "ssl-server-verify": (c, args) => {
    const v = args[0];
    if (args.length !== 1 || (v !== "none" && v !== "required")) {
      c.fail("only supports 'none' and 'required'");
    }
    c.global.sslServerVerify = v as "none" | "required";
  },
  stats: statsSocket,
  // One event loop per process: the command line runs this many worker processes.
  nbthread: (c, args) => {
    exactArgs(c, args, 1, 1, "a number");
    c.global.nbthread = int(c, "", args[0], 1, 4096);
  },
};
