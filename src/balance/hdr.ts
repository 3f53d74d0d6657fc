/**
 * `balance hdr(<name>)`: the header value that is hashed.
 *
 * @module
 */
import type { HeaderList } from "../http/head.ts";

/**
 * The first value of header `name` (lowercase; the list's names are lowercase), HAProxy's
 * `http_find_header()` without `full`: the first field of that name, up to its first comma,
 * trimmed of blanks. `undefined` when absent or empty (round-robin then).
 */
export function firstHeaderValue(headers: HeaderList, name: string): string | undefined {
  for (const [n, v] of headers) {
    if (n !== name) continue;
    const comma = v.indexOf(",");
    const first = (comma < 0 ? v : v.slice(0, comma)).replace(/^[ \t]+|[ \t]+$/g, "");
    return first === "" ? undefined : first;
  }
  return undefined;
}

/**
 * `use_domain_only` (backend.c `get_server_hh()`): the label before the last dot, e.g.
 * `haproxy.1wt.eu` gives `1wt` and `a.com` gives `a`; a value without a dot is kept whole.
 * HAProxy's backward scan never looks at the first character for the last dot, nor at the
 * character just before the last dot for the previous one, and so neither does this
 * (`.a` is kept whole, `a..b` gives `a.`).
 */
export function domainOnly(value: string): string {
  const last = value.lastIndexOf(".");
  if (last <= 0) return value;
  const prev = last >= 2 ? value.lastIndexOf(".", last - 2) : -1;
  return value.slice(prev + 1, last);
}
