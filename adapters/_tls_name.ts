/**
 * The name a TLS client verifies and the SNI it sends, one rule for every adapter: the name is
 * `serverName`, else the host dialled; it goes out as SNI unless it is an IP literal, which
 * RFC 6066 §3 forbids in `server_name` (the certificate is then checked against the address).
 *
 * @module
 */
import type { Address, TlsClientOptions } from "../src/net.ts";

/** Dotted-quad IPv4, four decimal parts of 0..255. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether `name` is an IP literal (IPv4, or IPv6 with or without brackets), never a DNS name. */
export function isIpLiteral(name: string): boolean {
  // No DNS name holds a colon: anything with one is IPv6 (possibly with a zone or brackets).
  return name.includes(":") || IPV4.test(name);
}

/** What a TLS client checks the certificate against and what it sends as SNI. */
export interface TlsClientName {
  /** The name (or IP literal) the certificate must match; `undefined` for Unix sockets. */
  readonly verifyName: string | undefined;
  /** The SNI to send: `verifyName` unless it is an IP literal. */
  readonly sni: string | undefined;
}

/** Applies the rule above to a connect's options and address. */
export function tlsClientName(options: TlsClientOptions, address: Address): TlsClientName {
  const verifyName = options.serverName ?? (address.transport === "tcp" ? address.hostname : undefined);
  return { verifyName, sni: verifyName === undefined || isIpLiteral(verifyName) ? undefined : verifyName };
}
