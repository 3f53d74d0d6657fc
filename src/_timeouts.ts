/**
 * The inactivity rule both the TCP stream and the HTTP transaction apply to their two sides.
 *
 * @module
 */

/**
 * Which of two inactivity timeouts struck, or when the next one will: `"c"` when the client
 * side, last active at `cliAt`, has been idle for `cliTo` ms (undefined: not running), `"s"`
 * the same for the server side, else the earliest deadline (`Infinity` when neither runs).
 * The client side is checked first, as HAProxy checks the request channel first.
 */
export function nextTimeout(
  now: number,
  cliAt: number,
  cliTo: number | undefined,
  srvAt: number,
  srvTo: number | undefined,
): "c" | "s" | number {
  let next = Infinity;
  if (cliTo !== undefined) {
    if (now - cliAt >= cliTo) return "c";
    next = cliAt + cliTo;
  }
  if (srvTo !== undefined) {
    if (now - srvAt >= srvTo) return "s";
    next = Math.min(next, srvAt + srvTo);
  }
  return next;
}
