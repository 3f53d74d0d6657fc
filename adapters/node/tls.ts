/**
 * TLS pieces of the Node adapter: `node:tls` client options built from ours, and what a
 * handshake negotiated. The server side is `tls_engine.ts`.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { checkServerIdentity, createSecureContext } from "node:tls";
import type { ConnectionOptions, PeerCertificate, SecureContext, TLSSocket } from "node:tls";
import type { Address, TlsClientOptions, TlsInfo } from "../../src/net.ts";
import { commonName, slashDn } from "../_dn.ts";
import { tlsClientName } from "../_tls_name.ts";

type Info = { -readonly [K in keyof TlsInfo]: TlsInfo[K] };

/** The fields every side reports: ALPN, SNI, version, cipher, resumption. */
function baseInfo(sock: TLSSocket, serverName: string | undefined): Info {
  const info: Info = { alpnProtocol: typeof sock.alpnProtocol === "string" ? sock.alpnProtocol : null };
  if (serverName !== undefined) info.serverName = serverName;
  const protocol = sock.getProtocol();
  if (typeof protocol === "string") info.protocol = protocol;
  const cipher = sock.getCipher() as { standardName?: string; name?: string } | undefined;
  const cipherName = cipher?.standardName ?? cipher?.name;
  if (typeof cipherName === "string") info.cipher = cipherName;
  info.resumed = sock.isSessionReused();
  return info;
}

/** The peer certificate's names and verdict, for a side that asked for one. */
function peerInfo(sock: TLSSocket, info: Info): void {
  info.authorized = sock.authorized;
  const x = sock.getPeerX509Certificate();
  if (x === undefined) return;
  info.peerSubject = slashDn(x.subject);
  info.peerIssuer = slashDn(x.issuer);
  const cn = commonName(x.subject);
  if (cn !== undefined) info.peerCommonName = cn;
  const why = sock.authorizationError as unknown;
  if (!sock.authorized && why !== undefined && why !== null) {
    info.verifyError = typeof why === "string" ? why : String((why as { code?: string }).code ?? why);
  }
}

/**
 * What a server-side handshake negotiated; the peer certificate fields only when one was asked
 * for (`authorized` is then always set).
 */
export function serverTlsInfo(sock: TLSSocket, serverName: string | undefined, askedForCert: boolean): TlsInfo {
  const info = baseInfo(sock, serverName);
  if (askedForCert) peerInfo(sock, info);
  return info;
}

/** What a client-side handshake negotiated, the server certificate included. */
export function clientTlsInfo(sock: TLSSocket, serverName: string | undefined): TlsInfo {
  const info = baseInfo(sock, serverName);
  peerInfo(sock, info);
  return info;
}

/**
 * Client contexts by content (CAs, certificate, key, version range): building one parses
 * every CA and key PEM (about a millisecond with a CA bundle), and the core may build a new
 * options object per connection (an SNI taken from the request) with the same PEM strings.
 * The SNI and the name to verify stay per connection. Bounded: a configuration has few
 * distinct sets; past the bound the oldest is dropped.
 */
const clientContexts = new Map<string, SecureContext>();
const CLIENT_CONTEXTS_MAX = 256;

/** The cached client context for the PEM contents and version range of `o`. */
export function clientContext(o: TlsClientOptions): SecureContext {
  const minVersion = o.minVersion ?? "TLSv1.2";
  const maxVersion = o.maxVersion ?? "TLSv1.3";
  const key = JSON.stringify([o.caCerts ?? null, o.cert ?? null, o.key ?? null, minVersion, maxVersion]);
  let ctx = clientContexts.get(key);
  if (ctx === undefined) {
    ctx = createSecureContext({
      minVersion,
      maxVersion,
      ...(o.caCerts === undefined ? {} : { ca: [...o.caCerts] }),
      ...(o.cert === undefined ? {} : { cert: o.cert }),
      ...(o.key === undefined ? {} : { key: o.key }),
    });
    if (clientContexts.size >= CLIENT_CONTEXTS_MAX) clientContexts.delete(clientContexts.keys().next().value!);
    clientContexts.set(key, ctx);
  }
  return ctx;
}

/** Accepts any name: the chain alone is verified (neither `serverName` nor `verifyName` given). */
function chainOnly(): undefined {
  return undefined;
}

/**
 * `tls.connect` options on top of `raw`, under the SNI rule of `_tls_name.ts`. The certificate
 * name checked is `verifyName` when given (HAProxy's `verifyhost`), else `serverName`; with
 * neither, the chain only (HAProxy's `verify required` without `sni` nor `verifyhost`).
 * `verify: false` is `rejectUnauthorized: false`, which skips chain and name checks alike.
 */
export function tlsClientOptions(raw: NetSocket, o: TlsClientOptions, address: Address): ConnectionOptions {
  const { sni } = tlsClientName(o, address);
  const name = o.verifyName ?? o.serverName;
  const options: ConnectionOptions = {
    socket: raw,
    secureContext: clientContext(o),
    rejectUnauthorized: o.verify ?? true,
    ...(sni === undefined ? {} : { servername: sni }),
    ...(o.alpnProtocols === undefined ? {} : { ALPNProtocols: [...o.alpnProtocols] }),
  };
  if (name === undefined) options.checkServerIdentity = chainOnly;
  else if (o.verifyName !== undefined) {
    options.checkServerIdentity = (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert);
  } else options.host = name;
  return options;
}
