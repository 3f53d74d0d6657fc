/**
 * `bind` line options (configuration.txt 5.1) into a {@link BindConfig}: `accept-proxy`,
 * `name`, and TLS termination (`ssl`, `crt`, `crt-list`, `alpn`, `ssl-min-ver`, `verify`,
 * `ca-file`, `ca-verify-file`, `strict-sni`, `no-tls-tickets`), with HAProxy 2.6's messages.
 *
 * @module
 */
import type { Address, TlsCertificate, TlsServerOptions, TlsVersion } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import type { BindConfig } from "./tls_types.ts";
import { loadCaFile, loadCrt, loadCrtList, underBase } from "./_cfg_tls_files.ts";

/** What the options of one `bind` line set; each address of the line gets them all. */
type BindOptions = { -readonly [K in Exclude<keyof BindConfig, "address">]?: BindConfig[K] };

/** Versions `ssl-min-ver` knows; proxykit offers TLS 1.2 and 1.3 only. */
const VERSIONS = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/**
 * `ssl-min-ver` of a bind or server line: HAProxy's message for an unknown version; an old
 * version (below TLS 1.2, which every runtime refuses by default) is unsupported.
 */
export function tlsVersion(c: Ctx, who: string, v: string | undefined): TlsVersion | undefined {
  if (v === undefined || !VERSIONS.includes(v)) return c.error(`${who}'${v ?? ""}' : unknown ssl/tls version`);
  if (v !== "TLSv1.2" && v !== "TLSv1.3") {
    c.unsupported(`${who}'ssl-min-ver ${v}': proxykit accepts TLSv1.2 and TLSv1.3 only`);
    return undefined;
  }
  return v;
}

/** `alpn LIST` of a bind or server line. */
export function alpnList(c: Ctx, who: string, v: string | undefined): string[] {
  if (v === undefined || v === "") return c.error(`${who}'alpn' : missing the comma-delimited ALPN protocol suite`);
  return v.split(",").filter((p) => p !== "");
}

/**
 * Reads the options after a `bind` line's address list (`addresses` as written, for
 * messages); an unknown one is unsupported. TLS options without `ssl` are read (their files
 * too) but leave the listener plain, as HAProxy does.
 */
export function bindOptions(c: Ctx, words: readonly string[], addresses = ""): BindOptions {
  const o: BindOptions = {};
  const who = `'bind ${addresses}' in section '${c.sec.kind}' : `;
  let ssl = false;
  const certificates: TlsCertificate[] = [];
  const tls: { -readonly [K in keyof TlsServerOptions]?: TlsServerOptions[K] } = {};
  let verify: string | undefined;
  const value = (i: number, missing: string): string => {
    const v = words[i];
    if (v === undefined || v === "") return c.error(`${who}${missing}`);
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    switch (w) {
      case "accept-proxy":
        o.acceptProxy = true;
        break;
      case "name": {
        const v = words[++i];
        if (v === undefined || v === "") c.fail("'name' expects a name");
        o.name = v;
        break;
      }
      case "ssl":
        ssl = true;
        break;
      case "crt":
        certificates.push(
          ...loadCrt(c, underBase(value(++i, "'crt' : missing certificate location"), c.global.crtBase), who),
        );
        break;
      case "crt-list":
        certificates.push(
          ...loadCrtList(c, value(++i, "'crt-list' : missing certificate location"), who, c.global.crtBase),
        );
        break;
      case "alpn":
        tls.alpnProtocols = alpnList(c, who, words[++i]);
        break;
      case "ssl-min-ver": {
        const v = tlsVersion(c, who, words[++i]);
        if (v !== undefined) tls.minVersion = v;
        break;
      }
      case "verify": {
        const v = words[++i];
        if (v !== "none" && v !== "optional" && v !== "required") {
          c.error(
            `${who}'verify' : unknown verify method '${
              v ?? ""
            }', only 'none', 'optional', and 'required' are supported`,
          );
        }
        verify = v;
        break;
      }
      case "ca-file":
      case "ca-verify-file": {
        const path = underBase(value(++i, `'${w}' : missing CAfile path`), c.global.caBase);
        tls.caCerts = [...(tls.caCerts ?? []), ...loadCaFile(c, path, who, "bind")];
        break;
      }
      case "strict-sni":
        tls.strictSni = true;
        break;
      // Accepted without effect: the runtimes keep resuming sessions, as HAProxy still does
      // through its session cache without tickets (TLS_ACL_OPS.md A, resumption).
      case "no-tls-tickets":
        break;
      default:
        c.unsupported(`bind option '${w}' is not supported`);
    }
  }
  if (!ssl) return o;
  if (certificates.length === 0) {
    c.error(`Proxy '${c.sec.name}': no SSL certificate specified for bind '${addresses}' (use 'crt').`);
  }
  if (verify === "optional" || verify === "required") {
    if (tls.caCerts === undefined) {
      c.error(`Proxy '${c.sec.name}': verify is enabled but no CA file specified for bind '${addresses}'.`);
    }
    tls.requestClientCert = true;
    if (verify === "required") tls.requireClientCert = true;
  }
  o.tls = { ...tls, certificates };
  return o;
}

/** The binds of one line: each address with the line's options (a bare address without any). */
export function bindsOf(addresses: readonly Address[], options: BindOptions): (Address | BindConfig)[] {
  // A bind without options stays a plain address, as the typed API writes it.
  if (Object.keys(options).length === 0) return [...addresses];
  return addresses.map((address) => ({ address, ...options }));
}
