/**
 * Address text as HAProxy and our CLI write it: `HOST:PORT`, `[v6]:PORT`, the `ipv4@`,
 * `ipv6@`, `unix@` and `abns@` prefixes, a bare `/path` for a Unix socket, and `*:PORT` or
 * `:PORT` for every address. Parsing validates; formatting gives the canonical text back.
 *
 * @module
 */
import { ProxyError } from "./errors.ts";
import type { Address } from "./net.ts";

/** Options of {@link parseAddress}. */
export interface ParseAddressOptions {
  /**
   * Accept port 0 (a listener asking for a free port). Servers never use it: in HAProxy a
   * server without a port means "the client's destination port", which we do not support.
   * @default false
   */
  readonly allowPortZero?: boolean;
  /** Accept Unix socket addresses (`unix@/path`, `/path`, `abns@name`). @default true */
  readonly allowUnix?: boolean;
}

/** Longest Unix socket path: `sun_path` holds 108 bytes on Linux, one of them the final NUL. */
export const MAX_UNIX_PATH_BYTES = 107;

/** The hostname `*`, `:PORT` and `ipv4@:PORT` stand for, as in HAProxy. */
export const ANY_IPV4 = "0.0.0.0";
/** The hostname `ipv6@:PORT` stands for. */
export const ANY_IPV6 = "::";

function invalid(text: string, reason: string): never {
  throw new ProxyError("ERR_CONFIG_INVALID", `invalid address '${text}': ${reason}`);
}

/**
 * Parses an address as `bind` and `server` lines write it.
 *
 * The port follows the LAST colon, as HAProxy's `str2sa_range()` reads it, so an IPv6 literal
 * may be written `[::1]:80`, `ipv6@::1:80` or even `::1:80`. `*`, an empty host and `ipv4@`
 * with no host mean every IPv4 address (`0.0.0.0`); `ipv6@` with no host means `::`.
 * A TCP hostname is an IP literal or a DNS name (resolution is the caller's business).
 *
 * @example
 * ```ts
 * import { parseAddress } from "@proxykit/proxykit";
 *
 * parseAddress("[::1]:8080"); // { transport: "tcp", hostname: "::1", port: 8080 }
 * parseAddress("*:80"); // { transport: "tcp", hostname: "0.0.0.0", port: 80 }
 * parseAddress("unix@/run/app.sock"); // { transport: "unix", path: "/run/app.sock" }
 * parseAddress(":0", { allowPortZero: true }); // a listener on a free port of every IPv4 address
 * ```
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming `text`: unknown prefix, missing or invalid
 *   port, port range or offset (not supported), invalid hostname, Unix address when refused.
 */
export function parseAddress(text: string, opts: ParseAddressOptions = {}): Address {
  let rest = text;
  let family: "ipv4" | "ipv6" | undefined;
  const at = rest.indexOf("@");
  if (at >= 0 && !rest.startsWith("/")) {
    const prefix = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (prefix === "unix" || prefix === "abns") {
      if (opts.allowUnix === false) invalid(text, "a Unix socket is not accepted here");
      if (prefix === "unix" && !rest.startsWith("/")) invalid(text, "a Unix socket path must be absolute");
      return unixAddress(text, prefix === "abns" ? `\0${rest}` : rest);
    }
    if (prefix !== "ipv4" && prefix !== "ipv6") invalid(text, `the '${prefix}@' prefix is not supported`);
    family = prefix;
  } else if (rest.startsWith("/")) {
    if (opts.allowUnix === false) invalid(text, "a Unix socket is not accepted here");
    return unixAddress(text, rest);
  }

  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) invalid(text, "missing ']'");
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (!after.startsWith(":")) invalid(text, "missing ':PORT'");
    portText = after.slice(1);
    if (!isIPv6(host)) invalid(text, `'${host}' is not an IPv6 address`);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) invalid(text, "missing ':PORT'");
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }

  const port = parsePort(text, portText, opts.allowPortZero ?? false);
  if (host === "" || host === "*") {
    host = family === "ipv6" ? ANY_IPV6 : ANY_IPV4;
  } else {
    const problem = hostnameProblem(host);
    if (problem !== undefined) invalid(text, problem);
    if (family === "ipv4" && host.includes(":")) invalid(text, `'${host}' is not an IPv4 address`);
    if (family === "ipv6" && isIPv4(host)) invalid(text, `'${host}' is not an IPv6 address`);
  }
  return { transport: "tcp", hostname: host.toLowerCase(), port };
}

