/**
 * The converters proxykit knows (configuration.txt 7.3.1), applied after a fetch as
 * `fetch,conv(args),...`: `lower`, `upper`, `length`, `field`, `word`, `regsub`.
 *
 * @module
 */
import type { ArgSpec, ArgValue } from "./_args.ts";
import { compileRegex, expandReplacement } from "./_regex.ts";
import { int, type Sample, type SampleType, str, toStr } from "./sample.ts";

/** A converter: its arguments, input and output types, and what it does to one sample. */
export interface ConverterSpec {
  /** Arguments, as `conv(a,b)`. */
  readonly args: ArgSpec;
  /** The type the input is converted to first. */
  readonly input: SampleType;
  /** The output type. */
  readonly type: SampleType;
  /**
   * Checks and prepares the arguments when the configuration is loaded (a regex is compiled
   * once); returns what `convert` receives.
   * @throws {Error} with HAProxy's message for an invalid argument.
   */
  readonly prepare?: (args: readonly ArgValue[]) => unknown;
  /** Converts one sample; `undefined` drops it (no value). */
  readonly convert: (s: Sample, prepared: unknown) => Sample | undefined;
}

const asciiCase = (s: string, upper: boolean): string =>
  s.replace(upper ? /[a-z]+/g : /[A-Z]+/g, (m) => (upper ? m.toUpperCase() : m.toLowerCase()));

/**
 * `field` and `word` (`sample_conv_field()`, `sample_conv_word()`): the input is cut at every
 * char of `delims` (words: empty pieces skipped); from piece `index` (1 the first, -1 the
 * last), `count` pieces (0: all the rest; toward the start for a negative index). The result
 * is the input from the first piece chosen to the end of the last, delimiters kept; nothing
 * chosen gives an empty string.
 */
function pieces(s: string, [index, delims, count]: readonly ArgValue[], words: boolean): string {
  const set = String(delims);
  const spans: [number, number][] = [];
  for (let i = 0, start = 0; i <= s.length; i++) {
    if (i === s.length || set.includes(s[i]!)) {
      spans.push([start, i]);
      start = i + 1;
    }
  }
  const list = words ? spans.filter(([a, b]) => b > a) : spans;
  const idx = Number(index), n = Number(count ?? 1);
  if (idx === 0) return "";
  let first = idx > 0 ? idx - 1 : n === 0 ? 0 : list.length + idx - n + 1;
  let last = idx > 0 ? (n === 0 ? list.length - 1 : idx + n - 2) : list.length + idx;
  first = Math.max(first, 0);
  last = Math.min(last, list.length - 1);
  return first > last ? "" : s.slice(list[first]![0], list[last]![1]);
}

/** Every converter by name. */
export const CONVERTERS: Readonly<Record<string, ConverterSpec>> = {
  lower: { args: { types: [], min: 0 }, input: "str", type: "str", convert: (s) => str(asciiCase(toStr(s), false)) },
  upper: { args: { types: [], min: 0 }, input: "str", type: "str", convert: (s) => str(asciiCase(toStr(s), true)) },
  length: { args: { types: [], min: 0 }, input: "str", type: "int", convert: (s) => int(toStr(s).length) },
  field: {
    args: { types: ["int", "str", "int"], min: 2 },
    input: "str",
    type: "str",
    prepare: (a) => a,
    convert: (s, a) => str(pieces(toStr(s), a as ArgValue[], false)),
  },
  word: {
    args: { types: ["int", "str", "int"], min: 2 },
    input: "str",
    type: "str",
    prepare: (a) => a,
    convert: (s, a) => str(pieces(toStr(s), a as ArgValue[], true)),
  },
  regsub: {
    args: { types: ["str", "str", "str"], min: 2 },
    input: "str",
    type: "str",
    prepare: ([re, sub, flags]) => {
      const f = String(flags ?? "");
      const bad = f.replace(/[ig]/g, "");
      if (bad !== "") throw new Error(`invalid regex flag '${bad[0]}', only 'i' and 'g' are supported`);
      return { re: compileRegex(String(re), f.includes("i"), true), sub: String(sub) };
    },
    convert: (s, p) => {
      const { re, sub } = p as { re: RegExp; sub: string };
      const global = re.flags.includes("g");
      const input = toStr(s);
      re.lastIndex = 0;
      let out = "", last = 0;
      for (let m = re.exec(input); m !== null; m = global ? re.exec(input) : null) {
        out += input.slice(last, m.index) + expandReplacement(sub, m);
        last = m.index + m[0].length;
        if (m[0] === "") re.lastIndex++;
        if (!global) break;
      }
      return str(out + input.slice(last));
    },
  },
};
