/**
 * The HTTP-mode keywords of the `haproxy.cfg` subset: `acl`, `use_backend`, `http-request`,
 * `http-response`, `option forwardfor`, `option forwarded` (HAProxy 2.8's syntax, without the
 * `-expr` forms) and `errorfile`. Each line is checked as HAProxy checks it, with HAProxy's
 * message after `file:line:` (conditions and rules are compiled against the ACLs declared
 * above them, so an ACL used before its `acl` line is `no such ACL`, as in HAProxy).
 *
 * @module
 */
import { AclError, AclSet } from "../acl/acl.ts";
import { parseCondition } from "../acl/condition.ts";
import { ErrorFileError, hasErrorMessage, parseErrorFile } from "../http/error_pages.ts";
import { compileForwardFor, ForwardingError } from "../http/forwarding.ts";
import { compileRule, RuleError } from "../http/rules/compile.ts";
import {
  actionMessage,
  conditionMessage,
  parseRuleWords,
  type RuleKeyword,
  RuleSyntaxError,
} from "../http/rules/parse.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import type { TcpContentRule } from "./tls_types.ts";
import type {
  AclConfig,
  ForwardedConfig,
  ForwardForConfig,
  HttpRequestRuleConfig,
  HttpResponseRuleConfig,
  UseBackendConfig,
} from "./http_types.ts";
import type { TcpConnectionRule } from "./tls_types.ts";

/** What a proxy section's HTTP keywords collected (not inherited from `defaults`). */
export interface SectionHttp {
  /** The ACLs declared so far, for conditions to reference. */
  readonly aclSet: AclSet;
  /** `acl` lines. */
  readonly acls: AclConfig[];
  /** `use_backend` lines and where they are. */
  readonly useBackends: (UseBackendConfig & { readonly line: number })[];
  /** `http-request` rules. */
  readonly httpRequest: HttpRequestRuleConfig[];
  /** `http-response` rules. */
  readonly httpResponse: HttpResponseRuleConfig[];
  /** `tcp-request connection` rules. */
  readonly tcpConnection: TcpConnectionRule[];
  /** Line of the first `http-request`, `http-response`: for the tcp-mode warning. */
  readonly firstRule: { "http-request"?: number; "http-response"?: number };
  /** `tcp-request content` rules (`_cfg_tcp_request.ts`). */
  readonly tcpContent: TcpContentRule[];
}

/** A fresh {@link SectionHttp}. */
export function emptySectionHttp(): SectionHttp {
  return {
    aclSet: new AclSet(),
    acls: [],
    useBackends: [],
    httpRequest: [],
    httpResponse: [],
    tcpConnection: [],
    firstRule: {},
    tcpContent: [],
  };
}

/** What `defaults` sections pass on (HAProxy's inheritable HTTP options). */
export interface HttpSettings {
  /** `option forwardfor`. */
  forwardFor?: ForwardForConfig & { line: number };
  /** `option forwarded`. */
  forwarded?: ForwardedConfig & { line: number };
  /** `errorfile` contents by status. */
  errorFiles?: Record<number, string | Uint8Array>;
  /** `stats enable|uri|refresh` (`_cfg_stats.ts`), and the line that first set one. */
  stats?: { uri?: string; refreshMs?: number; auth?: { realm?: string; users: Record<string, string> }; line: number };
  /** `monitor-uri`. */
  monitorUri?: { uri: string; line: number };
  /** `monitor fail` conditions (never in `defaults`). */
  monitorFail?: string[][];
}

function rule(kw: RuleKeyword): Keyword {
  return {
    cap: "both",
    inDefaults: false,
    parse: (c, args) => {
      const site = { kind: c.sec.kind, name: c.sec.name };
      let r: HttpRequestRuleConfig | HttpResponseRuleConfig;
      try {
        r = parseRuleWords(kw, args, site);
        compileRule(kw, r, c.sec.http.aclSet, c.warn);
      } catch (e) {
        if (e instanceof RuleSyntaxError) c.error(e.message);
        if (e instanceof RuleError) {
          const action = args[0] ?? "";
          c.error(
            e.part === "condition" ? conditionMessage(kw, action, e.detail) : actionMessage(site, kw, action, e.detail),
          );
        }
        throw e;
      }
      c.sec.http.firstRule[kw] ??= c.line;
      if (kw === "http-request") c.sec.http.httpRequest.push(r as HttpRequestRuleConfig);
      else c.sec.http.httpResponse.push(r as HttpResponseRuleConfig);
    },
  };
}