function unixAddress(text: string, path: string): Address {
  if (path === "" || path === "\0") invalid(text, "empty socket path");
  if (new TextEncoder().encode(path).length > MAX_UNIX_PATH_BYTES) {
    invalid(text, `socket path longer than ${MAX_UNIX_PATH_BYTES} bytes`);
  }
  return { transport: "unix", path };
}

function parsePort(text: string, portText: string, allowZero: boolean): number {
  if (portText === "") invalid(text, "missing port");
  if (/^\d+-\d+$/.test(portText)) invalid(text, "port ranges are not supported");
  if (/^[+-]\d+$/.test(portText)) invalid(text, "port offsets (mapped ports) are not supported");
  if (!/^\d+$/.test(portText)) invalid(text, `invalid port '${portText}'`);
  const port = Number(portText);
  const min = allowZero ? 0 : 1;
  if (port < min || port > 65535) invalid(text, `port ${portText} out of range ${min}..65535`);
  return port;
}

/**
 * Formats an address the way HAProxy prints it: `127.0.0.1:8080`, `[::1]:8080`,
 * `unix@/path`, or `abns@name` for a Linux abstract socket (`\0name`). {@link parseAddress}
 * reads what it gives back as the same address (with `allowPortZero` for port 0).
 *
 * @example
 * ```ts
 * import { formatAddress, parseAddress } from "@proxykit/proxykit";
 *
 * formatAddress({ transport: "tcp", hostname: "::1", port: 8080 }); // "[::1]:8080"
 * formatAddress(parseAddress("ipv6@::1:8080")); // "[::1]:8080"
 * formatAddress({ transport: "unix", path: "\0admin" }); // "abns@admin"
 * ```
 */
export function formatAddress(addr: Address): string {
  if (addr.transport === "unix") {
    return addr.path.startsWith("\0") ? `abns@${addr.path.slice(1)}` : `unix@${addr.path}`;
  }
  return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
}

/** True for a dotted-quad IPv4 literal (four decimal octets 0..255, no leading zeros). */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * True for an IPv6 literal without brackets or zone: up to eight groups of 1-4 hex digits, at
 * most one `::`, and optionally a trailing dotted quad standing for the last two groups.
 */
export function isIPv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (half: string | undefined): string[] => (half === undefined || half === "" ? [] : half.split(":"));
  const all = [...groups(halves[0]), ...groups(halves[1])];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Why `host` is not a valid TCP hostname, or `undefined` when it is one: an IPv4 or IPv6
 * literal, or a DNS name (labels of letters, digits, `-` and `_`, 1-63 characters, not
 * starting or ending with `-`; 253 characters at most). All-numeric dotted text must be a
 * valid IPv4 literal, so that a typo such as `10.0.0.256` is not taken for a name.
 */
export function hostnameProblem(host: string): string | undefined {
  if (host === "") return "empty hostname";
  if (host.includes(":")) return isIPv6(host) ? undefined : `'${host}' is not an IPv6 address`;
  if (/^[\d.]+$/.test(host)) return isIPv4(host) ? undefined : `'${host}' is not an IPv4 address`;
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length > 253) return `hostname '${host}' is longer than 253 characters`;
  const ok = name.split(".").every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
  return ok ? undefined : `'${host}' is neither an IP address nor a valid DNS name`;
}

/**
 * Why `addr` is not a usable {@link Address}, or `undefined`: checks the shape of an object a
 * library user built (transport, hostname syntax, integer port in range, Unix path).
 */
export function addressProblem(addr: unknown, opts: ParseAddressOptions = {}): string | undefined {
  if (typeof addr !== "object" || addr === null) return "must be an address object";
  const a = addr as { transport?: unknown; hostname?: unknown; port?: unknown; path?: unknown };
  if (a.transport === "unix") {
    if (opts.allowUnix === false) return "a Unix socket is not accepted here";
    if (typeof a.path !== "string" || a.path === "" || a.path === "\0") return "path must be a non-empty string";
    if (new TextEncoder().encode(a.path).length > MAX_UNIX_PATH_BYTES) {
      return `socket path longer than ${MAX_UNIX_PATH_BYTES} bytes`;
    }
    return undefined;
  }
  if (a.transport !== "tcp") return `transport must be "tcp" or "unix", got ${JSON.stringify(a.transport)}`;
  if (typeof a.hostname !== "string") return "hostname must be a string";
  const problem = hostnameProblem(a.hostname);
  if (problem !== undefined) return problem;
  const min = opts.allowPortZero === true ? 0 : 1;
  if (typeof a.port !== "number" || !Number.isInteger(a.port) || a.port < min || a.port > 65535) {
    return `port must be an integer ${min}..65535, got ${JSON.stringify(a.port)}`;
  }
  return undefined;
}
