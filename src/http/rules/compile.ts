/**
 * Typed `http-request` / `http-response` rules into what runs per request: conditions
 * against the proxy's ACLs, log-format values, regexes, replies checked once, when the
 * configuration is loaded, with HAProxy's error texts.
 *
 * @module
 */
import type { HttpRequestRuleConfig, HttpResponseRuleConfig, Words } from "../../config/http_types.ts";
import { AclError, type AclSet } from "../../acl/acl.ts";
import { type Condition, parseCondition } from "../../acl/condition.ts";
import { type LogFormat, LogFormatError, parseLogFormat } from "../../acl/log_format.ts";
import { compileRegex, RegexError } from "../../acl/_regex.ts";
import { splitWords } from "../../config/_cfg_tokens.ts";
import { TCHAR } from "../_chars.ts";
import { hasErrorMessage } from "../error_pages.ts";
import { RULE_ACTIONS, type RuleKeyword } from "./parse.ts";

/** A header action. */
export type HeaderAction =
  | { readonly kind: "set-header" | "add-header"; readonly name: string; readonly value: LogFormat }
  | { readonly kind: "del-header"; readonly test: (name: string) => boolean }
  | {
    readonly kind: "replace-header" | "replace-value";
    readonly name: string;
    readonly re: RegExp;
    readonly replace: LogFormat;
  };

/** `http-request return`, compiled. */
export interface ReturnAction {
  /** Which. */
  readonly kind: "return";
  /** The status, 200..599. */
  readonly status: number;
  /** `content-type`, sent with a non-empty body. */
  readonly contentType: string | undefined;
  /** The body: a constant, or a log-format string. */
  readonly body: string | LogFormat | undefined;
  /** `hdr` fields, names lowercase. */
  readonly headers: readonly (readonly [string, LogFormat])[];
}

/** `http-request redirect`, compiled. */
export interface RedirectAction {
  /** Which. */
  readonly kind: "redirect";
  /** `location`, `prefix` or `scheme`. */
  readonly type: "location" | "prefix" | "scheme";
  /** The value. */
  readonly value: LogFormat;
  /** The status. */
  readonly code: 301 | 302 | 303 | 307 | 308;
  /** `drop-query`. */
  readonly dropQuery: boolean;
  /** `append-slash`. */
  readonly appendSlash: boolean;
}

/** What a compiled rule does. */
export type RuleAction =
  | HeaderAction
  | { readonly kind: "set-path"; readonly path: LogFormat }
  | { readonly kind: "allow" }
  | { readonly kind: "deny"; readonly status: number }
  | ReturnAction
  | RedirectAction
  | { readonly kind: "use-service"; readonly service: "prometheus-exporter" };

/** A compiled rule: its action and its condition. */
export interface CompiledRule {
  /** The action. */
  readonly action: RuleAction;
  /** `undefined`: always. */
  readonly condition: Condition | undefined;
}

/**
 * A rule refused: `part` says whether its action (`detail` then goes after HAProxy's
 * `while parsing 'http-request x' rule : `) or its condition is at fault.
 */
export class RuleError extends Error {
  /** Which part. */
  readonly part: "action" | "condition";
  /** HAProxy's text for the problem. */
  readonly detail: string;

  /** Creates the error. */
  constructor(part: "action" | "condition", detail: string) {
    super(detail);
    this.part = part;
    this.detail = detail;
  }
}

/** A typed word list (a string is split as a `haproxy.cfg` line). */
export function toWords(w: Words): readonly string[] {
  return typeof w === "string" ? splitWords(w, undefined) : w;
}

function fail(detail: string): never {
  throw new RuleError("action", detail);
}

function format(text: unknown, what: string, header: boolean): LogFormat {
  if (typeof text !== "string") fail(`'${what}' must be a string`);
  try {
    const fmt = parseLogFormat(text);
    if (header && fmt.parts.some((p) => p.kind === "text" && /[\r\n\0]|[^\0-\xff]/.test(p.text))) {
      fail(`'${what}' holds a CR, LF, NUL or a char above U+00FF, which would break the message`);
    }
    return fmt;
  } catch (e) {
    if (e instanceof LogFormatError) fail(e.message);
    throw e;
  }
}

function headerName(name: unknown): string {
  if (typeof name !== "string" || name === "" || [...name].some((c) => !TCHAR[c.charCodeAt(0)])) {
    fail(`invalid header name '${String(name)}': must be an HTTP token`);
  }
  return name.toLowerCase();
}

function regex(re: unknown, icase: boolean): RegExp {
  try {
    return compileRegex(String(re), icase);
  } catch (e) {
    if (e instanceof RegexError) fail(e.message);
    throw e;
  }
}

function nameTest(name: string, match: unknown): (n: string) => boolean {
  const lower = name.toLowerCase();
  switch (match ?? "str") {
    case "str":
      return (n) => n === lower;
    case "beg":
      return (n) => n.startsWith(lower);
    case "end":
      return (n) => n.endsWith(lower);
    case "sub":
      return (n) => n.includes(lower);
    case "reg": {
      const re = regex(name, true);
      return (n) => re.test(n);
    }
    default:
      return fail(`-m: expects 'str', 'beg', 'end', 'sub' or 'reg', got '${String(match)}'`);
  }
}

