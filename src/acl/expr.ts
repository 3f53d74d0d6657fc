/**
 * Sample expressions: a fetch and its converters, `req.hdr(host,1),lower,field(1,:)`, parsed
 * once when the configuration is loaded (`sample_parse_expr()`, src/sample.c) and evaluated
 * per request.
 *
 * @module
 */
import { ArgError, type ArgValue, isIdChar, parseArgs } from "./_args.ts";
import { CONVERTERS, type ConverterSpec } from "./converters.ts";
import { FETCHES, type FetchSpec } from "./fetches.ts";
import { type Sample, type SampleContext, type SampleType, toInt, toStr } from "./sample.ts";

/** One converter of an expression, its arguments prepared. */
export interface SampleConverter {
  /** Its name. */
  readonly name: string;
  /** What it is. */
  readonly spec: ConverterSpec;
  /** Its arguments, as its `prepare` made them. */
  readonly prepared: unknown;
}

/** A parsed sample expression. */
export interface SampleExpr {
  /** The fetch's name as written (`hdr`, `req.hdr`...). */
  readonly name: string;
  /** The fetch. */
  readonly fetch: FetchSpec;
  /** Its arguments. */
  readonly args: readonly ArgValue[];
  /** Its converters, in order. */
  readonly converters: readonly SampleConverter[];
  /** The output type: the last converter's, or the fetch's. */
  readonly type: SampleType;
}

/**
 * Why an expression was refused, for the caller to phrase as HAProxy does in its context (an
 * ACL, a log-format string): `missing-fetch`, `unknown-fetch`, `fetch-args` (bad arguments of
 * fetch `name`), `unknown-conv`, `conv-args` (bad argument `arg` of converter `name`),
 * `syntax` (something else follows the expression).
 */
export class ExprError extends Error {
  /** What was wrong. */
  readonly kind: "missing-fetch" | "unknown-fetch" | "fetch-args" | "unknown-conv" | "conv-args" | "syntax";
  /** The fetch or converter concerned. */
  readonly keyword: string;
  /** 1-based position of the bad converter argument. */
  readonly arg: number;
  /** HAProxy's text for the problem itself (`failed to parse 'x' as type 'integer' at position 2`). */
  readonly detail: string;

  /** Creates the error; `message` is the context-free form. */
  constructor(kind: ExprError["kind"], keyword: string, detail: string, arg = 0) {
    super(detail === "" ? `${kind} '${keyword}'` : detail);
    this.kind = kind;
    this.keyword = keyword;
    this.detail = detail;
    this.arg = arg;
  }
}

/** Reads an identifier (`is_idchar()` chars) at `pos`. */
export function readName(text: string, pos: number): string {
  let end = pos;
  while (isIdChar(text[end])) end++;
  return text.slice(pos, end);
}

/**
 * Reads converters `,name(args)` from `pos` until a char that is not `,`, with their
 * arguments checked and prepared. Returns them and where reading stopped.
 *
 * @throws {ExprError} `unknown-conv` or `conv-args`.
 */
export function parseConverters(text: string, pos: number): { converters: SampleConverter[]; end: number } {
  const converters: SampleConverter[] = [];
  let i = pos;
  while (text[i] === ",") {
    const name = readName(text, i + 1);
    const spec = CONVERTERS[name];
    if (spec === undefined || name === "") throw new ExprError("unknown-conv", name, "");
    let parsed: { args: ArgValue[]; end: number };
    try {
      parsed = parseArgs(text, i + 1 + name.length, spec.args);
    } catch (e) {
      if (!(e instanceof ArgError)) throw e;
      throw new ExprError("conv-args", name, e.message, e.position);
    }
    let prepared: unknown = parsed.args;
    try {
      if (spec.prepare !== undefined) prepared = spec.prepare(parsed.args);
    } catch (e) {
      throw new ExprError("conv-args", name, (e as Error).message, 1);
    }
    converters.push({ name, spec, prepared });
    i = parsed.end;
  }
  return { converters, end: i };
}

/**
 * Parses the sample expression at `text[pos]`: a fetch name, its arguments, then converters.
 * Returns it and where it ends; the caller checks what follows (the end of an ACL word, `]`
 * in a log-format string: see {@link trailingError}).
 *
 * @throws {ExprError} naming what is wrong.
 */
export function parseSampleExpr(text: string, pos = 0): { expr: SampleExpr; end: number } {
  const name = readName(text, pos);
  if (name === "") throw new ExprError("missing-fetch", "", "");
  const fetch = FETCHES[name];
  if (fetch === undefined) throw new ExprError("unknown-fetch", name, "");
  let parsed: { args: ArgValue[]; end: number };
  try {
    parsed = parseArgs(text, pos + name.length, fetch.args);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    throw new ExprError("fetch-args", name, e.message);
  }
  const { converters, end } = parseConverters(text, parsed.end);
  return { expr: { name, fetch, args: parsed.args, converters, type: outputType(fetch, converters) }, end };
}

/**
 * HAProxy's complaint when an expression is followed by something other than a comma:
 * `missing comma after fetch keyword` or `missing comma after converter 'lower'`.
 */
export function trailingError(converters: readonly { readonly name: string }[]): ExprError {
  const last = converters[converters.length - 1];
  return new ExprError(
    "syntax",
    last?.name ?? "",
    last === undefined ? "missing comma after fetch keyword" : `missing comma after converter '${last.name}'`,
  );
}

/** The type an expression outputs: its last converter's, else its fetch's. */
export function outputType(fetch: FetchSpec, converters: readonly SampleConverter[]): SampleType {
  return converters.length === 0 ? fetch.type : converters[converters.length - 1]!.spec.type;
}

function convert(s: Sample, converters: readonly SampleConverter[]): Sample | undefined {
  let cur: Sample | undefined = s;
  for (const c of converters) {
    if (cur === undefined) return undefined;
    if (c.spec.input === "int") {
      const n = toInt(cur);
      if (n === undefined) return undefined;
      cur = { type: "int", value: n };
    } else if (c.spec.input === "str" && cur.type !== "str") cur = { type: "str", value: toStr(cur) };
    cur = c.spec.convert(cur, c.prepared);
  }
  return cur;
}

/** Every value of the expression, converted: what an ACL tries one by one. */
export function evaluateAll(expr: SampleExpr, ctx: SampleContext): Sample[] {
  const out: Sample[] = [];
  for (const s of expr.fetch.fetch(ctx, expr.args)) {
    const c = convert(s, expr.converters);
    if (c !== undefined) out.push(c);
  }
  return out;
}

/**
 * The one value of the expression, as `%[...]` uses it: the last occurrence for header
 * fetches, the first value otherwise; `undefined` when there is none.
 */
export function evaluate(expr: SampleExpr, ctx: SampleContext): Sample | undefined {
  const values = expr.fetch.fetch(ctx, expr.args);
  const v = expr.fetch.pick === "last" ? values[values.length - 1] : values[0];
  return v === undefined ? undefined : convert(v, expr.converters);
}
