/**
 * The sample fetches proxykit knows (configuration.txt 7.3.2 to 7.3.6), with HAProxy 2.6's
 * names, arguments and output types, and the ACL keywords derived from them (`path_beg` is
 * `path` matched with `beg`, as `acl_kws[]` in src/http_acl.c declares them).
 *
 * A fetch returns every value it finds: an ACL tries each one (HAProxy's `SMP_OPT_ITERATE`),
 * while a sample expression (`%[...]`) keeps one, the last occurrence for header fetches (as
 * HAProxy with no occurrence given) and the first for the others.
 *
 * @module
 */
import type { HeaderList } from "../http/head.ts";
import { type ArgSpec, type ArgValue, NO_ARGS } from "./_args.ts";
import { headerValues, occurrence, pathOf, queryOf, targetPath, urlParams } from "./_http.ts";
import { endpointIp, leadingIpv4, parseIpv6 } from "./_ip.ts";
import { SSL_FETCHES } from "./fetches_ssl.ts";
import { bool, int, readInt, type Sample, type SampleContext, type SampleType, str } from "./sample.ts";
import { PAYLOAD_ALIASES, PAYLOAD_FETCHES } from "./_payload.ts";

/** A sample fetch: its arguments, its output type, and how it reads a context. */
export interface FetchSpec {
  /** Arguments, as `name(a,b)`. */
  readonly args: ArgSpec;
  /** The declared output type, which gives an ACL's default match method. */
  readonly type: SampleType;
  /** Every value found, in order; empty when there is none. */
  readonly fetch: (ctx: SampleContext, args: readonly ArgValue[]) => Sample[];
  /** Which value a sample expression keeps. @default "first" */
  readonly pick?: "first" | "last";
  /**
   * Whether more request bytes could still change the answer (HAProxy's `SMP_F_MAY_CHANGE`
   * while the inspection is not final): an ACL that does not match then answers "miss".
   * @default undefined: never
   */
  readonly mayChange?: (ctx: SampleContext, args: readonly ArgValue[]) => boolean;
}

const HDR_ARGS: ArgSpec = { types: ["str", "int"], min: 0 };
const NAME_ARGS: ArgSpec = { types: ["str"], min: 0 };

const strs = (values: readonly string[]): Sample[] => values.map(str);
const opt = (v: string | undefined): Sample[] => v === undefined ? [] : [str(v)];

type Side = "req" | "res";
function fieldsOf(ctx: SampleContext, side: Side): HeaderList | undefined {
  return side === "req" ? ctx.request.headers : ctx.response?.headers;
}

/** `hdr([name[,occ]])` and relatives: values split at commas (`full` keeps lines whole). */
function hdrFetch(side: Side, full: boolean): FetchSpec {
  return {
    args: HDR_ARGS,
    type: "str",
    pick: "last",
    fetch: (ctx, [name, occ]) => {
      const fields = fieldsOf(ctx, side);
      if (fields === undefined) return [];
      return strs(occurrence(headerValues(fields, String(name ?? "").toLowerCase(), full), Number(occ ?? 0)));
    },
  };
}

function hdrCount(side: Side, full: boolean): FetchSpec {
  return {
    args: NAME_ARGS,
    type: "int",
    fetch: (ctx, [name]) => {
      const fields = fieldsOf(ctx, side);
      return fields === undefined ? [] : [int(headerValues(fields, String(name ?? "").toLowerCase(), full).length)];
    },
  };
}

/** `hdr_val`: each value read as a decimal integer (`strl2ic()`). */
function hdrVal(side: Side): FetchSpec {
  const h = hdrFetch(side, false);
  return { ...h, type: "int", fetch: (ctx, args) => h.fetch(ctx, args).map((s) => int(readInt(s.value as string))) };
}

/** `hdr_ip`: each value that starts with an IPv4 address (`url2ipv4()`) or is an IPv6 one. */
function hdrIp(side: Side): FetchSpec {
  const h = hdrFetch(side, false);
  return {
    ...h,
    type: "ip",
    fetch: (ctx, args) =>
      h.fetch(ctx, args).flatMap((s): Sample[] => {
        const v = s.value as string;
        const ip = leadingIpv4(v) ?? parseIpv6(v);
        return ip === undefined ? [] : [{ type: "ip", value: ip }];
      }),
  };
}

/** The host and port of an absolute `http://` target with an IPv4 host (`url2sa()`). */
function urlAddress(target: string): { ip: Uint8Array; port: number } | undefined {
  const m = /^http:\/\/([^/?:]*)(?::([0-9]+))?(?:[/?]|$)/i.exec(target);
  if (m === null) return undefined;
  const ip = leadingIpv4(m[1]!);
  if (ip === undefined || ip.join(".") !== m[1]) return undefined;
  return { ip, port: m[2] === undefined ? 80 : Number(m[2]) };
}

