/**
 * The TLS options a `bind` line and a `crt-list` line's `[sslbindconf]` share (configuration.txt
 * 5.1 `alpn`, `ca-file`, `ca-verify-file`, `ssl-min-ver`, `ssl-max-ver`, `verify`; 5.1
 * `crt-list`), the version words of `server` lines and `ssl-default-*-options`, and the check
 * that a version range is not empty, with HAProxy 2.6's messages.
 *
 * @module
 */
import type { TlsCertificateOptions, TlsVersion } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import { loadCaFile, underBase } from "./_cfg_tls_files.ts";

/** Versions HAProxy knows; proxykit offers TLS 1.2 and 1.3 only. */
const VERSIONS = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/**
 * `ssl-min-ver` / `ssl-max-ver` (`key`) of a bind, server or crt-list line: HAProxy's message
 * for an unknown version; an old version (below TLS 1.2, which every runtime refuses by
 * default) is unsupported.
 */
export function tlsVersion(c: Ctx, who: string, v: string | undefined, key = "ssl-min-ver"): TlsVersion | undefined {
  if (v === undefined || !VERSIONS.includes(v)) return c.error(`${who}'${v ?? ""}' : unknown ssl/tls version`);
  if (v !== "TLSv1.2" && v !== "TLSv1.3") {
    c.unsupported(`${who}'${key} ${v}': proxykit accepts TLSv1.2 and TLSv1.3 only`);
    return undefined;
  }
  return v;
}

/** `alpn LIST` of a bind, server or crt-list line. */
export function alpnList(c: Ctx, who: string, v: string | undefined): string[] {
  if (v === undefined || v === "") return c.error(`${who}'alpn' : missing the comma-delimited ALPN protocol suite`);
  return v.split(",").filter((p) => p !== "");
}

/**
 * What a bind line or a crt-list line's `[sslbindconf]` set: the options below, `verify` as
 * written (the listener's client certificate policy is settled once the whole line is read).
 */
export interface SslBindConf {
  alpnProtocols?: string[];
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  verify?: "none" | "optional" | "required";
  caCerts?: string[];
}

/**
 * Reads the option `words[i]` into `conf` when it is one of the shared ones, and returns how
 * many words it took (0: not one of them). `base` is `ca-base`.
 */
export function sslBindOption(
  c: Ctx,
  who: string,
  words: readonly string[],
  i: number,
  conf: SslBindConf,
  base: string | undefined,
): number {
  const w = words[i]!;
  const v = words[i + 1];
  switch (w) {
    case "alpn":
      conf.alpnProtocols = alpnList(c, who, v);
      return 2;
    case "ssl-min-ver":
    case "ssl-max-ver": {
      const version = tlsVersion(c, who, v, w);
      if (version !== undefined) conf[w === "ssl-min-ver" ? "minVersion" : "maxVersion"] = version;
      return 2;
    }
    case "verify":
      if (v !== "none" && v !== "optional" && v !== "required") {
        c.error(
          `${who}'verify' : unknown verify method '${v ?? ""}', only 'none', 'optional', and 'required' are supported`,
        );
      }
      conf.verify = v;
      return 2;
    case "ca-file":
    case "ca-verify-file": {
      if (v === undefined || v === "") return c.error(`${who}'${w}' : missing CAfile path`);
      conf.caCerts = [...(conf.caCerts ?? []), ...loadCaFile(c, underBase(v, base), who, "bind")];
      return 2;
    }
    default:
      return 0;
  }
}

/** The `verify` of `conf` as the adapter contract's two flags (`undefined`: not set). */
export function clientCertFlags(
  verify: SslBindConf["verify"],
): Pick<TlsCertificateOptions, "requestClientCert" | "requireClientCert"> | undefined {
  if (verify === undefined) return undefined;
  return { requestClientCert: verify !== "none", requireClientCert: verify === "required" };
}

/**
 * Refuses an empty version range (`ssl-min-ver` above `ssl-max-ver`), as HAProxy refuses a
 * context with every version disabled. `what` names the bind or server, `min` and `max` are
 * the effective versions (HAProxy's default minimum is TLS 1.2).
 */
export function checkVersionRange(
  c: Ctx,
  what: string,
  min: TlsVersion | undefined,
  max: TlsVersion | undefined,
): void {
  if (min === "TLSv1.3" && max === "TLSv1.2") {
    c.error(
      `Proxy '${c.sec.name}': all SSL/TLS versions are disabled for ${what} ('ssl-min-ver ${min}' is above ` +
        `'ssl-max-ver ${max}').`,
    );
  }
}
