/**
 * Address helpers shared by the adapters: the text naming an endpoint in error messages, and
 * a TCP address from the host and port a runtime reports.
 *
 * @module
 */
import type { Address } from "../src/net.ts";

/** `127.0.0.1:80`, `[::1]:80` or the Unix path: how error messages name an endpoint. */
export function describeAddress(a: Address | undefined): string {
  if (a === undefined) return "(unknown address)";
  if (a.transport === "unix") return a.path;
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/** A TCP address from a runtime's host and port fields; `undefined` when it reports none (Unix). */
export function tcpAddress(hostname: string | undefined, port: number | undefined): Address | undefined {
  return hostname === undefined || port === undefined ? undefined : { transport: "tcp", hostname, port };
}
