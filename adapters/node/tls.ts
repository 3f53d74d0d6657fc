/**
 * TLS pieces of the Node adapter: `node:tls` options built from ours, and what a handshake
 * negotiated.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { createSecureContext } from "node:tls";
import type { ConnectionOptions, SecureContext, TlsOptions, TLSSocket } from "node:tls";
import type { Address, TlsClientOptions, TlsInfo, TlsServerOptions } from "../../src/net.ts";
import { tlsClientName } from "../_tls_name.ts";

/** Subject common name of the peer certificate, when one was sent. */
function peerCommonName(sock: TLSSocket): string | undefined {
  const subject = sock.getPeerX509Certificate()?.subject;
  if (subject === undefined) return undefined;
  const m = /^CN=(.*)$/m.exec(subject);
  return m?.[1];
}

/** What was negotiated on `sock`; `authorized` only when a peer certificate was asked for. */
export function tlsInfo(sock: TLSSocket, serverName: string | undefined, askedForCert: boolean): TlsInfo {
  const info: { -readonly [K in keyof TlsInfo]: TlsInfo[K] } = {
    alpnProtocol: typeof sock.alpnProtocol === "string" ? sock.alpnProtocol : null,
  };
  if (serverName !== undefined) info.serverName = serverName;
  const protocol = sock.getProtocol();
  if (protocol !== null) info.protocol = protocol;
  if (askedForCert) {
    info.authorized = sock.authorized;
    const cn = peerCommonName(sock);
    if (cn !== undefined) info.peerCommonName = cn;
  }
  return info;
}

/**
 * `tls.createServer` options: the first certificate is the default context, the others are
 * chosen by SNI (exact name, then `*.` wildcard one label deep; unknown names get the default,
 * as HAProxy does without `strict-sni`). Each SNI context carries the client-certificate CAs:
 * a context returned by `SNICallback` replaces the server's CA store (measured on Node 24:
 * the client certificate is then refused with `SELF_SIGNED_CERT_IN_CHAIN`).
 */
export function tlsServerOptions(o: TlsServerOptions): TlsOptions {
  const [first, ...others] = o.certificates;
  if (first === undefined) throw new TypeError("tls.certificates must hold at least one certificate");
  const ca = o.caCerts === undefined ? undefined : [...o.caCerts];
  const requestCert = (o.requestClientCert ?? false) || (o.requireClientCert ?? false);
  const options: TlsOptions = {
    allowHalfOpen: true,
    cert: first.cert,
    key: first.key,
    requestCert,
    rejectUnauthorized: requestCert && (o.requireClientCert ?? false),
  };
  if (ca !== undefined) options.ca = ca;
  if (o.alpnProtocols !== undefined) options.ALPNProtocols = [...o.alpnProtocols];
  if (others.length > 0) {
    const byName = new Map<string, SecureContext>();
    for (const c of others) {
      const ctx = createSecureContext(
        ca === undefined ? { cert: c.cert, key: c.key } : { cert: c.cert, key: c.key, ca },
      );
      for (const name of c.serverNames ?? []) {
        const key = name.toLowerCase();
        if (!byName.has(key)) byName.set(key, ctx);
      }
    }
    // Names of the default certificate must win over a later certificate claiming them too.
    for (const name of first.serverNames ?? []) byName.delete(name.toLowerCase());
    options.SNICallback = (servername, cb) => {
      const name = servername.toLowerCase();
      const dot = name.indexOf(".");
      cb(null, byName.get(name) ?? (dot > 0 ? byName.get(`*${name.slice(dot)}`) : undefined));
    };
  }
  return options;
}

/**
 * Client contexts by options object: building one parses every CA and key PEM (about a
 * millisecond with a CA bundle), and the core passes the same options for every connection
 * to a server.
 */
const clientContexts = new WeakMap<TlsClientOptions, SecureContext>();

/** The cached client context of `o`. */
function clientContext(o: TlsClientOptions): SecureContext {
  let ctx = clientContexts.get(o);
  if (ctx === undefined) {
    ctx = createSecureContext({
      ...(o.caCerts === undefined ? {} : { ca: [...o.caCerts] }),
      ...(o.cert === undefined ? {} : { cert: o.cert }),
      ...(o.key === undefined ? {} : { key: o.key }),
    });
    clientContexts.set(o, ctx);
  }
  return ctx;
}

/**
 * `tls.connect` options on top of `raw`, under the SNI rule of `_tls_name.ts`; `verify: false`
 * is `rejectUnauthorized: false`, which skips chain and name checks alike.
 */
export function tlsClientOptions(raw: NetSocket, o: TlsClientOptions, address: Address): ConnectionOptions {
  const { verifyName, sni } = tlsClientName(o, address);
  return {
    socket: raw,
    secureContext: clientContext(o),
    ...(verifyName === undefined ? {} : { host: verifyName }),
    ...(sni === undefined ? {} : { servername: sni }),
    ...(o.alpnProtocols === undefined ? {} : { ALPNProtocols: [...o.alpnProtocols] }),
    rejectUnauthorized: o.verify ?? true,
  };
}
