/**
 * `tcp-request content` rules, compiled against a frontend's ACLs, and how one pass over the
 * buffered request runs them (HAProxy's `tcp_inspect_request()`, src/tcp_rules.c):
 *
 * - rules run in order; a condition that answers "miss" (more bytes could change it) stops
 *   the pass and waits, later rules are not tried;
 * - `accept` ends the rules, `reject` ends the connection (logged `PR`), `set-dst` and
 *   `set-dst-port` change the destination and go on;
 * - no rule deciding means accept.
 *
 * Then the `use_backend` rules run once, final (`process_switching_rules()` never waits), on
 * the bytes that are in: without an accepting content rule to wait for a ClientHello, a
 * `use_backend if { req.ssl_sni ... }` finds nothing and the default backend serves.
 *
 * @module
 */
import type { AclSet } from "./acl/acl.ts";
import { testCondition } from "./acl/condition.ts";
import type { Connection } from "./connection.ts";
import { compileTcpRules, setDestination, type TcpRule } from "./tcp_rules.ts";
import type { SampleContext } from "./acl/sample.ts";
import type { TcpContentRule } from "./config/tls_types.ts";

/** A `tcp-request content` rule, compiled. */
export type ContentRule = TcpRule<TcpContentRule["action"]>;

const ACTIONS: readonly ContentRule["action"][] = ["accept", "reject", "set-dst", "set-dst-port"];

/**
 * Compiles `rules` against `acls` (the frontend's, declared before use).
 *
 * @throws {PolicyError} naming the key (`content[1].condition`) and the problem.
 */
export function compileContentRules(
  rules: readonly TcpContentRule[],
  acls: AclSet,
  onWarning?: (message: string) => void,
): ContentRule[] {
  return compileTcpRules(rules, acls, "content", ACTIONS, onWarning);
}

/**
 * One pass of the content rules over `ctx` (its `payload` says whether the pass is final):
 * `wait` for more bytes, `accept` or `reject`. Destination rules change `conn` at once, so
 * that later rules see it (`dst`, `dst_port` read the connection again).
 */
export function runContentRules(
  rules: readonly ContentRule[],
  ctx: () => SampleContext,
  conn: Connection,
): "wait" | "accept" | "reject" {
  for (const r of rules) {
    const c = ctx();
    const res = testCondition(r.condition, c);
    if (res === "miss") return "wait";
    if (res === "fail") continue;
    if (r.action === "accept" || r.action === "reject") return r.action;
    setDestination(conn, r.action, r.expr!, c);
  }
  return "accept";
}
