/**
 * The `haproxy.cfg` keywords of HTTP-aware balancing, persistence and HTTP checks: `balance
 * uri|url_param|hdr(...)`, `hash-type`, `cookie`, `[no] option persist`, `http-check send` and
 * `http-check expect`, with HAProxy 2.6's syntax and error texts (backend.c
 * `backend_parse_balance()`, cfgparse-listen.c, tcpcheck.c). The driver is `haproxy_cfg.ts`.
 *
 * @module
 */
import type { BalanceAlgorithm, CookieConfig, HashFunction, HttpCheckExpect } from "./types.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import { exactArgs, int, time } from "./_cfg_values.ts";
import { hasControl, HASH_FUNCTIONS } from "./_resolve_persist.ts";

/** `balance uri [whole] [len N] [depth N] [path-only]` (backend.c `backend_parse_balance()`). */
function uriBalance(c: Ctx, args: readonly string[]): BalanceAlgorithm {
  let whole = false;
  let pathOnly = false;
  let len: number | undefined;
  let depth: number | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === "whole") whole = true;
    else if (a === "path-only") pathOnly = true;
    else if (a === "len" || a === "depth") {
      const v = args[++i];
      const n = v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : 0;
      if (n <= 0 || n > 2147483646) c.fail(`uri : '${a}' expects a positive integer (got '${v ?? ""}').`);
      if (a === "len") len = n;
      else depth = n;
    } else c.fail(`uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${a}').`);
  }
  return {
    kind: "uri",
    ...(whole ? { whole } : {}),
    ...(pathOnly ? { pathOnly } : {}),
    ...(len !== undefined ? { len } : {}),
    ...(depth !== undefined ? { depth } : {}),
  };
}

/**
 * `balance uri ...`, `balance url_param <p>` and `balance hdr(<name>) [use_domain_only]`;
 * `undefined` when `args[0]` is none of them. `url_param ... check_post` is not supported
 * (only the query string is hashed).
 */
export function httpBalance(c: Ctx, args: readonly string[]): BalanceAlgorithm | undefined {
  const algo = args[0] ?? "";
  if (algo === "uri") return uriBalance(c, args);
  if (algo === "url_param") {
    const param = args[1];
    if (param === undefined || param === "") return c.fail("url_param requires an URL parameter name.");
    const opt = args[2];
    if (opt !== undefined && opt !== "check_post") {
      c.fail(`url_param only accepts 'check_post' modifier (got '${opt}').`);
    }
    if (opt === "check_post") c.unsupported("'check_post' is not supported: only the query string is hashed");
    if (args.length > 3 && opt !== "check_post") c.fail(`unexpected argument '${args[3]}'`);
    return { kind: "url_param", param };
  }
  if (!algo.startsWith("hdr(")) return undefined;
  const end = algo.indexOf(")", 4);
  if (end <= 4) return c.fail("hdr requires an http header field name.");
  const header = algo.slice(4, end);
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) c.fail(`invalid header name '${header}'`);
  const opt = args[1];
  if (opt !== undefined && opt !== "use_domain_only") {
    c.fail(`${algo} only accepts 'use_domain_only' modifier (got '${opt}').`);
  }
  exactArgs(c, args, 1, 2, "a header name and an optional 'use_domain_only'");
  return { kind: "hdr", header, ...(opt !== undefined ? { useDomainOnly: true } : {}) };
}

