/**
 * Log-format strings in rule values (configuration.txt 8.2.4): text with `%[expr]` sample
 * expressions, a few `%var` variables and `%%`, parsed once as `parse_logformat_string()`
 * (src/log.c) does, with its error texts, and rendered per request.
 *
 * A sample that finds nothing renders as an empty string, as HAProxy does in header values.
 * Variables: `%ci` `%cp` (client address and port), `%fi` `%fp` (frontend address and port),
 * `%f` (frontend), `%b` (backend, the frontend until one is chosen), `%HM` `%HU` `%HP` `%HQ`
 * `%HV` (method, URI, URI without its query, `?query`, version), `%r` (request line), `%sslv` `%sslc`
 * (the client connection's TLS version and cipher), `%Ts` (the request's start, Unix seconds),
 * `%rt` (the request's number in the process), `%pid`, `%ID` (the unique id, `-` without
 * `unique-id-format`). `%{+Q}` quotes a variable; on a sample it changes nothing, as observed
 * on HAProxy 2.6. `%{+X}` writes addresses, ports, `%Ts`, `%rt` and `%pid` in uppercase hex
 * (`7F000001`, ports and numbers on 4 digits at least, as HAProxy's `lf_ip()`, `%04X`). `%o`
 * takes the options for every variable after it (`%{+X}o`). Other `%{...}` options are refused.
 *
 * @module
 */
import { queryOf } from "./_http.ts";
import { evaluate, ExprError, parseSampleExpr, type SampleExpr, trailingError } from "./expr.ts";
import { type SampleContext, toStr } from "./sample.ts";
import { endpointIp, formatIp, parseIp } from "./_ip.ts";
import { processId } from "../http/unique_id.ts";

/** A refused log-format string: the message is HAProxy's text. */
export class LogFormatError extends Error {}

/** A piece of a log-format string: text, a sample expression or a variable. */
export type LogFormatPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "expr"; readonly expr: SampleExpr }
  | { readonly kind: "var"; readonly name: string; readonly quote: boolean; readonly hex?: boolean };

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

/**
 * The variables proxykit renders, by name; undefined is a value that is absent (`%ID` without
 * a format), written `-` (`""` quoted) as HAProxy's `lf_text_len()` writes it.
 */
const VARIABLES: Readonly<Record<string, (ctx: SampleContext) => string | undefined>> = {
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
  Ts: (ctx) => (ctx.stream === undefined ? "" : String(Math.floor(ctx.stream.acceptedAt / 1000))),
  rt: (ctx) => (ctx.stream === undefined ? "" : String(ctx.stream.counter)),
  pid: () => String(processId()),
  ID: (ctx) => ctx.stream?.uniqueId(),
};

/** Variables `+X` writes in hex: addresses, then numbers (configuration.txt 8.2.4 "Flags"). */
const HEX_IP = new Set(["ci", "fi", "bi", "si"]);
const HEX_INT = new Set(["cp", "fp", "bp", "sp", "Ts", "rt", "pid"]);

/** `v` as `+X` writes it: an IP as 8 or 32 uppercase hex digits, a number as `%04X`. */
function hex(name: string, v: string): string {
  if (HEX_IP.has(name)) {
    const b = parseIp(v);
    return b === undefined ? v : Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, "0")).join("");
  }
  if (HEX_INT.has(name) && /^[0-9]+$/.test(v)) return Number(v).toString(16).toUpperCase().padStart(4, "0");
  return v;
}

/** Applies `%{...}` options (`+Q`, `-Q`, `+X`, `-X`, comma-separated or not) to `o`. */
function applyOptions(text: string, o: { quote: boolean; hex: boolean }): void {
  for (const opt of text.split(/,|(?=[+-])/)) {
    if (opt === "+Q" || opt === "-Q") o.quote = opt === "+Q";
    else if (opt === "+X" || opt === "-X") o.hex = opt === "+X";
    else if (opt !== "") {
      throw new LogFormatError(`log-format option '${opt}' is not supported by proxykit (only +Q and +X)`);
    }
  }
}

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
  // `%o`'s options, which every later variable starts from (HAProxy's `defoptions`).
  const defaults = { quote: false, hex: false };
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
    const o = { ...defaults };
    let j = i + 1;
    if (source[j] === "{") {
      const close = source.indexOf("}", j);
      if (close < 0) throw new LogFormatError(`truncated line after '${source.slice(j + 1)}'`);
      applyOptions(source.slice(j + 1, close), o);
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
    if (name === "o") {
      Object.assign(defaults, o);
      i = j;
      // HAProxy's output starts as if after a space (`last_isspace`), so the separator of
      // `%{+X}o\ %ci...` leading the string writes nothing.
      if (parts.length === 0) { while (source[i + 1] === " ") i++; }
      continue;
    }
    if (VARIABLES[name] === undefined && extra?.has(name) !== true) {
      throw new LogFormatError(
        `no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`,
      );
    }
    parts.push(o.hex ? { kind: "var", name, quote: o.quote, hex: true } : { kind: "var", name, quote: o.quote });
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
      if (v === undefined) out += p.quote ? `""` : "-";
      else {
        const w = p.hex === true ? hex(p.name, v) : v;
        out += p.quote ? `"${w}"` : w;
      }
    }
  }
  return out;
}
