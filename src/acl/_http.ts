/**
 * The parts of a request HTTP fetches read, as HAProxy 2.6 extracts them: the path of a
 * target (`http_get_path()`), header values split at commas (`http_find_header()` with
 * `full=0`), URL parameters (`http_find_next_url_param()`).
 *
 * @module
 */
import type { HeaderList } from "../http/head.ts";

/**
 * The path of a request target, query included, or `undefined` when it has none (`*`, an
 * authority, an absolute URI without a `/` after its authority), as `http_get_path()`: an
 * absolute URI's scheme and authority are skipped, then everything from the first `/`.
 */
export function targetPath(target: string): string | undefined {
  if (target === "" || target[0] === "*") return undefined;
  let i = 0;
  if (/[A-Za-z]/.test(target[0]!)) {
    i = 1;
    while (i < target.length && /[A-Za-z0-9+.-]/.test(target[i]!)) i++;
    if (target.slice(i, i + 3) !== "://") return undefined;
    i += 3;
  }
  const slash = target.indexOf("/", i);
  return slash < 0 ? undefined : target.slice(slash);
}

/** `path`: {@link targetPath} up to the first `?`; not decoded nor normalised. */
export function pathOf(target: string): string | undefined {
  const p = targetPath(target);
  if (p === undefined) return undefined;
  const q = p.indexOf("?");
  return q < 0 ? p : p.slice(0, q);
}

/** `query`: what follows the first `?` of the whole target (empty after a final `?`), or `undefined`. */
export function queryOf(target: string): string | undefined {
  const q = target.indexOf("?");
  return q < 0 ? undefined : target.slice(q + 1);
}

/**
 * The comma-separated values of a field value as `http_find_header()` walks them with
 * `full=0`: split at commas outside double quotes (a backslash escapes inside them), each
 * trimmed of spaces and tabs, empty ones kept.
 */
export function splitValues(value: string): string[] {
  return splitItems(value).map((item) => item.replace(/^[ \t]+|[ \t]+$/g, ""));
}

/**
 * The items of a comma-separated value as written, blanks around them kept: split at commas
 * outside double quotes (a backslash escapes inside them), empty ones kept.
 */
export function splitItems(value: string): string[] {
  const out: string[] = [];
  let start = 0, quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "," || c === undefined) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  return out;
}

/**
 * The values of fields named `name` (lowercase; `""` for every field), in order: split at
 * commas unless `full` (whole field values, as `req.fhdr`).
 */
export function headerValues(headers: HeaderList, name: string, full: boolean): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) {
    if (name !== "" && n !== name) continue;
    if (full) out.push(v);
    else for (const x of splitValues(v)) out.push(x);
  }
  return out;
}

/**
 * Picks occurrence `occ` of `values` as HAProxy's header fetches do: 0 all of them (an ACL
 * tries each), a positive number the nth from the first, a negative one the nth from the last.
 */
export function occurrence(values: string[], occ: number): string[] {
  if (occ === 0) return values;
  const v = occ > 0 ? values[occ - 1] : values[values.length + occ];
  return v === undefined ? [] : [v];
}

function isParamDelimiter(c: string, delim: string): boolean {
  return c === "&" || c === ";" || c === delim;
}

/**
 * Every value of URL parameter `name` (`""`: of every parameter), raw (not decoded), in order,
 * as `url_param` iterates them: the parameters start after the first `delim` (default `?`);
 * a parameter is `name=value` up to the next `&`, `;` or `delim`; one without `=` has no
 * value. Without a name, each value starts after the next `=`. Names are case-sensitive
 * (HAProxy 2.6 has no `i` flag yet).
 */
export function urlParams(target: string, name: string, delim: string): string[] {
  const start = target.indexOf(delim);
  if (start < 0) return [];
  const qs = target.slice(start + 1);
  const out: string[] = [];
  const valueEnd = (from: number) => {
    let e = from;
    while (e < qs.length && !isParamDelimiter(qs[e]!, delim)) e++;
    return e;
  };
  let pos = 0;
  while (pos < qs.length) {
    if (name === "") {
      const eq = qs.indexOf("=", pos);
      if (eq < 0) break;
      const end = valueEnd(eq + 1);
      out.push(qs.slice(eq + 1, end));
      pos = end;
      continue;
    }
    const eqAt = pos + name.length;
    if (eqAt >= qs.length) break;
    if (qs[eqAt] === "=") {
      if (qs.slice(pos, eqAt) === name) {
        const end = valueEnd(eqAt + 1);
        out.push(qs.slice(eqAt + 1, end));
        pos = end + 1;
        continue;
      }
      pos = eqAt + 1;
    }
    pos = valueEnd(pos) + 1;
  }
  return out;
}
