/**
 * Splits `haproxy.cfg` text into lines of words the way HAProxy's `parse_line()` does
 * (configuration.txt 2.2 "Quoting and escaping", 2.3 "Environment variables"), and reads
 * the numbers and durations its keywords take.
 *
 * @module
 */

/** One non-empty line: its 1-based number and its words, quotes and escapes resolved. */
export interface CfgLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The words, at least one. */
  readonly words: readonly string[];
}

/** Escapes after a backslash that stand for the character itself (configuration.txt 2.2). */
const LITERAL_ESCAPES = new Set([" ", "#", "\\", "'", '"', "$"]);
const CONTROL_ESCAPES: Readonly<Record<string, string>> = { r: "\r", n: "\n", t: "\t" };

/** Environment for `"${NAME}"` expansion; `undefined` makes any expansion an error. */
export type CfgEnv = Readonly<Record<string, string | undefined>> | undefined;

/**
 * Words of one line. Rules measured on HAProxy 2.6:
 * - blanks separate words; `'...'` quotes everything (strong); `"..."` keeps backslash
 *   escapes and `$NAME` / `${NAME}` expansion (weak); quoted and bare parts join into one word
 *   (`"2"5` is `25`) and `""` is an empty word;
 * - `#` outside quotes starts a comment even inside a word (`80#x` is `80`);
 * - `\ `, `\#`, `\\`, `\'`, `\"`, `\$` give the character, `\r \n \t \xNN` control bytes,
 *   any other backslash stays as it is (`we\ight` is read as `we\ight`);
 * - `$` outside double quotes is a plain character; an unset variable expands to nothing.
 *
 * @throws {Error} with the reason (unmatched quote, variable without environment); the caller
 *   adds the file and line.
 */
export function splitWords(text: string, env: CfgEnv): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "" | "'" | '"' = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = "";
      else word += c;
      continue;
    }
    if (c === "\\") {
      const n = text[i + 1] ?? "";
      const hex = text.slice(i + 2, i + 4);
      if (LITERAL_ESCAPES.has(n)) {
        word += n;
        i++;
      } else if (CONTROL_ESCAPES[n] !== undefined) {
        word += CONTROL_ESCAPES[n];
        i++;
      } else if (n === "x" && /^[0-9a-fA-F]{2}$/.test(hex)) {
        word += String.fromCharCode(parseInt(hex, 16));
        i += 3;
      } else {
        word += c;
      }
      inWord = true;
    } else if (c === '"') {
      quote = quote === '"' ? "" : '"';
      inWord = true;
    } else if (c === "'" && quote === "") {
      quote = "'";
      inWord = true;
    } else if (c === "$" && quote === '"') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
      if (m === null) {
        if (text[i + 1] === "{") throw new Error(`unsupported variable syntax in '${text.slice(i)}'`);
        word += c;
        continue;
      }
      const name = m[1] ?? m[2] ?? "";
      if (env === undefined) {
        throw new Error(`environment variable '${name}' is used but no environment was given (options.env)`);
      }
      word += env[name] ?? "";
      i += m[0].length - 1;
    } else if (quote === "" && c === "#") {
      break;
    } else if (quote === "" && (c === " " || c === "\t")) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== "") throw new Error(`unmatched quote (${quote})`);
  if (inWord) words.push(word);
  return words;
}

/**
 * Every line holding at least one word. `fail(line, reason)` is called (and must throw) for
 * a line that cannot be split.
 */
export function splitLines(text: string, env: CfgEnv, fail: (line: number, reason: string) => never): CfgLine[] {
  const out: CfgLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    let words: string[];
    try {
      words = splitWords(raw, env);
    } catch (e) {
      return fail(i + 1, (e as Error).message);
    }
    if (words.length > 0) out.push({ line: i + 1, words });
  });
  return out;
}

/** Microseconds per unit (configuration.txt 2.5 "Time format"); integers, so no rounding surprise. */
const TIME_UNITS_US: Readonly<Record<string, number>> = {
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/**
 * Reads a duration: digits and an optional unit `us ms s m h d` (default `ms`), as HAProxy.
 * Microseconds round up to whole milliseconds, so a non-zero value never becomes 0 (which
 * means "infinite"). Returns the reason as a string when the text is not a valid duration.
 */
export function parseTime(text: string, maxMs: number): number | string {
  const m = /^(\d+)([a-z]*)$/.exec(text);
  if (m === null) return `expects a duration such as 500ms, 5s or 1m, got '${text}'`;
  const factor = TIME_UNITS_US[m[2] === "" ? "ms" : m[2] ?? ""];
  if (factor === undefined) return `unknown time unit '${m[2]}' in '${text}' (us, ms, s, m, h, d)`;
  const ms = Math.ceil((Number(m[1]) * factor) / 1000);
  if (ms > maxMs) return `timer overflow in '${text}' (maximum value is ${maxMs} ms or ~24.8 days)`;
  return ms;
}

/**
 * Reads a decimal integer between `min` and `max`, refusing what HAProxy's `atol()` would
 * silently accept (`3x`, an empty word). Returns the reason as a string when invalid.
 */
export function parseInteger(text: string, min: number, max: number): number | string {
  if (!/^-?\d+$/.test(text)) return `expects an integer, got '${text}'`;
  const n = Number(text);
  if (n < min || n > max) return `must be ${min}..${max}, got ${text}`;
  return n;
}
