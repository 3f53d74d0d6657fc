/**
 * The fields that tell a server who the client is, added to each request after the rules
 * (HAProxy's `http_process_request()`): `option forwardfor` (`x-forwarded-for`, HAProxy 2.6
 * byte for byte), and two proxykit options, the RFC 7239 `Forwarded` field (modelled on
 * HAProxy 2.8's `option forwarded`) and `x-forwarded-proto`. Each is off unless configured,
 * and client-supplied copies are not trusted unless configured (`if-none`, `append`).
 *
 * @module
 */
import type { ForwardedConfig, ForwardedProtoConfig, ForwardForConfig } from "../config/http_types.ts";
import { splitValues } from "../acl/_http.ts";
import { endpointIp, formatIp, type IpNet, parseIpPattern } from "../acl/_ip.ts";
import type { Endpoint, SampleContext } from "../acl/sample.ts";
import { TCHAR } from "./_chars.ts";
import { appendHeader, deleteHeader, hasHeader, type HeaderList } from "./head.ts";

/** `option forwardfor`, checked. */
export interface ForwardFor {
  /** Field name, lowercase. */
  readonly header: string;
  /** `except` network. */
  readonly except: IpNet | undefined;
  /** `if-none`. */
  readonly ifNone: boolean;
}

/** The `Forwarded` option, defaults applied. */
export interface Forwarded {
  /** `proto=`. */
  readonly proto: boolean;
  /** `host=`. */
  readonly host: boolean;
  /** `by=`: 0 no, 1 address, 2 address and port. */
  readonly by: 0 | 1 | 2;
  /** `for=`: 0 no, 1 address, 2 address and port. */
  readonly for: 0 | 1 | 2;
  /** Append to a valid client-supplied chain rather than replace it. */
  readonly append: boolean;
}

/** The `x-forwarded-proto` option, defaults applied. */
export interface ForwardedProto {
  /** Field name, lowercase. */
  readonly header: string;
  /** Keep a client-supplied field. */
  readonly ifNone: boolean;
}

/** The forwarding options of one proxy section. */
export interface Forwarding {
  /** `option forwardfor`. */
  readonly forwardFor: ForwardFor | undefined;
  /** `Forwarded`. */
  readonly forwarded: Forwarded | undefined;
  /** `x-forwarded-proto`. */
  readonly forwardedProto: ForwardedProto | undefined;
}

/** The field `option forwardfor` adds, as HAProxy. */
export const DEFAULT_FORWARDFOR_HEADER = "x-forwarded-for";
/** The field the `forwardedProto` option sets. */
export const DEFAULT_FORWARDED_PROTO_HEADER = "x-forwarded-proto";

/** A refused option: the message is HAProxy's text where it has one. */
export class ForwardingError extends Error {}

function headerName(name: unknown, what: string, dflt: string): string {
  if (name === undefined) return dflt;
  if (typeof name !== "string" || name === "" || [...name].some((c) => !TCHAR[c.charCodeAt(0)])) {
    throw new ForwardingError(`'${what}' expects <header_name> as argument.`);
  }
  return name.toLowerCase();
}

/**
 * Checks `option forwardfor` settings.
 *
 * @throws {ForwardingError} `'option forwardfor except' expects <address>[/mask] as argument.`,
 *   `'option forwardfor header' expects <header_name> as argument.`
 */
export function compileForwardFor(c: ForwardForConfig): ForwardFor {
  let except: IpNet | undefined;
  if (c.except !== undefined) {
    except = typeof c.except === "string" ? parseIpPattern(c.except) : undefined;
    if (except === undefined) {
      throw new ForwardingError("'option forwardfor except' expects <address>[/mask] as argument.");
    }
  }
  return {
    header: headerName(c.header, "option forwardfor header", DEFAULT_FORWARDFOR_HEADER),
    except,
    ifNone: c.ifNone === true,
  };
}

/** The `Forwarded` option with its defaults: `proto` and `for` when no parameter is chosen. */
export function compileForwarded(c: ForwardedConfig): Forwarded {
  const any = c.proto === true || c.host === true || c.by === true || c.byPort === true || c.for === true ||
    c.forPort === true;
  return {
    proto: any ? c.proto === true : true,
    host: c.host === true,
    by: c.byPort === true ? 2 : c.by === true ? 1 : 0,
    for: c.forPort === true ? 2 : c.for === true ? 1 : any ? 0 : 1,
    append: c.append === true,
  };
}

/** The `x-forwarded-proto` option with its defaults. */
export function compileForwardedProto(c: ForwardedProtoConfig): ForwardedProto {
  return {
    header: headerName(c.header, "forwardedProto header", DEFAULT_FORWARDED_PROTO_HEADER),
    ifNone: c.ifNone === true,
  };
}

function inExcept(ip: Uint8Array, net: IpNet | undefined): boolean {
  if (net === undefined || net.net.length !== ip.length) return false;
  return ip.every((b, i) => (b & net.mask[i]!) === net.net[i]);
}

