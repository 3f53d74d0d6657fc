/**
 * Validation of the HTTP-mode part of a frontend or backend for `resolveConfig()`: its mode,
 * `use_backend` targets (they must exist, and be `http` for an `http` frontend, as HAProxy
 * checks), the sections' rules compiled once, each error naming its key.
 *
 * @module
 */
import { ProxyError } from "../errors.ts";
import { compileHttpPolicy, DEFAULT_STATS_URI, PolicyError } from "../http/policy.ts";
import type { HttpProxyConfig, StatsPageConfig, UseBackendConfig } from "./http_types.ts";
import type { ResolvedHttpConfig } from "./resolved.ts";

/** The modes a section may have. */
export const MODES: readonly ("tcp" | "http")[] = ["tcp", "http"];

/** Keys HAProxy ignores in `mode tcp` (with a warning): proxykit refuses them there. */
const HTTP_ONLY: readonly (readonly [keyof HttpProxyConfig, string])[] = [
  ["httpRequest", "'http-request' rules"],
  ["httpResponse", "'http-response' rules"],
  ["forwardFor", "'option forwardfor'"],
  ["forwarded", "'option forwarded'"],
  ["forwardedProto", "the forwardedProto option"],
  ["stats", "'stats'"],
  ["monitor", "'monitor-uri'"],
];

function bad(path: string, message: string): never {
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${message}`);
}

/** What a frontend's HTTP part is checked with. */
export interface FrontendHttpInput extends HttpProxyConfig {
  /** The section's name. */
  readonly name: string;
  /** `use_backend` rules. */
  readonly useBackends?: readonly UseBackendConfig[];
  /** `default_backend`. */
  readonly defaultBackend?: string;
}

/**
 * Validates the HTTP settings of a section (`path` is its key, e.g. `frontends[0]`) by
 * compiling them once, and returns them with their defaults, or `undefined` for a `mode tcp`
 * section without any. In `mode tcp`, rules and forwarding options are refused: HAProxy
 * ignores them there.
 *
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming the key.
 */
export function resolveHttp(
  c: FrontendHttpInput,
  mode: "tcp" | "http",
  path: string,
  onWarning: ((message: string) => void) | undefined,
  side: "frontend" | "backend" = "frontend",
): ResolvedHttpConfig | undefined {
  // configuration.txt 4.1: `monitor-uri` and `monitor fail` are frontend keywords only.
  if (side === "backend" && c.monitor !== undefined) bad(`${path}.monitor`, "'monitor-uri' is a frontend setting");
  if (mode === "tcp") {
    for (const [key, what] of HTTP_ONLY) {
      if (c[key] !== undefined) {
        const them = what.endsWith("rules");
        bad(
          `${path}.${key}`,
          `${what} ${them ? "require" : "requires"} mode http (HAProxy ignores ${them ? "them" : "it"} in mode tcp)`,
        );
      }
    }
    if (c.acls === undefined && c.useBackends === undefined && c.errorFiles === undefined) return undefined;
  }
  if (c.useBackends !== undefined && !Array.isArray(c.useBackends)) bad(`${path}.useBackends`, "must be an array");
  for (const key of ["acls", "httpRequest", "httpResponse"] as const) {
    if (c[key] !== undefined && !Array.isArray(c[key])) bad(`${path}.${key}`, "must be an array");
  }
  try {
    compileHttpPolicy(c, onWarning === undefined ? undefined : (m) => onWarning(`${path}: ${m}`));
  } catch (e) {
    if (e instanceof PolicyError) bad(`${path}.${e.key}`, e.message);
    throw e;
  }
  return {
    acls: c.acls ?? [],
    useBackends: c.useBackends ?? [],
    httpRequest: c.httpRequest ?? [],
    httpResponse: c.httpResponse ?? [],
    forwardFor: c.forwardFor,
    forwarded: c.forwarded,
    forwardedProto: c.forwardedProto,
    errorFiles: c.errorFiles ?? {},
    ...(c.stats !== undefined ? { stats: resolveStats(c.stats) } : {}),
    ...(c.monitor !== undefined ? { monitor: c.monitor } : {}),
  };
}

/** The stats page settings with their defaults (`compileHttpPolicy()` already checked them). */
function resolveStats(c: StatsPageConfig): StatsPageConfig & { uri: string; refreshMs: number } {
  return { ...c, uri: c.uri ?? DEFAULT_STATS_URI, refreshMs: c.refreshMs ?? 0 };
}

/**
 * Checks a frontend's backends: `default_backend` and every `use_backend` exist and, for an
 * `http` frontend, are `http` backends (HAProxy: `http frontend 'fe' tries to use
 * incompatible tcp backend 'be' as its default backend (see 'mode').`).
 *
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming the key.
 */
export function checkBackends(
  name: string,
  mode: "tcp" | "http",
  defaultBackend: string | undefined,
  useBackends: readonly UseBackendConfig[],
  backends: ReadonlyMap<string, "tcp" | "http">,
  path: string,
): void {
  const compatible = (be: string, key: string, where: string) => {
    if (mode === "http" && backends.get(be) === "tcp") {
      bad(key, `http frontend '${name}' tries to use incompatible tcp backend '${be}' ${where} (see 'mode').`);
    }
  };
  if (defaultBackend !== undefined) compatible(defaultBackend, `${path}.defaultBackend`, "as its default backend");
  useBackends.forEach((u, i) => {
    const key = `${path}.useBackends[${i}].backend`;
    if (typeof u?.backend !== "string" || !backends.has(u.backend)) {
      bad(key, `Proxy '${name}': unable to find required use_backend: '${String(u?.backend)}'.`);
    }
    compatible(u.backend, key, "in a 'use_backend' rule");
  });
}
