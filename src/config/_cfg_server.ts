/**
 * The options of a `server` or `default-server` line (configuration.txt 5.2), with HAProxy's
 * ranges. The keyword itself is read in `_cfg_keywords.ts`.
 *
 * @module
 */
import { MAX_COUNT, MAX_WEIGHT, ON_ERROR_VALUES } from "./defaults.ts";
import type { OnError } from "./types.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import { int, time } from "./_cfg_values.ts";
import {
  applyProxyV2Options,
  applySendProxyFlag,
  isSendProxyFlag,
  mergeSendProxyBits,
  type SendProxyBits,
} from "./_cfg_send_proxy.ts";
import { SERVER_TLS_FLAGS, SERVER_TLS_VALUE_OPTIONS, type ServerTlsOptions } from "./_cfg_server_tls.ts";
import { SERVER_DNS_OPTIONS, type ServerDnsOptions } from "./_cfg_resolvers.ts";

/**
 * Options of a `server` or `default-server` line, as read (no defaults applied); each field is
 * the `ServerConfig` field of the same name (`check` and `interMs`...`port` become its
 * `check` object).
 */
export interface ServerOptions extends ServerTlsOptions, ServerDnsOptions {
  /** `weight`. */
  weight?: number;
  /** `maxconn`. */
  maxconn?: number;
  /** `maxqueue`. */
  maxqueue?: number;
  /** `check`: the server has active health checks. */
  check?: boolean;
  /** `inter`, ms. */
  interMs?: number;
  /** `fastinter`, ms. */
  fastinterMs?: number;
  /** `downinter`, ms. */
  downinterMs?: number;
  /** `rise`. */
  rise?: number;
  /** `fall`. */
  fall?: number;
  /** `port` (of the checks). */
  port?: number;
  /** `backup`. */
  backup?: boolean;
  /** `disabled`. */
  disabled?: boolean;
  /** `slowstart`, ms. */
  slowstartMs?: number;
  /** `observe layer4|layer7`; `observe none` sets undefined (overriding `default-server`). */
  observe?: "layer4" | "layer7" | undefined;
  /** `cookie <value>`. */
  cookie?: string;
  /** `error-limit`. */
  errorLimit?: number;
  /** `on-error`. */
  onError?: OnError;
  /** `id` (never from `default-server`). */
  id?: number;
  /** `pool-max-conn`. */
  poolMaxConn?: number;
  /** `pool-purge-delay`, ms. */
  poolPurgeDelayMs?: number;
  /** `max-reuse`. */
  maxReuse?: number;
  /** `send-proxy*`, `no-send-proxy*`, `proxy-v2-options`: PROXY protocol bits set and cleared. */
  sendProxy?: SendProxyBits;
  /** `check-send-proxy`. */
  checkSendProxy?: boolean;
}

type ServerOption = (o: ServerOptions, c: Ctx, v: string, k: string) => void;
const intOpt = (
  key: "weight" | "maxconn" | "maxqueue" | "rise" | "fall" | "port" | "errorLimit" | "id" | "poolMaxConn" | "maxReuse",
  min: number,
  max: number,
): ServerOption =>
(o, c, v, k) => {
  o[key] = int(c, `'${k}' `, v, min, max);
};
const timeOpt =
  (key: "interMs" | "fastinterMs" | "downinterMs" | "slowstartMs" | "poolPurgeDelayMs", min: number): ServerOption =>
  (o, c, v, k) => {
    o[key] = time(c, `'${k}' `, v, min);
  };

/**
 * `server` / `default-server` options taking a value (configuration.txt 5.2), with HAProxy's
 * ranges: `weight` 0..256, a `maxconn`/`maxqueue` of 0 meaning unlimited, `inter`,
 * `fastinter`, `downinter`, `rise`, `fall`, `error-limit` and `id` at least 1.
 */
