/**
 * Regular expressions of `path_reg`, `hdr_reg`, `-m reg`, `replace-header`, `replace-value`
 * and `regsub`: JavaScript `RegExp`s where HAProxy 2.6 uses PCRE (`regex_comp()`), and
 * HAProxy's replacement syntax (`exp_replace()`).
 *
 * Where they differ: JavaScript has no possessive quantifiers (`a++`), atomic groups
 * (`(?>...)`), `\Q...\E`, `\A`, `\Z`, `\z`, `\G`, `\K`, recursion or callouts: such a pattern
 * is refused when loaded (JavaScript would read `\A` as a plain `A`). `(?i)` at the start of a
 * pattern is honoured as the `i` flag; inline flags elsewhere are refused.
 * With `i`, JavaScript also folds the case of latin1 letters (`É`/`é`), PCRE's default tables
 * only ASCII. The error text names the JavaScript engine's reason (which differs between
 * V8 and JavaScriptCore) where PCRE gives its own and an offset.
 *
 * @module
 */

/** A refused pattern: the message is HAProxy's `regex '...' is invalid (...)` form. */
export class RegexError extends Error {}

/**
 * Compiles `pattern` (case-insensitive with `ignoreCase`, everywhere with `global`).
 *
 * @throws {RegexError} `regex '<pattern>' is invalid (error=<reason>)`.
 */
export function compileRegex(pattern: string, ignoreCase: boolean, global = false): RegExp {
  let source = pattern;
  let flags = (ignoreCase ? "i" : "") + (global ? "g" : "");
  if (source.startsWith("(?i)")) {
    source = source.slice(4);
    if (!flags.includes("i")) flags += "i";
  }
  const pcreOnly = /(?:^|[^\\])(?:\\\\)*\\([QEAZzGK])/.exec(source);
  if (pcreOnly !== null) {
    throw new RegexError(
      `regex '${pattern}' is invalid (error=\\${pcreOnly[1]} is PCRE-only, JavaScript has no equivalent)`,
    );
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    // V8: "Invalid regular expression: /(/: Unterminated group"; JavaScriptCore: "... missing )".
    const reason = (e as Error).message.replace(/^Invalid regular expression: (?:\/.*\/[a-z]*: )?/s, "");
    throw new RegexError(`regex '${pattern}' is invalid (error=${reason})`);
  }
}

/**
 * `exp_replace()`: `replacement` with `\0`..`\9` replaced by the groups of `match` (an absent
 * group gives nothing), `\xHH` by that byte, and `\c` by `c` for any other char.
 */
export function expandReplacement(replacement: string, match: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c !== "\\" || i + 1 >= replacement.length) {
      out += c;
      continue;
    }
    const n = replacement[++i]!;
    if (n >= "0" && n <= "9") out += match[Number(n)] ?? "";
    else if (n === "x" && /^[0-9A-Fa-f]{2}$/.test(replacement.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(replacement.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += n;
  }
  return out;
}
