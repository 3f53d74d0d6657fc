/**
 * TLS settings of the typed configuration checked and completed: `bind ... ssl` (certificates
 * parsed, their SNI names filled from the certificate as HAProxy indexes them) and
 * `server ... ssl` (HAProxy's defaults: `verify required`, which needs a CA).
 *
 * @module
 */
import { ProxyError } from "../errors.ts";
import type { TlsCertificate, TlsCertificateOptions, TlsServerOptions, TlsVersion } from "../net.ts";
import { parsePemCertificate, sniNames } from "../tls/x509.ts";
import { splitPem } from "../tls/pem.ts";
import { ExprError, parseSampleExpr, trailingError } from "../acl/expr.ts";
import type { ServerTlsConfig } from "./tls_types.ts";

const VERSIONS: readonly TlsVersion[] = ["TLSv1.2", "TLSv1.3"];

function bad(path: string, what: string, got?: unknown): never {
  const tail = arguments.length > 2 ? `, got ${JSON.stringify(got) ?? String(got)}` : "";
  throw new ProxyError("ERR_CONFIG_INVALID", `${path}: ${what}${tail}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "must be an object", v);
  return v as Record<string, unknown>;
}

function flag(v: unknown, path: string): boolean | undefined {
  if (v !== undefined && typeof v !== "boolean") bad(path, "must be a boolean", v);
  return v;
}

function strings(v: unknown, path: string, nonEmpty: boolean): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) {
    bad(path, "must be an array of non-empty strings", v);
  }
  if (nonEmpty && v.length === 0) bad(path, "must not be empty");
  return [...v] as string[];
}

function version(v: unknown, path: string): TlsVersion | undefined {
  if (v !== undefined && !VERSIONS.includes(v as TlsVersion)) bad(path, `must be "TLSv1.2" or "TLSv1.3"`, v);
  return v as TlsVersion | undefined;
}

/** PEM CA certificates: each string must hold at least one certificate. */
function caList(v: unknown, path: string): string[] | undefined {
  const cas = strings(v, path, true);
  cas?.forEach((pem, i) => {
    if (splitPem(pem).certificates.length === 0) bad(`${path}[${i}]`, "must hold a PEM certificate");
  });
  return cas;
}

/** `minVersion` and `maxVersion` of `o`, refused when the range is empty. */
function versions(o: Record<string, unknown>, path: string): { minVersion?: TlsVersion; maxVersion?: TlsVersion } {
  const minVersion = version(o.minVersion, `${path}.minVersion`);
  const maxVersion = version(o.maxVersion, `${path}.maxVersion`);
  if (minVersion === "TLSv1.3" && maxVersion === "TLSv1.2") {
    bad(path, "all SSL/TLS versions are disabled (minVersion TLSv1.3 is above maxVersion TLSv1.2)");
  }
  return {
    ...(minVersion !== undefined ? { minVersion } : {}),
    ...(maxVersion !== undefined ? { maxVersion } : {}),
  };
}

/**
 * A certificate's `options` (a crt-list line's `[sslbindconf]`): checked as the listener's
 * own; `requestClientCert` needs a CA, the certificate's or the listener's (`listenerCa`).
 */
function certificateOptions(v: unknown, path: string, listener: Record<string, unknown>): TlsCertificateOptions {
  const o = obj(v, path);
  const require = flag(o.requireClientCert, `${path}.requireClientCert`);
  const request = flag(o.requestClientCert, `${path}.requestClientCert`);
  const caCerts = caList(o.caCerts, `${path}.caCerts`);
  if ((request === true || require === true) && caCerts === undefined && listener.caCerts === undefined) {
    bad(path, "verify is enabled but no CA file specified (requestClientCert needs caCerts)");
  }
  const alpn = strings(o.alpnProtocols, `${path}.alpnProtocols`, true);
  const merged = { minVersion: o.minVersion ?? listener.minVersion, maxVersion: o.maxVersion ?? listener.maxVersion };
  versions(merged, path);
  const own = versions(o, path);
  return {
    ...(alpn !== undefined ? { alpnProtocols: alpn } : {}),
    ...(request !== undefined || require !== undefined
      ? { requestClientCert: request === true || require === true }
      : {}),
    ...(require !== undefined ? { requireClientCert: require } : {}),
    ...(caCerts !== undefined ? { caCerts } : {}),
    ...own,
  };
}

/** One certificate: PEM chain and key, its SNI names from the certificate when not given. */
function certificate(v: unknown, path: string, listener: Record<string, unknown> = {}): TlsCertificate {
  const c = obj(v, path);
  if (typeof c.cert !== "string") bad(`${path}.cert`, "must be a PEM certificate chain", c.cert);
  if (typeof c.key !== "string" || splitPem(c.key).key === undefined) {
    bad(`${path}.key`, "must be a PEM private key");
  }
  let names: readonly string[];
  try {
    names = sniNames(parsePemCertificate(c.cert));
  } catch (e) {
    return bad(`${path}.cert`, `must be a PEM certificate chain (${(e as Error).message})`);
  }
  const given = strings(c.serverNames, `${path}.serverNames`, false);
  if (c.file !== undefined && typeof c.file !== "string") bad(`${path}.file`, "must be a file name", c.file);
  return {
    cert: c.cert,
    key: c.key,
    serverNames: given?.map((n) => n.toLowerCase()) ?? names,
    ...(c.file !== undefined ? { file: c.file } : {}),
    ...(c.options !== undefined ? { options: certificateOptions(c.options, `${path}.options`, listener) } : {}),
  };
}

/**
 * `bind ... ssl`: at least one certificate (the first is the default); `verify
 * optional|required` (`requestClientCert`, `requireClientCert`) needs `caCerts`, as HAProxy
 * refuses `verify` without `ca-file`.
 */
export function resolveBindTls(v: unknown, path: string): TlsServerOptions {
  const o = obj(v, path);
  if (!Array.isArray(o.certificates) || o.certificates.length === 0) {
    bad(`${path}.certificates`, "must hold at least one certificate");
  }
  const certificates = o.certificates.map((c, i) => certificate(c, `${path}.certificates[${i}]`, o));
  const require = flag(o.requireClientCert, `${path}.requireClientCert`) ?? false;
  const request = (flag(o.requestClientCert, `${path}.requestClientCert`) ?? false) || require;
  const caCerts = caList(o.caCerts, `${path}.caCerts`);
  if (request && caCerts === undefined) {
    bad(path, "verify is enabled but no CA file specified (requestClientCert needs caCerts)");
  }
  const alpn = strings(o.alpnProtocols, `${path}.alpnProtocols`, true);
  const range = versions(o, path);
  const strictSni = flag(o.strictSni, `${path}.strictSni`);
  return {
    certificates,
    ...(alpn !== undefined ? { alpnProtocols: alpn } : {}),
    ...(request ? { requestClientCert: true } : {}),
    ...(require ? { requireClientCert: true } : {}),
    ...(caCerts !== undefined ? { caCerts } : {}),
    ...range,
    ...(strictSni === true ? { strictSni } : {}),
  };
}

/** A sample expression, refused with the HAProxy message of `sni` / `check-sni`. */
function expression(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") bad(path, "must be a sample expression such as req.hdr(host)", v);
  try {
    const { end } = parseSampleExpr(v);
    if (end !== v.length) throw trailingError([]);
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    const why = e.kind === "unknown-fetch" ? `unknown fetch method '${e.keyword}'` : e.message;
    bad(path, `error detected while parsing sni expression : ${why}`);
  }
  return v;
}

/**
 * `server ... ssl`: `verify` defaults to required (HAProxy's default, and `ssl-server-verify`
 * in the loader), which needs `caCerts` or `systemCa`: HAProxy refuses to start without.
 */
export function resolveServerTls(v: unknown, path: string): ServerTlsConfig {
  const o = obj(v, path);
  const verify = flag(o.verify, `${path}.verify`) ?? true;
  const caCerts = caList(o.caCerts, `${path}.caCerts`);
  const systemCa = flag(o.systemCa, `${path}.systemCa`) ?? false;
  if (verify && caCerts === undefined && !systemCa) {
    bad(
      path,
      "verify is enabled by default but no CA file specified (set caCerts, systemCa, or verify: false, " +
        "HAProxy's 'verify none')",
    );
  }
  if ((o.cert === undefined) !== (o.key === undefined)) bad(path, "cert and key go together");
  if (o.cert !== undefined) certificate({ cert: o.cert, key: o.key }, path);
  if (o.verifyHost !== undefined && (typeof o.verifyHost !== "string" || o.verifyHost === "")) {
    bad(`${path}.verifyHost`, "must be a host name", o.verifyHost);
  }
  const sni = expression(o.sni, `${path}.sni`);
  const alpn = strings(o.alpnProtocols, `${path}.alpnProtocols`, true);
  const range = versions(o, path);
  return {
    verify,
    ...(caCerts !== undefined ? { caCerts } : {}),
    ...(systemCa ? { systemCa } : {}),
    ...(sni !== undefined ? { sni } : {}),
    ...(o.verifyHost !== undefined ? { verifyHost: o.verifyHost as string } : {}),
    ...(alpn !== undefined ? { alpnProtocols: alpn } : {}),
    ...(o.cert !== undefined ? { cert: o.cert as string, key: o.key as string } : {}),
    ...range,
  };
}

/** `check-sni`: a plain name (HAProxy takes a string, not an expression). */
export function checkSni(v: unknown, path: string): string | undefined {
  if (v !== undefined && (typeof v !== "string" || v === "")) bad(path, "must be a host name", v);
  return v;
}
