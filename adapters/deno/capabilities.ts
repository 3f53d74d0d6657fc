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

/** What Deno 2.9's native socket and TLS API can do. */
export const CAPABILITIES: NetCapabilities = {
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: false,
  tlsServerClientAuth: false,
  tlsServerUpgrade: false,
  tlsPeerInfo: false,
  tlsReload: false,
  tlsClientNoVerify: false,
  keepAliveDelay: false,
  reusePort: REUSE_PORT,
  abortSendsReset: false,
  distinguishesUnreachable: true,
  notes: {
    tlsReload: "not implemented yet",
    tlsSniMultiCert: "Deno.listenTls uses only its first certificate and cannot read the client's SNI",
    tlsServerClientAuth: "Deno.listenTls has no option to request or verify client certificates",
    tlsServerUpgrade: "Deno.startTls is client-only, so TLS cannot start after a PROXY header",
    tlsPeerInfo: "Deno's TlsConn exposes only the ALPN protocol (no peer certificate, no TLS version)",
    keepAliveDelay: "TcpConn.setKeepAlive takes no delay (kernel default, 2 h); TlsConn has no setKeepAlive",
    tlsClientNoVerify:
      "Deno can skip only the hostname check (unsafelyDisableHostnameVerification), never the certificate chain",
    abortSendsReset:
      "Deno cannot set SO_LINGER: abort() closes with a FIN (on TLS after a close_notify), the peer sees an orderly end",
    ...(REUSE_PORT ? {} : { reusePort: "Deno.listen({ reusePort }) needs --unstable-net and Linux" }),
  },
};
