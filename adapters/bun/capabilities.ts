/**
 * What the Bun adapter can do (measured with Bun 1.4.5; `docs/runtimes.md`).
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";

/** Bun's capabilities: no multi-certificate listener, no server-side upgrade, no unreachable codes. */
export const CAPABILITIES: NetCapabilities = Object.freeze({
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: false,
  tlsServerClientAuth: true,
  tlsServerUpgrade: false,
  tlsPeerInfo: true,
  tlsReload: false,
  // `rejectUnauthorized: false` accepts a self-signed certificate (tests/adapters: verify: false).
  tlsClientNoVerify: true,
  keepAliveDelay: true,
  reusePort: true,
  // `terminate()` sets SO_LINGER 0: the peer's `close` handler gets ECONNRESET (measured).
  abortSendsReset: true,
  distinguishesUnreachable: false,
  notes: Object.freeze({
    tlsReload: "not implemented yet",
    tlsSniMultiCert: "Bun.listen takes one certificate (a `tls` array throws `TLSOptions must be an object`)",
    tlsServerUpgrade:
      "upgradeTLS({ isServer }) exists, but bytes read past a PROXY header cannot be handed back to TLS",
    distinguishesUnreachable: "Bun reports EHOSTUNREACH and ENETUNREACH as ECONNREFUSED",
  }),
});
