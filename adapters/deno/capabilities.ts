/**
 * What the Deno adapter can do (measured with Deno 2.9.6; `docs/runtimes.md`).
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";
import { D } from "./api.ts";

/**
 * `reusePort` is gated behind `--unstable-net` (without it Deno ends the process, exit 70,
 * which no try/catch can stop); `Deno.listenDatagram` exists only under that same flag.
 */
export const REUSE_PORT = D !== undefined && typeof D.listenDatagram === "function" && D.build.os === "linux";

/**
 * What the Deno adapter can do on Deno 2.9: natively, or through Deno's `node:tls` layer where
 * `Deno.listenTls` / `Deno.connectTls` fall short (`adapters/_tls_route.ts`).
 */
export const CAPABILITIES: NetCapabilities = capabilities(false);

/** The capabilities of a network made with `createNetwork({ nodeTls })`. */
export function capabilities(nodeTls: boolean): NetCapabilities {
  return {
    unix: true,
    ipv6: true,
    tlsClient: true,
    tlsServer: true,
    // The node:tls layer: SNICallback, requestCert, a TLSSocket over an accepted socket.
    tlsSniMultiCert: true,
    tlsServerClientAuth: true,
    tlsServerUpgrade: true,
    // Sockets of Deno.listenTls expose only the ALPN protocol; a listener whose owner reads
    // more (`TlsServerOptions.peerInfo`) goes through node:tls, which reports it.
    tlsPeerInfo: true,
    tlsReload: nodeTls,
    // node:tls honours rejectUnauthorized: false (denoland/deno#29228).
    tlsClientNoVerify: true,
    keepAliveDelay: false,
    reusePort: REUSE_PORT,
    abortSendsReset: false,
    distinguishesUnreachable: true,
    notes: {
      ...(nodeTls ? {} : {
        tlsReload:
          "Deno.listenTls cannot change its certificate: createNetwork({ nodeTls: true }) serves every TLS listener through node:tls, which can",
      }),
      keepAliveDelay: "TcpConn.setKeepAlive takes no delay (kernel default, 2 h); TlsConn has no setKeepAlive",
      abortSendsReset:
        "Deno cannot set SO_LINGER: abort() closes with a FIN (on TLS after a close_notify), the peer sees an orderly end",
      ...(REUSE_PORT ? {} : { reusePort: "Deno.listen({ reusePort }) needs --unstable-net and Linux" }),
    },
  };
}
