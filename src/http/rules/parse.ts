/**
 * `http-request` and `http-response` lines of `haproxy.cfg` into typed rules, as HAProxy 2.6's
 * action parsers read them (`parse_http_req_cond()`, src/http_rules.c; the actions of
 * src/http_act.c and `http_parse_http_reply()`), with their error texts. Checks that need the
 * value itself (regexes, log-format strings, statuses) are {@link compileRule}'s.
 *
 * @module
 */
import type {
  HttpRequestRuleConfig,
  HttpResponseRuleConfig,
  RedirectCode,
  RedirectRule,
  ReturnRule,
} from "../../config/http_types.ts";
import { argWords } from "../../acl/acl.ts";

/** Which rule list: `http-request` or `http-response`. */
export type RuleKeyword = "http-request" | "http-response";

/** Actions proxykit supports, by list (HAProxy has many more: they are refused by name). */
export const RULE_ACTIONS: Readonly<Record<RuleKeyword, readonly string[]>> = {
  "http-request": [
    "add-header",
    "allow",
    "del-header",
    "deny",
    "redirect",
    "replace-header",
    "replace-value",
    "return",
    "set-header",
    "set-path",
    "use-service",
  ],
  "http-response": ["add-header", "del-header", "replace-header", "replace-value", "set-header"],
};

/** Actions HAProxy 2.6 has that proxykit does not (refused as unsupported rather than unknown). */
const OTHER_ACTIONS = new Set(
  ("auth cache-use cache-store capture del-acl del-map disable-l7-retry do-resolve early-hint normalize-uri " +
    "reject replace-path replace-pathq replace-uri sc-inc-gpc sc-inc-gpc0 sc-inc-gpc1 sc-set-gpt sc-set-gpt0 " +
    "send-spoe-group set-dst set-dst-port set-log-level set-map set-mark set-method set-nice set-pathq " +
    "set-priority-class set-priority-offset set-query set-src set-src-port set-status set-timeout set-tos " +
    "set-uri set-var set-var-fmt silent-drop strict-mode tarpit track-sc track-sc0 track-sc1 track-sc2 " +
    "unset-var wait-for-body wait-for-handshake add-acl allow deny redirect return").split(" "),
);

/** A refused rule line: `message` is HAProxy's complete text (without `file:line:`). */
export class RuleSyntaxError extends Error {}

/** Where a rule is, for messages: `frontend 'fe'`. */
export interface RuleSite {
  /** `frontend`, `backend` or `listen`. */
  readonly kind: string;
  /** The section's name. */
  readonly name: string;
}

/** HAProxy's message for a problem in an action's arguments (form of `parse_http_req_cond()`). */
export function actionMessage(site: RuleSite, kw: RuleKeyword, action: string, detail: string): string {
  return `error detected in ${site.kind} '${site.name}' while parsing '${kw} ${action}' rule : ${detail}.`;
}

/** HAProxy's message for a problem in a rule's condition. */
export function conditionMessage(kw: RuleKeyword, action: string, detail: string): string {
  return `error detected while parsing an '${kw} ${action}' condition : ${detail}.`;
}

const isCondWord = (w: string | undefined) => w === undefined || w === "if" || w === "unless";

/**
 * Reads `http-request <action> ...` / `http-response <action> ...` (the words after the
 * keyword) into a typed rule, its condition words kept as written.
 *
 * @throws {RuleSyntaxError} with HAProxy's text: `'http-request' expects ..., but got 'foo'.`,
 *   `error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects
 *   exactly 2 arguments.`, `'http-request deny' expects either 'if' or 'unless' followed by a
 *   condition but found 'foo'.`...
 */
