/**
 * The destination allow-list of proxy mode (`option http_proxy`): which hosts and ports a
 * client may reach through the proxy. A forward proxy open to anyone is a relay for attacks
 * and a way into the private network behind it, so nothing is allowed unless a rule says so,
 * and private addresses are refused unless an address rule names them.
 *
 * A rule is `<host>[:<ports>]`:
 * - `<host>`: `*` (any host name, and any public IP literal), an exact name (`example.com`),
 *   `.example.com` (that name and every name under it), `*.example.com` (only names under it),
 *   an IPv4 address or network (`10.1.0.0/16`), or an IPv6 one in brackets (`[fd00::]/8`,
 *   `[::1]`);
 * - `<ports>`: `*`, or a comma-separated list of ports and ranges (`80,443,8000-8100`).
 *   Without it: `80,443`, the web's ports.
 *
 * How a destination is judged, once its name is resolved ({@link addressAllowed}): an address
 * an address rule covers (with the port) is allowed, whatever its range; otherwise it is
 * allowed only when the name (or, for `*`, the literal) matched a name rule with the port and
 * the address is public. So a name rule never lets a client reach loopback, private,
 * link-local, multicast or unspecified addresses, even through a name that resolves to one
 * (DNS rebinding).
 *
 * @module
 */
import { ipInNet, type IpNet, parseIp, parseIpPattern } from "../acl/_ip.ts";
import { isIPv4, isIPv6 } from "../address.ts";

/** An inclusive range of ports. */
export interface PortRange {
  /** First port. */
  readonly from: number;
  /** Last port. */
  readonly to: number;
}

/** An IP network: its address bytes already masked, and the mask (4 or 16 bytes each). */
export interface AddressNetwork {
  /** Address & mask, network order. */
  readonly net: Uint8Array;
  /** The mask, network order. */
  readonly mask: Uint8Array;
}

/** One compiled allow-list rule (see the module documentation for the syntax). */
export type DestinationRule =
  | { readonly kind: "any"; readonly ports: readonly PortRange[] }
  | { readonly kind: "name"; readonly name: string; readonly ports: readonly PortRange[] }
  | {
    readonly kind: "suffix";
    /** `.example.com`, lowercase. */
    readonly suffix: string;
    /** The name itself matches too (`.example.com`, not `*.example.com`). */
    readonly apex: boolean;
    readonly ports: readonly PortRange[];
  }
  | { readonly kind: "net"; readonly net: AddressNetwork; readonly ports: readonly PortRange[] };

/** Ports of a rule that names none: HTTP and HTTPS. */
export const DEFAULT_PROXY_PORTS: readonly PortRange[] = [{ from: 80, to: 80 }, { from: 443, to: 443 }];

/** Ranges no name rule lets a client reach: only an address rule naming them does. */
const NON_PUBLIC: readonly IpNet[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "224.0.0.0/3",
  "::/128",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
].map((t) => parseIpPattern(t)!);

const NAME = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function parsePorts(text: string): readonly PortRange[] | string {
  if (text === "*") return [{ from: 1, to: 65535 }];
  const out: PortRange[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const from = Number(m?.[1]), to = Number(m?.[2] ?? m?.[1]);
    if (m === null || from < 1 || to > 65535 || from > to) return `invalid port or range '${part}'`;
    out.push({ from, to });
  }
  return out;
}

/**
 * Compiles one allow-list rule. Returns the rule or the reason it is invalid.
 *
 * @example
 * ```ts
 * import { parseDestinationRule } from "@proxykit/proxykit";
 *
 * parseDestinationRule(".example.com:443"); // { kind: "suffix", suffix: ".example.com", apex: true, ... }
 * parseDestinationRule("10.1.0.0/16:8000-8100"); // { kind: "net", ... }
 * ```
 */
export function parseDestinationRule(text: string): DestinationRule | string {
  let host: string, portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return `'${text}': missing ']'`;
    const rest = text.slice(close + 1);
    const mask = /^\/\d+/.exec(rest)?.[0] ?? "";
    host = text.slice(1, close) + mask;
    const after = rest.slice(mask.length);
    if (after !== "" && !after.startsWith(":")) return `'${text}': unexpected '${after}'`;
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = text.indexOf(":");
    if (colon >= 0 && text.indexOf(":", colon + 1) >= 0) return `'${text}': write IPv6 addresses in brackets`;
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  const ports = portText === undefined ? DEFAULT_PROXY_PORTS : parsePorts(portText);
  if (typeof ports === "string") return `'${text}': ${ports}`;
  const h = host.toLowerCase();
  if (h === "*") return { kind: "any", ports };
  if (/^[0-9.]+(\/.*)?$/.test(h) || h.includes(":")) {
    const net = parseIpPattern(h);
    return net === undefined ? `'${text}': invalid address or network '${host}'` : { kind: "net", net, ports };
  }
  const wildcard = h.startsWith("*.");
  const name = wildcard ? h.slice(2) : h.startsWith(".") ? h.slice(1) : h;
  if (!NAME.test(name)) return `'${text}': invalid host name '${host}'`;
  if (wildcard || h.startsWith(".")) return { kind: "suffix", suffix: `.${name}`, apex: !wildcard, ports };
  return { kind: "name", name, ports };
}

/** Whether `port` is in one of `ranges`. */
function portIn(ranges: readonly PortRange[], port: number): boolean {
  for (const r of ranges) if (port >= r.from && port <= r.to) return true;
  return false;
}

/** Whether an address (4 or 16 bytes) is public: outside loopback, private, link-local, multicast, unspecified. */
export function isPublicAddress(addr: Uint8Array): boolean {
  return !NON_PUBLIC.some((n) => ipInNet(addr, n));
}

/**
 * Whether the host as the client wrote it (a name, lowercase, or an IP literal) and `port`
 * may be tried at all: a name rule matches it, or an address rule has the port (the name may
 * resolve into its network). Checked before resolving, so a refused name is never looked up.
 */
export function destinationMayBeAllowed(rules: readonly DestinationRule[], host: string, port: number): boolean {
  const literal = isIPv4(host) || isIPv6(host);
  return rules.some((r) => portIn(r.ports, port) && (r.kind === "net" || nameRuleMatches(r, host, literal)));
}

/** Whether a name rule (`any`, `name`, `suffix`) matches `host` (names only; `any` also matches literals). */
function nameRuleMatches(r: DestinationRule, host: string, literal: boolean): boolean {
  switch (r.kind) {
    case "any":
      return true;
    case "name":
      return !literal && host === r.name;
    case "suffix":
      return !literal && (host.endsWith(r.suffix) || (r.apex && `.${host}` === r.suffix));
    default:
      return false;
  }
}

/**
 * Whether `address` (an IP literal the destination resolved to) may be connected to on
 * `port`, for a destination the client named `host` (lowercase name, or the literal itself).
 */
export function addressAllowed(
  rules: readonly DestinationRule[],
  host: string,
  address: string,
  port: number,
): boolean {
  const ip = parseIp(address);
  if (ip === undefined) return false;
  const literal = host === address;
  let named = false;
  for (const r of rules) {
    if (!portIn(r.ports, port)) continue;
    if (r.kind === "net") {
      if (ipInNet(ip, r.net)) return true;
    } else if (nameRuleMatches(r, host, literal)) named = true;
  }
  return named && isPublicAddress(ip);
}
