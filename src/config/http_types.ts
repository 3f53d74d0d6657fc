/**
 * The typed configuration of HTTP mode (`mode http`): ACLs, `use_backend`, `http-request` and
 * `http-response` rules, forwarding headers and error files, as `haproxy.cfg` writes them
 * (configuration.txt 4.2, 7). Conditions and ACL expressions keep HAProxy's syntax, as words
 * (a string is split into words as a `haproxy.cfg` line is), so that a program and a
 * `haproxy.cfg` file go through the same parser and get the same errors. Values marked
 * log-format may hold `%[fetch]` expressions (configuration.txt 8.2.4).
 *
 * @module
 */
import type { BasicAuthConfig } from "../http/basic_auth.ts";

/**
 * Words in HAProxy's syntax: an array of words, or a string split into words as a
 * `haproxy.cfg` line is (blanks separate words, quotes group them, `\` escapes).
 */
export type Words = string | readonly string[];

/**
 * A condition, `if ...` or `unless ...` (configuration.txt 7.2): ACL names, `!`, `or` / `||`,
 * anonymous ACLs between spaced braces. Example: `"if is_api !{ src 10.0.0.0/8 }"`.
 */
export type ConditionConfig = Words;

/**
 * `acl <name> <criterion> [flags] [values...]` (configuration.txt 7.1). ACLs of the same name
 * are ORed. Example: `{ name: "is_api", expr: "path_beg /api /v1" }`.
 */
export interface AclConfig {
  /** Letters, digits, `-`, `_`, `.`, `:`; case-sensitive. */
  readonly name: string;
  /** The criterion, its flags and values, as written after the name. */
  readonly expr: Words;
}

/** `use_backend <backend> [if|unless <cond>]` (configuration.txt 4.2): the first match wins. */
export interface UseBackendConfig {
  /** An existing backend, of the frontend's mode. */
  readonly backend: string;
  /** The condition. @default undefined: always */
  readonly condition?: ConditionConfig;
}

/** What every rule has. */
export interface RuleBase {
  /** `if` / `unless` condition. @default undefined: always */
  readonly condition?: ConditionConfig;
}

/** `set-header` (removes every field of that name, appends one) or `add-header` (appends one). */
export interface SetHeaderRule extends RuleBase {
  /** Which. */
  readonly action: "set-header" | "add-header";
  /** The field name. */
  readonly name: string;
  /** The value, log-format. */
  readonly value: string;
}

/** `del-header <name> [-m <method>]`: removes every field whose name matches. */
export interface DelHeaderRule extends RuleBase {
  /** Which. */
  readonly action: "del-header";
  /** The field name, or the pattern `match` compares names with (case-insensitively). */
  readonly name: string;
  /** `-m`: how names are compared (`reg`: `name` is a regex). @default "str" */
  readonly match?: "str" | "beg" | "end" | "sub" | "reg";
}

/**
 * `replace-header <name> <regex> <replace>` (each whole field value matching `regex` becomes
 * `replace`) or `replace-value` (each comma-separated value).
 */
export interface ReplaceHeaderRule extends RuleBase {
  /** Which. */
  readonly action: "replace-header" | "replace-value";
  /** The field name. */
  readonly name: string;
  /** The regex (a JavaScript `RegExp`, where HAProxy uses PCRE). */
  readonly match: string;
  /** The replacement, log-format, with `\1`..`\9` for the regex's groups. */
  readonly replace: string;
}

/** `http-request set-path <fmt>`: replaces the path, the query kept. */
export interface SetPathRule extends RuleBase {
  /** Which. */
  readonly action: "set-path";
  /** The new path, log-format. */
  readonly path: string;
}

/** `http-request allow`: stops evaluating `http-request` rules; the request goes on. */
export interface AllowRule extends RuleBase {
  /** Which. */
  readonly action: "allow";
}

/** `http-request deny [deny_status <status>]`: answers with an error message (logged `PR--`). */
export interface DenyRule extends RuleBase {
  /** Which. */
  readonly action: "deny";
  /** A status with a default message (200, 400, 401, 403...). @default 403 */
  readonly status?: number;
}

/**
 * `http-request return [status <code>] [content-type <type>] [string <str> | lf-string <fmt>]
 * [hdr <name> <fmt>]...`: answers locally (logged `LR--`).
 */
