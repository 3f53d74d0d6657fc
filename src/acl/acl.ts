/**
 * ACLs (configuration.txt 7.1): `acl <name> <criterion>[,conv...] [-i] [-m <method>] [-u <id>]
 * [-n] [--] <value> ...`, parsed as `parse_acl_expr()` and `parse_acl()` (src/acl.c) do, with
 * their error texts, and the predefined ACLs of 7.4.
 *
 * An ACL is the OR of its lines (`acl x ...` twice adds to `x`); a line matches when any value
 * its fetch returns matches any of its patterns.
 *
 * @module
 */
import { ACL_KEYWORDS, FETCHES, type MatchMethod } from "./fetches.ts";
import { ArgError, parseArgs } from "./_args.ts";
import {
  evaluateAll,
  ExprError,
  outputType,
  parseConverters,
  parseSampleExpr,
  readName,
  type SampleExpr,
  trailingError,
} from "./expr.ts";
import { compilePatterns, dottedVersion, isIntMethod, MATCH_INPUT, PatternError, type Patterns } from "./pattern.ts";
import { RegexError } from "./_regex.ts";
import { canCast, type SampleContext } from "./sample.ts";

/** A refused ACL or condition: the message is HAProxy's text, without its `file:line` context. */
export class AclError extends Error {}

/** One ACL line: an expression and its patterns. */
export interface AclExpr {
  /** The keyword as HAProxy names it in messages (`path_beg`, `req.hdr`). */
  readonly keyword: string;
  /** The sample expression. */
  readonly sample: SampleExpr;
  /** The patterns, with their match method. */
  readonly patterns: Patterns;
}

/** A named (or anonymous) ACL: the OR of its expressions, which later `acl` lines extend. */
export interface Acl {
  /** Its name; `""` for an anonymous ACL (`{ ... }` in a condition). */
  readonly name: string;
  /** Its lines, in order. */
  readonly exprs: AclExpr[];
}

/** The match methods `-m` accepts (configuration.txt 7.1; `bin` is not supported). */
const MATCH_NAMES: readonly MatchMethod[] = [
  "found",
  "bin",
  "bool",
  "int",
  "ip",
  "len",
  "str",
  "beg",
  "end",
  "sub",
  "dir",
  "dom",
  "reg",
];

const NO_PATTERN_WARNING = "no pattern to match against were provided, so this ACL will never match. " +
  "If this is what you intended, please add '--' to get rid of this warning. " +
  "If you intended to match only for existence, please use '-m found'. " +
  "If you wanted to force an int to match as a bool, please use '-m bool'.";

const OPERATORS: Readonly<Record<string, "eq" | "ge" | "gt" | "le" | "lt">> = {
  eq: "eq",
  ge: "ge",
  gt: "gt",
  le: "le",
  lt: "lt",
};

/** The words of a line up to the first empty one: HAProxy's argument lists end at an empty word. */
export function argWords(words: readonly string[]): readonly string[] {
  const i = words.indexOf("");
  return i < 0 ? words : words.slice(0, i);
}

function exprMessage(e: ExprError, word: string, aclKeyword: string | undefined): string {
  if (aclKeyword !== undefined) {
    if (e.kind === "fetch-args") return `ACL keyword '${aclKeyword}' : ${e.detail}`;
    if (e.kind === "unknown-conv") return `ACL keyword '${aclKeyword}' : unknown converter '${e.keyword}'.`;
    if (e.kind === "syntax") return `ACL keyword '${aclKeyword}' : ${e.detail}.`;
    return `ACL keyword '${aclKeyword}' : invalid arg ${e.arg} in converter '${e.keyword}' : ${e.detail}.`;
  }
  const tail = ` in ACL expression '${word}'`;
  switch (e.kind) {
    case "missing-fetch":
      return `missing fetch method${tail}`;
    case "unknown-fetch":
      return `unknown fetch method '${e.keyword}'${tail}`;
    case "fetch-args":
      return `fetch method '${e.keyword}' : ${e.detail}${tail}`;
    case "unknown-conv":
      return `unknown converter '${e.keyword}'${tail}`;
    case "conv-args":
      return `invalid arg ${e.arg} in converter '${e.keyword}' : ${e.detail}${tail}`;
    case "syntax":
      return `${e.detail}${tail}`;
  }
}

