/**
 * What the Node adapter can do (measured on Node 24; `docs/runtimes.md`).
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";

/** Node's capabilities: everything but a server-side TLS upgrade, not written yet. */
export const CAPABILITIES: NetCapabilities = Object.freeze({
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: true,
  tlsServerClientAuth: true,
  tlsServerUpgrade: false,
  tlsPeerInfo: true,
  tlsReload: false,
  tlsClientNoVerify: true,
  keepAliveDelay: true,
  reusePort: true,
  abortSendsReset: true,
  distinguishesUnreachable: true,
  notes: Object.freeze({
    tlsReload: "not implemented yet",
    tlsServerUpgrade: "not implemented yet; planned with the PROXY-protocol issue",
  }),
});
