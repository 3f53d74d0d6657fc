/**
 * The TLS options of a `server` or `default-server` line (configuration.txt 5.2 `ssl`,
 * `verify`, `ca-file`, `sni`, `verifyhost`, `alpn`, `crt`, `ssl-min-ver`, `ssl-max-ver`, `check-ssl`,
 * `check-sni`, `no-ssl`), with HAProxy 2.6's messages.
 *
 * @module
 */
import type { TlsVersion } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import type { ServerTlsConfig } from "./tls_types.ts";
import { alpnList, checkVersionRange, tlsVersion } from "./_cfg_ssl_conf.ts";
import { loadCaFile, loadCrt, underBase } from "./_cfg_tls_files.ts";
import { ExprError, parseSampleExpr } from "../acl/expr.ts";

/** TLS options of a server line as read; `ServerOptions` extends it. */
export interface ServerTlsOptions {
  /** `ssl` (`no-ssl` sets false, overriding `default-server`). */
  ssl?: boolean;
  /** `verify none|required`. */
  verify?: "none" | "required";
  /** `ca-file FILE`: its certificates. */
  caCerts?: string[];
  /** `ca-file @system-ca`. */
  systemCa?: boolean;
  /** `sni EXPR`. */
  sni?: string;
  /** `verifyhost NAME`. */
  verifyHost?: string;
  /** `alpn LIST`. */
  alpn?: string[];
  /** `crt FILE`: client certificate chain and key. */
  crt?: { cert: string; key: string };
  /** `ssl-min-ver`. */
  minVersion?: TlsVersion;
  /** `ssl-max-ver`. */
  maxVersion?: TlsVersion;
  /** `check-ssl`. */
  checkSsl?: boolean;
  /** `check-sni NAME`. */
  checkSni?: string;
}

/** One valued option: `v` is its word (may be absent), `who` starts HAProxy's message. */
type TlsOption = (o: ServerTlsOptions, c: Ctx, v: string | undefined, who: string) => void;

const need = (c: Ctx, who: string, v: string | undefined, missing: string): string => {
  if (v === undefined || v === "") return c.error(`${who}${missing}`);
  return v;
};

/** Valued TLS options; each consumes one word. */
export const SERVER_TLS_VALUE_OPTIONS: Readonly<Record<string, TlsOption>> = {
  verify: (o, c, v, who) => {
    if (v !== "none" && v !== "required") {
      return c.error(`${who}'verify' : unknown verify method '${v ?? ""}', only 'none' and 'required' are supported.`);
    }
    o.verify = v;
  },
  "ca-file": (o, c, v, who) => {
    const path = need(c, who, v, "'ca-file' : missing CAfile path.");
    if (path === "@system-ca") {
      o.systemCa = true;
      return;
    }
    o.caCerts = loadCaFile(c, underBase(path, c.global.caBase), who, "server");
  },
  sni: (o, c, v, who) => {
    const expr = need(c, who, v, "'sni' : missing sni expression.");
    try {
      const { end } = parseSampleExpr(expr);
      if (end !== expr.length) {
        c.error(`${who}error detected while parsing sni expression : missing comma after fetch keyword`);
      }
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      const why = e.kind === "unknown-fetch" ? `unknown fetch method '${e.keyword}'` : e.message;
      c.error(`${who}error detected while parsing sni expression : ${why}`);
    }
    o.sni = expr;
  },
  verifyhost: (o, c, v, who) => {
    o.verifyHost = need(c, who, v, "'verifyhost' : missing hostname to verify against.");
  },
  alpn: (o, c, v, who) => {
    o.alpn = alpnList(c, who, v);
  },
  crt: (o, c, v, who) => {
    const path = underBase(need(c, who, v, "'crt' : missing certificate file path."), c.global.crtBase);
    const [first] = loadCrt(c, path, who);
    o.crt = { cert: first!.cert, key: first!.key };
  },
  "ssl-min-ver": (o, c, v, who) => {
    const version = tlsVersion(c, who, v);
    if (version !== undefined) o.minVersion = version;
  },
  "ssl-max-ver": (o, c, v, who) => {
    const version = tlsVersion(c, who, v, "ssl-max-ver");
    if (version !== undefined) o.maxVersion = version;
  },
  "check-sni": (o, c, v, who) => {
    o.checkSni = need(c, who, v, "'check-sni' : missing SNI.");
  },
};

/** TLS flags without a value. */
export const SERVER_TLS_FLAGS: Readonly<Record<string, (o: ServerTlsOptions) => void>> = {
  ssl: (o) => (o.ssl = true),
  "no-ssl": (o) => (o.ssl = false),
  "check-ssl": (o) => (o.checkSsl = true),
  "no-check-ssl": (o) => (o.checkSsl = false),
};

/**
 * The server's TLS settings once its line is read (`undefined` without `ssl`: the other TLS
 * options then change nothing, as in HAProxy). `verify` defaults to `ssl-server-verify`, else
 * required; required without a CA is HAProxy's fatal error.
 */
export function serverTls(c: Ctx, o: ServerTlsOptions, who: string): ServerTlsConfig | undefined {
  if (o.ssl !== true) return undefined;
  const verify = (o.verify ?? c.global.sslServerVerify ?? "required") === "required";
  if (verify && o.caCerts === undefined && o.systemCa !== true) {
    c.error(
      `${who}verify is enabled by default but no CA file specified. If you're running on a LAN where you're ` +
        "certain to trust the server's certificate, please set an explicit 'verify none' statement on the " +
        "'server' line, or use 'ssl-server-verify none' in the global section to disable server-side " +
        "verifications by default.",
    );
  }
  const minVersion = o.minVersion ?? c.global.sslDefaultServer?.minVersion;
  const maxVersion = o.maxVersion ?? c.global.sslDefaultServer?.maxVersion;
  checkVersionRange(c, who.replace(/ : $/, ""), minVersion, maxVersion);
  return {
    verify,
    ...(o.caCerts !== undefined ? { caCerts: o.caCerts } : {}),
    ...(o.systemCa === true ? { systemCa: true } : {}),
    ...(o.sni !== undefined ? { sni: o.sni } : {}),
    ...(o.verifyHost !== undefined ? { verifyHost: o.verifyHost } : {}),
    ...(o.alpn !== undefined ? { alpnProtocols: o.alpn } : {}),
    ...(o.crt !== undefined ? { cert: o.crt.cert, key: o.crt.key } : {}),
    ...(minVersion !== undefined ? { minVersion } : {}),
    ...(maxVersion !== undefined ? { maxVersion } : {}),
  };
}