/** The criterion: an ACL keyword (with its implied method unless converters follow) or a fetch. */
function parseCriterion(word: string): { sample: SampleExpr; keyword: string; method: MatchMethod | undefined } {
  const name = readName(word, 0);
  const kw = ACL_KEYWORDS[name];
  try {
    if (kw === undefined) {
      const { expr, end } = parseSampleExpr(word);
      if (end < word.length) throw trailingError(expr.converters);
      return { sample: expr, keyword: expr.name, method: undefined };
    }
    const fetch = FETCHES[kw.fetch]!;
    let parsed;
    try {
      parsed = parseArgs(word, name.length, fetch.args);
    } catch (e) {
      if (e instanceof ArgError) throw new ExprError("fetch-args", name, e.message);
      throw e;
    }
    const { converters, end } = parseConverters(word, parsed.end);
    if (end < word.length) throw trailingError(converters);
    const sample = { name, fetch, args: parsed.args, converters, type: outputType(fetch, converters) };
    return { sample, keyword: name, method: converters.length === 0 ? kw.match : undefined };
  } catch (e) {
    if (e instanceof ExprError) throw new AclError(exprMessage(e, word, kw === undefined ? undefined : name));
    throw e;
  }
}

/** The default match method of an output type (configuration.txt 7.1 table). */
function defaultMethod(type: string): MatchMethod | undefined {
  return type === "bool" ? "bool" : type === "int" ? "int" : type === "ip" ? "ip" : type === "str" ? "str" : undefined;
}

/**
 * Parses the words after `acl <name>` (or inside `{ }`): the criterion, flags, patterns.
 * `onWarning` receives HAProxy's warning for a line without patterns.
 *
 * @throws {AclError} with HAProxy's message (`unknown fetch method 'x' in ACL expression 'x'`,
 *   `unknown matching method 'foo' when parsing ACL expression`, `'10.0.0.0/33' is not a valid
 *   IPv4 or IPv6 address`...).
 */
export function parseAclExpr(words: readonly string[], onWarning?: (message: string) => void): AclExpr {
  const args = argWords(words);
  const { sample, keyword, method: implied } = parseCriterion(args[0] ?? "");
  let method = implied ?? defaultMethod(sample.type);
  if (method !== undefined && sample.type !== "bool" && args.length === 1) {
    onWarning?.(`parsing acl keyword '${args[0]}' : ${NO_PATTERN_WARNING}`);
  }
  let icase = false;
  let i = 1;
  for (; i < args.length && args[i]!.startsWith("-"); i++) {
    const flag = args[i]!;
    if (flag === "-i") icase = true;
    else if (flag === "-n") continue;
    else if (flag === "--") {
      i++;
      break;
    } else if (flag === "-u") {
      if (!/^[0-9]+$/.test(args[++i] ?? "")) throw new AclError("the argument of -u must be an integer");
    } else if (flag === "-m") {
      const m = args[++i] ?? "";
      if (!(MATCH_NAMES as readonly string[]).includes(m)) {
        throw new AclError(`unknown matching method '${m}' when parsing ACL expression`);
      }
      const next = m as MatchMethod;
      if (next !== "found" && !canCast(sample.type, MATCH_INPUT[next])) {
        throw new AclError(`matching method '${m}' cannot be used with fetch keyword '${keyword}'`);
      }
      method = next;
    } else if (flag === "-f" || flag === "-M") {
      throw new AclError(`'${flag}' is not supported by proxykit: list the patterns on the line`);
    } else {
      throw new AclError(
        `'${flag}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`,
      );
    }
  }
  if (method === undefined) {
    throw new AclError(
      `matching method must be specified first (using '-m') when using a sample fetch of this type ('${keyword}')`,
    );
  }
  const values: { value: string; icase: boolean }[] = [];
  let op: "eq" | "ge" | "gt" | "le" | "lt" = "eq";
  for (; i < args.length; i++) {
    let value = args[i]!;
    if (method === "ver" && OPERATORS[value] === undefined) {
      try {
        value = dottedVersion(value);
      } catch (e) {
        if (e instanceof PatternError) throw new AclError(e.message);
        throw e;
      }
    }
    if (isIntMethod(method)) {
      const o = OPERATORS[value];
      if (o !== undefined) {
        op = o;
        continue;
      }
      if (op !== "eq" && !/[:-]/.test(value)) {
        if (!/^[+-]?[0-9]+$/.test(value)) throw new AclError(`'${value}' is neither a number nor a supported operator`);
        const n = Number(value);
        value = op === "gt" ? `${n + 1}:` : op === "ge" ? `${n}:` : op === "lt" ? `:${n - 1}` : `:${n}`;
      }
    }
    values.push({ value, icase });
  }
  try {
    return { keyword, sample, patterns: compilePatterns(method, values) };
  } catch (e) {
    if (e instanceof PatternError || e instanceof RegexError) throw new AclError(e.message);
    throw e;
  }
}

/** Evaluates one ACL line: any value of its sample matches any pattern. */
export function matchAclExpr(expr: AclExpr, ctx: SampleContext): boolean {
  for (const s of evaluateAll(expr.sample, ctx)) if (expr.patterns.match(s)) return true;
  return false;
}

