/**
 * Error mapping shared by the runtime adapters: every runtime exposes Node-style `err.code`
 * strings on socket errors, so one table serves Deno, Bun and Node.
 *
 * @module
 */
import type { NetError, NetErrorCode } from "../src/net.ts";

const KNOWN: ReadonlySet<string> = new Set<NetErrorCode>([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOENT",
  "EACCES",
  "EPIPE",
  "ECANCELED",
  "ETLS",
  "ETLSVERIFY",
  "ENOTFOUND",
]);

/** Runtime codes that mean the same as one of ours. */
const ALIASES: Readonly<Record<string, NetErrorCode>> = {
  ABORT_ERR: "ECANCELED",
  ECONNABORTED: "ECONNRESET",
  ERR_SOCKET_CLOSED: "EPIPE",
  ERR_STREAM_DESTROYED: "EPIPE",
  ERR_STREAM_WRITE_AFTER_END: "EPIPE",
  EPROTO: "ETLS",
  ERR_SSL_WRONG_VERSION_NUMBER: "ETLS",
  DEPTH_ZERO_SELF_SIGNED_CERT: "ETLSVERIFY",
  SELF_SIGNED_CERT_IN_CHAIN: "ETLSVERIFY",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "ETLSVERIFY",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "ETLSVERIFY",
  CERT_HAS_EXPIRED: "ETLSVERIFY",
  ERR_TLS_CERT_ALTNAME_INVALID: "ETLSVERIFY",
  // The other OpenSSL X509_V_ERR names Node (and Bun) give a failed verification as `code`.
  UNABLE_TO_GET_ISSUER_CERT: "ETLSVERIFY",
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "ETLSVERIFY",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "ETLSVERIFY",
  CERT_SIGNATURE_FAILURE: "ETLSVERIFY",
  CERT_NOT_YET_VALID: "ETLSVERIFY",
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "ETLSVERIFY",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "ETLSVERIFY",
  CERT_CHAIN_TOO_LONG: "ETLSVERIFY",
  CERT_REVOKED: "ETLSVERIFY",
  INVALID_CA: "ETLSVERIFY",
  PATH_LENGTH_EXCEEDED: "ETLSVERIFY",
  INVALID_PURPOSE: "ETLSVERIFY",
  CERT_UNTRUSTED: "ETLSVERIFY",
  CERT_REJECTED: "ETLSVERIFY",
  HOSTNAME_MISMATCH: "ETLSVERIFY",
};

/** Builds a {@link NetError}, keeping the runtime's error as `cause`. */
export function netError(code: NetErrorCode, message: string, cause?: unknown): NetError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as Error & {
    code: NetErrorCode;
  };
  err.code = code;
  return err;
}

/**
 * Maps any runtime error to a {@link NetError}. Deno's rustls errors carry no code: their
 * messages are matched (`invalid peer certificate` is a verification failure, see
 * `docs/runtimes.md`, Deno).
 */
export function toNetError(err: unknown, context: string): NetError {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === "string") {
    const raw = (err as unknown as { code: string }).code;
    if (KNOWN.has(raw)) return netError(raw as NetErrorCode, `${context}: ${err.message}`, err);
    const alias = ALIASES[raw];
    if (alias !== undefined) return netError(alias, `${context}: ${err.message}`, err);
    if (raw.startsWith("ERR_SSL") || raw.startsWith("ERR_TLS")) {
      return netError("ETLS", `${context}: ${err.message}`, err);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : "";
  if (name === "AbortError" || name === "TimeoutError") {
    return netError("ECANCELED", `${context}: ${message}`, err);
  }
  if (/invalid peer certificate|certificate verify failed|UnknownIssuer/i.test(message)) {
    return netError("ETLSVERIFY", `${context}: ${message}`, err);
  }
  if (name === "ConnectionRefused") return netError("ECONNREFUSED", `${context}: ${message}`, err);
  if (name === "ConnectionReset" || name === "BrokenPipe") {
    return netError(name === "BrokenPipe" ? "EPIPE" : "ECONNRESET", `${context}: ${message}`, err);
  }
  if (name === "AddrInUse") return netError("EADDRINUSE", `${context}: ${message}`, err);
  if (name === "NotFound") return netError("ENOENT", `${context}: ${message}`, err);
  if (name === "InvalidData") return netError("ETLS", `${context}: ${message}`, err);
  // Deno/rustls: the peer closed in the middle of a TLS handshake (in the data phase the Deno
  // adapter reads it as EOF before it gets here).
  if (name === "UnexpectedEof") return netError("ETLS", `${context}: ${message}`, err);
  if (name === "NotCapable" || name === "PermissionDenied") return netError("EACCES", `${context}: ${message}`, err);
  return netError("EUNKNOWN", `${context}: ${message}`, err);
}

/**
 * Rethrows an exception a core handler threw inside a runtime callback from a fresh
 * microtask: it surfaces as uncaught (as in Node), while the adapter's own state stays sound
 * and the runtime never mistakes it for a socket error.
 */
export function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}
