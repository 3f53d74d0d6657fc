/**
 * What the Node adapter can do (measured on Node 24; `docs/runtimes.md`).
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";

/** Node's capabilities: everything. */
export const CAPABILITIES: NetCapabilities = Object.freeze({
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: true,
  tlsServerClientAuth: true,
  tlsServerUpgrade: true,
  tlsPeerInfo: true,
  tlsReload: true,
  tlsClientNoVerify: true,
  keepAliveDelay: true,
  reusePort: true,
  abortSendsReset: true,
  distinguishesUnreachable: true,
  notes: Object.freeze({}),
});
