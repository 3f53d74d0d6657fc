/**
 * `tcp-request inspect-delay` and `tcp-request content` (configuration.txt 4.2): the rules a
 * `mode tcp` frontend runs on the client's first bytes before it picks a backend (a `mode
 * http` one on each request head), refused
 * with HAProxy 2.6's messages. Conditions are checked against the ACLs declared above the
 * line, as HAProxy does. `tcp-request connection` is parsed elsewhere.
 *
 * @module
 */
import { AclError } from "../acl/acl.ts";
import { parseCondition } from "../acl/condition.ts";
import { ExprError, parseSampleExpr } from "../acl/expr.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import { parseTime } from "./_cfg_tokens.ts";
import { MAX_TIMEOUT_MS } from "./defaults.ts";

/** The `tcp-request content` actions proxykit runs. */
const ACTIONS = ["accept", "reject", "set-dst", "set-dst-port"];

/** Every action HAProxy 2.6 knows there, as its error message lists them. */
const HAPROXY_ACTIONS = "'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', " +
  "'track-sc0' ... 'track-sc2', 'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', " +
  "'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', " +
  "'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', " +
  "'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'";

/** An action HAProxy knows (proxykit refuses it as unsupported rather than unknown). */
const KNOWN = new RegExp(
  "^(accept|reject|capture|expect-proxy|expect-netscaler-cip|track-sc[0-9]+|ot-group|set-log-level|set-nice|" +
    "switch-mode|use-service|sc-inc-gpc[01]?(\\(.*\\))?|sc-set-gpt0?(\\(.*\\))?|send-spoe-group|" +
    "do-resolve\\(.*\\)|set-var-fmt\\(.*\\)|set-var\\(.*\\)|unset-var\\(.*\\)|set-src|set-src-port|set-dst|" +
    "set-dst-port|set-mark|set-tos|silent-drop|set-priority-class|set-priority-offset)$",
);

/** `frontend 'fe'`, `proxy 'p'`: how HAProxy names a section in these messages. */
function who(c: Ctx): string {
  return `${c.sec.kind === "listen" ? "proxy" : c.sec.kind} '${c.sec.name}'`;
}

function content(c: Ctx, args: readonly string[]): void {
  const [action = "", ...rest] = args;
  if (!ACTIONS.includes(action)) {
    if (!KNOWN.test(action)) {
      c.error(`'tcp-request content' expects ${HAPROXY_ACTIONS} in ${who(c)} (got '${action}').`);
    }
    return c.unsupported(
      `action '${action}' is not supported (proxykit runs ${ACTIONS.map((a) => `'${a}'`).join(", ")})`,
    );
  }
  let expr: string | undefined;
  let cond = rest;
  if (action === "set-dst" || action === "set-dst-port") {
    expr = rest[0] ?? "";
    try {
      const { end } = parseSampleExpr(expr);
      if (end < expr.length) c.fail(`unexpected characters after the expression '${expr}'`);
    } catch (e) {
      if (e instanceof ExprError) c.error(e.kind === "missing-fetch" ? "missing fetch method" : e.message);
      throw e;
    }
    cond = rest.slice(1);
  }
  const [kw] = cond;
  if (kw !== undefined && kw !== "if" && kw !== "unless") {
    c.error(`'tcp-request content ${action}' only accepts 'if' or 'unless', in ${who(c)} (got '${kw}')`);
  }
  if (kw !== undefined) {
    try {
      parseCondition(cond, c.sec.http.aclSet, c.warn);
    } catch (e) {
      if (e instanceof AclError) {
        c.error(
          `'tcp-request content ${action}' : error detected in ${
            who(c)
          } while parsing '${kw}' condition : ${e.message}`,
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

function inspectDelay(c: Ctx, args: readonly string[]): void {
  if (c.sec.kind === "defaults" && c.sec.name === "") {
    c.error("tcp-request inspect-delay is not allowed in anonymous 'defaults' sections");
  }
  const msg = `'tcp-request inspect-delay' expects a positive delay in milliseconds, in ${who(c)}`;
  if (args.length !== 1) c.error(msg);
  const v = parseTime(args[0]!, MAX_TIMEOUT_MS);
  if (typeof v === "string") c.error(`${msg} (${v})`);
  c.s.inspectDelayMs = v as number;
}

/** The `tcp-request` keywords of this file, by label. */
export const TCP_REQUEST_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "tcp-request inspect-delay": { cap: "fe", inDefaults: true, parse: inspectDelay },
  "tcp-request content": { cap: "fe", inDefaults: false, parse: content },
};
