/**
 * ACL patterns and match methods (configuration.txt 7.1.1 to 7.1.6): how each method parses
 * its patterns (`pat_parse_*()`, src/pattern.c) and matches a sample against them
 * (`pat_match_*()`), with HAProxy's error texts.
 *
 * @module
 */
import type { MatchMethod } from "./fetches.ts";
import { ipInNet, type IpNet, parseIpPattern } from "./_ip.ts";
import { compileRegex } from "./_regex.ts";
import { type Sample, type SampleType, toInt, toIp, toStr } from "./sample.ts";

/** A refused pattern or option: the message is HAProxy's text. */
export class PatternError extends Error {}

/** The sample type each method converts a sample to before matching (`pat_match_types[]`). */
export const MATCH_INPUT: Readonly<Record<MatchMethod, SampleType>> = {
  found: "int",
  bin: "str",
  ver: "int",
  bool: "int",
  int: "int",
  ip: "ip",
  len: "str",
  str: "str",
  beg: "str",
  end: "str",
  sub: "str",
  dir: "str",
  dom: "str",
  reg: "str",
  meth: "meth",
};

/** Match methods whose patterns are integers (ranges, operators). */
export function isIntMethod(m: MatchMethod): boolean {
  return m === "int" || m === "len" || m === "ver";
}

/**
 * `pat_parse_dotted_ver()`'s `MAJOR.MINOR` as HAProxy's integer (major × 65536 + minor), in
 * each bound of a range (`3.1:3.3`); a bound without a dot is a major version.
 *
 * @throws {PatternError} `'x' is not a valid version`.
 */
export function dottedVersion(text: string): string {
  return text.split(":").map((part) => {
    if (part === "") return part;
    const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(part);
    if (m === null || Number(m[2] ?? 0) > 65535) throw new PatternError(`'${text}' is not a valid version`);
    return String(Number(m[1]) * 65536 + Number(m[2] ?? 0));
  }).join(":");
}

/**
 * `pat_parse_bin()`: hex digits, two per byte, as a one-char-per-byte string.
 *
 * @throws {PatternError} for an odd count or a non-hex char.
 */
export function parseHexPattern(text: string): string {
  if (text.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(text)) {
    throw new PatternError(`'${text}' is not a valid hex string (two hex digits per byte)`);
  }
  let s = "";
  for (let i = 0; i < text.length; i += 2) s += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
  return s;
}

/** An integer range; `undefined` bounds are open. */
export interface IntRange {
  /** Lowest value, included. */
  readonly min: number | undefined;
  /** Highest value, included. */
  readonly max: number | undefined;
}

const NUMBER = /^[+-]?[0-9]+$/;

/**
 * `pat_parse_int()`: `N`, `N:M`, `:M`, `N:` (a `-` works as the separator too: `1-5`, and
 * after `--`, `-5` means `:5`), bounds ordered.
 *
 * @throws {PatternError} `'x' is not a number`, `'1:x' is not a valid number range`.
 */
export function parseIntPattern(text: string): IntRange {
  const sep = text.search(/[:-]/);
  const num = (s: string) => (NUMBER.test(s) ? Number(s) : undefined);
  if (sep < 0) {
    const v = num(text);
    if (v === undefined) throw new PatternError(`'${text}' is not a number`);
    return { min: v, max: v };
  }
  const bad = () => new PatternError(`'${text}' is not a valid number range`);
  const lo = text.slice(0, sep), hi = text.slice(sep + 1);
  if (text === "") throw bad();
  if (sep === 0 && hi !== "") {
    const max = num(hi);
    if (max === undefined) throw bad();
    return { min: undefined, max };
  }
  if (hi === "") {
    const min = num(lo);
    if (min === undefined) throw bad();
    return { min, max: undefined };
  }
  const min = num(lo), max = num(hi);
  if (min === undefined || max === undefined || min > max) throw bad();
  return { min, max };
}

/** Latin1 text with only ASCII letters lowered, as C's `tolower()` in HAProxy's locale. */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** The methods HAProxy knows by name (`find_http_meth()`, case-sensitive); others compare as strings. */
const KNOWN_METHODS = new Set(["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"]);

/** One string pattern with the `-i` state in force where it was written. */
export interface PatternText {
  /** The pattern as written. */
  readonly value: string;
  /** `-i` was given before it. */
  readonly icase: boolean;
}