/**
 * `option forwardfor`, set on the frontend, the backend or both (`http_process_request()`):
 * a new field named as the backend says (else the frontend) with the client's address is
 * appended at the end, never merged, earlier ones kept; nothing when the client is in the
 * `except` network of either side, or when the field is already present and no side set the
 * option without `if-none`.
 */
export function applyForwardFor(fe: ForwardFor | undefined, be: ForwardFor | undefined, ctx: SampleContext): void {
  const any = be ?? fe;
  if (any === undefined || ctx.src === undefined) return;
  const headers = ctx.request.headers;
  const always = (fe !== undefined && !fe.ifNone) || (be !== undefined && !be.ifNone);
  if (!always && hasHeader(headers, any.header)) return;
  const ip = endpointIp(ctx.src.address);
  if (ip === undefined || inExcept(ip, fe?.except) || inExcept(ip, be?.except)) return;
  appendHeader(headers, any.header, formatIp(ip));
}

/** The node of a `for=` or `by=` parameter (RFC 7239 6): IPv4 bare, IPv6 in brackets, quoted when IPv6 or with a port; `unknown` without an address. */
function node(e: Endpoint | undefined, withPort: boolean): string {
  const ip = e === undefined ? undefined : endpointIp(e.address);
  if (ip === undefined) return "unknown";
  const addr = ip.length === 4 ? formatIp(ip) : `[${formatIp(ip)}]`;
  if (withPort) return `"${addr}:${e!.port}"`;
  return ip.length === 4 ? addr : `"${addr}"`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QUOTED = /^"(?:[^"\\]|\\.)*"$/;

/** Splits at `sep` outside double quotes (an unterminated quote stays in the last piece). */
function splitOutsideQuotes(value: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0, quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/**
 * Whether a `Forwarded` value is a valid RFC 7239 list HAProxy would extend: elements of
 * `name=value` pairs (`for`, `by`, `host`, `proto`, each once), values tokens or quoted.
 */
export function validForwarded(value: string): boolean {
  return splitOutsideQuotes(value, ",").every((el) => {
    const seen = new Set<string>();
    return el !== "" && splitOutsideQuotes(el, ";").every((pair) => {
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).toLowerCase();
      const v = pair.slice(eq + 1);
      if (eq <= 0 || seen.has(name) || !["for", "by", "host", "proto"].includes(name)) return false;
      seen.add(name);
      return TOKEN.test(v) || QUOTED.test(v);
    });
  });
}

/** The `Forwarded` value for this request. */
export function forwardedValue(f: Forwarded, ctx: SampleContext): string {
  const parts: string[] = [];
  if (f.proto) parts.push(`proto=${ctx.secure === true ? "https" : "http"}`);
  if (f.host) {
    const host = splitValues(ctx.request.headers.find(([n]) => n === "host")?.[1] ?? "")[0] ?? "";
    parts.push(`host="${/^[A-Za-z0-9._~!$&'()*+,;=:%[\]-]*$/.test(host) ? host : ""}"`);
  }
  if (f.by > 0) parts.push(`by=${node(ctx.dst, f.by === 2)}`);
  if (f.for > 0) parts.push(`for=${node(ctx.src, f.for === 2)}`);
  return parts.join(";");
}

/** Sets or extends the `Forwarded` field (see {@link Forwarded}). */
export function applyForwarded(f: Forwarded, ctx: SampleContext): void {
  const headers: HeaderList = ctx.request.headers;
  const value = forwardedValue(f, ctx);
  const existing = headers.filter(([n]) => n === "forwarded");
  if (f.append && existing.length > 0 && existing.every(([, v]) => validForwarded(v))) {
    const last = existing[existing.length - 1]!;
    last[1] = `${last[1]}, ${value}`;
    return;
  }
  if (!f.append) deleteHeader(headers, "forwarded");
  appendHeader(headers, "forwarded", value);
}

/** Sets `x-forwarded-proto` (see {@link ForwardedProto}). */
export function applyForwardedProto(p: ForwardedProto, ctx: SampleContext): void {
  const headers = ctx.request.headers;
  if (p.ifNone && hasHeader(headers, p.header)) return;
  deleteHeader(headers, p.header);
  appendHeader(headers, p.header, ctx.secure === true ? "https" : "http");
}

/**
 * Every forwarding option of the frontend and the chosen backend, in HAProxy's order
 * (`Forwarded`, then `x-forwarded-for`), then `x-forwarded-proto`; for `Forwarded` and
 * `x-forwarded-proto` the backend's setting wins over the frontend's.
 */
export function applyForwarding(fe: Forwarding | undefined, be: Forwarding | undefined, ctx: SampleContext): void {
  const forwarded = be?.forwarded ?? fe?.forwarded;
  if (forwarded !== undefined) applyForwarded(forwarded, ctx);
  applyForwardFor(fe?.forwardFor, be?.forwardFor, ctx);
  const proto = be?.forwardedProto ?? fe?.forwardedProto;
  if (proto !== undefined) applyForwardedProto(proto, ctx);
}
