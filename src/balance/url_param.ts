/**
 * `balance url_param`: the query-string value that is hashed.
 *
 * @module
 */

/**
 * The value of parameter `name` in the query string of `target` (backend.c `get_server_ph()`):
 * parameters are `&`-separated after the first `?`, names compared case-sensitively and not
 * decoded; the value runs to the next `&` and may be empty (an empty value is hashed, as
 * HAProxy does). `undefined` when there is no query string or no such parameter (round-robin
 * then). A parameter is only recognised with its `=`.
 */
export function urlParamValue(target: string, name: string): string | undefined {
  const q = target.indexOf("?");
  if (q < 0) return undefined;
  const plen = name.length;
  let at = q + 1;
  while (target.length - at > plen) {
    if (target.charCodeAt(at + plen) === 0x3d && target.startsWith(name, at)) {
      const start = at + plen + 1;
      const amp = target.indexOf("&", start);
      return target.slice(start, amp < 0 ? target.length : amp);
    }
    const next = target.indexOf("&", at);
    if (next < 0) return undefined;
    at = next + 1;
  }
  return undefined;
}
