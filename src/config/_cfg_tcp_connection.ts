/**
 * `tcp-request connection` (configuration.txt 4.2): rules on accepted connections, before any
 * handshake. Their conditions are checked against the section's ACLs as they are read.
 *
 * @module
 */
import { AclError } from "../acl/acl.ts";
import { parseCondition } from "../acl/condition.ts";
import { ExprError, parseSampleExpr } from "../acl/expr.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import type { TcpConnectionRule } from "./tls_types.ts";

/** The condition words after an action, checked now (`if|unless ...`), or undefined. */
function condition(c: Ctx, words: readonly string[], action: string): string[] | undefined {
  const [cond, ...rest] = words;
  if (cond === undefined) return undefined;
  if (cond !== "if" && cond !== "unless") {
    c.error(`'tcp-request connection ${action}' : unexpected keyword '${cond}', expects 'if' or 'unless'.`);
  }
  try {
    parseCondition(words, c.sec.http.aclSet, c.warn);
  } catch (e) {
    if (e instanceof AclError) {
      c.error(`error detected in frontend '${c.sec.name}' while parsing 'if' condition : ${e.message}`);
    }
    throw e;
  }
  return [cond, ...rest];
}

/** `tcp-request connection <action> [args] [if|unless cond]`. */
function connectionRule(c: Ctx, args: readonly string[]): void {
  const [action, ...rest] = args;
  let rule: TcpConnectionRule;
  switch (action) {
    case "accept":
    case "reject": {
      const cond = condition(c, rest, action);
      rule = cond === undefined ? { action } : { action, condition: cond };
      break;
    }
    case "expect-proxy": {
      if (rest[0] !== "layer4") c.error("'tcp-request connection expect-proxy' : expects 'layer4'.");
      const cond = condition(c, rest.slice(1), action);
      rule = cond === undefined ? { action } : { action, condition: cond };
      break;
    }
    case "set-dst":
    case "set-dst-port": {
      const expr = rest[0];
      if (expr === undefined) c.error(`'tcp-request connection ${action}' : expects a sample expression.`);
      try {
        const p = parseSampleExpr(expr);
        if (p.end !== expr.length) c.error(`'tcp-request connection ${action}' : unexpected '${expr.slice(p.end)}'.`);
      } catch (e) {
        if (e instanceof ExprError) c.error(`'tcp-request connection ${action}' : ${e.message}.`);
        throw e;
      }
      const cond = condition(c, rest.slice(1), action);
      rule = cond === undefined ? { action, expr } : { action, expr, condition: cond };
      break;
    }
    case undefined:
      return c.error("'tcp-request connection' expects an action.");
    default:
      c.unsupported(`'tcp-request connection ${action}' is not supported`);
      return;
  }
  c.sec.http.tcpConnection.push(rule);
}

/** `tcp-request connection` (frontends and listen sections). */
export const TCP_CONNECTION_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "tcp-request connection": { cap: "fe", inDefaults: false, parse: connectionRule },
};