/** Evaluates an ACL: any of its lines matches. */
export function matchAcl(acl: Acl, ctx: SampleContext): boolean {
  return acl.exprs.some((e) => matchAclExpr(e, ctx));
}

/**
 * A three-valued ACL result (HAProxy's `enum acl_test_res`): `FAIL` 0, `MISS` 1 (no match
 * yet, but more request bytes could give one), `PASS` 3; OR is `|`, AND is `&`.
 */
export type TestResult = 0 | 1 | 3;
/** No match. */
export const FAIL: TestResult = 0;
/** No match yet; more bytes could change it. */
export const MISS: TestResult = 1;
/** A match. */
export const PASS: TestResult = 3;

/**
 * Evaluates an ACL as `acl_exec_cond()` does for one term: its lines are ORed; a line whose
 * values do not match answers {@link MISS} when its fetch says more bytes could change that.
 */
export function testAcl(acl: Acl, ctx: SampleContext): TestResult {
  let res: TestResult = FAIL;
  for (const e of acl.exprs) {
    if (matchAclExpr(e, ctx)) return PASS;
    if (e.sample.fetch.mayChange?.(ctx, e.sample.args) === true) res = MISS;
  }
  return res;
}

/** Predefined ACLs (configuration.txt 7.4, `default_acl_list[]`) proxykit can evaluate. */
export const PREDEFINED_ACLS: Readonly<Record<string, readonly string[]>> = {
  TRUE: ["always_true"],
  FALSE: ["always_false"],
  LOCALHOST: ["src", "127.0.0.1/8", "::1"],
  HTTP: ["req.proto_http"],
  "HTTP_1.0": ["req.ver", "1.0"],
  "HTTP_1.1": ["req.ver", "1.1"],
  "HTTP_2.0": ["req.ver", "2.0"],
  "HTTP_3.0": ["req.ver", "3.0"],
  METH_CONNECT: ["method", "CONNECT"],
  METH_DELETE: ["method", "DELETE"],
  METH_GET: ["method", "GET", "HEAD"],
  METH_HEAD: ["method", "HEAD"],
  METH_OPTIONS: ["method", "OPTIONS"],
  METH_POST: ["method", "POST"],
  METH_PUT: ["method", "PUT"],
  METH_TRACE: ["method", "TRACE"],
  HTTP_URL_ABS: ["url_reg", "^[^/:]*://"],
  HTTP_URL_SLASH: ["url_beg", "/"],
  HTTP_URL_STAR: ["url", "*"],
  HTTP_CONTENT: ["req.hdr_val(content-length)", "gt", "0"],
  REQ_CONTENT: ["req.len", "gt", "0"],
};

/** HAProxy's `invalid_char()` for names: letters, digits, `-`, `_`, `.`, `:`. */
const ACL_NAME_CHAR = /^[A-Za-z0-9_.:-]$/;

/**
 * The ACLs of one proxy section: named ones as their lines come, and the predefined ones,
 * instantiated when first referenced (so that, as in HAProxy, a later `acl` line of the same
 * name extends them).
 */
export class AclSet {
  readonly #acls = new Map<string, Acl>();

  /**
   * Adds an `acl <name> ...` line (ORed with earlier lines of that name).
   *
   * @throws {AclError} `character '!' is not permitted in acl name 'a!'.`, or the expression's
   *   error prefixed as HAProxy's `error detected while parsing ACL 'a' : ...`.
   */
  add(name: string, words: readonly string[], onWarning?: (message: string) => void): Acl {
    const bad = [...name].find((c) => !ACL_NAME_CHAR.test(c));
    if (bad !== undefined) throw new AclError(`character '${bad}' is not permitted in acl name '${name}'.`);
    if (name === "") throw new AclError("'acl' expects an ACL name.");
    if (name.toLowerCase() === "or") {
      throw new AclError(
        `acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition.`,
      );
    }
    let expr: AclExpr;
    try {
      expr = parseAclExpr(words, onWarning);
    } catch (e) {
      if (e instanceof AclError) throw new AclError(`error detected while parsing ACL '${name}' : ${e.message}.`);
      throw e;
    }
    const acl = this.#acls.get(name) ?? { name, exprs: [] };
    acl.exprs.push(expr);
    this.#acls.set(name, acl);
    return acl;
  }

  /** The ACL named `name`: a declared one, else a predefined one; `undefined` if neither. */
  get(name: string): Acl | undefined {
    const known = this.#acls.get(name);
    if (known !== undefined) return known;
    const words = PREDEFINED_ACLS[name];
    if (words === undefined) return undefined;
    const acl: Acl = { name, exprs: [parseAclExpr(words)] };
    this.#acls.set(name, acl);
    return acl;
  }

  /** Names declared with `acl` or referenced predefined ones, in order. */
  get names(): string[] {
    return [...this.#acls.keys()];
  }
}
