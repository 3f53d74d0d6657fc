/**
 * What the Bun adapter can do (measured with Bun 1.4.5; `docs/runtimes.md`).
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";

/** Bun's capabilities with `createNetwork({ nodeTls })`. */
export function capabilities(nodeTls: boolean): NetCapabilities {
  return Object.freeze({
    unix: true,
    ipv6: true,
    tlsClient: true,
    tlsServer: true,
    // Bun's node:tls layer: SNICallback, requestCert, a TLSSocket over an accepted socket.
    tlsSniMultiCert: true,
    tlsServerClientAuth: true,
    tlsServerUpgrade: true,
    tlsPeerInfo: true,
    tlsReload: nodeTls,
    // `rejectUnauthorized: false` accepts a self-signed certificate (tests/adapters: verify: false).
    tlsClientNoVerify: true,
    keepAliveDelay: true,
    reusePort: true,
    // `terminate()` sets SO_LINGER 0: the peer's `close` handler gets ECONNRESET (measured).
    abortSendsReset: true,
    distinguishesUnreachable: false,
    notes: Object.freeze({
      ...(nodeTls ? {} : {
        tlsReload:
          "Bun.listen cannot change its certificate: createNetwork({ nodeTls: true }) serves every TLS listener through node:tls, which can",
      }),
      distinguishesUnreachable: "Bun reports EHOSTUNREACH and ENETUNREACH as ECONNREFUSED",
    }),
  });
}

/** Bun's capabilities (default options). */
export const CAPABILITIES: NetCapabilities = capabilities(false);