const SERVER_VALUE_OPTIONS: Readonly<Record<string, ServerOption>> = {
  weight: intOpt("weight", 0, MAX_WEIGHT),
  maxconn: intOpt("maxconn", 0, MAX_COUNT),
  maxqueue: intOpt("maxqueue", 0, MAX_COUNT),
  inter: timeOpt("interMs", 1),
  fastinter: timeOpt("fastinterMs", 1),
  downinter: timeOpt("downinterMs", 1),
  rise: intOpt("rise", 1, MAX_COUNT),
  fall: intOpt("fall", 1, MAX_COUNT),
  port: intOpt("port", 1, 65535),
  slowstart: timeOpt("slowstartMs", 0),
  "error-limit": intOpt("errorLimit", 1, MAX_COUNT),
  id: intOpt("id", 1, MAX_COUNT),
  "pool-max-conn": intOpt("poolMaxConn", -1, MAX_COUNT),
  "pool-purge-delay": timeOpt("poolPurgeDelayMs", 1),
  "max-reuse": intOpt("maxReuse", -1, MAX_COUNT),
  observe: (o, c, v) => {
    if (v !== "none" && v !== "layer4" && v !== "layer7") {
      c.fail(`'observe' expects one of 'none', 'layer4', 'layer7' but got '${v}'`);
    }
    o.observe = v === "none" ? undefined : v as "layer4" | "layer7";
  },
  "proxy-v2-options": (o, c, v) => {
    o.sendProxy = applyProxyV2Options(c, o.sendProxy, v);
  },
  cookie: (o, _c, v) => {
    o.cookie = v;
  },
  "on-error": (o, c, v) => {
    if (!(ON_ERROR_VALUES as readonly string[]).includes(v)) {
      c.fail(`'on-error' expects one of ${ON_ERROR_VALUES.join(", ")}, got '${v}'`);
    }
    o.onError = v as OnError;
  },
};
const SERVER_FLAGS: Readonly<Record<string, "check" | "backup" | "disabled" | "checkSendProxy">> = {
  check: "check",
  backup: "backup",
  disabled: "disabled",
  "check-send-proxy": "checkSendProxy",
};

/**
 * Reads the options after a server's address (or after `default-server`); `id` only on a
 * `server` line. An unknown option is an error, or a warning when lenient. `who` starts
 * HAProxy's messages about TLS options (`'server b/s1' : `).
 */
export function serverOptions(c: Ctx, args: readonly string[], allowId: boolean, who = ""): ServerOptions {
  const o: ServerOptions = {};
  for (let i = 0; i < args.length; i++) {
    const k = args[i] ?? "";
    const tlsFlag = SERVER_TLS_FLAGS[k];
    const tlsValued = SERVER_TLS_VALUE_OPTIONS[k];
    if (tlsFlag !== undefined) {
      tlsFlag(o);
      continue;
    }
    if (tlsValued !== undefined) {
      tlsValued(o, c, args[++i], who);
      continue;
    }
    const flag = SERVER_FLAGS[k];
    const valued = SERVER_VALUE_OPTIONS[k] ?? SERVER_DNS_OPTIONS[k];
    if (flag !== undefined) o[flag] = true;
    else if (isSendProxyFlag(k)) o.sendProxy = applySendProxyFlag(o.sendProxy, k);
    else if (k === "id" && !allowId) c.fail("'id' is not allowed on 'default-server': ids are per server");
    else if (valued === undefined) c.unsupported(`unknown server option '${k}'`);
    else {
      const v = args[++i];
      if (v === undefined) c.fail(`'${k}' expects a value`);
      valued(o, c, v, k);
    }
  }
  return o;
}

/**
 * The options of a line on top of inherited ones (`default-server`): a later value replaces
 * an earlier one, except the PROXY protocol bits, which a line sets and clears one by one.
 */
export function mergeServerOptions(base: ServerOptions, own: ServerOptions): ServerOptions {
  const merged = { ...base, ...own };
  const pp = mergeSendProxyBits(base.sendProxy, own.sendProxy);
  if (pp !== undefined) merged.sendProxy = pp;
  return merged;
}
