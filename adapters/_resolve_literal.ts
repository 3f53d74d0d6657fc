/**
 * The IP-literal shortcut every adapter's `resolve()` takes before any lookup.
 *
 * @module
 */
import { isIPv4, isIPv6 } from "../src/address.ts";

/** The IP literal `hostname` is (IPv6 brackets dropped), or undefined for a name. */
export function ipLiteral(hostname: string): string | undefined {
  const h = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIPv4(h) || isIPv6(h) ? h : undefined;
}