/** `hash-type map-based|consistent [sdbm|djb2|wt6|crc32 [avalanche]]` (cfgparse-listen.c). */
function hashType(c: Ctx, args: readonly string[]): void {
  const [method, fn, modifier, extra] = args;
  if (method === "avalanche") {
    c.fail(
      "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.",
    );
  }
  if (method !== "map-based" && method !== "consistent") {
    c.fail("'hash-type' only supports 'consistent' and 'map-based'.");
  }
  if (fn === "none") c.unsupported("hash function 'none' is not supported");
  if (fn !== undefined && fn !== "none" && !HASH_FUNCTIONS.includes(fn as HashFunction)) {
    c.fail("'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
  }
  if (modifier !== undefined && modifier !== "avalanche") {
    c.fail("'hash-type' only supports 'avalanche' as a modifier for hash functions.");
  }
  if (extra !== undefined) c.fail(`unexpected argument '${extra}'`);
  // Without a function, consistent hashing uses sdbm with the avalanche (resolveConfig's default).
  c.s.hashType = {
    method,
    ...(fn !== undefined && fn !== "none" ? { function: fn as HashFunction, avalanche: modifier === "avalanche" } : {}),
  };
}

/** A duration in seconds unless a unit is given (`maxidle`, `maxlife`: TIME_UNIT_S), as ms. */
function seconds(c: Ctx, what: string, text: string | undefined): number {
  if (text === undefined || text === "") {
    return c.fail(`'${what}' expects <${what === "maxidle" ? "idletime" : "lifetime"}> in seconds as argument.`);
  }
  const ms = /^[0-9]+$/.test(text) ? Number(text) * 1000 : time(c, `'${what}' `, text, 0);
  if (ms < 1000) c.fail(`timer underflow in argument <${text}> to <${what}>, minimum non-null value is 1 s.`);
  if (ms > 2147483647 * 1000) {
    c.fail(`timer overflow in argument <${text}> to <${what}>, maximum value is 2147483647 s (~68 years).`);
  }
  return ms;
}

/** The flags of `cookie` that take no value, and the {@link CookieConfig} field each sets. */
const COOKIE_FLAGS: Readonly<Record<string, "indirect" | "nocache" | "postonly" | "preserve" | "httponly" | "secure">> =
  {
    indirect: "indirect",
    nocache: "nocache",
    postonly: "postonly",
    preserve: "preserve",
    httponly: "httponly",
    secure: "secure",
  };

/**
 * `cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly]
 * [secure] [domain <d>]* [maxidle <t>] [maxlife <t>] [attr <v>]*` (cfgparse-listen.c), its
 * incompatible combinations refused with HAProxy's words. `dynamic` is not supported.
 */
function cookie(c: Ctx, args: readonly string[]): void {
  const name = args[0];
  if (name === undefined || name === "") return c.fail("'cookie' expects <cookie_name> as argument.");
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) c.fail(`invalid cookie name '${name}'`);
  const cfg: { -readonly [K in keyof CookieConfig]: CookieConfig[K] } = { name };
  const domains: string[] = [];
  const attrs: string[] = [];
  let modes = 0;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const value = (what: string): string => {
      const v = args[++i];
      if (v === undefined || v === "") return c.fail(`'${a}' expects ${what} as argument.`);
      return v;
    };
    const f = COOKIE_FLAGS[a];
    if (a === "rewrite" || a === "insert" || a === "prefix") {
      if (cfg.mode !== undefined && cfg.mode !== a) modes++;
      cfg.mode = a;
    } else if (f !== undefined) cfg[f] = true;
    else if (a === "domain") {
      const d = value("<domain>");
      if (!/^[A-Za-z0-9._-]+$/.test(d)) c.fail(`character not permitted in domain name '${d}'.`);
      if (!d.slice(1).includes(".")) {
        c.warn(`domain '${d}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).`);
      }
      domains.push(d);
    } else if (a === "maxidle") cfg.maxIdleMs = seconds(c, a, args[++i]);
    else if (a === "maxlife") cfg.maxLifeMs = seconds(c, a, args[++i]);
    else if (a === "attr") {
      const v = value("<value>");
      if (hasControl(v, false, ";")) c.fail("a character is not permitted in attribute value.");
      attrs.push(v);
    } else if (a === "dynamic") c.unsupported("'dynamic' cookies are not supported");
    else {
      c.fail(
        "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.",
      );
    }
  }
  if (cfg.mode === "rewrite" && cfg.indirect === true) {
    c.fail("cookie 'rewrite' and 'indirect' modes are incompatible.");
  }
  if (modes > 0) c.fail("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
  if (cfg.preserve === true && cfg.mode !== "insert" && cfg.indirect !== true) {
    c.fail("cookie 'preserve' requires at least 'insert' or 'indirect'.");
  }
  if (domains.length > 0) cfg.domains = domains;
  if (attrs.length > 0) cfg.attrs = attrs;
  c.s.cookie = cfg;
}

