/**
 * From a resolved configuration to the settings each run-time object reads, and the check
 * that the network adapter can do what the configuration asks (refused at load, never at
 * run time).
 *
 * @module
 */
import type { Network } from "./net.ts";
import { ProxyError } from "./errors.ts";
import { parseLogFormat } from "./acl/log_format.ts";
import { LOG_RECORD_VARIABLES } from "./log.ts";
import { formatAddress } from "./address.ts";
import type { BackendSettings } from "./backend.ts";
import type { FrontendSettings } from "./frontend.ts";
import type { ResolvedBackendConfig, ResolvedFrontendConfig, ResolvedProxyConfig } from "./config/defaults.ts";

/** Settings of one server of a backend (its pool's too), also of one added at run time. */
export function toServerSettings(s: ResolvedBackendConfig["servers"][number]): BackendSettings["servers"][number] {
  return { ...s, pool: { maxIdle: s.poolMaxConn, purgeDelayMs: s.poolPurgeDelayMs, maxReuse: s.maxReuse } };
}

/** Settings of a backend and its servers. */
export function toBackendSettings(b: ResolvedBackendConfig): BackendSettings {
  return {
    name: b.name,
    balance: b.balance,
    hashType: b.hashType,
    retries: b.retries,
    redispatch: b.redispatch,
    allBackups: b.allBackups,
    connectTimeoutMs: b.timeouts.connectMs,
    queueTimeoutMs: b.timeouts.queueMs,
    serverTimeoutMs: b.timeouts.serverMs,
    tunnelTimeoutMs: b.timeouts.tunnelMs,
    servers: b.servers.map(toServerSettings),
    ...(b.mode === "http"
      ? {
        http: {
          reuse: b.httpReuse,
          mode: b.httpConnectionMode,
          retryOn: b.retryOn,
          persist: b.persist,
          abortOnClose: b.abortOnClose,
          bufferRequest: b.httpBufferRequest,
          ...(b.cookie !== undefined ? { cookie: b.cookie } : {}),
          ...(b.forwardProxy !== undefined ? { proxy: b.forwardProxy } : {}),
        },
      }
      : {}),
  };
}

/** Settings of a frontend. */
export function toFrontendSettings(f: ResolvedFrontendConfig): FrontendSettings {
  return {
    name: f.name,
    binds: f.binds,
    clientTimeoutMs: f.clientTimeoutMs,
    maxconn: f.maxconn,
    rateLimitSessions: f.rateLimitSessions,
    log: f.log === undefined ? undefined : {
      format: f.log.format,
      target: f.log.target,
      logFormat: f.log.logFormat === undefined ? undefined : parseLogFormat(f.log.logFormat, LOG_RECORD_VARIABLES),
    },
    mode: f.mode,
    uniqueId: f.uniqueIdFormat === undefined
      ? undefined
      : { format: parseLogFormat(f.uniqueIdFormat), header: f.uniqueIdHeader },
  };
}

/**
 * Fetches and log variables that read the client's TLS details beyond "TLS or not" and ALPN:
 * the SNI as sent, version, cipher, resumption, client certificate.
 */
const PEER_INFO_USE = /\bssl_fc_(?:sni|protocol|cipher|is_resumed|has_crt)\b|\bssl_c_[a-z_]+|%sslv\b|%sslc\b/;

/** The first use of {@link PEER_INFO_USE} in the configuration's rules, ACLs and formats. */
export function peerInfoUse(config: ResolvedProxyConfig): string | undefined {
  const text = JSON.stringify(config, (k, v) => (k === "certificates" || k === "caCerts" ? undefined : v));
  return PEER_INFO_USE.exec(text)?.[0];
}

/**
 * Refuses a configuration that needs a capability `net` lacks (e.g. a Unix socket on an
 * adapter without them), naming the key and the adapter's reason.
 * @throws {ProxyError} `ERR_CAPABILITY_MISSING`
 */
export function checkCapabilities(config: ResolvedProxyConfig, net: Network): void {
  const caps = net.capabilities;
  const need = (ok: boolean, cap: string, where: string) => {
    if (!ok) {
      throw new ProxyError(
        "ERR_CAPABILITY_MISSING",
        `${where}: needs '${cap}', which the ${net.name} adapter lacks: ${caps.notes[cap] ?? "not supported"}`,
      );
    }
  };
  for (const f of config.frontends) {
    for (const { address: a, tls, acceptProxy } of f.binds) {
      const where = `frontend '${f.name}' bind ${formatAddress(a)}`;
      if (a.transport === "unix") need(caps.unix, "unix", where);
      else if (a.hostname.includes(":")) need(caps.ipv6, "ipv6", where);
      if (tls === undefined) continue;
      need(caps.tlsServer, "tlsServer", `${where} ssl`);
      if (tls.certificates.length > 1) need(caps.tlsSniMultiCert, "tlsSniMultiCert", `${where} ssl (several crt)`);
      if (tls.requestClientCert === true || tls.requireClientCert === true) {
        need(caps.tlsServerClientAuth, "tlsServerClientAuth", `${where} verify`);
      }
      if (acceptProxy) need(caps.tlsServerUpgrade, "tlsServerUpgrade", `${where} accept-proxy ssl`);
    }
  }
  // What a TLS client connection told only adapters with `tlsPeerInfo` know: a configuration
  // that reads it would silently get empty values elsewhere.
  if (!caps.tlsPeerInfo && config.frontends.some((f) => f.binds.some((b) => b.tls !== undefined))) {
    const used = peerInfoUse(config);
    if (used !== undefined) need(false, "tlsPeerInfo", `'${used}' on a TLS bind`);
  }
  for (const [i, s] of config.statsSockets.entries()) {
    if (s.address.transport === "unix") {
      need(caps.unix, "unix", `stats socket ${formatAddress(s.address)} (statsSockets[${i}])`);
    }
  }
  for (const b of config.backends) {
    for (const s of b.servers) {
      const where = `backend '${b.name}' server '${s.name}' ${formatAddress(s.address)}`;
      if (s.address.transport === "unix") need(caps.unix, "unix", where);
      else if (s.address.hostname.includes(":")) need(caps.ipv6, "ipv6", where);
      if (s.tls !== undefined) {
        need(caps.tlsClient, "tlsClient", `${where} ssl`);
        if (s.tls.verify === false) need(caps.tlsClientNoVerify, "tlsClientNoVerify", `${where} verify none`);
      }
      // `check-ssl` without `ssl`: the checks have no CA to verify against (see health.ts).
      if (s.check?.ssl === true) {
        need(caps.tlsClient, "tlsClient", `${where} check-ssl`);
        if (s.tls?.verify !== true) need(caps.tlsClientNoVerify, "tlsClientNoVerify", `${where} check-ssl`);
      }
    }
  }
}
