/**
 * DNS service discovery in `haproxy.cfg` (configuration.txt 5.3): the `resolvers` section
 * (`nameserver`, `resolve_retries`, `timeout resolve|retry`, `hold <status>`,
 * `accepted_payload_size`, `parse-resolv-conf`), the server options `resolvers`,
 * `resolve-prefer`, `resolve-opts`, `init-addr`, and `server-template`.
 *
 * @module
 */
import { isIPv4, isIPv6, parseAddress } from "../address.ts";
import { isProxyError } from "../errors.ts";
import type { Address } from "../net.ts";
import type {
  InitAddrMethod,
  NameserverConfig,
  ResolversConfig,
  ResolversHoldConfig,
  ServerResolveConfig,
} from "./dns_types.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import { exactArgs, int, time } from "./_cfg_values.ts";

/** A `resolvers` section being read. */
export interface ResolversSection {
  /** Discriminates it from proxy sections. */
  readonly kind: "resolvers";
  /** `resolvers <name>`. */
  readonly name: string;
  /** 1-based line of the section keyword. */
  readonly line: number;
  /** What its keywords set so far. */
  readonly config: {
    name: string;
    nameservers: NameserverConfig[];
    hold: { -readonly [K in keyof ResolversHoldConfig]?: number };
    resolveRetries?: number;
    resolveMs?: number;
    retryMs?: number;
    acceptedPayloadSize?: number;
  };
}

/** DNS options of a `server` / `default-server` line, as read. */
export interface ServerDnsOptions {
  /** `resolvers <id>`. */
  resolvers?: string;
  /** `resolve-prefer ipv4|ipv6`. */
  resolvePrefer?: "ipv4" | "ipv6";
  /** `resolve-opts ignore-weight`. */
  ignoreWeight?: boolean;
  /** `init-addr`. */
  initAddr?: InitAddrMethod[];
  /** Set by `server-template`: its servers share one resolution. */
  resolveGroup?: string;
}

const HOLD_KEYS: Readonly<Record<string, keyof ResolversHoldConfig>> = {
  valid: "validMs",
  nx: "nxMs",
  timeout: "timeoutMs",
  refused: "refusedMs",
  other: "otherMs",
  obsolete: "obsoleteMs",
};

/** Starts a `resolvers <name>` section. */
export function startResolvers(args: readonly string[], line: number, fail: (msg: string) => never): ResolversSection {
  const name = args[0];
  if (name === undefined || args.length !== 1) fail("'resolvers' expects a name");
  return { kind: "resolvers", name, line, config: { name, nameservers: [], hold: {} } };
}

/**
 * One keyword of a `resolvers` section. `parse-resolv-conf` is refused: the loader does no
 * I/O (a program adds its `/etc/resolv.conf` nameservers to the typed configuration).
 */
export function resolversKeyword(sec: ResolversSection, c: Ctx, kw: string, args: readonly string[]): void {
  const r = sec.config;
  switch (kw) {
    case "nameserver": {
      exactArgs(c, args, 2, 2, "<name> <ip>:<port>");
      const [name = "", addr = ""] = args;
      if (r.nameservers.some((n) => n.name === name)) c.fail(`nameserver '${name}' already exists`);
      let a: Address;
      try {
        a = parseAddress(addr, { allowPortZero: false });
      } catch (e) {
        if (isProxyError(e)) c.fail(e.message);
        throw e;
      }
      if (a.transport !== "tcp" || !(isIPv4(a.hostname) || isIPv6(a.hostname))) {
        c.fail(`'${addr}' must be an IP address and a port (UDP)`);
      }
      r.nameservers.push({ name, address: a });
      return;
    }
    case "resolve_retries":
      exactArgs(c, args, 1, 1, "<nb>");
      r.resolveRetries = int(c, "", args[0], 1, 1000);
      return;
    case "accepted_payload_size":
      exactArgs(c, args, 1, 1, "<nb>");
      r.acceptedPayloadSize = int(c, "", args[0], 512, 65535);
      return;
    case "timeout": {
      exactArgs(c, args, 2, 2, "resolve|retry <time>");
      const which = args[0];
      if (which !== "resolve" && which !== "retry") c.fail(`'timeout ${which}' is not 'resolve' or 'retry'`);
      r[which === "resolve" ? "resolveMs" : "retryMs"] = time(c, "", args[1], 1);
      return;
    }
    case "hold": {
      exactArgs(c, args, 2, 2, "valid|nx|timeout|refused|other|obsolete <time>");
      const key = HOLD_KEYS[args[0] ?? ""];
      if (key === undefined) c.fail(`'${args[0]}' is not one of ${Object.keys(HOLD_KEYS).join(", ")}`);
      r.hold[key] = time(c, "", args[1], 0);
      return;
    }
    case "parse-resolv-conf":
      return c.unsupported("'parse-resolv-conf' is not supported: list the nameservers");
    default:
      c.unsupported(`unknown keyword '${kw}' in section 'resolvers ${sec.name}'`);
  }
}

