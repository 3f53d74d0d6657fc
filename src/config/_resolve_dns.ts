/**
 * DNS settings of the typed configuration checked and completed (configuration.txt 5.3.2
 * defaults): `resolvers` sections, and each server's `resolve` with its reference to one.
 *
 * @module
 */
import { ProxyError } from "../errors.ts";
import { isIPv4, isIPv6 } from "../address.ts";
import type {
  InitAddrMethod,
  ResolvedResolversConfig,
  ResolvedServerResolve,
  ResolversHoldConfig,
} from "./dns_types.ts";

/** `resolve_retries` default (HAProxy's `resolvers_new()`). */
export const DEFAULT_RESOLVE_RETRIES = 3;
/** `timeout resolve` and `timeout retry` default, ms (as HAProxy). */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 1000;
/** `hold` defaults, ms (as HAProxy: 30 s for errors, 10 s valid, 0 obsolete). */
export const DEFAULT_HOLD: Required<ResolversHoldConfig> = {
  validMs: 10_000,
  nxMs: 30_000,
  timeoutMs: 30_000,
  refusedMs: 30_000,
  otherMs: 30_000,
  obsoleteMs: 0,
};
/** `init-addr` default with `resolvers` (as HAProxy 2.6). */
export const DEFAULT_INIT_ADDR: readonly InitAddrMethod[] = ["last", "libc", "none"];
const MAX_MS = 2_147_483_647;

function fail(path: string, what: string, got?: unknown): never {
  const tail = arguments.length > 2 ? `, got ${JSON.stringify(got) ?? String(got)}` : "";
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${what}${tail}`);
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "must be an object", v);
  return v as Record<string, unknown>;
}

function count(v: unknown, path: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `must be an integer ${min}..${max}`, v);
  }
  return v;
}

function text(v: unknown, path: string): string {
  if (typeof v !== "string" || v === "") fail(path, "must be a non-empty string", v);
  return v;
}

/** One `resolvers` section with HAProxy's defaults applied. */
export function resolveResolvers(v: unknown, path: string): ResolvedResolversConfig {
  const r = record(v, path);
  const nameservers = r.nameservers;
  if (!Array.isArray(nameservers) || nameservers.length === 0) {
    fail(`${path}.nameservers`, "must be a non-empty array", nameservers);
  }
  const seen = new Set<string>();
  const ns = nameservers.map((n, i) => {
    const p = `${path}.nameservers[${i}]`;
    const o = record(n, p);
    const name = text(o.name, `${p}.name`);
    if (seen.has(name)) fail(`${p}.name`, `duplicate nameserver name "${name}"`);
    seen.add(name);
    const a = record(o.address, `${p}.address`);
    const host = a.hostname;
    if (a.transport !== "tcp" || typeof host !== "string" || !(isIPv4(host) || isIPv6(host))) {
      fail(`${p}.address`, "must be a TCP address with an IP literal (UDP is used)", o.address);
    }
    count(a.port, `${p}.address.port`, 1, 65535, 0);
    return { name, address: { transport: "tcp" as const, hostname: host, port: a.port as number } };
  });
  const hold = r.hold === undefined ? {} : record(r.hold, `${path}.hold`);
  const holds = Object.fromEntries(
    Object.entries(DEFAULT_HOLD).map(([k, d]) => [k, count(hold[k], `${path}.hold.${k}`, 0, MAX_MS, d)]),
  ) as Required<ResolversHoldConfig>;
  return {
    name: text(r.name, `${path}.name`),
    nameservers: ns,
    resolveRetries: count(r.resolveRetries, `${path}.resolveRetries`, 1, 1000, DEFAULT_RESOLVE_RETRIES),
    resolveMs: count(r.resolveMs, `${path}.resolveMs`, 1, MAX_MS, DEFAULT_RESOLVE_TIMEOUT_MS),
    retryMs: count(r.retryMs, `${path}.retryMs`, 1, MAX_MS, DEFAULT_RESOLVE_TIMEOUT_MS),
    hold: holds,
    acceptedPayloadSize: count(r.acceptedPayloadSize, `${path}.acceptedPayloadSize`, 512, 65535, 512),
  };
}

/**
 * A server's `resolve` with defaults applied; `sections` are the `resolvers` names it may
 * refer to.
 */
export function resolveServerResolve(
  v: unknown,
  path: string,
  serverName: string,
  sections: ReadonlySet<string>,
): ResolvedServerResolve {
  const r = record(v, path);
  const resolvers = text(r.resolvers, `${path}.resolvers`);
  if (!sections.has(resolvers)) fail(`${path}.resolvers`, `no resolvers section named "${resolvers}"`);
  const prefer = r.prefer ?? "ipv6";
  if (prefer !== "ipv4" && prefer !== "ipv6") fail(`${path}.prefer`, `must be "ipv4" or "ipv6"`, prefer);
  if (r.ignoreWeight !== undefined && typeof r.ignoreWeight !== "boolean") {
    fail(`${path}.ignoreWeight`, "must be a boolean", r.ignoreWeight);
  }
  const init = r.initAddr ?? DEFAULT_INIT_ADDR;
  if (!Array.isArray(init) || init.length === 0) fail(`${path}.initAddr`, "must be a non-empty array", init);
  init.forEach((m, i) => {
    const ok = m === "last" || m === "libc" || m === "none" ||
      (typeof m === "object" && m !== null && typeof m.ip === "string" && (isIPv4(m.ip) || isIPv6(m.ip)));
    if (!ok) fail(`${path}.initAddr[${i}]`, `must be "last", "libc", "none" or { ip }`, m);
  });
  return {
    resolvers,
    fqdn: text(r.fqdn, `${path}.fqdn`).toLowerCase().replace(/\.$/, ""),
    prefer,
    ignoreWeight: r.ignoreWeight === true,
    initAddr: init as InitAddrMethod[],
    group: r.group === undefined ? serverName : text(r.group, `${path}.group`),
  };
}
