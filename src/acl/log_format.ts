/**
 * Log-format strings in rule values (configuration.txt 8.2.4): text with `%[expr]` sample
 * expressions, a few `%var` variables and `%%`, parsed once as `parse_logformat_string()`
 * (src/log.c) does, with its error texts, and rendered per request.
 *
 * A sample that finds nothing renders as an empty string, as HAProxy does in header values.
 * Variables: `%ci` `%cp` (client address and port), `%fi` `%fp` (frontend address and port),
 * `%f` (frontend), `%b` (backend, the frontend until one is chosen), `%HM` `%HU` `%HP` `%HQ`
 * `%HV` (method, URI, URI without its query, `?query`, version), `%r` (request line), `%sslv` `%sslc`
 * (the client connection's TLS version and cipher). `%{+Q}` quotes a
 * variable; on a sample it changes nothing, as observed on HAProxy 2.6. Other `%{...}` options
 * are refused.
 *
 * @module
 */
import { queryOf } from "./_http.ts";
import { evaluate, ExprError, parseSampleExpr, type SampleExpr, trailingError } from "./expr.ts";
import { type SampleContext, toStr } from "./sample.ts";
import { endpointIp, formatIp } from "./_ip.ts";

/** A refused log-format string: the message is HAProxy's text. */
export class LogFormatError extends Error {}

/** A piece of a log-format string: text, a sample expression or a variable. */
export type LogFormatPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "expr"; readonly expr: SampleExpr }
  | { readonly kind: "var"; readonly name: string; readonly quote: boolean };

/** A parsed log-format string. */
export interface LogFormat {
  /** The string as written. */
  readonly source: string;
  /** Its pieces. */
  readonly parts: readonly LogFormatPart[];
}

const ip = (address: string | undefined): string => {
  if (address === undefined) return "";
  const b = endpointIp(address);
  return b === undefined ? address : formatIp(b);
};

/** The variables proxykit renders, by name. */
const VARIABLES: Readonly<Record<string, (ctx: SampleContext) => string>> = {
  ci: (ctx) => ip(ctx.src?.address),
  cp: (ctx) => (ctx.src === undefined ? "" : String(ctx.src.port)),
  fi: (ctx) => ip(ctx.dst?.address),
  fp: (ctx) => (ctx.dst === undefined ? "" : String(ctx.dst.port)),
  f: (ctx) => ctx.frontend ?? "",
  b: (ctx) => ctx.backend ?? ctx.frontend ?? "",
  HM: (ctx) => ctx.request.method,
  HU: (ctx) => ctx.request.target,
  HP: (ctx) => ctx.request.target.split("?")[0]!,
  HQ: (ctx) => {
    const q = queryOf(ctx.request.target);
    return q === undefined ? "" : `?${q}`;
  },
  HV: (ctx) => ctx.request.version,
  r: (ctx) => `${ctx.request.method} ${ctx.request.target} ${ctx.request.version}`,
  sslv: (ctx) => ctx.tls?.protocol ?? "-",
  sslc: (ctx) => ctx.tls?.cipher ?? "-",
};

function exprError(e: ExprError, rest: string): LogFormatError {
  const what = e.kind === "missing-fetch"
    ? "missing fetch method"
    : e.kind === "unknown-fetch"
    ? `unknown fetch method '${e.keyword}'`
    : e.kind === "fetch-args"
    ? `fetch method '${e.keyword}' : ${e.detail}`
    : e.kind === "unknown-conv"
    ? `unknown converter '${e.keyword}'`
    : e.kind === "conv-args"
    ? `invalid arg ${e.arg} in converter '${e.keyword}' : ${e.detail}`
    : e.detail;
  return new LogFormatError(`failed to parse sample expression <${rest}> : ${what}`);
}

/**
 * Parses a log-format string.
 *
 * @throws {LogFormatError} `truncated line after '%'`, `missing ']' after 'path'`, `expected
 *   ']' after 'path', but found ' '`, `failed to parse sample expression <nosuch]> : unknown
 *   fetch method 'nosuch'`, `no such format variable 'Z'. If you wanted to emit the '%'
 *   character verbatim, you need to use '%%'`...
 */
export function parseLogFormat(source: string, extra?: ReadonlySet<string>): LogFormat {
  const parts: LogFormatPart[] = [];
  let text = "";
  const flush = () => {
    if (text !== "") parts.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c !== "%") {
      text += c;
      continue;
    }
    if (i + 1 >= source.length) throw new LogFormatError("truncated line after '%'");
    if (source[i + 1] === "%") {
      text += "%";
      i++;
      continue;
    }
    let quote = false;
    let j = i + 1;
    if (source[j] === "{") {
      const close = source.indexOf("}", j);
      if (close < 0) throw new LogFormatError(`truncated line after '${source.slice(j + 1)}'`);
      for (const opt of source.slice(j + 1, close).split(/(?=[+-])/)) {
        if (opt === "+Q" || opt === "-Q") quote = opt === "+Q";
        else if (opt !== "") {
          throw new LogFormatError(`log-format option '${opt}' is not supported by proxykit (only +Q)`);
        }
      }
      j = close + 1;
      if (j >= source.length || !/[[A-Za-z]/.test(source[j]!)) {
        throw new LogFormatError(`parse argument modifier without variable name near '${source.slice(i, j)}'`);
      }
    }
    flush();
    if (source[j] === "[") {
      let parsed;
      try {
        parsed = parseSampleExpr(source, j + 1);
      } catch (e) {
        if (e instanceof ExprError) throw exprError(e, source.slice(j + 1));
        throw e;
      }
      const inner = source.slice(j + 1, parsed.end);
      if (parsed.end >= source.length) throw new LogFormatError(`missing ']' after '${inner}'`);
      if (source[parsed.end] !== "]") {
        if (source[parsed.end] === "," || source[parsed.end] === "(") {
          throw exprError(trailingError(parsed.expr.converters), source.slice(j + 1));
        }
        throw new LogFormatError(`expected ']' after '${inner}', but found '${source[parsed.end]}'`);
      }
      parts.push({ kind: "expr", expr: parsed.expr });
      i = parsed.end;
      continue;
    }
    const name = /^[A-Za-z0-9]*/.exec(source.slice(j))![0];
    if (VARIABLES[name] === undefined && extra?.has(name) !== true) {
      throw new LogFormatError(
        `no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`,
      );
    }
    parts.push({ kind: "var", name, quote });
    i = j + name.length - 1;
  }
  flush();
  return { source, parts };
}

/** Whether the string has no `%` item: its text is its value. */
export function isConstant(fmt: LogFormat): boolean {
  return fmt.parts.every((p) => p.kind === "text");
}

/**
 * Renders the string for this request. `extra` renders the variables `parseLogFormat()` was
 * allowed beyond the request's (a log line's timers, status, counts), before the request's.
 */
export function renderLogFormat(
  fmt: LogFormat,
  ctx: SampleContext,
  extra?: (name: string) => string | undefined,
): string {
  let out = "";
  for (const p of fmt.parts) {
    if (p.kind === "text") out += p.text;
    else if (p.kind === "expr") {
      const v = evaluate(p.expr, ctx);
      if (v !== undefined) out += toStr(v);
    } else {
      const v = extra?.(p.name) ?? VARIABLES[p.name]!(ctx);
      out += p.quote ? `"${v}"` : v;
    }
  }
  return out;
}