/**
 * `match_word()`: whether `pattern` (leading and trailing delimiters ignored) appears in `s`
 * between delimiters or the ends of `s`.
 */
function matchWord(s: string, pattern: PatternText, delims: string): boolean {
  let p = pattern.value;
  while (p !== "" && delims.includes(p[0]!)) p = p.slice(1);
  while (p !== "" && delims.includes(p[p.length - 1]!)) p = p.slice(0, -1);
  if (p === "" || p.length > s.length) return false;
  const hay = pattern.icase ? asciiLower(s) : s;
  const needle = pattern.icase ? asciiLower(p) : p;
  let mayMatch = true;
  for (let i = 0; i <= hay.length - needle.length; i++) {
    if (delims.includes(hay[i]!)) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    const after = i + needle.length;
    if (hay.startsWith(needle, i) && (after === hay.length || delims.includes(hay[after]!))) return true;
    mayMatch = false;
  }
  return false;
}

/** A compiled list of patterns for one match method: `match()` is true when any pattern matches. */
export interface Patterns {
  /** The method. */
  readonly method: MatchMethod;
  /** Whether one sample matches any pattern (after converting it as the method requires). */
  match(sample: Sample): boolean;
}

const inRange = (v: number, r: IntRange) => (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);

function stringMatcher(texts: readonly PatternText[], test: (s: string, p: string) => boolean): (s: Sample) => boolean {
  return (sample) => {
    const s = toStr(sample);
    let lower: string | undefined;
    return texts.some((t) => t.icase ? test(lower ??= asciiLower(s), asciiLower(t.value)) : test(s, t.value));
  };
}

/**
 * Compiles `values` (each with its `-i` state) for `method`; integer values are already in
 * range form (operators resolved by the ACL parser).
 *
 * @throws {PatternError} with HAProxy's text for a pattern the method cannot parse.
 */
export function compilePatterns(method: MatchMethod, values: readonly PatternText[]): Patterns {
  let match: (s: Sample) => boolean;
  switch (method) {
    case "found":
      match = () => true;
      break;
    case "bool":
      match = (s) => (toInt(s) ?? 0) !== 0;
      break;
    case "bin": {
      const bins = new Set(values.map((v) => parseHexPattern(v.value)));
      match = (s) => bins.has(toStr(s));
      break;
    }
    case "int":
    case "ver":
    case "len": {
      const ranges = values.map((v) => parseIntPattern(v.value));
      match = (s) => {
        const n = method === "len" ? toStr(s).length : toInt(s);
        return n !== undefined && ranges.some((r) => inRange(n, r));
      };
      break;
    }
    case "ip": {
      const nets: IpNet[] = values.map((v) => {
        const n = parseIpPattern(v.value);
        if (n === undefined) throw new PatternError(`'${v.value}' is not a valid IPv4 or IPv6 address`);
        return n;
      });
      match = (s) => {
        const ip = toIp(s);
        return ip !== undefined && nets.some((n) => ipInNet(ip, n));
      };
      break;
    }
    case "reg": {
      const res = values.map((v) => compileRegex(v.value, v.icase));
      match = (s) => {
        const text = toStr(s);
        return res.some((re) => re.test(text));
      };
      break;
    }
    case "meth":
      match = (s) => {
        const m = toStr(s);
        return values.some((p) =>
          KNOWN_METHODS.has(p.value) || KNOWN_METHODS.has(m)
            ? p.value === m
            : p.icase
            ? asciiLower(p.value) === asciiLower(m)
            : p.value === m
        );
      };
      break;
    case "str":
      match = stringMatcher(values, (s, p) => s === p);
      break;
    case "beg":
      match = stringMatcher(values, (s, p) => s.startsWith(p));
      break;
    case "end":
      match = stringMatcher(values, (s, p) => s.endsWith(p));
      break;
    case "sub":
      match = stringMatcher(values, (s, p) => s.includes(p));
      break;
    case "dir":
      match = (s) => values.some((p) => matchWord(toStr(s), p, "/"));
      break;
    case "dom":
      match = (s) => values.some((p) => matchWord(toStr(s), p, "/?.:"));
      break;
  }
  return { method, match };
}
