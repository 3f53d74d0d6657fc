/**
 * Validation of what HTTP-aware balancing and persistence add to a backend for
 * `resolveConfig()`: the `uri`, `url_param` and `hdr` algorithms, `hash-type`, `cookie`,
 * `option persist`, the servers' `cookie` values and `observe layer7`, and the `http-check`
 * request headers and `expect` rules. Each error names its key.
 *
 * @module
 */
import { ProxyError } from "../errors.ts";
import type { BalanceAlgorithm, CookieConfig, HashFunction, HashTypeConfig, HttpCheckExpect } from "./types.ts";
import type { ResolvedCookieConfig, ResolvedHashType, ResolvedHttpExpect } from "./resolved.ts";

/** HAProxy's default hash function (configuration.txt 4.2 `hash-type`). */
export const DEFAULT_HASH_FUNCTION: HashFunction = "sdbm";
/** The hash functions HAProxy 2.6 knows (without `none`). */
export const HASH_FUNCTIONS: readonly HashFunction[] = ["sdbm", "djb2", "wt6", "crc32"];
/** The cookie modes of {@link CookieConfig}. */
export const COOKIE_MODES: readonly ResolvedCookieConfig["mode"][] = ["insert", "rewrite", "prefix", "passive"];
/** The algorithms that need a request: they only run in `mode http`. */
export const HTTP_ALGORITHMS: ReadonlySet<string> = new Set(["uri", "url_param", "hdr"]);
/** The hash family (HAProxy BE_LB_KIND_HI): a retry stays on the server unless told otherwise. */
export const HASH_ALGORITHMS: ReadonlySet<string> = new Set(["source", "uri", "url_param", "hdr"]);
/** Highest `maxidle`/`maxlife`, in seconds, as HAProxy's parser (~68 years). */
const MAX_COOKIE_SEC = 2147483647;

/** RFC 9110 token characters: header and cookie names. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Cookie values HAProxy can find again in a `Cookie` header: no separator, blank or control. */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/;

/**
 * Whether `text` holds a control character (0x00-0x1f, 0x7f), a tab too unless `tabOk`, or one
 * of `also`.
 */
export function hasControl(text: string, tabOk = false, also = ""): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && !(tabOk && c === 0x09)) || c === 0x7f || also.includes(text[i]!)) return true;
  }
  return false;
}