export interface ReturnRule extends RuleBase {
  /** Which. */
  readonly action: "return";
  /** 200..599. @default 200 */
  readonly status?: number;
  /** `content-type`: required with a non-empty body. @default undefined */
  readonly contentType?: string;
  /** `string`: the body, as is. @default undefined (no body) */
  readonly string?: string;
  /** `lf-string`: the body, log-format. @default undefined */
  readonly lfString?: string;
  /** `hdr <name> <fmt>`: fields sent before `content-length`; an empty value drops the field. @default [] */
  readonly headers?: readonly (readonly [name: string, value: string])[];
}

/** Redirect codes HAProxy allows. */
export type RedirectCode = 301 | 302 | 303 | 307 | 308;

/**
 * `http-request redirect location|prefix|scheme <fmt> [code <code>] [drop-query]
 * [append-slash]` (configuration.txt 4.2 `redirect`): answers with a redirection (`LR--`).
 */
export interface RedirectRule extends RuleBase {
  /** Which. */
  readonly action: "redirect";
  /** `location` (the value is the location), `prefix` (prepended to the path), `scheme`. */
  readonly type: "location" | "prefix" | "scheme";
  /** The location, prefix or scheme, log-format. */
  readonly value: string;
  /** The status of the redirect. @default 302 */
  readonly code?: RedirectCode;
  /** `drop-query`: the query is not kept (prefix, scheme). @default false */
  readonly dropQuery?: boolean;
  /** `append-slash`: a `/` ends the location (prefix, scheme). @default false */
  readonly appendSlash?: boolean;
}

/**
 * `http-request use-service prometheus-exporter`: answers with a Prometheus scrape of the
 * proxy's counters (HAProxy's addons/promex; `?scope=` and `?no-maint` are honoured).
 */
export interface UseServiceRule extends RuleBase {
  /** Which. */
  readonly action: "use-service";
  /** The service: proxykit has HAProxy's `prometheus-exporter`. */
  readonly service: "prometheus-exporter";
}

/** An `http-request` rule (configuration.txt 4.2 `http-request`), in declaration order. */
export type HttpRequestRuleConfig =
  | SetHeaderRule
  | DelHeaderRule
  | ReplaceHeaderRule
  | SetPathRule
  | AllowRule
  | DenyRule
  | ReturnRule
  | RedirectRule
  | UseServiceRule;

/** An `http-response` rule: header actions on the response. */
export type HttpResponseRuleConfig = SetHeaderRule | DelHeaderRule | ReplaceHeaderRule;

/**
 * `option forwardfor [except <network>] [header <name>] [if-none]` (configuration.txt 4.2):
 * appends the client's address as a new `x-forwarded-for` field at the end of each request,
 * after the rules. Set on a frontend, a backend or both (`except` of either applies, the
 * backend's header name wins, `if-none` needs every side that sets the option to say it).
 */
export interface ForwardForConfig {
  /** A client in this network (IPv4 or IPv6, `/bits` or a dotted mask) gets no field. @default undefined */
  readonly except?: string;
  /** The field name. @default "x-forwarded-for" */
  readonly header?: string;
  /** Adds nothing when the request already has the field (client-supplied values then pass). @default false */
  readonly ifNone?: boolean;
}

/**
 * The RFC 7239 `Forwarded` field, a proxykit option modelled on HAProxy 2.8's `option
 * forwarded` (HAProxy 2.6 has none): `proto=http|https`, `host="<Host>"`, `by=<local
 * address>[:port]`, `for=<client address>[:port]` in that order (IPv6 and ports quoted). With no
 * parameter chosen, `proto` and `for`. Client-supplied `Forwarded` fields are removed unless
 * `append` (HAProxy 2.8's behaviour: ours is appended to a valid chain).
 */
export interface ForwardedConfig {
  /** `proto=`. @default false, true when no parameter is chosen */
  readonly proto?: boolean;
  /** `host=`, the first `Host` value, quoted. @default false */
  readonly host?: boolean;
  /** `by=`, the address the client connected to. @default false */
  readonly by?: boolean;
  /** `by=` with the port. @default false */
  readonly byPort?: boolean;
  /** `for=`, the client's address. @default false, true when no parameter is chosen */
  readonly for?: boolean;
  /** `for=` with the port. @default false */
  readonly forPort?: boolean;
  /**
   * Trust client-supplied `Forwarded` fields: when they are all valid RFC 7239 lists, ours is
   * appended to the last one (else added as a new field) and theirs kept.
   * @default false: theirs are removed
   */
  readonly append?: boolean;
}

