/**
 * What a server with `send-proxy` / `send-proxy-v2` receives first on each connection
 * (configuration.txt 5.2 `send-proxy`, `send-proxy-v2`, `proxy-v2-options`,
 * `check-send-proxy`): the header built from the stream's client side, that is the frontend
 * connection's source and destination (those its own PROXY header gave, with `accept-proxy`),
 * its TLS details and the TLVs it received.
 *
 * @module
 */
import type { Address, Socket, TlsInfo } from "./net.ts";
import type { ProxyV2Option, SendProxyConfig } from "./config/tls_types.ts";
import type { Connection } from "./connection.ts";
import { PP2_CLIENT, type ProxyTlvs } from "./proxy_protocol.ts";
import type { StreamIdentity } from "./acl/sample.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2, type ProxySslTlvInput } from "./proxy_protocol_build.ts";
import { x509ErrorNumber } from "./tls/x509_errors.ts";

const has = (cfg: SendProxyConfig, o: ProxyV2Option): boolean => cfg.v2Options?.includes(o) === true;

/**
 * The SSL TLV as HAProxy fills it from the client connection (src/connection.c
 * `make_proxy_line_v2()`): the TLS bit and version when the client spoke TLS, the certificate
 * bits and `verify` when it presented one, the CN with `cert-cn`, the cipher with
 * `ssl-cipher`. A plain client gets `client` 0 and `verify` 0 and no sub-TLV.
 */
function sslTlv(cfg: SendProxyConfig, tls: TlsInfo | undefined): ProxySslTlvInput {
  if (tls === undefined) return { client: 0, verify: 0 };
  const cert = tls.peerCommonName !== undefined || tls.peerSubject !== undefined || tls.authorized === true ||
    tls.verifyError !== undefined;
  let client = PP2_CLIENT.SSL;
  let verify = 0;
  if (cert) {
    client |= PP2_CLIENT.CERT_SESS;
    if (tls.resumed !== true) client |= PP2_CLIENT.CERT_CONN;
    if (tls.authorized !== true) verify = x509ErrorNumber(tls.verifyError);
  }
  return {
    client,
    verify,
    ...(tls.protocol !== undefined ? { version: tls.protocol } : {}),
    ...(has(cfg, "cert-cn") && tls.peerCommonName !== undefined ? { cn: tls.peerCommonName } : {}),
    ...(has(cfg, "ssl-cipher") && tls.cipher !== undefined ? { cipher: tls.cipher } : {}),
  };
}

/** What the header of a stream's server connection is built from. */
export interface SendProxyClient {
  /** The client's address (the frontend connection's source). */
  readonly src: Address | undefined;
  /** The address the client reached (the frontend connection's destination). */
  readonly dst: Address | undefined;
  /** The client connection's TLS, when it is a TLS connection. */
  readonly tls?: TlsInfo | undefined;
  /** TLVs of the PROXY header the client connection arrived with (`accept-proxy`). */
  readonly received?: ProxyTlvs | undefined;
}

/** The {@link SendProxyClient} view of a frontend connection. */
export function clientOf(conn: Connection | undefined): SendProxyClient {
  if (conn === undefined) return { src: undefined, dst: undefined };
  return { src: conn.src, dst: conn.dst, tls: conn.socket?.tls, received: conn.proxyTlvs };
}

/**
 * The header a stream sends first to a `send-proxy` server. v1: the client's addresses (or
 * `UNKNOWN`). v2: the same as `PROXY`, with ALPN when the client negotiated one, and per
 * `proxy-v2-options`: `authority` (the authority TLV the client's own header carried, else its
 * SNI; left out when neither), `unique-id` (the unique id of `stream`, the TCP stream or HTTP
 * request, rendered now if it was not yet; empty without a `unique-id-format`, as HAProxy 2.6's
 * `make_proxy_line_v2()` sends it, never the id the client's own header carried: a
 * `unique-id-format %[fc_pp_unique_id]` passes that one on), `ssl`, `cert-cn`, `ssl-cipher`,
 * `crc32c`.
 */
export function streamProxyHeader(
  cfg: SendProxyConfig,
  client: SendProxyClient,
  stream?: StreamIdentity | undefined,
): Uint8Array {
  if (cfg.version === 1) return buildProxyHeaderV1(client.src, client.dst);
  const authority = client.received?.authority ?? client.tls?.serverName;
  return buildProxyHeaderV2({
    source: client.src,
    destination: client.dst,
    crc32c: has(cfg, "crc32c"),
    alpn: client.tls?.alpnProtocol ?? undefined,
    authority: has(cfg, "authority") ? authority : undefined,
    uniqueId: has(cfg, "unique-id") ? stream?.uniqueId() ?? "" : undefined,
    ssl: has(cfg, "ssl") ? sslTlv(cfg, client.tls) : undefined,
  });
}

/**
 * The header of a health check (`check-send-proxy`, or `send-proxy*` on a server whose checks
 * use its address and port). v1: the check connection's own local and peer addresses, a
 * valid line as the specification recommends for checks (HAProxy's `conn_send_proxy()` does
 * the same); v2: `LOCAL` without addresses, with the CRC32C and an empty SSL TLV when the
 * options ask for them.
 */
export function checkProxyHeader(cfg: SendProxyConfig, socket: Socket | undefined): Uint8Array {
  if (cfg.version === 1) return buildProxyHeaderV1(socket?.localAddress, socket?.remoteAddress);
  return buildProxyHeaderV2({
    command: "LOCAL",
    crc32c: has(cfg, "crc32c"),
    ssl: has(cfg, "ssl") ? { client: 0, verify: 0 } : undefined,
  });
}

/**
 * A connection hash (`Connection.hash`) extended with the PROXY header the connection carries:
 * HAProxy hashes the header's bytes with the rest (src/backend.c `be_calculate_conn_hash()`,
 * `CONN_HASH_PARAMS_TYPE_PROXY`), so that a pooled connection is only reused for a stream that
 * would send the same header (doc/proxy-protocol.txt section 2: a header must never describe
 * another client than the one whose bytes follow). Unchanged without a header.
 */
export function proxyHash(hash: string | undefined, header: Uint8Array | undefined): string | undefined {
  if (header === undefined) return hash;
  let text = "";
  for (let i = 0; i < header.length; i++) text += String.fromCharCode(header[i]!);
  return `${hash ?? ""}\u0000pp:${text}`;
}