/** The finished section (the driver checks it has a nameserver). */
export function resolversConfig(sec: ResolversSection, fail: (line: number, msg: string) => never): ResolversConfig {
  if (sec.config.nameservers.length === 0) fail(sec.line, `resolvers '${sec.name}' has no 'nameserver'`);
  return sec.config;
}

/** `init-addr {last | libc | none | <ip>},...`. */
function initAddr(c: Ctx, v: string): InitAddrMethod[] {
  return v.split(",").map((m) => {
    if (m === "last" || m === "libc" || m === "none") return m;
    if (isIPv4(m) || isIPv6(m)) return { ip: m };
    return c.fail(`'init-addr' expects last, libc, none or an IP address, got '${m}'`);
  });
}

/** The DNS options of `server` / `default-server` lines, taking one value each. */
export const SERVER_DNS_OPTIONS: Readonly<Record<string, (o: ServerDnsOptions, c: Ctx, v: string) => void>> = {
  resolvers: (o, _c, v) => {
    o.resolvers = v;
  },
  "resolve-prefer": (o, c, v) => {
    if (v !== "ipv4" && v !== "ipv6") return c.fail(`'resolve-prefer' expects 'ipv4' or 'ipv6', got '${v}'`);
    o.resolvePrefer = v;
  },
  "resolve-opts": (o, c, v) => {
    for (const opt of v.split(",")) {
      if (opt === "ignore-weight") o.ignoreWeight = true;
      else if (opt !== "allow-dup-ip" && opt !== "prevent-dup-ip") {
        c.unsupported(`'resolve-opts ${opt}' is not supported`);
      }
    }
  },
  "init-addr": (o, c, v) => {
    o.initAddr = initAddr(c, v);
  },
};

/**
 * A server's `resolve` from its options and address: present with `resolvers` and a name
 * (an IP address is never resolved, as HAProxy).
 */
export function serverResolve(o: ServerDnsOptions, address: Address, name: string): ServerResolveConfig | undefined {
  if (o.resolvers === undefined || address.transport !== "tcp") return undefined;
  if (isIPv4(address.hostname) || isIPv6(address.hostname)) return undefined;
  const r: { -readonly [K in keyof ServerResolveConfig]: ServerResolveConfig[K] } = {
    resolvers: o.resolvers,
    fqdn: address.hostname,
    group: o.resolveGroup ?? name,
  };
  if (o.resolvePrefer !== undefined) r.prefer = o.resolvePrefer;
  if (o.ignoreWeight === true) r.ignoreWeight = true;
  if (o.initAddr !== undefined) r.initAddr = o.initAddr;
  return r;
}

/**
 * `server-template <prefix> <num | first-last> <fqdn>[:<port>] [params*]` (configuration.txt
 * 5.2): servers `<prefix><n>` sharing one resolution of `fqdn`; an SRV name takes no port.
 * `addServer` adds one server line (`server <name> <address> [params*]`).
 */
export function serverTemplateKeyword(
  addServer: (c: Ctx, args: readonly string[], address?: Address) => void,
): Keyword {
  return {
    cap: "be",
    inDefaults: false,
    strictCap: true,
    parse: (c, args) => {
      const [prefix, range, fqdn, ...params] = args;
      if (prefix === undefined || range === undefined || fqdn === undefined) {
        return c.fail("expects <prefix> <num | range> <fqdn>[:<port>]");
      }
      const m = /^(\d+)(?:-(\d+))?$/.exec(range);
      const first = m?.[2] === undefined ? 1 : Number(m[1]);
      const last = m?.[2] === undefined ? Number(m?.[1]) : Number(m[2]);
      if (m === null || first < 1 || last < first || last - first >= 10000) {
        c.fail(`invalid range '${range}': expects a count or <first>-<last>`);
      }
      const srv = fqdn.startsWith("_");
      if (srv && fqdn.includes(":")) c.fail(`an SRV name takes no port ('${fqdn}')`);
      const address: Address | undefined = srv ? { transport: "tcp", hostname: fqdn, port: 0 } : undefined;
      for (let n = first; n <= last; n++) {
        addServer(c, [`${prefix}${n}`, fqdn, ...params], address);
        const added = c.sec.servers[c.sec.servers.length - 1]!;
        added.opts.resolveGroup = prefix;
        if (added.opts.resolvers === undefined) c.fail("needs 'resolvers <id>'");
      }
    },
  };
}
