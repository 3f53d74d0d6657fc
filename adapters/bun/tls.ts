/**
 * TLS pieces of the Bun adapter: Bun's `tls` options built from ours, what a handshake
 * negotiated, and how a failed client handshake is reported.
 *
 * @module
 */
import type { Address, NetError, TlsClientOptions, TlsInfo, TlsServerOptions } from "../../src/net.ts";
import { netError, toNetError } from "../_errors.ts";
import { tlsClientName } from "../_tls_name.ts";
import type { BunNativeSocket } from "./api.ts";

/** `tls` options of `Bun.listen` / `Bun.connect`. */
export interface BunTlsOptions {
  cert?: string;
  key?: string;
  ca?: string[];
  serverName?: string;
  ALPNProtocols?: Uint8Array;
  rejectUnauthorized?: boolean;
  /** `0x0303` (TLS 1.2), `0x0304` (TLS 1.3). */
  minVersion?: number;
}

/**
 * ALPN protocol list in TLS wire format (length-prefixed): Bun throws `ERR_INVALID_ARG_TYPE` on
 * an array and ignores a lower-case `alpnProtocols`.
 */
function alpnWire(protocols: readonly string[]): Uint8Array {
  const parts = protocols.map((p) => new TextEncoder().encode(p));
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let o = 0;
  for (const [i, p] of parts.entries()) {
    if (p.length === 0 || p.length > 255) {
      throw new RangeError(`alpnProtocols: invalid protocol ${JSON.stringify(protocols[i])}`);
    }
    out[o++] = p.length;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** What was negotiated on `s`; `authorized` and the peer name only when a certificate was asked for. */
export function tlsInfo(s: BunNativeSocket, serverName: string | undefined, askedForCert: boolean): TlsInfo {
  const info: { -readonly [K in keyof TlsInfo]: TlsInfo[K] } = {
    alpnProtocol: typeof s.alpnProtocol === "string" && s.alpnProtocol !== "" ? s.alpnProtocol : null,
  };
  if (serverName !== undefined && serverName !== "") info.serverName = serverName;
  const version = s.getTLSVersion();
  if (typeof version === "string") info.protocol = version;
  const cipher = s.getCipher?.();
  const cipherName = cipher?.standardName ?? cipher?.name;
  if (typeof cipherName === "string") info.cipher = cipherName;
  if (typeof s.isSessionReused === "function") info.resumed = s.isSessionReused();
  if (askedForCert) {
    info.authorized = s.authorized;
    const cn = s.getPeerCertificate()?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (name !== undefined) info.peerCommonName = name;
  }
  return info;
}

/** Bun's `tls` options for a listener. */
export function serverTls(o: TlsServerOptions): BunTlsOptions {
  const [first, ...rest] = o.certificates;
  if (first === undefined) throw new RangeError("tls.certificates: at least one certificate is required");
  if (rest.length > 0) {
    throw new RangeError(
      `tls.certificates: ${o.certificates.length} given, but Bun.listen takes one (no tlsSniMultiCert)`,
    );
  }
  const tls: BunTlsOptions = { cert: first.cert, key: first.key };
  // Bun takes the protocol number (0x0304), not the name; its default minimum is TLS 1.2.
  if (o.minVersion === "TLSv1.3") tls.minVersion = 0x0304;
  if (o.alpnProtocols !== undefined && o.alpnProtocols.length > 0) tls.ALPNProtocols = alpnWire(o.alpnProtocols);
  if (o.caCerts !== undefined) tls.ca = [...o.caCerts];
  return tls;
}

/**
 * Bun's `tls` options for a connect, under the SNI rule of `_tls_name.ts`: without
 * `serverName` Bun sends an IP literal as SNI, while `serverName: ""` sends none and still
 * verifies the certificate against the address (measured). `verify: false` is
 * `rejectUnauthorized: false`, which accepts any certificate.
 */
export function clientTls(o: TlsClientOptions, address: Address): BunTlsOptions {
  const tls: BunTlsOptions = {
    serverName: tlsClientName(o, address).sni ?? "",
    rejectUnauthorized: o.verify ?? true,
  };
  if (o.alpnProtocols !== undefined && o.alpnProtocols.length > 0) tls.ALPNProtocols = alpnWire(o.alpnProtocols);
  if (o.caCerts !== undefined) tls.ca = [...o.caCerts];
  if (o.cert !== undefined) tls.cert = o.cert;
  if (o.key !== undefined) tls.key = o.key;
  if (o.minVersion === "TLSv1.3") tls.minVersion = 0x0304;
  return tls;
}

/** A failed client handshake: Bun's `authorizationError` while verifying is a verification failure. */
export function handshakeError(err: Error | null, verify: boolean): NetError {
  if (err === null) return netError("ETLS", "bun TLS handshake failed");
  const e = toNetError(err, "bun TLS handshake");
  return e.code === "EUNKNOWN" && verify ? netError("ETLSVERIFY", e.message, err) : e;
}
