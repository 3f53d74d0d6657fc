/**
 * Arguments of sample fetches and converters, `name(a,b)`, read as HAProxy's
 * `make_arg_list()` (src/arg.c) reads them, with its error texts.
 *
 * @module
 */

/** Argument types proxykit's fetches and converters take. */
export type ArgType = "str" | "int";

/** An argument value: a string, or an integer for `int` arguments. */
export type ArgValue = string | number;

/** What a keyword takes: its argument types in order, the first `min` mandatory. */
export interface ArgSpec {
  /** Types of the arguments, in order. */
  readonly types: readonly ArgType[];
  /** How many must be given. */
  readonly min: number;
}

/** No argument at all. */
export const NO_ARGS: ArgSpec = { types: [], min: 0 };

const TYPE_NAMES: Readonly<Record<ArgType, string>> = { str: "string", int: "integer" };

/** A refused argument list; `message` is HAProxy's text, without the keyword context. */
export class ArgError extends Error {
  /** 1-based position of the argument at fault. */
  readonly position: number;

  /** Creates the error for argument `position`. */
  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }
}

/**
 * Chars a backslash escapes inside arguments; before any other char the backslash stays
 * (`regsub(\.,_)` keeps its regex escape, as HAProxy 2.6 was observed to).
 */
const ESCAPABLE = "\\'\",() ";

/** HAProxy's `is_idchar()`: the chars of a fetch or converter name. */
export function isIdChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9._+$-]$/.test(c);
}

/**
 * Reads the argument list that starts at `text[pos]` when it is `(`: arguments separated by
 * commas, each one raw up to the next `,` or `)` except where quoted (`"..."`, `'...'`) or
 * escaped (`\,`, `\)`, `\\`...). Returns the values and the index after the list (`pos` itself when there is
 * none).
 *
 * @throws {ArgError} HAProxy's message: `expected ')'`, `expected ')' before ',2)'`, `missing
 *   arguments (got 1/2), type 'string' expected`, `failed to parse 'x' as type 'integer' at
 *   position 2`.
 */
export function parseArgs(text: string, pos: number, spec: ArgSpec): { args: ArgValue[]; end: number } {
  const raw: string[] = [];
  let end = pos;
  if (text[pos] === "(") {
    let i = pos + 1;
    if (text[i] === ")") end = i + 1;
    else {
      for (;;) {
        if (raw.length === spec.types.length) {
          throw new ArgError(`expected ')' before '${text.slice(i - (raw.length > 0 ? 1 : 0))}'`, raw.length + 1);
        }
        let word = "";
        let quote = "";
        for (; i < text.length; i++) {
          const c = text[i]!;
          if (quote !== "") {
            if (c === quote) quote = "";
            else if (c === "\\" && quote === '"' && ESCAPABLE.includes(text[i + 1] ?? "")) word += text[++i];
            else word += c;
          } else if (c === "\\" && ESCAPABLE.includes(text[i + 1] ?? "")) word += text[++i];
          else if (c === '"' || c === "'") quote = c;
          else if (c === "," || c === ")") break;
          else word += c;
        }
        if (i >= text.length) throw new ArgError("expected ')'", raw.length + 1);
        raw.push(word);
        if (text[i] === ")") {
          end = i + 1;
          break;
        }
        i++;
      }
    }
  }
  if (raw.length < spec.min) {
    const type = TYPE_NAMES[spec.types[raw.length]!];
    throw new ArgError(`missing arguments (got ${raw.length}/${spec.min}), type '${type}' expected`, raw.length + 1);
  }
  const args = raw.map((w, i): ArgValue => {
    if (spec.types[i] !== "int") return w;
    if (!/^[+-]?[0-9]+$/.test(w)) {
      throw new ArgError(`failed to parse '${w}' as type 'integer' at position ${i + 1}`, i + 1);
    }
    return Number(w);
  });
  return { args, end };
}
