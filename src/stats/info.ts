/**
 * `show info` (management.txt 9.3): the process's `Name: value` lines. A minimal version; the
 * stats module prints HAProxy's full list.
 *
 * @module
 */
import type { ProxyServer } from "../proxy.ts";

/** The `show info` text of `proxy`: `Name: value` lines, then a blank line. */
export function showInfo(proxy: ProxyServer): string {
  const c = proxy.counters;
  const lines: [string, string | number][] = [
    ["Name", "proxykit"],
    ["Maxconn", proxy.config.maxconn],
    ["CurrConns", c.current],
    ["CumConns", c.total],
  ];
  return lines.map(([k, v]) => `${k}: ${v}\n`).join("") + "\n";
}