/**
 * `req.len`: what HAProxy 2.6 reports in HTTP mode, the size of the request in its HTX
 * buffer (`smp_fetch_len()`, "not accurate but kept for backward compatibility"): 20 bytes of
 * start line structure, the method, target and version, each field's name and value, 1 for
 * the end of headers, then the body bytes received.
 */
function requestLength(ctx: SampleContext): number {
  const r = ctx.request;
  let n = 20 + r.method.length + r.target.length + r.version.length + 1 + (ctx.bodyBytes ?? 0);
  for (const [name, value] of r.headers) n += name.length + value.length;
  return n;
}

function endpointFetch(which: "src" | "dst", part: "ip" | "port"): FetchSpec {
  return {
    args: NO_ARGS,
    type: part === "ip" ? "ip" : "int",
    fetch: (ctx) => {
      const e = ctx[which];
      if (e === undefined) return [];
      if (part === "port") return [int(e.port)];
      const ip = endpointIp(e.address);
      return ip === undefined ? [] : [{ type: "ip", value: ip }];
    },
  };
}

const simple = (type: SampleType, fetch: (ctx: SampleContext, args: readonly ArgValue[]) => Sample[]): FetchSpec => ({
  args: NO_ARGS,
  type,
  fetch,
});

const urlParam: FetchSpec = {
  args: { types: ["str", "str"], min: 0 },
  type: "str",
  fetch: (ctx, [name, delim]) => strs(urlParams(ctx.request.target, String(name ?? ""), String(delim ?? "")[0] ?? "?")),
};

/** Every sample fetch by name (HAProxy's `sample_fetch_keywords` and `smp_kws` of src/http_fetch.c). */
export const FETCHES: Readonly<Record<string, FetchSpec>> = {
  always_true: simple("bool", () => [bool(true)]),
  always_false: simple("bool", () => [bool(false)]),
  src: endpointFetch("src", "ip"),
  src_port: endpointFetch("src", "port"),
  dst: endpointFetch("dst", "ip"),
  dst_port: endpointFetch("dst", "port"),
  fe_name: simple("str", (ctx) => opt(ctx.frontend)),
  be_name: simple("str", (ctx) => opt(ctx.backend)),
  // configuration.txt 7.3.2 `nbsrv([<backend>])`: the current backend when none is named.
  nbsrv: {
    args: { types: ["str"], min: 0 },
    type: "int",
    fetch: (ctx, [name]) => {
      const n = ctx.usableServers?.(name === undefined ? ctx.backend ?? "" : String(name));
      return n === undefined ? [] : [int(n)];
    },
  },
  str: { args: { types: ["str"], min: 1 }, type: "str", fetch: (_ctx, [v]) => [str(String(v))] },
  // configuration.txt 7.3.3 `fc_pp_authority`, `fc_pp_unique_id`: the AUTHORITY and UNIQUE_ID
  // TLVs of the client's PROXY v2 header; nothing without one (or a v1 header).
  fc_pp_authority: simple("str", (ctx) => opt(ctx.proxyTlvs?.authority)),
  fc_pp_unique_id: simple("str", (ctx) => opt(ctx.proxyTlvs?.uniqueId)),
  // configuration.txt 7.3.6 `unique-id`: the request's id (`unique-id-format`), made now if not yet.
  "unique-id": simple("str", (ctx) => opt(ctx.stream?.uniqueId())),
  // configuration.txt 7.3.2 `uuid([<version>])`: a random UUID, version 4 only (lowercase, as HAProxy's).
  uuid: {
    args: { types: ["int"], min: 0 },
    type: "str",
    fetch: (_ctx, [v]) => (v === undefined || v === 4 ? [str(globalThis.crypto.randomUUID())] : []),
  },
  int: { args: { types: ["int"], min: 1 }, type: "int", fetch: (_ctx, [v]) => [int(Number(v))] },
  method: simple("meth", (ctx) => [{ type: "meth", value: ctx.request.method }]),
  path: simple("str", (ctx) => opt(pathOf(ctx.request.target))),
  pathq: simple("str", (ctx) => opt(targetPath(ctx.request.target))),
  query: simple("str", (ctx) => opt(queryOf(ctx.request.target))),
  url: simple("str", (ctx) => [str(ctx.request.target)]),
  base: simple("str", (ctx) => {
    const host = headerValues(ctx.request.headers, "host", false)[0];
    const path = pathOf(ctx.request.target);
    if (host === undefined || host === "") return opt(path);
    return [str(host + (path !== undefined && path.startsWith("/") ? path : ""))];
  }),
  url_ip: simple("ip", (ctx) => {
    const a = urlAddress(ctx.request.target);
    return a === undefined ? [] : [{ type: "ip", value: a.ip }];
  }),
  url_port: simple("int", (ctx) => {
    const a = urlAddress(ctx.request.target);
    return a === undefined ? [] : [int(a.port)];
  }),
  url_param: urlParam,
  urlp: urlParam,
  urlp_val: {
    ...urlParam,
    type: "int",
    fetch: (ctx, a) => urlParam.fetch(ctx, a).map((s) => int(readInt(s.value as string))),
  },
  "req.ver": simple("str", (ctx) => opt(ctx.request.version.split("/")[1])),
  req_ver: simple("str", (ctx) => opt(ctx.request.version.split("/")[1])),
  "req.hdr": hdrFetch("req", false),
  hdr: hdrFetch("req", false),
  "req.fhdr": hdrFetch("req", true),
  "req.hdr_cnt": hdrCount("req", false),
  hdr_cnt: hdrCount("req", false),
  "req.fhdr_cnt": hdrCount("req", true),
  "req.hdr_val": hdrVal("req"),
  hdr_val: hdrVal("req"),
  "req.hdr_ip": hdrIp("req"),
  hdr_ip: hdrIp("req"),
  status: simple("int", (ctx) => (ctx.response === undefined ? [] : [int(ctx.response.status)])),
  "res.ver": simple("str", (ctx) => opt(ctx.response?.version.split("/")[1])),
  "res.hdr": hdrFetch("res", false),
  shdr: hdrFetch("res", false),
  "res.fhdr": hdrFetch("res", true),
  "res.hdr_cnt": hdrCount("res", false),
  shdr_cnt: hdrCount("res", false),
  "res.fhdr_cnt": hdrCount("res", true),
  "res.hdr_val": hdrVal("res"),
  shdr_val: hdrVal("res"),
  ...SSL_FETCHES,
  ...layer6(),
};