/**
 * An `x-forwarded-proto: http|https` field (a proxykit option; HAProxy 2.6 users write
 * `http-request set-header X-Forwarded-Proto https if { ssl_fc }`), set after the rules.
 */
export interface ForwardedProtoConfig {
  /** The field name. @default "x-forwarded-proto" */
  readonly header?: string;
  /** Keep a client-supplied field instead of replacing it. @default false */
  readonly ifNone?: boolean;
}

/**
 * `errorfile <status> <file>` replacements: the file's content (a complete HTTP response) by
 * status, one of the statuses HAProxy has a message for (200, 400, 401, 403, 404, 405, 407,
 * 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504). Empty content: nothing is sent.
 */
export type ErrorFilesConfig = Readonly<Record<number, string | Uint8Array>>;

/**
 * The stats page (`stats enable`, `stats uri`, `stats refresh`, configuration.txt 4.2): its
 * presence enables it. A request whose URI begins with `uri` gets the HTML page (after the
 * section's `http-request` rules, so a `deny` still applies), or the CSV when `;csv` follows.
 */
export interface StatsPageConfig {
  /** `stats uri`: the prefix of the URIs the page answers. @default "/haproxy?stats" (as HAProxy) */
  readonly uri?: string;
  /** `stats refresh`: the page reloads itself this often, ms; 0 = never. @default 0 */
  readonly refreshMs?: number;
  /**
   * `stats auth USER:PASSWORD` lines and `stats realm`: the page (and its CSV) answers 401
   * with `WWW-Authenticate: Basic realm="..."` to a request without these credentials.
   * The realm defaults to HAProxy's, `HAProxy Statistics`. @default undefined (no authentication)
   */
  readonly auth?: BasicAuthConfig;
  /**
   * `stats admin { if | unless } <cond>` lines, each starting with `if` or `unless`: when one
   * holds for a request, the page shows HAProxy's admin form (a checkbox per server, an action
   * per backend) and accepts its POST; without one, a POST is refused (`;st=DENY`), as in
   * HAProxy. Usually `if TRUE` behind `stats auth`, or a source condition. @default [] (no admin)
   */
  readonly admin?: readonly ConditionConfig[];
}

/**
 * `monitor-uri` and `monitor fail` (configuration.txt 4.2): a request whose URI is exactly
 * `uri` is answered by the proxy itself, before any rule and without being logged: 200, or
 * 503 when a `fail` condition holds. For orchestrators' liveness and readiness probes.
 */
export interface MonitorConfig {
  /** `monitor-uri`: the exact request URI (path and query) intercepted. */
  readonly uri: string;
  /** `monitor fail if|unless COND` lines, each starting with `if` or `unless`. @default [] */
  readonly fail?: readonly ConditionConfig[];
}

/**
 * HTTP-mode settings of a frontend or backend. In `mode tcp`, rules and forwarding options
 * are refused (HAProxy ignores them with a warning); ACLs and error files are accepted.
 */
export interface HttpProxyConfig {
  /** `acl` lines, in order. @default [] */
  readonly acls?: readonly AclConfig[];
  /** `http-request` rules, in order. @default [] */
  readonly httpRequest?: readonly HttpRequestRuleConfig[];
  /** `http-response` rules, in order. @default [] */
  readonly httpResponse?: readonly HttpResponseRuleConfig[];
  /** `option forwardfor`. @default undefined (off) */
  readonly forwardFor?: ForwardForConfig;
  /** RFC 7239 `Forwarded`. @default undefined (off) */
  readonly forwarded?: ForwardedConfig;
  /** `X-Forwarded-Proto`. @default undefined (off) */
  readonly forwardedProto?: ForwardedProtoConfig;
  /** `errorfile` replacements. @default {} */
  readonly errorFiles?: ErrorFilesConfig;
  /** `stats enable` and its `stats` options (`mode http`). @default undefined (no stats page) */
  readonly stats?: StatsPageConfig;
  /** `monitor-uri` and `monitor fail` (`mode http` frontends). @default undefined (none) */
  readonly monitor?: MonitorConfig;
}