function forwardfor(c: Ctx, args: readonly string[]): void {
  const o: { -readonly [K in keyof ForwardForConfig]: ForwardForConfig[K] } = {};
  for (let i = 0; i < args.length && args[i] !== ""; i++) {
    const k = args[i];
    if (k === "except" || k === "header") {
      const v = args[++i];
      if (v === undefined || v === "") {
        c.error(
          `'option forwardfor ${k}' expects ${k === "except" ? "<address>[/mask]" : "<header_name>"} as argument.`,
        );
      }
      if (k === "except") o.except = v!;
      else o.header = v!;
    } else if (k === "if-none") o.ifNone = true;
    else c.error("'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.");
  }
  try {
    compileForwardFor(o);
  } catch (e) {
    if (e instanceof ForwardingError) c.error(e.message);
    throw e;
  }
  c.s.http.forwardFor = { ...o, line: c.line };
}

const FORWARDED_PARAMS: Readonly<Record<string, keyof ForwardedConfig>> = {
  proto: "proto",
  host: "host",
  by: "by",
  by_port: "byPort",
  for: "for",
  for_port: "forPort",
};

function forwarded(c: Ctx, args: readonly string[]): void {
  const o: Record<string, boolean> = {};
  for (const a of args) {
    const key = FORWARDED_PARAMS[a];
    if (key !== undefined) o[key] = true;
    else if (a.endsWith("-expr")) {
      c.unsupported(`'${a}' is not supported (only proto, host, by, by_port, for, for_port)`);
    } else c.fail(`unexpected argument '${a}' (proto, host, by, by_port, for, for_port)`);
  }
  c.s.http.forwarded = { ...(o as ForwardedConfig), line: c.line };
}

function errorfile(c: Ctx, args: readonly string[]): void {
  const [code, file] = args;
  if (code === undefined || file === undefined || args.length > 2) {
    c.error("errorfile : expects <status_code> and <file> as arguments.");
  }
  const status = /^[0-9]+$/.test(code!) ? Number(code) : 0;
  if (!hasErrorMessage(status)) c.error(`errorfile : status code '${code}' not handled.`);
  if (c.readFile === undefined) {
    return c.error(`errorfile : cannot read '${file}': no file reader was given (options.readFile)`);
  }
  let content: string | Uint8Array;
  try {
    content = c.readFile(file!);
  } catch {
    return c.error(`errorfile : error opening file '${file}'.`);
  }
  try {
    parseErrorFile(content, file!);
  } catch (e) {
    if (e instanceof ErrorFileError) c.error(`errorfile : ${e.message}`);
    throw e;
  }
  c.s.http.errorFiles = { ...c.s.http.errorFiles, [status]: content };
}

/** The HTTP-mode proxy keywords, by label. */
export const HTTP_KEYWORDS: Readonly<Record<string, Keyword>> = {
  acl: {
    cap: "both",
    inDefaults: false,
    parse: (c, args) => {
      const [name = "", ...expr] = args;
      try {
        c.sec.http.aclSet.add(name, expr, c.warn);
      } catch (e) {
        if (e instanceof AclError) c.error(e.message);
        throw e;
      }
      c.sec.http.acls.push({ name, expr });
    },
  },
  use_backend: {
    cap: "fe",
    inDefaults: false,
    parse: (c, args) => {
      const [backend, cond, ...rest] = args;
      if (backend === undefined || backend === "") return c.error("'use_backend' expects a backend name.");
      if (backend.includes("%[")) c.unsupported("dynamic backend names (log-format) are not supported");
      if (cond !== undefined && cond !== "if" && cond !== "unless") {
        c.error(`unexpected keyword '${cond}' after switching rule, only 'if' and 'unless' are allowed.`);
      }
      const condition = cond === undefined ? undefined : [cond, ...rest];
      if (condition !== undefined) {
        try {
          parseCondition(condition, c.sec.http.aclSet, c.warn);
        } catch (e) {
          if (e instanceof AclError) c.error(`error detected while parsing switching rule : ${e.message}.`);
          throw e;
        }
      }
      c.sec.http.useBackends.push({ backend, ...(condition === undefined ? {} : { condition }), line: c.line });
    },
  },
  "http-request": rule("http-request"),
  "http-response": rule("http-response"),
  "option forwardfor": { cap: "both", inDefaults: true, parse: forwardfor },
  "option forwarded": { cap: "be", inDefaults: true, parse: forwarded },
  errorfile: { cap: "both", inDefaults: true, parse: errorfile },
};