/**
 * `http-check send [meth <m>] [uri <u>] [ver <v>] [hdr <name> <value>]*` (tcpcheck.c
 * `parse_tcpcheck_send_http()`); `uri-lf`, `body`, `body-lf` and `comment` are not supported.
 */
function httpSend(c: Ctx, args: readonly string[]): void {
  const send: NonNullable<Ctx["s"]["httpSend"]> = { headers: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v === "") return c.fail(`'${a}' expects a string as argument.`);
      return v;
    };
    if (a === "meth") {
      const m = value();
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(m)) c.fail(`invalid method '${m}'`);
      send.method = m;
    } else if (a === "uri") {
      const u = value();
      if (!/^[\x21-\x7e]+$/.test(u)) c.fail(`invalid URI '${u}'`);
      send.uri = u;
    } else if (a === "ver") {
      const v = value();
      if (!/^HTTP\/\d\.\d$/.test(v)) c.fail(`version must look like HTTP/1.1, got '${v}'`);
      send.version = v;
    } else if (a === "hdr") {
      const n = args[++i];
      const v = args[++i];
      if (n === undefined || n === "" || v === undefined) c.fail(`'hdr' expects <name> and <value> as arguments`);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n)) c.fail(`invalid header name '${n}'`);
      send.headers.push([n, v]);
    } else if (a === "uri-lf" || a === "body" || a === "body-lf" || a === "comment") {
      c.unsupported(`'${a}' is not supported`);
      i++;
    } else {c.fail(
        `expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '${a}' as argument.`,
      );}
  }
  c.s.httpSend = { ...send, line: c.line };
}

/** Codes and ranges of `http-check expect status` (`200,300-399`), expanded. */
function statusCodes(c: Ctx, text: string): number[] {
  const codes: number[] = [];
  for (const part of text.split(",")) {
    const [lo, hi] = part.split("-");
    const from = int(c, "status: ", lo, 100, 599);
    const to = hi === undefined ? from : int(c, "status: ", hi, from, 599);
    for (let s = from; s <= to; s++) codes.push(s);
  }
  return codes;
}

/**
 * `http-check expect [!] status <codes> | rstatus <regex> | string <text>` (tcpcheck.c
 * `parse_tcpcheck_expect()`); the other matches (`hdr`, `fhdr`, `rstring`, `string-lf`) and
 * options (`min-recv`, `ok-status`, `on-error`...) are not supported.
 */
function httpExpect(c: Ctx, args: readonly string[]): void {
  let i = 0;
  const negate = args[0] === "!";
  if (negate) i++;
  const match = args[i];
  const pattern = args[i + 1];
  if (match !== "status" && match !== "rstatus" && match !== "string") {
    return c.unsupported(`only 'http-check expect [!] status|rstatus|string <pattern>' is supported`);
  }
  if (pattern === undefined || pattern === "") c.fail(`'${match}' expects <pattern> as an argument.`);
  if (args.length > i + 2) c.fail(`unexpected argument '${args[i + 2]}'`);
  let expect: HttpCheckExpect;
  if (match === "status") expect = { kind: "status", codes: statusCodes(c, pattern), negate };
  else if (match === "rstatus") {
    try {
      new RegExp(pattern);
    } catch (e) {
      c.fail(`invalid regex '${pattern}': ${(e as Error).message}`);
    }
    expect = { kind: "rstatus", pattern, negate };
  } else expect = { kind: "string", text: pattern, negate };
  c.s.expect = { expect, line: c.line };
}

const persistFlag = (on: boolean): Keyword => ({
  cap: "be",
  inDefaults: true,
  parse: (c, args) => {
    exactArgs(c, args, 0, 0, "no argument");
    c.s.persist = on;
  },
});

/** The keywords of this module by label, looked up after `PROXY_KEYWORDS`. */
export const PERSIST_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "hash-type": { cap: "be", inDefaults: true, parse: hashType },
  cookie: { cap: "be", inDefaults: true, parse: cookie },
  "option persist": persistFlag(true),
  "no option persist": persistFlag(false),
  "http-check send": { cap: "be", inDefaults: true, parse: httpSend },
  "http-check expect": { cap: "be", inDefaults: true, parse: httpExpect },
};
