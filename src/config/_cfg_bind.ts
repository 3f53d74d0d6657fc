/**
 * `bind` line options (configuration.txt 5.1) into a {@link BindConfig}: `accept-proxy`,
 * `name`, and TLS termination (`ssl`, `crt`, `crt-list`, `alpn`, `ssl-min-ver`, `ssl-max-ver`, `verify`,
 * `ca-file`, `ca-verify-file`, `strict-sni`, `no-tls-tickets`), with HAProxy 2.6's messages.
 *
 * @module
 */
import type { Address, TlsCertificate, TlsServerOptions } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import type { BindConfig } from "./tls_types.ts";
import { loadCrt, underBase } from "./_cfg_tls_files.ts";
import { loadCrtList } from "./_cfg_crt_list.ts";
import { checkVersionRange, clientCertFlags, type SslBindConf, sslBindOption } from "./_cfg_ssl_conf.ts";

/** What the options of one `bind` line set; each address of the line gets them all. */
type BindOptions = { -readonly [K in Exclude<keyof BindConfig, "address">]?: BindConfig[K] };

/**
 * Reads the options after a `bind` line's address list (`addresses` as written, for
 * messages); an unknown one is unsupported. TLS options without `ssl` are read (their files
 * too) but leave the listener plain, as HAProxy does. `global`'s `ssl-default-bind-options`
 * versions apply where the line sets none.
 */
export function bindOptions(c: Ctx, words: readonly string[], addresses = ""): BindOptions {
  const o: BindOptions = {};
  const who = `'bind ${addresses}' in section '${c.sec.kind}' : `;
  let ssl = false;
  let strictSni = false;
  const certificates: TlsCertificate[] = [];
  const conf: SslBindConf = {};
  const value = (i: number, missing: string): string => {
    const v = words[i];
    if (v === undefined || v === "") return c.error(`${who}${missing}`);
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const took = sslBindOption(c, who, words, i, conf, c.global.caBase);
    if (took > 0) {
      i += took - 1;
      continue;
    }
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
      case "strict-sni":
        strictSni = true;
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
  const tls = listenerTls(c, conf, addresses);
  if (strictSni) tls.strictSni = true;
  for (const cert of certificates) checkLineOptions(c, cert, tls, addresses);
  o.tls = { ...tls, certificates };
  return o;
}

type MutableTls = { -readonly [K in keyof TlsServerOptions]?: TlsServerOptions[K] };

/** The listener's settings from the bind line's options (the certificates aside). */
function listenerTls(c: Ctx, conf: SslBindConf, addresses: string): MutableTls {
  const tls: MutableTls = {};
  if (conf.alpnProtocols !== undefined) tls.alpnProtocols = conf.alpnProtocols;
  if (conf.caCerts !== undefined) tls.caCerts = conf.caCerts;
  const minVersion = conf.minVersion ?? c.global.sslDefaultBind?.minVersion;
  const maxVersion = conf.maxVersion ?? c.global.sslDefaultBind?.maxVersion;
  if (minVersion !== undefined) tls.minVersion = minVersion;
  if (maxVersion !== undefined) tls.maxVersion = maxVersion;
  checkVersionRange(c, `bind '${addresses}'`, minVersion, maxVersion);
  const flags = clientCertFlags(conf.verify);
  if (flags?.requestClientCert === true) {
    if (conf.caCerts === undefined) {
      c.error(`Proxy '${c.sec.name}': verify is enabled but no CA file specified for bind '${addresses}'.`);
    }
    tls.requestClientCert = true;
    if (flags.requireClientCert === true) tls.requireClientCert = true;
  }
  return tls;
}

/**
 * A crt-list certificate whose line set options: the version range it gives with the bind
 * line's is checked, and `verify` on the line needs a CA, its own or the bind line's.
 */
function checkLineOptions(c: Ctx, cert: TlsCertificate, tls: MutableTls, addresses: string): void {
  const lo = cert.options;
  if (lo === undefined) return;
  const where = `bind '${addresses}' (crt-list entry '${cert.file ?? ""}')`;
  checkVersionRange(c, where, lo.minVersion ?? tls.minVersion, lo.maxVersion ?? tls.maxVersion);
  if (lo.requestClientCert === true && lo.caCerts === undefined && tls.caCerts === undefined) {
    c.error(`Proxy '${c.sec.name}': verify is enabled but no CA file specified for ${where}.`);
  }
}

/** The binds of one line: each address with the line's options (a bare address without any). */
export function bindsOf(addresses: readonly Address[], options: BindOptions): (Address | BindConfig)[] {
  // A bind without options stays a plain address, as the typed API writes it.
  if (Object.keys(options).length === 0) return [...addresses];
  return addresses.map((address) => ({ address, ...options }));
}