function status(v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === "number" && Number.isInteger(v) ? v : 0;
  if (n < 200 || n > 599) fail(`Unexpected status code '${n}'`);
  return n;
}

function action(kw: RuleKeyword, r: Record<string, unknown>, onWarning?: (m: string) => void): RuleAction {
  switch (r.action) {
    case "set-header":
    case "add-header":
      return { kind: r.action, name: headerName(r.name), value: format(r.value, "value", true) };
    case "del-header":
      return { kind: "del-header", test: nameTest(String(r.name ?? ""), r.match) };
    case "replace-header":
    case "replace-value":
      return {
        kind: r.action,
        name: headerName(r.name),
        re: regex(r.match, false),
        replace: format(r.replace, "replace", true),
      };
    case "set-path":
      return { kind: "set-path", path: format(r.path, "path", true) };
    case "allow":
      return { kind: "allow" };
    case "deny": {
      const s = status(r.status, 403);
      if (!hasErrorMessage(s)) fail(`status code '${s}' not handled by default with 'default-errorfiles' argument.`);
      return { kind: "deny", status: s };
    }
    case "return": {
      const s = status(r.status, 200);
      if (r.string !== undefined && r.lfString !== undefined) {
        fail("unexpected 'lf-string' argument, 'string' already defined");
      }
      const body = r.lfString !== undefined ? format(r.lfString, "lf-string", false) : r.string;
      if (body !== undefined && typeof body !== "object" && typeof body !== "string") fail("'string' must be a string");
      if ((s === 204 || s === 304) && body !== undefined) fail(`No body expected for ${s} responses`);
      if (body !== undefined && r.contentType === undefined) {
        fail("a content type must be defined when non-empty payload is configured");
      }
      const headers: [string, LogFormat][] = [];
      for (const h of (r.headers ?? []) as readonly (readonly [unknown, unknown])[]) {
        const name = headerName(h[0]);
        if (name === "content-length" || name === "content-type") {
          onWarning?.(`header '${String(h[0])}' always ignored by the http reply.`);
          continue;
        }
        headers.push([name, format(h[1], "hdr", true)]);
      }
      const ctype = r.contentType === undefined ? undefined : String(r.contentType);
      if (ctype !== undefined && /[\r\n\0]/.test(ctype)) fail("'content-type' holds a CR, LF or NUL");
      return { kind: "return", status: s, contentType: ctype, body: body as string | LogFormat | undefined, headers };
    }
    case "redirect": {
      if (r.type !== "location" && r.type !== "prefix" && r.type !== "scheme") {
        fail("redirection type expected ('prefix', 'location', or 'scheme')");
      }
      const code = r.code ?? 302;
      if (code !== 301 && code !== 302 && code !== 303 && code !== 307 && code !== 308) {
        fail(`'code': unsupported HTTP code '${String(code)}' (must be one of 301, 302, 303, 307 or 308)`);
      }
      return {
        kind: "redirect",
        type: r.type,
        value: format(r.value, r.type, true),
        code,
        dropQuery: r.dropQuery === true,
        appendSlash: r.appendSlash === true,
      };
    }
    case "use-service":
      if (r.service !== "prometheus-exporter") {
        fail(`'use-service' : unknown service '${String(r.service)}' (proxykit has 'prometheus-exporter')`);
      }
      return { kind: "use-service", service: "prometheus-exporter" };
    default: {
      const list = RULE_ACTIONS[kw].map((a) => `'${a}'`).join(", ");
      return fail(`'${kw}' expects ${list}, but got '${String(r.action)}'`);
    }
  }
}

/**
 * Compiles one rule of `kw` against the ACLs of its proxy.
 *
 * @throws {RuleError} `action` (e.g. `regex '(' is invalid (...)`, `failed to parse sample
 *   expression <nosuch]> : unknown fetch method 'nosuch'`, `status code '299' not handled by
 *   default with 'default-errorfiles' argument.`) or `condition` (`no such ACL : 'x'`).
 */
export function compileRule(
  kw: RuleKeyword,
  rule: HttpRequestRuleConfig | HttpResponseRuleConfig,
  acls: AclSet,
  onWarning?: (message: string) => void,
): CompiledRule {
  const r = rule as unknown as Record<string, unknown>;
  if (typeof r !== "object" || r === null) fail("a rule must be an object");
  if (!RULE_ACTIONS[kw].includes(String(r.action))) {
    const list = RULE_ACTIONS[kw].map((a) => `'${a}'`).join(", ");
    fail(`'${kw}' expects ${list}, but got '${String(r.action)}'`);
  }
  const compiled = action(kw, r, onWarning);
  let condition: Condition | undefined;
  if (r.condition !== undefined) {
    try {
      condition = parseCondition(toWords(r.condition as Words), acls, onWarning);
    } catch (e) {
      if (e instanceof AclError) throw new RuleError("condition", e.message);
      throw e;
    }
  }
  return { action: compiled, condition };
}