export function parseRuleWords(
  kw: RuleKeyword,
  words: readonly string[],
  site: RuleSite,
): HttpRequestRuleConfig | HttpResponseRuleConfig {
  const args = argWords(words);
  const action = args[0] ?? "";
  if (!RULE_ACTIONS[kw].includes(action)) {
    if (OTHER_ACTIONS.has(action)) throw new RuleSyntaxError(`'${kw} ${action}' is not supported by proxykit.`);
    const list = RULE_ACTIONS[kw].map((a) => `'${a}'`).join(", ");
    const got = action === "" ? "'' (missing argument)" : `'${action}'`;
    throw new RuleSyntaxError(`'${kw}' expects ${list}, but got ${got}.`);
  }
  const fail = (detail: string): never => {
    throw new RuleSyntaxError(actionMessage(site, kw, action, detail));
  };
  let i = 1;
  const take = (n: number): string[] => {
    i += n;
    return args.slice(i - n, i);
  };
  let rule: HttpRequestRuleConfig;
  switch (action) {
    case "set-header":
    case "add-header": {
      if (args.length < 3) fail("expects exactly 2 arguments");
      const [name, value] = take(2);
      rule = { action, name: name!, value: value! };
      break;
    }
    case "del-header": {
      if (args.length < 2) fail("expects at least 1 argument");
      const [name] = take(1);
      let match: "str" | "beg" | "end" | "sub" | "reg" | undefined;
      if (args[i] === "-m") {
        const m = args[i + 1];
        if (m !== "str" && m !== "beg" && m !== "end" && m !== "sub" && m !== "reg") {
          fail(`-m: expects 'str', 'beg', 'end', 'sub' or 'reg' as argument`);
        }
        match = m as typeof match;
        i += 2;
      }
      rule = match === undefined ? { action, name: name! } : { action, name: name!, match };
      break;
    }
    case "replace-header":
    case "replace-value": {
      if (args.length < 4) fail("expects exactly 3 arguments");
      const [name, match, replace] = take(3);
      rule = { action, name: name!, match: match!, replace: replace! };
      break;
    }
    case "set-path": {
      if (args.length < 2) fail("expects exactly 1 argument <format>");
      rule = { action, path: take(1)[0]! };
      break;
    }
    case "allow":
      rule = { action };
      break;
    case "use-service": {
      const name = take(1)[0];
      if (name === undefined || isCondWord(name)) fail("expects a service name");
      // HAProxy: `http-request use-service : unknown service 'x'.` (src/http_act.c, service_keywords).
      if (name !== "prometheus-exporter") {
        throw new RuleSyntaxError(
          `'${kw} use-service' : unknown service '${name}' (proxykit has 'prometheus-exporter').`,
        );
      }
      rule = { action, service: "prometheus-exporter" };
      break;
    }
    case "deny": {
      let status: number | undefined;
      while (args[i] === "deny_status" || args[i] === "status") {
        if (args[i + 1] === undefined) fail("'status' expects <status_code> as argument");
        status = /^[0-9]+$/.test(args[i + 1]!) ? Number(args[i + 1]) : 0;
        i += 2;
      }
      if (
        ["content-type", "string", "lf-string", "hdr", "file", "lf-file", "errorfile", "errorfiles"].includes(args[i]!)
      ) {
        fail(`'${args[i]}' in a deny reply is not supported by proxykit: use 'http-request return'`);
      }
      rule = status === undefined ? { action } : { action, status };
      break;
    }
    case "return": {
      const r: { -readonly [K in keyof ReturnRule]?: ReturnRule[K] } = { action: "return" };
      const headers: [string, string][] = [];
      for (; !isCondWord(args[i]); i += 2) {
        const k = args[i]!;
        const v = args[i + 1];
        if (k === "status") {
          if (v === undefined) fail("'status' expects <status_code> as argument");
          r.status = /^[0-9]+$/.test(v!) ? Number(v) : 0;
        } else if (k === "content-type") {
          if (v === undefined) fail("'content-type' expects <ctype> as argument");
          r.contentType = v!;
        } else if (k === "string" || k === "lf-string") {
          if (v === undefined) fail(`'${k}' expects <${k === "string" ? "str" : "fmt"}> as argument`);
          if (r.string !== undefined || r.lfString !== undefined) {
            fail(`unexpected '${k}' argument, '${r.string !== undefined ? "string" : "lf-string"}' already defined`);
          }
          if (k === "string") r.string = v!;
          else r.lfString = v!;
        } else if (k === "hdr") {
          if (v === undefined || args[i + 2] === undefined) fail("'hdr' expects <name> and <value> as arguments");
          headers.push([v!, args[i + 2]!]);
          i++;
        } else if (["file", "lf-file", "errorfile", "errorfiles"].includes(k)) {
          fail(`'${k}' is not supported by proxykit: use 'string' or 'lf-string'`);
        } else break;
      }
      if (headers.length > 0) r.headers = headers;
      rule = r as ReturnRule;
      break;
    }
    default: {
      const r: { -readonly [K in keyof RedirectRule]?: RedirectRule[K] } = { action: "redirect" };
      for (; !isCondWord(args[i]); i++) {
        const k = args[i]!;
        if (k === "location" || k === "prefix" || k === "scheme" || k === "code") {
          const v = args[++i];
          if (v === undefined) fail(`missing argument for '${k}'`);
          if (k === "code") {
            if (!["301", "302", "303", "307", "308"].includes(v!)) {
              fail(`'code': unsupported HTTP code '${v}' (must be one of 301, 302, 303, 307 or 308)`);
            }
            r.code = Number(v) as RedirectCode;
          } else {
            r.type = k;
            r.value = v!;
          }
        } else if (k === "drop-query") r.dropQuery = true;
        else if (k === "append-slash") r.appendSlash = true;
        else if (k === "set-cookie" || k === "clear-cookie" || k === "ignore-empty") {
          fail(`'${k}' is not supported by proxykit`);
        } else {
          fail(
            "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', " +
              `'ignore-empty' or 'append-slash' (was '${k}')`,
          );
        }
      }
      if (r.type === undefined) fail("redirection type expected ('prefix', 'location', or 'scheme')");
      rule = r as RedirectRule;
    }
  }
  const next = args[i];
  if (!isCondWord(next)) {
    throw new RuleSyntaxError(
      `'${kw} ${action}' expects either 'if' or 'unless' followed by a condition but found '${next}'.`,
    );
  }
  return next === undefined ? rule : { ...rule, condition: args.slice(i) };
}
