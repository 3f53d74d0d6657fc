/**
 * `tcp-request inspect-delay` and `tcp-request content` (configuration.txt 4.2): the rules a
 * `mode tcp` frontend runs on the client's first bytes before it picks a backend. Conditions
 * are checked against the ACLs declared above the line, as HAProxy does. `tcp-request
 * connection` is parsed elsewhere.
 *
 * @module
 */
import { AclError } from "../acl/acl.ts";
import { parseCondition } from "../acl/condition.ts";
import { ExprError, parseSampleExpr } from "../acl/expr.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import { exactArgs, time } from "./_cfg_values.ts";
import type { TcpContentRule } from "./tls_types.ts";

/** The `tcp-request content` actions proxykit runs. */
const ACTIONS = ["accept", "reject", "set-dst", "set-dst-port"];

/** A fetch reading the request's bytes (HAProxy's `SMP_USE_L6REQ`): `req.*`, `req_*`, `payload`. */
const L6_FETCH = /(^|[\s{!,])(req[._]|payload)/;

/**
 * HAProxy's warning for content rules that read the request without an inspect-delay (they
 * then "randomly find their contents"), given `frontend 'fe'`.
 */
export function inspectDelayWarning(who: string): string {
  return `${who} : some 'tcp-request content' rules explicitly depending on request contents without any ` +
    "'tcp-request inspect-delay' setting. This means that these rules will randomly find their contents. " +
    "This can be fixed by setting the tcp-request inspect-delay.";
}

/** Whether one of `rules` reads the request bytes (for {@link inspectDelayWarning}). */
export function readsPayload(rules: readonly TcpContentRule[]): boolean {
  return rules.some((r) => {
    const words = typeof r.condition === "string" ? r.condition : (r.condition ?? []).join(" ");
    return L6_FETCH.test(words) || ("expr" in r && L6_FETCH.test(r.expr));
  });
}

function content(c: Ctx, args: readonly string[]): void {
  const [action = "", ...rest] = args;
  if (!ACTIONS.includes(action)) {
    return c.unsupported(
      `action '${action}' is not supported (proxykit runs ${ACTIONS.map((a) => `'${a}'`).join(", ")})`,
    );
  }
  let expr: string | undefined;
  let cond = rest;
  if (action === "set-dst" || action === "set-dst-port") {
    expr = rest[0];
    if (expr === undefined || expr === "" || expr === "if" || expr === "unless") {
      return c.error(`'tcp-request content ${action}' expects a sample expression.`);
    }
    try {
      const { end } = parseSampleExpr(expr);
      if (end < expr.length) c.fail(`unexpected characters after the expression '${expr}'`);
    } catch (e) {
      if (e instanceof ExprError) c.fail(`invalid expression '${expr}': ${e.message}`);
      throw e;
    }
    cond = rest.slice(1);
  }
  const [kw] = cond;
  if (kw !== undefined && kw !== "if" && kw !== "unless") {
    c.error(`'tcp-request content ${action}' : expects 'if' or 'unless' followed by a condition, got '${kw}'.`);
  }
  if (kw !== undefined) {
    try {
      parseCondition(cond, c.sec.http.aclSet, c.warn);
    } catch (e) {
      if (e instanceof AclError) {
        c.error(
          `error detected in ${c.sec.kind} '${c.sec.name}' while parsing 'tcp-request content ${action}' rule : ${e.message}.`,
        );
      }
      throw e;
    }
  }
  const condition = kw === undefined ? {} : { condition: cond };
  c.sec.http.tcpContent.push(
    expr === undefined
      ? { action: action as "accept" | "reject", ...condition }
      : { action: action as "set-dst" | "set-dst-port", expr, ...condition },
  );
}

/** The `tcp-request` keywords of this file, by label. */
export const TCP_REQUEST_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "tcp-request inspect-delay": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a delay");
      c.s.inspectDelayMs = time(c, "", args[0], 0);
    },
  },
  "tcp-request content": { cap: "fe", inDefaults: false, parse: content },
};
