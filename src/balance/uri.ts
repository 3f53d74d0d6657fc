/**
 * `balance uri`: the part of the request target that is hashed.
 *
 * @module
 */
import type { UriBalance } from "../config/types.ts";

/**
 * The path of a request target for `path-only`: from the first `/` after the authority of an
 * absolute-form target (`http://h/p?q` gives `/p?q`), the target itself in origin-form, and
 * `""` when there is no path (`*`, authority-form, or `http://h` without a slash), as
 * HAProxy's `http_parse_path()`.
 */
export function targetPath(target: string): string {
  if (target.startsWith("/")) return target;
  const scheme = target.indexOf("://");
  if (scheme <= 0) return "";
  const slash = target.indexOf("/", scheme + 3);
  return slash < 0 ? "" : target.slice(slash);
}

/**
 * The key `balance uri` hashes (backend.c `get_server_uh()`): the target (or its path with
 * `pathOnly`), cut to `len` characters, then up to (not including) the `?` unless `whole`, and
 * before the slash that would open directory level `depth + 1` (the leading `/` counts as the
 * first level: `depth 1` on `/a/b/c` keeps `/a`).
 */
export function uriKey(target: string, opts: Omit<UriBalance, "kind">): string {
  const uri = opts.pathOnly === true ? targetPath(target) : target;
  const n = opts.len !== undefined ? Math.min(uri.length, opts.len) : uri.length;
  const stopAt = opts.depth !== undefined ? opts.depth + 1 : 0;
  const whole = opts.whole === true;
  let slashes = 0;
  let end = 0;
  for (; end < n; end++) {
    const c = uri.charCodeAt(end);
    if (c === 0x2f) {
      if (++slashes === stopAt) break;
    } else if (c === 0x3f && !whole) break;
  }
  return uri.slice(0, end);
}