function bad(path: string, what: string, got?: unknown): never {
  const tail = arguments.length > 2 ? `, got ${JSON.stringify(got) ?? String(got)}` : "";
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${what}${tail}`);
}

function flag(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") bad(path, "must be a boolean", v);
  return v;
}

function count(v: unknown, path: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    bad(path, `must be an integer ${min}..${max}`, v);
  }
  return v;
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "must be an object", v);
  return v as Record<string, unknown>;
}

function strings(v: unknown, path: string, ok: (s: string) => boolean, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(path, "must be an array", v);
  return v.map((x, i) => {
    if (typeof x !== "string" || !ok(x)) bad(`${path}[${i}]`, what, x);
    return x;
  });
}

/**
 * `balance uri|url_param|hdr` of a typed configuration (`b` is the object, its `kind` one of
 * those three), with HAProxy's ranges.
 */
export function resolveHttpBalance(b: Record<string, unknown>, path: string): BalanceAlgorithm {
  switch (b.kind) {
    case "uri": {
      const len = count(b.len, `${path}.len`, 1, 2147483647);
      const depth = count(b.depth, `${path}.depth`, 1, 2147483646);
      return {
        kind: "uri",
        whole: flag(b.whole, `${path}.whole`),
        pathOnly: flag(b.pathOnly, `${path}.pathOnly`),
        ...(len === undefined ? {} : { len }),
        ...(depth === undefined ? {} : { depth }),
      };
    }
    case "url_param":
      if (typeof b.param !== "string" || b.param === "") bad(`${path}.param`, "must be a non-empty string", b.param);
      return { kind: "url_param", param: b.param };
    default:
      if (typeof b.header !== "string" || !TOKEN.test(b.header)) {
        bad(`${path}.header`, "must be a header name (an HTTP token)", b.header);
      }
      return { kind: "hdr", header: b.header, useDomainOnly: flag(b.useDomainOnly, `${path}.useDomainOnly`) };
  }
}

/** `hash-type` with HAProxy's defaults: map-based sdbm; consistent without a function adds avalanche. */
export function resolveHashType(v: unknown, path: string): ResolvedHashType {
  const h = v === undefined ? {} : record(v, path) as { [K in keyof HashTypeConfig]?: unknown };
  const method = h.method ?? "map-based";
  if (method !== "map-based" && method !== "consistent") {
    bad(`${path}.method`, `must be "map-based" or "consistent"`, method);
  }
  if (h.function !== undefined && !HASH_FUNCTIONS.includes(h.function as HashFunction)) {
    bad(`${path}.function`, `must be one of ${HASH_FUNCTIONS.map((f) => `"${f}"`).join(", ")}`, h.function);
  }
  const fn = (h.function as HashFunction | undefined) ?? DEFAULT_HASH_FUNCTION;
  const avalanche = h.avalanche === undefined
    ? method === "consistent" && h.function === undefined
    : flag(h.avalanche, `${path}.avalanche`);
  return { method, function: fn, avalanche };
}

/**
 * `cookie` with its defaults, refused where HAProxy refuses it (cfgparse-listen.c): `rewrite`
 * with `indirect`, `preserve` without `insert` or `indirect`. `postonly`, `nocache`, `maxidle`
 * and `maxlife` only act in `insert` mode, and are accepted (and ignored) elsewhere, as HAProxy.
 */
export function resolveCookie(v: unknown, path: string): ResolvedCookieConfig | undefined {
  if (v === undefined) return undefined;
  const c = record(v, path) as { [K in keyof CookieConfig]?: unknown };
  if (typeof c.name !== "string" || !TOKEN.test(c.name)) {
    bad(`${path}.name`, "must be a cookie name (an HTTP token)", c.name);
  }
  const mode = c.mode ?? "passive";
  if (!COOKIE_MODES.includes(mode as ResolvedCookieConfig["mode"])) {
    bad(`${path}.mode`, `must be one of ${COOKIE_MODES.map((m) => `"${m}"`).join(", ")}`, mode);
  }
  const seconds = (x: unknown, key: string): number => {
    const ms = count(x, `${path}.${key}`, 1000, MAX_COOKIE_SEC * 1000);
    return ms === undefined ? 0 : Math.floor(ms / 1000);
  };
  const r: ResolvedCookieConfig = {
    name: c.name,
    mode: mode as ResolvedCookieConfig["mode"],
    indirect: flag(c.indirect, `${path}.indirect`),
    nocache: flag(c.nocache, `${path}.nocache`),
    postonly: flag(c.postonly, `${path}.postonly`),
    preserve: flag(c.preserve, `${path}.preserve`),
    httponly: flag(c.httponly, `${path}.httponly`),
    secure: flag(c.secure, `${path}.secure`),
    domains: strings(c.domains, `${path}.domains`, (d) => /^[A-Za-z0-9._-]+$/.test(d), "must be a domain name"),
    maxIdleSec: seconds(c.maxIdleMs, "maxIdleMs"),
    maxLifeSec: seconds(c.maxLifeMs, "maxLifeMs"),
    attrs: strings(
      c.attrs,
      `${path}.attrs`,
      (a) => a !== "" && !hasControl(a, false, ";"),
      "must be text without ';' or control characters",
    ),
  };
  if (r.mode === "rewrite" && r.indirect) {
    bad(`${path}.indirect`, "cookie 'rewrite' and 'indirect' modes are incompatible");
  }
  if (r.preserve && r.mode !== "insert" && !r.indirect) {
    bad(`${path}.preserve`, "cookie 'preserve' requires at least 'insert' or 'indirect'");
  }
  return r;
}

/** A server's `cookie` value: text HAProxy can find again in a `Cookie` header. */
export function resolveServerCookie(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !COOKIE_VALUE.test(v)) {
    bad(path, "must be a non-empty cookie value (no blank, ',', ';', '\"', '\\\\' or control character)", v);
  }
  return v;
}

/**
 * Refuses in `mode tcp` what needs HTTP: the `uri`, `url_param` and `hdr` algorithms and
 * `cookie` (HAProxy falls back to round-robin or ignores them with a warning, which the
 * `haproxy.cfg` loader reproduces; a typed configuration is refused rather than half-work).
 * `observe layer7` is accepted: in `mode tcp` it only ever sees connect errors, as in HAProxy.
 */
export function checkHttpOnly(
  mode: "tcp" | "http",
  balance: BalanceAlgorithm,
  cookie: ResolvedCookieConfig | undefined,
  path: string,
): void {
  if (mode === "http") return;
  if (HTTP_ALGORITHMS.has(balance.kind)) {
    bad(`${path}.balance`, `'${balance.kind}' needs mode http (HAProxy falls back to round-robin in mode tcp)`);
  }
  if (cookie !== undefined) {
    bad(`${path}.cookie`, "cookie persistence needs mode http (HAProxy ignores it in mode tcp)");
  }
}

/** `http-check expect` of a typed configuration, `expectStatus` as its shorthand. */
export function resolveHttpExpect(v: unknown, path: string): ResolvedHttpExpect | undefined {
  if (v === undefined) return undefined;
  const e = record(v, path) as { [K in keyof Extract<HttpCheckExpect, { kind: "string" }>]?: unknown } & {
    codes?: unknown;
    pattern?: unknown;
  };
  const negate = flag(e.negate, `${path}.negate`);
  switch (e.kind) {
    case "status": {
      if (!Array.isArray(e.codes) || e.codes.length === 0) {
        bad(`${path}.codes`, "must list at least one status", e.codes);
      }
      const codes = e.codes.map((c, i) => count(c, `${path}.codes[${i}]`, 100, 999)!);
      return { kind: "status", codes, negate };
    }
    case "rstatus": {
      if (typeof e.pattern !== "string" || e.pattern === "") {
        bad(`${path}.pattern`, "must be a regular expression", e.pattern);
      }
      try {
        new RegExp(e.pattern);
      } catch (err) {
        bad(`${path}.pattern`, `invalid regular expression: ${(err as Error).message}`);
      }
      return { kind: "rstatus", pattern: e.pattern, negate };
    }
    case "string":
      if (typeof e.text !== "string" || e.text === "") bad(`${path}.text`, "must be a non-empty string", e.text);
      return { kind: "string", text: e.text, negate };
    default:
      return bad(`${path}.kind`, `must be "status", "rstatus" or "string"`, e.kind);
  }
}

/** `http-check send hdr` fields of a typed configuration. */
export function resolveCheckHeaders(v: unknown, path: string): readonly (readonly [string, string])[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(path, "must be an array of [name, value] pairs", v);
  return v.map((f, i) => {
    if (!Array.isArray(f) || f.length !== 2) bad(`${path}[${i}]`, "must be a [name, value] pair", f);
    const [n, val] = f as unknown[];
    if (typeof n !== "string" || !TOKEN.test(n)) bad(`${path}[${i}][0]`, "must be a header name (an HTTP token)", n);
    if (typeof val !== "string" || hasControl(val, true)) {
      bad(`${path}[${i}][1]`, "must be a header value without control characters", val);
    }
    return [n, val] as const;
  });
}
