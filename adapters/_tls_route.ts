/**
 * When the Deno and Bun adapters leave their runtime's native TLS for its `node:tls` layer
 * (`adapters/node/`): the one place that lists what each native API cannot do, so that the
 * routing, the capabilities and `docs/runtimes.md` agree.
 *
 * @module
 */
import type { Address, ListenOptions, TlsClientOptions } from "../src/net.ts";
import { tlsClientName } from "./_tls_name.ts";

/** What a runtime's native TLS listener does beyond one certificate and ALPN. */
export interface NativeServerTls {
  /** Request and verify client certificates with HAProxy's `verify optional` semantics. */
  readonly clientAuth: boolean;
  /** Refuse clients older than TLS 1.3. */
  readonly minTls13: boolean;
  /** TLS on Unix sockets. */
  readonly unix: boolean;
  /** Its sockets tell the SNI as sent, the version, the cipher and the peer certificate. */
  readonly peerInfo: boolean;
}

/**
 * Why a TLS listener cannot be native, or `undefined` when it can: several certificates (no
 * native SNI selection), `strictSni` (no native SNI refusal), `tlsDeferred` (no native
 * server-side start after a PROXY header), `maxVersion` TLS 1.2 (no native API caps the
 * version), per-certificate `options`, and what `native` lacks.
 */
export function serverNeedsNodeTls(o: ListenOptions, native: NativeServerTls): string | undefined {
  const tls = o.tls;
  if (tls === undefined) return undefined;
  if (o.tlsDeferred === true) return "tlsDeferred";
  if (tls.certificates.length !== 1) return "several certificates";
  if (tls.strictSni === true) return "strictSni";
  if (!native.clientAuth && (tls.requestClientCert === true || tls.requireClientCert === true)) {
    return "client certificates";
  }
  if (!native.minTls13 && tls.minVersion === "TLSv1.3") return "minVersion TLSv1.3";
  if (tls.maxVersion === "TLSv1.2") return "maxVersion TLSv1.2";
  if (tls.certificates.some((c) => c.options !== undefined)) return "per-certificate options";
  if (!native.unix && o.address.transport === "unix") return "TLS on a Unix socket";
  if (!native.peerInfo && tls.peerInfo === true) return "peer info (SNI, version, certificate)";
  return undefined;
}

/** What a runtime's native TLS client does beyond SNI, ALPN, CAs and the name check. */
export interface NativeClientTls {
  /** `verify: false`. */
  readonly noVerify: boolean;
  /** Only TLS 1.3 offered. */
  readonly minTls13: boolean;
  /** A client certificate with an SNI other than the host dialled. */
  readonly certWithOtherSni: boolean;
  /** Bytes in clear before the handshake. */
  readonly preamble: boolean;
  /** TLS on Unix sockets. */
  readonly unix: boolean;
}

/**
 * Why a TLS connect cannot be native, or `undefined`: a name to verify other than the SNI
 * (`verifyName`), no name at all (HAProxy then verifies the chain only; native clients always
 * check the SNI or the address), `maxVersion` TLS 1.2, and what `native` lacks.
 */
export function clientNeedsNodeTls(
  tls: TlsClientOptions,
  address: Address,
  preamble: boolean,
  native: NativeClientTls,
): string | undefined {
  if (tls.verifyName !== undefined && tls.verifyName !== tls.serverName) return "verifyName";
  if (tls.serverName === undefined && tls.verify !== false) return "no name to verify (chain only)";
  if (!native.noVerify && tls.verify === false) return "verify: false";
  if (!native.minTls13 && tls.minVersion === "TLSv1.3") return "minVersion TLSv1.3";
  if (tls.maxVersion === "TLSv1.2") return "maxVersion TLSv1.2";
  if (!native.preamble && preamble) return "preamble";
  if (!native.unix && address.transport === "unix") return "TLS on a Unix socket";
  if (!native.certWithOtherSni && (tls.cert !== undefined || tls.key !== undefined)) {
    const dialled = address.transport === "tcp" ? address.hostname : undefined;
    if (tlsClientName(tls, address).verifyName !== dialled) return "client certificate with another SNI";
  }
  return undefined;
}
