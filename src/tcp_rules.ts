/**
 * `tcp-request connection` rules (configuration.txt 4.2 `tcp-request connection`): evaluated
 * once per accepted connection, in order, on its real addresses (before any PROXY header), as
 * HAProxy's `tcp_exec_l4_rules()`. `accept` and `reject` end the evaluation; `expect-proxy
 * layer4`, `set-dst` and `set-dst-port` act and go on; no rule deciding means accept.
 *
 * @module
 */
import { AclError, type AclSet } from "./acl/acl.ts";
import { type Condition, evaluateCondition, parseCondition } from "./acl/condition.ts";
import { evaluate, ExprError, parseSampleExpr, type SampleExpr } from "./acl/expr.ts";
import { formatIp } from "./acl/_ip.ts";
import { type SampleContext, toInt, toIp } from "./acl/sample.ts";
import type { Connection } from "./connection.ts";
import type { Address } from "./net.ts";
import { toWords } from "./http/rules/compile.ts";
import { NO_REQUEST } from "./http/head.ts";
import type { ConditionConfig } from "./config/http_types.ts";
import { PolicyError } from "./http/policy.ts";
import type { TcpConnectionRule } from "./config/tls_types.ts";

/** A compiled `tcp-request connection` or `content` rule. */
export interface TcpRule<A extends string> {
  /** What it does when its condition holds. */
  readonly action: A;
  /** `undefined`: always. */
  readonly condition: Condition | undefined;
  /** The address or port expression of `set-dst` / `set-dst-port`. */
  readonly expr: SampleExpr | undefined;
}

/** One compiled `tcp-request connection` rule. */
export type ConnectionRule = TcpRule<TcpConnectionRule["action"]>;

const CONNECTION_ACTIONS: readonly ConnectionRule["action"][] = [
  "accept",
  "reject",
  "expect-proxy",
  "set-dst",
  "set-dst-port",
];

/**
 * Compiles `tcp-request <section>` rules against the section's ACLs, each action among
 * `actions`: conditions, and the expressions of `set-dst` / `set-dst-port`.
 *
 * @throws {PolicyError} naming the key (`content[1].condition`) and the problem.
 */
export function compileTcpRules<A extends string>(
  rules: readonly { readonly action: string; readonly condition?: ConditionConfig; readonly expr?: string }[],
  acls: AclSet,
  section: "connection" | "content",
  actions: readonly A[],
  onWarning?: (message: string) => void,
): TcpRule<A>[] {
  return rules.map((r, i): TcpRule<A> => {
    const key = `${section}[${i}]`;
    if (typeof r !== "object" || r === null || !actions.includes(r.action as A)) {
      throw new PolicyError(`${key}.action`, `must be one of ${actions.join(", ")}`);
    }
    let condition: Condition | undefined;
    if (r.condition !== undefined) {
      try {
        condition = parseCondition(toWords(r.condition), acls, onWarning);
      } catch (e) {
        if (e instanceof AclError) throw new PolicyError(`${key}.condition`, e.message);
        throw e;
      }
    }
    if (r.action !== "set-dst" && r.action !== "set-dst-port") {
      return { action: r.action as A, condition, expr: undefined };
    }
    try {
      const text = String(r.expr);
      const { expr, end } = parseSampleExpr(text);
      if (end < text.length) throw new ExprError("syntax", "", `unexpected characters after '${text.slice(0, end)}'`);
      return { action: r.action as A, condition, expr };
    } catch (e) {
      if (e instanceof ExprError) throw new PolicyError(`${key}.expr`, e.message);
      throw e;
    }
  });
}

/**
 * Compiles a frontend's connection rules against its ACLs.
 * @throws {PolicyError} naming the rule (`connection[0].condition`) and HAProxy's message.
 */
export function compileConnectionRules(
  rules: readonly TcpConnectionRule[],
  acls: AclSet,
  onWarning?: (message: string) => void,
): ConnectionRule[] {
  return compileTcpRules(rules, acls, "connection", CONNECTION_ACTIONS, onWarning);
}

/** The sample context of a connection with no request yet: its addresses, TLS and PROXY TLVs. */
export function connectionSampleContext(conn: Connection, frontend?: string, backend?: string): SampleContext {
  const ep = (a: Address | undefined) => (a?.transport === "tcp" ? { address: a.hostname, port: a.port } : undefined);
  return {
    request: NO_REQUEST,
    frontend,
    backend,
    src: ep(conn.src),
    dst: ep(conn.dst),
    tls: conn.tls,
    proxyTlvs: conn.proxyTlvs,
  };
}

/**
 * Runs the rules on `conn`: `"reject"` closes it, `"expect-proxy"` means a PROXY header comes
 * first, `"accept"` goes on. `set-dst` / `set-dst-port` change the connection's destination
 * (the one a transparent server connects to); an expression that finds nothing changes nothing.
 */
export function runConnectionRules(
  rules: readonly ConnectionRule[],
  conn: Connection,
): "accept" | "reject" | "expect-proxy" {
  let proxy = false;
  for (const r of rules) {
    if (!evaluateCondition(r.condition, connectionSampleContext(conn))) continue;
    switch (r.action) {
      case "accept":
        return proxy ? "expect-proxy" : "accept";
      case "reject":
        return "reject";
      case "expect-proxy":
        proxy = true;
        break;
      case "set-dst":
      case "set-dst-port":
        setDestination(conn, r.action, r.expr!, connectionSampleContext(conn));
        break;
    }
  }
  return proxy ? "expect-proxy" : "accept";
}

/**
 * `set-dst` / `set-dst-port` (connection and content rules): evaluates `expr` on `ctx` and
 * changes `conn`'s destination, the one a transparent server connects to. `set-dst` keeps the
 * port (as HAProxy when the family allows), `set-dst-port` the address; an expression that
 * finds nothing, or no address or port, changes nothing.
 */
export function setDestination(
  conn: Connection,
  action: "set-dst" | "set-dst-port",
  expr: SampleExpr,
  ctx: SampleContext,
): void {
  const v = evaluate(expr, ctx);
  if (v === undefined) return;
  const cur = conn.dst;
  if (action === "set-dst") {
    const ip = toIp(v);
    if (ip === undefined) return;
    conn.setDst({ transport: "tcp", hostname: formatIp(ip), port: cur?.transport === "tcp" ? cur.port : 0 });
    return;
  }
  const port = toInt(v);
  if (port === undefined || port < 0 || port > 65535 || cur?.transport !== "tcp") return;
  conn.setDst({ transport: "tcp", hostname: cur.hostname, port });
}
