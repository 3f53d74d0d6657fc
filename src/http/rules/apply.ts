/**
 * Running compiled rules on a head, as HAProxy 2.6's `http_req_get_intercept_rule()` and
 * `http_res_get_intercept_rule()` (src/http_ana.c) do: in order, each rule whose condition
 * holds; header actions change the head in place and go on; `allow` stops the list; `deny`,
 * `return` and `redirect` stop everything with a reply.
 *
 * @module
 */
import { renderLogFormat } from "../../acl/log_format.ts";
import { evaluateCondition } from "../../acl/condition.ts";
import { expandReplacement } from "../../acl/_regex.ts";
import { splitItems } from "../../acl/_http.ts";
import type { SampleContext } from "../../acl/sample.ts";
import { URICHAR } from "../_chars.ts";
import type { HttpReply } from "../error_pages.ts";
import { appendHeader, deleteHeader, type HeaderList, type RequestHead } from "../head.ts";
import type { CompiledRule, HeaderAction } from "./compile.ts";
import { redirectReply, returnReply } from "./reply.ts";

/**
 * HAProxy's termination state of a request answered by a rule (configuration.txt 8.5):
 * `PR--` denied (`SF_ERR_PRXCOND`), `LR--` answered locally by `return` or `redirect`
 * (`SF_ERR_LOCAL`), both during the request phase.
 */
export type RuleTermination = "PR--" | "LR--";

/**
 * What running the rules decided: go on (the head changed in place), or send `reply` (an
 * `undefined` reply: an empty errorfile, send nothing and close) and log `termination`.
 */
export type RuleOutcome =
  | { readonly kind: "continue" }
  | { readonly kind: "reply"; readonly reply: HttpReply | undefined; readonly termination: RuleTermination }
  | { readonly kind: "service"; readonly service: "prometheus-exporter" };

/** The outcome that changes nothing. */
export const CONTINUE: RuleOutcome = { kind: "continue" };

/** A rewrite would break the message (a CR, LF or NUL in a value, a bad target): HAProxy's rewrite failure. */
function breaks(value: string): boolean {
  return /[\r\n\0]|[^\0-\xff]/.test(value);
}

/**
 * Applies a header action to `headers` (the request's or the response's). Returns false when
 * the rewrite failed (a rendered value that would break the message).
 */
export function applyHeaderAction(a: HeaderAction, headers: HeaderList, ctx: SampleContext): boolean {
  switch (a.kind) {
    case "set-header":
    case "add-header": {
      const value = renderLogFormat(a.value, ctx);
      if (breaks(value)) return false;
      if (a.kind === "set-header") deleteHeader(headers, a.name);
      appendHeader(headers, a.name, value);
      if (a.name === "host" && ctx.request.headers === headers) updateAuthority(ctx.request, value);
      return true;
    }
    case "del-header":
      for (let i = headers.length - 1; i >= 0; i--) if (a.test(headers[i]![0])) headers.splice(i, 1);
      return true;
    case "replace-header":
    case "replace-value": {
      const replace = renderLogFormat(a.replace, ctx);
      for (const f of headers) {
        if (f[0] !== a.name) continue;
        const next = a.kind === "replace-header"
          ? replaceWhole(f[1], a.re, replace)
          : replaceItems(f[1], a.re, replace);
        if (breaks(next)) return false;
        if (next !== f[1] && a.name === "host" && ctx.request.headers === headers) updateAuthority(ctx.request, next);
        f[1] = next;
      }
      return true;
    }
  }
}

/** `replace-header`: a value the regex matches anywhere is replaced whole by the expanded replacement. */
function replaceWhole(value: string, re: RegExp, replace: string): string {
  const m = re.exec(value);
  return m === null ? value : expandReplacement(replace, m);
}

/**
 * `replace-value`: each comma-separated element the regex matches (trimmed) is replaced by
 * the expanded replacement, losing the blanks around it (`a, b, c` with `^b$` gives `a,B, c`,
 * as HAProxy 2.6); the others are kept as they were.
 */
function replaceItems(value: string, re: RegExp, replace: string): string {
  return splitItems(value).map((item) => {
    const m = re.exec(item.replace(/^[ \t]+|[ \t]+$/g, ""));
    return m === null ? item : expandReplacement(replace, m);
  }).join(",");
}

/**
 * `http_update_authority()`: a `Host` value set or replaced by a rule becomes the authority of
 * an absolute-form target too (its userinfo kept), as HAProxy 2.6 keeps them in step.
 */
export function updateAuthority(req: RequestHead, host: string): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?@]*@)?)([^/?]*)/.exec(req.target);
  if (m === null || m[2] === "" || m[2] === host) return;
  req.target = m[1] + host + req.target.slice(m[0].length);
}

/**
 * `set-path`: the path of the target replaced, its query kept (`/prefix%[path]` on `/a?q`
 * gives `/prefix/a?q`); an absolute URI keeps its scheme and authority. Returns false when
 * the new target would not be valid (a rewrite failure).
 */
export function setPath(req: RequestHead, path: string): boolean {
  const t = req.target;
  const q = t.indexOf("?");
  const query = q < 0 ? "" : t.slice(q);
  const auth = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(t);
  const target = (auth === null ? "" : auth[0]) + path + query;
  for (let i = 0; i < target.length; i++) {
    if (!URICHAR[target.charCodeAt(i)] || target.charCodeAt(i) > 0xff) return false;
  }
  if (target === "") return false;
  req.target = target;
  return true;
}

/**
 * Runs `http-request` rules on `ctx.request` (changed in place). `errorReply` gives the reply
 * of an error status (`deny`, a failed rewrite: 500), the proxy's errorfile or HAProxy's
 * message.
 */
export function runRequestRules(
  rules: readonly CompiledRule[],
  ctx: SampleContext,
  errorReply: (status: number) => HttpReply | undefined,
): RuleOutcome {
  for (const rule of rules) {
    if (!evaluateCondition(rule.condition, ctx)) continue;
    const a = rule.action;
    switch (a.kind) {
      case "allow":
        return CONTINUE;
      case "deny":
        return { kind: "reply", reply: errorReply(a.status), termination: "PR--" };
      case "return":
        return { kind: "reply", reply: returnReply(a, ctx), termination: "LR--" };
      case "redirect":
        return { kind: "reply", reply: redirectReply(a, ctx), termination: "LR--" };
      case "use-service":
        return { kind: "service", service: a.service };
      case "set-path":
        if (!setPath(ctx.request, renderLogFormat(a.path, ctx))) {
          return { kind: "reply", reply: errorReply(500), termination: "PR--" };
        }
        break;
      default:
        if (!applyHeaderAction(a, ctx.request.headers, ctx)) {
          return { kind: "reply", reply: errorReply(500), termination: "PR--" };
        }
    }
  }
  return CONTINUE;
}

/**
 * Runs `http-response` rules on `ctx.response` (changed in place). Returns false when a
 * rewrite failed: HAProxy then answers 500 instead of the response (the caller's reply).
 */
export function runResponseRules(rules: readonly CompiledRule[], ctx: SampleContext): boolean {
  const res = ctx.response;
  if (res === undefined) return true;
  for (const rule of rules) {
    if (!evaluateCondition(rule.condition, ctx)) continue;
    const a = rule.action;
    if (
      a.kind === "set-header" || a.kind === "add-header" || a.kind === "del-header" || a.kind === "replace-header" ||
      a.kind === "replace-value"
    ) {
      if (!applyHeaderAction(a, res.headers, ctx)) return false;
    }
  }
  return true;
}
