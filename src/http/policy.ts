/**
 * The HTTP decisions of a proxy, compiled from its configuration, and what the HTTP mux runs
 * per request (HAProxy's analysers, src/http_ana.c and src/stream.c, in their order):
 *
 * 1. the frontend's `http-request` rules (`http_process_req_common()`);
 * 2. `use_backend` rules, first match wins, else `default_backend`
 *    (`process_switching_rules()`); no backend at all answers 503 (`SC--`);
 * 3. the backend's `http-request` rules, when it is another section;
 * 4. the unique id's field (`unique-id-header`), then the forwarding fields
 *    (`http_process_request()`).
 *
 * Rules change the request head in place; a rule that answers (`deny`, `return`, `redirect`,
 * a failed rewrite) stops the chain with a reply and a termination state. For the response,
 * the backend's `http-response` rules run, then the frontend's.
 *
 * @example
 * ```ts ignore
 * const decision = decideRequest(frontendPolicy, backendPolicies, {
 *   request: head, // from H1RequestParser
 *   src: { address: "192.0.2.7", port: 51000 },
 *   dst: { address: "192.0.2.1", port: 80 },
 *   frontend: "fe",
 * });
 * if (decision.kind === "forward") connectTo(decision.backend); // head already rewritten
 * else send(decision.reply), log(decision.termination);
 * ```
 *
 * @module
 */
import { AclError, AclSet } from "../acl/acl.ts";
import { type Condition, evaluateCondition, parseCondition } from "../acl/condition.ts";
import type { SampleContext, StreamIdentity } from "../acl/sample.ts";
import type { AclConfig, HttpProxyConfig, StatsPageConfig, UseBackendConfig } from "../config/http_types.ts";
import type { ResolvedProxyConfig } from "../config/resolved.ts";
import { ErrorPages, errorReply, type HttpReply } from "./error_pages.ts";
import {
  applyForwarding,
  compileForwarded,
  compileForwardedProto,
  compileForwardFor,
  type Forwarding,
} from "./forwarding.ts";
import { addUniqueIdHeader } from "./unique_id.ts";
import { type RuleTermination, runRequestRules, runResponseRules } from "./rules/apply.ts";
import { type CompiledRule, compileRule, RuleError, toWords } from "./rules/compile.ts";
import { basicAuthorized, type BasicAuthSettings, basicChallenge, compileBasicAuth } from "./basic_auth.ts";
import { getHeader, type HeaderField } from "./head.ts";

/** A `use_backend` rule, compiled. */
export interface SwitchingRule {
  /** The backend's name. */
  readonly backend: string;
  /** `undefined`: always. */
  readonly condition: Condition | undefined;
}

/** The compiled HTTP settings of one frontend, backend or listen section. */
export interface HttpPolicy {
  /** The section's name. */
  readonly name: string;
  /** Its ACLs. */
  readonly acls: AclSet;
  /** `use_backend` rules (frontends), in order. */
  readonly switching: readonly SwitchingRule[];
  /** `default_backend` (frontends), if any. */
  readonly defaultBackend: string | undefined;
  /** `http-request` rules. */
  readonly requestRules: readonly CompiledRule[];
  /** `http-response` rules. */
  readonly responseRules: readonly CompiledRule[];
  /** Forwarding fields. */
  readonly forwarding: Forwarding;
  /** Error replies (errorfiles over HAProxy's messages). */
  readonly errors: ErrorPages;
  /** The stats page (`stats enable`), if on. */
  readonly stats: StatsSettings | undefined;
  /** `monitor-uri` and its `monitor fail` conditions (frontends), if set. */
  readonly monitor: { readonly uri: string; readonly fail: readonly Condition[] } | undefined;
}

/** `stats uri` when unset, as HAProxy (configuration.txt 4.2 `stats uri`). */
export const DEFAULT_STATS_URI = "/haproxy?stats";

