/**
 * The HTTP part of the typed configuration built from a `haproxy.cfg` section once it is read:
 * its mode, ACLs, `use_backend`, rules and options, dropping (with HAProxy's warning) what
 * `mode tcp` ignores; and HAProxy's checks of `use_backend` targets, with their lines.
 *
 * @module
 */
import type { Section } from "./_cfg_keywords.ts";
import type { HttpProxyConfig, UseBackendConfig } from "./http_types.ts";

/** The HTTP fields of a frontend or backend built from `sec`. */
export interface BuiltHttp extends HttpProxyConfig {
  /** `mode`. */
  readonly mode: "tcp" | "http";
  /** `use_backend` rules (frontends). */
  readonly useBackends?: readonly UseBackendConfig[];
}

/**
 * The HTTP fields of the frontend or backend half of `sec`. A `listen` section gives both
 * halves the same ACLs and rules (the HTTP mux runs them once for a backend named as its
 * frontend). In `mode tcp`, rules and forwarding options are dropped with HAProxy's warning
 * (`'http-request' rules ignored for frontend 'fe' as they require HTTP mode.`).
 */
export function buildHttp(
  sec: Section,
  half: "frontend" | "backend",
  warn: (line: number, m: string) => void,
): BuiltHttp {
  const mode = sec.s.mode ?? "tcp";
  const h = sec.http;
  const s = sec.s.http;
  const who = `${sec.kind === "listen" ? "proxy" : sec.kind} '${sec.name}'`;
  const out: { -readonly [K in keyof BuiltHttp]?: BuiltHttp[K] } & { mode: "tcp" | "http" } = { mode };
  if (h.acls.length > 0) out.acls = h.acls;
  if (s.errorFiles !== undefined) out.errorFiles = s.errorFiles;
  if (half === "frontend" && h.useBackends.length > 0) {
    out.useBackends = h.useBackends.map(({ line: _line, ...u }) => u);
  }
  monitoring(sec, half, mode, out, warn);
  const httpOnly: [boolean, string][] = [
    [h.httpRequest.length > 0, "'http-request' rules"],
    [h.httpResponse.length > 0, "'http-response' rules"],
    [s.forwardFor !== undefined, "'option forwardfor'"],
    [s.forwarded !== undefined && half === "backend", "'option forwarded'"],
  ];
  if (mode === "tcp") {
    // A listen section is warned about once, with its backend half.
    if (sec.kind !== "listen" || half === "backend") {
      for (const [set, what] of httpOnly) {
        if (set) {
          warn(
            sec.line,
            `${what} ignored for ${who} as ${what.endsWith("rules") ? "they require" : "it requires"} HTTP mode.`,
          );
        }
      }
    }
    return out;
  }
  if (h.httpRequest.length > 0) out.httpRequest = h.httpRequest;
  if (h.httpResponse.length > 0) out.httpResponse = h.httpResponse;
  if (s.forwardFor !== undefined) {
    const { line: _line, ...f } = s.forwardFor;
    out.forwardFor = f;
  }
  if (s.forwarded !== undefined && half === "backend") {
    const { line: _line, ...f } = s.forwarded;
    out.forwarded = f;
  }
  return out;
}

/**
 * `stats` (on the frontend half of a `listen`, else on its section) and `monitor-uri` /
 * `monitor fail` (frontends). In `mode tcp`, what a `defaults` section passed on is dropped
 * with HAProxy's warning; what the section itself says is kept, for `resolveConfig()` to
 * refuse by its key.
 */
function monitoring(
  sec: Section,
  half: "frontend" | "backend",
  mode: "tcp" | "http",
  out: { -readonly [K in keyof BuiltHttp]?: BuiltHttp[K] },
  warn: (line: number, m: string) => void,
): void {
  const { stats, monitorUri, monitorFail } = sec.s.http;
  const who = `${sec.kind === "listen" ? "proxy" : sec.kind} '${sec.name}'`;
  const keep = (what: string, line: number): boolean => {
    if (mode === "http" || line > sec.line) return true;
    warn(sec.line, `'${what}' statement ignored for ${who} as it requires HTTP mode.`);
    return false;
  };
  if (stats !== undefined && (half === "frontend" || sec.kind === "backend") && keep("stats", stats.line)) {
    const { line: _line, auth, ...st } = stats;
    // `stats realm` without a `stats auth` user asks for nothing, as in HAProxy.
    out.stats = auth !== undefined && Object.keys(auth.users).length > 0 ? { ...st, auth } : st;
  }
  if (half === "frontend" && monitorUri !== undefined && keep("monitor-uri", monitorUri.line)) {
    out.monitor = monitorFail === undefined ? { uri: monitorUri.uri } : { uri: monitorUri.uri, fail: monitorFail };
  }
}

/**
 * HAProxy's checks of a frontend's backends, at the line that names them: a `use_backend`
 * that names no backend (`Proxy 'fe': unable to find required use_backend: 'x'.`), and an
 * `http` frontend using a `tcp` backend (`http frontend 'fe' (f.cfg:5) tries to use
 * incompatible tcp backend 'be' (f.cfg:9) as its default backend (see 'mode').`).
 */
export function checkSwitching(
  sec: Section,
  defaultBackend: { name: string; line: number } | undefined,
  backends: ReadonlyMap<string, Section>,
  file: string,
  fail: (line: number, msg: string) => never,
): void {
  const mode = sec.s.mode ?? "tcp";
  const check = (name: string, line: number, where: string) => {
    const be = backends.get(name);
    if (be === undefined) fail(line, `Proxy '${sec.name}': unable to find required use_backend: '${name}'.`);
    if (mode === "http" && (be.s.mode ?? "tcp") === "tcp") {
      fail(
        line,
        `http frontend '${sec.name}' (${file}:${sec.line}) tries to use incompatible tcp backend '${name}' ` +
          `(${file}:${be.line}) ${where} (see 'mode').`,
      );
    }
  };
  if (defaultBackend !== undefined && backends.has(defaultBackend.name)) {
    check(defaultBackend.name, defaultBackend.line, "as its default backend");
  }
  for (const u of sec.http.useBackends) check(u.backend, u.line, "in a 'use_backend' rule");
}
