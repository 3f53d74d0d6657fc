/**
 * Validation of a backend's proxy mode and `retry-on` (see `forward_proxy_types.ts`), with
 * the key path in every message, as the rest of `resolveConfig()`.
 *
 * @module
 */
import { ProxyError } from "../errors.ts";
import { DEFAULT_PROXY_REALM, type ForwardProxySettings } from "../http/forward_proxy.ts";
import { type DestinationRule, parseDestinationRule } from "../http/proxy_allow.ts";
import { compileBasicAuth } from "../http/basic_auth.ts";
import { compileRetryOn, DEFAULT_RETRY_ON, type RetryOn, type RetryOnKeyword } from "../http/retry_on.ts";

function bad(path: string, what: string): never {
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${what}`);
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "must be an object");
  return v as Record<string, unknown>;
}

/**
 * `forwardProxy` of a backend: undefined when not set; refused outside `mode http` and
 * alongside servers (proxy mode has none, as in HAProxy).
 * @throws {ProxyError} `ERR_CONFIG_INVALID` with the key path.
 */
export function resolveForwardProxy(
  v: unknown,
  path: string,
  mode: "tcp" | "http",
  serverCount: number,
): ForwardProxySettings | undefined {
  if (v === undefined) return undefined;
  const f = record(v, path);
  if (mode !== "http") bad(path, "proxy mode needs mode http");
  if (serverCount > 0) bad(path, "a backend in proxy mode has no servers: each request names its destination");
  const allow: DestinationRule[] = [];
  if (f.allow !== undefined) {
    if (!Array.isArray(f.allow)) bad(`${path}.allow`, "must be an array of rules");
    f.allow.forEach((r: unknown, i: number) => {
      if (typeof r !== "string") bad(`${path}.allow[${i}]`, "must be a string such as '.example.com:443'");
      const rule = parseDestinationRule(r);
      if (typeof rule === "string") bad(`${path}.allow[${i}]`, rule);
      allow.push(rule);
    });
  }
  const auth = f.auth === undefined
    ? undefined
    : compileBasicAuth(f.auth, DEFAULT_PROXY_REALM, (k, m) => bad(`${path}.auth${k === "" ? "" : `.${k}`}`, m));
  return { allow, auth };
}

/**
 * `retryOn` of a backend, compiled; HAProxy's default (`conn-failure`) when not set.
 * @throws {ProxyError} `ERR_CONFIG_INVALID` with the key path.
 */
export function resolveRetryOn(v: unknown, path: string): RetryOn {
  if (v === undefined) return DEFAULT_RETRY_ON;
  if (!Array.isArray(v)) bad(path, "must be an array of keywords and statuses");
  const on = compileRetryOn(v as (RetryOnKeyword | number)[]);
  if (typeof on === "string") bad(path, on);
  return on;
}