/** The stats page's settings, defaults applied. */
export interface StatsSettings {
  /** `stats uri`: the prefix of the URIs it answers. */
  readonly uri: string;
  /** `stats refresh`, ms; 0 = never. */
  readonly refreshMs: number;
  /** `stats auth`: the credentials the page asks for, or undefined (none). */
  readonly auth: BasicAuthSettings | undefined;
  /** `stats admin` conditions: the page is in admin mode when one holds. */
  readonly admin: readonly Condition[];
}

/** The realm of `stats auth` when `stats realm` is not set (HAProxy's). */
export const DEFAULT_STATS_REALM = "HAProxy Statistics";

/** A setting refused: `key` is the field at fault (`httpRequest[2].condition`), `message` HAProxy's text. */
export class PolicyError extends Error {
  /** The key path inside the section's config. */
  readonly key: string;

  /** Creates the error. */
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/** What {@link compileHttpPolicy} reads: a section's HTTP settings and, for a frontend, its backends. */
export interface HttpPolicyInput extends HttpProxyConfig {
  /** The section's name. */
  readonly name: string;
  /** `use_backend` rules. */
  readonly useBackends?: readonly UseBackendConfig[];
  /** `default_backend`. */
  readonly defaultBackend?: string;
}

/**
 * A section's `acl` lines, in order, as the set its conditions (HTTP rules, `use_backend`,
 * `tcp-request` rules) refer to.
 *
 * @throws {PolicyError} `acls[i]` and HAProxy's message for an invalid ACL.
 */
export function aclSetOf(acls: readonly AclConfig[], onWarning?: (message: string) => void): AclSet {
  const set = new AclSet();
  acls.forEach((a, i) => {
    try {
      set.add(a.name, toWords(a.expr), onWarning);
    } catch (e) {
      if (e instanceof AclError) throw new PolicyError(`acls[${i}]`, e.message);
      throw e;
    }
  });
  return set;
}

/**
 * Compiles a section's HTTP settings: ACLs first (in order), then the rules against them.
 *
 * @throws {PolicyError} naming the key and HAProxy's message.
 */
export function compileHttpPolicy(c: HttpPolicyInput, onWarning?: (message: string) => void): HttpPolicy {
  const acls = aclSetOf(c.acls ?? [], onWarning);
  const cond = (w: unknown, key: string): Condition | undefined => {
    if (w === undefined) return undefined;
    try {
      return parseCondition(toWords(w as string), acls, onWarning);
    } catch (e) {
      if (e instanceof AclError) throw new PolicyError(key, e.message);
      throw e;
    }
  };
  const rules = (kw: "http-request" | "http-response", list: readonly unknown[] | undefined, key: string) =>
    (list ?? []).map((r, i) => {
      try {
        return compileRule(kw, r as never, acls, onWarning);
      } catch (e) {
        if (e instanceof RuleError) {
          throw new PolicyError(`${key}[${i}]${e.part === "condition" ? ".condition" : ""}`, e.detail);
        }
        throw e;
      }
    });
  const switching = (c.useBackends ?? []).map((u, i): SwitchingRule => ({
    backend: u.backend,
    condition: cond(u.condition, `useBackends[${i}].condition`),
  }));
  const requestRules = rules("http-request", c.httpRequest, "httpRequest");
  const responseRules = rules("http-response", c.httpResponse, "httpResponse");
  let forwarding: Forwarding;
  try {
    forwarding = {
      forwardFor: c.forwardFor === undefined ? undefined : compileForwardFor(c.forwardFor),
      forwarded: c.forwarded === undefined ? undefined : compileForwarded(c.forwarded),
      forwardedProto: c.forwardedProto === undefined ? undefined : compileForwardedProto(c.forwardedProto),
    };
  } catch (e) {
    throw new PolicyError("forwardFor", (e as Error).message);
  }
  let errors: ErrorPages;
  try {
    errors = new ErrorPages(
      Object.entries(c.errorFiles ?? {}).map(([status, content]) => ({
        status: Number(status),
        content,
        name: `errorFiles[${status}]`,
      })),
    );
  } catch (e) {
    throw new PolicyError("errorFiles", `errorfile : ${(e as Error).message}`);
  }
  return {
    name: c.name,
    acls,
    switching,
    defaultBackend: c.defaultBackend,
    requestRules,
    responseRules,
    forwarding,
    errors,
    stats: compileStats(c.stats, cond),
    monitor: c.monitor === undefined ? undefined : {
      uri: monitorUri(c.monitor.uri),
      fail: (c.monitor.fail ?? []).map((w, i) => {
        if (!/^(if|unless)$/.test(toWords(w)[0] ?? "")) {
          throw new PolicyError(`monitor.fail[${i}]`, "expects 'if' or 'unless' followed by a condition");
        }
        return cond(w, `monitor.fail[${i}]`)!;
      }),
    },
  };
}

/** `stats uri` and `stats refresh`, checked, with HAProxy's defaults. */
function compileStats(
  c: StatsPageConfig | undefined,
  cond: (w: unknown, key: string) => Condition | undefined,
): StatsSettings | undefined {
  if (c === undefined) return undefined;
  const uri = c.uri ?? DEFAULT_STATS_URI;
  if (typeof uri !== "string" || !/^[\x21-\x7e]+$/.test(uri)) {
    throw new PolicyError("stats.uri", "must be a non-empty URI without spaces or controls");
  }
  const refreshMs = c.refreshMs ?? 0;
  if (!Number.isInteger(refreshMs) || refreshMs < 0) {
    throw new PolicyError("stats.refreshMs", `must be a whole number of ms >= 0, got ${String(refreshMs)}`);
  }
  const auth = c.auth === undefined ? undefined : compileBasicAuth(c.auth, DEFAULT_STATS_REALM, (k, m) => {
    throw new PolicyError(`stats.auth${k === "" ? "" : `.${k}`}`, m);
  });
  const admin = (c.admin ?? []).map((w, i) => {
    if (!/^(if|unless)$/.test(toWords(w)[0] ?? "")) {
      throw new PolicyError(`stats.admin[${i}]`, "expects 'if' or 'unless' followed by a condition");
    }
    return cond(w, `stats.admin[${i}]`)!;
  });
  return { uri, refreshMs, auth, admin };
}

/** `monitor-uri`, checked: a request URI, compared exactly. */
function monitorUri(uri: unknown): string {
  if (typeof uri !== "string" || !/^[\x21-\x7e]+$/.test(uri)) {
    throw new PolicyError("monitor.uri", "must be a non-empty URI without spaces or controls");
  }
  return uri;
}

/** The compiled HTTP settings of a whole proxy: frontends and backends by name. */
export interface ProxyPolicies {
  /** Frontends with HTTP settings, by name. */
  readonly frontends: ReadonlyMap<string, HttpPolicy>;
  /** Backends with HTTP settings, by name (what {@link decideRequest} looks backends up in). */
  readonly backends: ReadonlyMap<string, HttpPolicy>;
}

/**
 * Compiles every section of a resolved configuration that has HTTP settings, once, when the
 * proxy is built (`resolveConfig()` already refused anything invalid).
 */
export function compileProxyPolicies(config: ResolvedProxyConfig): ProxyPolicies {
  const compile = (name: string, http: NonNullable<ResolvedProxyConfig["backends"][number]["http"]>, dflt?: string) => {
    const set = Object.entries({ ...http, defaultBackend: dflt }).filter(([, v]) => v !== undefined);
    return compileHttpPolicy({ name, ...Object.fromEntries(set) } as HttpPolicyInput);
  };
  return {
    frontends: new Map(
      config.frontends.flatMap((
        f,
      ) => (f.http === undefined ? [] : [[f.name, compile(f.name, f.http, f.defaultBackend)]])),
    ),
    backends: new Map(
      config.backends.flatMap((b) => (b.http === undefined ? [] : [[b.name, compile(b.name, b.http)]])),
    ),
  };
}

/**
 * What the mux does with a request: forward it to `backend` (its head rewritten in place,
 * forwarding fields added), or send `reply` instead (`undefined`: an empty errorfile, send
 * nothing and close) and log `termination` with `status`, `backend` being the backend chosen
 * when the backend's rules answered.
 */
export type RequestDecision =
  | { readonly kind: "forward"; readonly backend: string }
  | {
    readonly kind: "reply";
    readonly status: number;
    readonly reply: HttpReply | undefined;
    readonly termination: RuleTermination | "SC--";
    readonly backend: string | undefined;
    /** A `monitor-uri` request: answered, counted as intercepted, not logged (as HAProxy). */
    readonly monitor?: boolean;
  }
  | {
    readonly kind: "service";
    /** `prometheus-exporter` (`http-request use-service`) or the stats page. */
    readonly service: "prometheus-exporter" | "stats";
    /** The stats page's settings (the section's whose `stats uri` matched). */
    readonly stats: StatsSettings | undefined;
    /** The backend chosen when the backend's section answered. */
    readonly backend: string | undefined;
    /** The stats page is in admin mode for this request (a `stats admin` condition holds). */
    readonly admin?: boolean;
  };

/** The stats page of `p` when the request's URI begins with its `stats uri` (HAProxy's `http_stats_check_uri()`). */
function statsFor(p: HttpPolicy, ctx: SampleContext, backend: string | undefined): RequestDecision | undefined {
  const st = p.stats;
  if (st === undefined || !ctx.request.target.startsWith(st.uri)) return undefined;
  if (st.auth !== undefined && !basicAuthorized(getHeader(ctx.request.headers, "authorization"), st.auth)) {
    // HAProxy's stats applet: 401 with its challenge, logged as denied by the proxy.
    const r = errorReply(401, p.errors);
    const challenge: HeaderField = ["www-authenticate", basicChallenge(st.auth)];
    const reply = r === undefined ? undefined : { ...r, head: { ...r.head, headers: [...r.head.headers, challenge] } };
    return { kind: "reply", status: 401, reply, termination: "PR--", backend };
  }
  const admin = st.admin.some((c) => evaluateCondition(c, ctx));
  return { kind: "service", service: "stats", stats: st, backend, admin };
}

/**
 * `monitor-uri` (`http_wait_for_request()`, before any rule): a request for exactly that URI
 * gets 200, or 503 when a `monitor fail` condition holds, logged `LR--` if at all.
 */
function monitorFor(fe: HttpPolicy, ctx: SampleContext): RequestDecision | undefined {
  const m = fe.monitor;
  if (m === undefined || ctx.request.target !== m.uri) return undefined;
  const status = m.fail.some((c) => evaluateCondition(c, ctx)) ? 503 : 200;
  return {
    kind: "reply",
    status,
    reply: errorReply(status, fe.errors),
    termination: "LR--",
    backend: undefined,
    monitor: true,
  };
}

/** The backend `use_backend` / `default_backend` choose for this request, or `undefined`. */
export function selectBackend(fe: HttpPolicy, ctx: SampleContext): string | undefined {
  for (const rule of fe.switching) if (evaluateCondition(rule.condition, ctx)) return rule.backend;
  return fe.defaultBackend;
}

/**
 * Runs the request side of HTTP mode for one request (see the module doc). `backends` gives
 * the compiled settings of each backend by name. A backend named as the frontend is taken for
 * the same section (a `listen`, whose rules HAProxy runs once), so its rules and forwarding
 * options are not applied a second time.
 *
 * `ctx` may be a function making the context: it is then called only when a step reads one
 * (a monitor URI, rules, a stats page, `use_backend`, a unique-id header or a forwarding
 * option); `stream` is the request's identity, whose id is made here. A request
 * none of them reads costs no sample context (three objects per request otherwise).
 */
export function decideRequest(
  fe: HttpPolicy,
  backends: ReadonlyMap<string, HttpPolicy>,
  ctx: SampleContext | (() => SampleContext),
  stream: StreamIdentity | undefined = typeof ctx === "function" ? undefined : ctx.stream,
): RequestDecision {
  let fctx: SampleContext | undefined;
  // Until a backend is chosen, HAProxy's stream backend is the frontend (`be_name`, `%b`).
  const front = (): SampleContext => {
    if (fctx !== undefined) return fctx;
    const c = typeof ctx === "function" ? ctx() : ctx;
    return fctx = { ...c, frontend: c.frontend ?? fe.name, backend: fe.name };
  };
  if (fe.monitor !== undefined) {
    const monitor = monitorFor(fe, front());
    if (monitor !== undefined) return monitor;
  }
  if (fe.requestRules.length > 0) {
    const feOut = runRequestRules(fe.requestRules, front(), (s) => errorReply(s, fe.errors));
    if (feOut.kind === "reply") return { ...feOut, status: feOut.reply?.status ?? 0, backend: undefined };
    if (feOut.kind === "service") return { ...feOut, stats: undefined, backend: undefined };
  }
  if (fe.stats !== undefined) {
    const feStats = statsFor(fe, front(), undefined);
    if (feStats !== undefined) return feStats;
  }
  const name = fe.switching.length > 0 ? selectBackend(fe, front()) : fe.defaultBackend;
  const be = name === undefined ? undefined : backends.get(name);
  if (name === undefined || be === undefined) {
    return { kind: "reply", status: 503, reply: errorReply(503, fe.errors), termination: "SC--", backend: undefined };
  }
  let bctx: SampleContext | undefined;
  const back = (): SampleContext => bctx ??= { ...front(), backend: name };
  const otherSection = be.name !== fe.name;
  const beFwd = otherSection ? be.forwarding : undefined;
  if (otherSection) {
    if (be.requestRules.length > 0) {
      const beOut = runRequestRules(be.requestRules, back(), (s) => errorReply(s, be.errors, fe.errors));
      if (beOut.kind === "reply") return { ...beOut, status: beOut.reply?.status ?? 0, backend: name };
      if (beOut.kind === "service") return { ...beOut, stats: undefined, backend: name };
    }
    if (be.stats !== undefined) {
      const beStats = statsFor(be, back(), name);
      if (beStats !== undefined) return beStats;
    }
  }
  // `http_process_request()`: the unique id is made now (from the stream's own context), sent
  // before the forwarding fields.
  if (stream?.uniqueId() !== undefined && stream.header !== undefined) addUniqueIdHeader(back());
  if (forwards(fe.forwarding) || forwards(beFwd)) applyForwarding(fe.forwarding, beFwd, back());
  return { kind: "forward", backend: name };
}

/** A forwarding option is set: `option forwardfor`, `forwarded` or an `X-Forwarded-Proto` one. */
function forwards(f: Forwarding | undefined): boolean {
  return f !== undefined &&
    (f.forwardFor !== undefined || f.forwarded !== undefined || f.forwardedProto !== undefined);
}

/** No rules: what a backend run as its own frontend (a `listen`) adds (one array for every response). */
const NO_RULES: readonly CompiledRule[] = [];

/** {@link decideResponse}'s answer when the response goes on (one object for every response). */
const FORWARD_RESPONSE = { kind: "forward" } as const;

/**
 * Runs the `http-response` rules of the backend, then of the frontend (once for a backend
 * named as the frontend), on `ctx().response`, changed in place. A failed rewrite answers 500
 * instead (logged `PH--`). `ctx` is called only when there are rules to run: most responses
 * cost no sample context.
 */
export function decideResponse(
  fe: HttpPolicy,
  be: HttpPolicy | undefined,
  ctx: () => SampleContext,
): { readonly kind: "forward" } | {
  readonly kind: "reply";
  readonly reply: HttpReply | undefined;
  readonly termination: "PH--";
} {
  const beRules = be === undefined || be.name === fe.name ? NO_RULES : be.responseRules;
  if (beRules.length === 0 && fe.responseRules.length === 0) return FORWARD_RESPONSE;
  const c = ctx();
  const ok = runResponseRules(beRules, c) && runResponseRules(fe.responseRules, c);
  return ok ? FORWARD_RESPONSE : { kind: "reply", reply: errorReply(500, be?.errors, fe.errors), termination: "PH--" };
}