/**
 * The layer 6 fetches and their old names; `req.len` reads the buffered bytes under TCP
 * content inspection, else the HTTP request.
 */
function layer6(): Record<string, FetchSpec> {
  const len = PAYLOAD_FETCHES["req.len"]!;
  const reqLen: FetchSpec = {
    ...len,
    fetch: (ctx, args) => (ctx.payload === undefined ? [int(requestLength(ctx))] : len.fetch(ctx, args)),
  };
  const out: Record<string, FetchSpec> = { ...PAYLOAD_FETCHES, "req.len": reqLen };
  for (const [alias, name] of Object.entries(PAYLOAD_ALIASES)) out[alias] = out[name]!;
  return out;
}

/**
 * ACL match methods (configuration.txt 7.1); `ver` is the dotted version match of
 * `req.ssl_ver` (`pat_parse_dotted_ver()`, patterns `3.1` or `3.1:3.3`), `meth` that of
 * `method`: neither can be named with `-m`.
 */
export type MatchMethod =
  | "found"
  | "bin"
  | "ver"
  | "bool"
  | "int"
  | "ip"
  | "len"
  | "str"
  | "beg"
  | "end"
  | "sub"
  | "dir"
  | "dom"
  | "reg"
  | "meth";

/** An ACL keyword: the fetch it reads and the match method it implies. */
export interface AclKeyword {
  /** Name in {@link FETCHES}. */
  readonly fetch: string;
  /** Implied match method (`meth`: `method`'s own, `pat_match_meth()`). */
  readonly match: MatchMethod;
}

const DERIVED: readonly [string, string][] = [
  ["base", "base"],
  ["hdr", "req.hdr"],
  ["path", "path"],
  ["url", "url"],
  ["urlp", "urlp"],
  ["shdr", "res.hdr"],
];
const SUFFIXES: readonly MatchMethod[] = ["beg", "dir", "dom", "end", "len", "reg", "sub"];

/** The ACL keywords (`acl_kws[]` of src/http_acl.c): `<base>` with `str`, `<base>_<match>` for each match. */
export const ACL_KEYWORDS: Readonly<Record<string, AclKeyword>> = Object.fromEntries([
  ["method", { fetch: "method", match: "meth" }],
  ["req_ver", { fetch: "req.ver", match: "str" }],
  ["req.payload", { fetch: "req.payload", match: "bin" }],
  ["req.ssl_ver", { fetch: "req.ssl_ver", match: "ver" }],
  ["req_ssl_ver", { fetch: "req.ssl_ver", match: "ver" }],
  ...DERIVED.flatMap(([kw, fetch]) => [
    [kw, { fetch, match: "str" }],
    ...SUFFIXES.map((m) => [`${kw}_${m}`, { fetch, match: m }]),
  ]),
]);
