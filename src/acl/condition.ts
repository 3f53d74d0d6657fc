/**
 * Conditions (configuration.txt 7.2): `if|unless` and ACL names, `!` negations, anonymous
 * ACLs between braces, implicit AND binding tighter than `or` / `||`, parsed as
 * `parse_acl_cond()` and evaluated as `acl_exec_cond()` (src/acl.c).
 *
 * @module
 */
import {
  type Acl,
  AclError,
  type AclSet,
  argWords,
  FAIL,
  matchAcl,
  MISS,
  parseAclExpr,
  PASS,
  testAcl,
  type TestResult,
} from "./acl.ts";
import type { SampleContext } from "./sample.ts";

/** One term of a condition: an ACL, maybe negated. */
export interface Term {
  /** The ACL (shared with the proxy's ACL set: a later `acl` line of that name extends it). */
  readonly acl: Acl;
  /** `!acl`. */
  readonly negate: boolean;
}

/** A compiled condition: `unless`, and the OR of its suites, each the AND of its terms. */
export interface Condition {
  /** `unless` rather than `if`. */
  readonly unless: boolean;
  /** The suites; no suite at all never matches (so `unless` alone always does). */
  readonly suites: readonly (readonly Term[])[];
}

/**
 * Parses the words after `if` or `unless` (`unless` given apart) against the ACLs of `acls`,
 * as `parse_acl_cond()`: `!` marks are stripped from the front of a word (an empty word left
 * is skipped, the negation carried to the next one), `or` (any case) and `||` start a new
 * suite, `{` opens an anonymous ACL up to the next `}`, any other word names an ACL, a
 * declared one first, then a predefined one. A trailing `or` is accepted, as in HAProxy.
 *
 * @throws {AclError} `no such ACL : 'x'`, `missing closing '}' in condition`, or an anonymous
 *   ACL's expression error.
 */
export function parseConditionTerms(
  words: readonly string[],
  unless: boolean,
  acls: AclSet,
  onWarning?: (m: string) => void,
): Condition {
  const args = argWords(words);
  const suites: Term[][] = [];
  let suite: Term[] | undefined;
  let negate = false;
  for (let i = 0; i < args.length; i++) {
    let word = args[i]!;
    while (word.startsWith("!")) {
      negate = !negate;
      word = word.slice(1);
    }
    if (word === "") continue;
    if (word.toLowerCase() === "or" || word === "||") {
      suite = undefined;
      negate = false;
      continue;
    }
    let acl: Acl;
    if (word === "{") {
      const close = args.indexOf("}", i + 1);
      if (close < 0) throw new AclError("missing closing '}' in condition");
      acl = { name: "", exprs: [parseAclExpr(args.slice(i + 1, close), onWarning)] };
      i = close;
    } else {
      const found = acls.get(word);
      if (found === undefined) throw new AclError(`no such ACL : '${word}'`);
      acl = found;
    }
    if (suite === undefined) {
      suite = [];
      suites.push(suite);
    }
    suite.push({ acl, negate });
    negate = false;
  }
  return { unless, suites };
}

/**
 * Parses a whole condition, `if ...` or `unless ...`.
 *
 * @throws {AclError} `conditions must start with either 'if' or 'unless'`, or what
 *   {@link parseConditionTerms} throws.
 */
export function parseCondition(words: readonly string[], acls: AclSet, onWarning?: (m: string) => void): Condition {
  const [first, ...rest] = words;
  if (first !== "if" && first !== "unless") throw new AclError("conditions must start with either 'if' or 'unless'");
  return parseConditionTerms(rest, first === "unless", acls, onWarning);
}

/**
 * Whether the condition holds for this request: some suite has every term true (`!` inverts
 * a term), then `unless` inverts the result. A missing condition holds.
 */
export function evaluateCondition(cond: Condition | undefined, ctx: SampleContext): boolean {
  if (cond === undefined) return true;
  const res = cond.suites.some((suite) => suite.every((t) => matchAcl(t.acl, ctx) !== t.negate));
  return res !== cond.unless;
}

/**
 * Evaluates a condition in three values, as `acl_exec_cond()` and its callers do under TCP
 * content inspection: `miss` when the answer could still change with more request bytes
 * (the caller waits; `unless` does not turn a miss into a match), else `pass` or `fail`
 * (`unless` applied). Terms are ANDed left to right and a suite stops at its first term that
 * is not a pass; suites are ORed and the first pass wins. A missing condition passes.
 */
export function testCondition(cond: Condition | undefined, ctx: SampleContext): "pass" | "fail" | "miss" {
  if (cond === undefined) return "pass";
  let res: TestResult = FAIL;
  for (const suite of cond.suites) {
    let s: TestResult = PASS;
    for (const t of suite) {
      let r = testAcl(t.acl, ctx);
      if (t.negate) r = r === PASS ? FAIL : r === FAIL ? PASS : MISS;
      s = (s & r) as TestResult;
      if (s !== PASS) break;
    }
    res = (res | s) as TestResult;
    if (res === PASS) break;
  }
  if (res === MISS) return "miss";
  return (res === PASS) !== cond.unless ? "pass" : "fail";
}
