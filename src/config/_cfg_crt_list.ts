/**
 * `crt-list FILE` (configuration.txt 5.1 `crt-list`): one `<crtfile> [[sslbindconf ...]]
 * [[!]snifilter ...]` per line, with HAProxy 2.6's messages (`parsing [FILE:LINE]: ...`).
 *
 * @module
 */
import type { TlsCertificate, TlsCertificateOptions } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import { loadCrt, read, underBase } from "./_cfg_tls_files.ts";
import { clientCertFlags, type SslBindConf, sslBindOption } from "./_cfg_ssl_conf.ts";

/**
 * `[sslbindconf]` keywords HAProxy 2.6 knows on a crt-list line that proxykit does not apply,
 * with the number of values each takes: refused (a warning when lenient) rather than unknown.
 */
const UNSUPPORTED: Readonly<Record<string, number>> = {
  "allow-0rtt": 0,
  ciphers: 1,
  ciphersuites: 1,
  "crl-file": 1,
  curves: 1,
  ecdhe: 1,
  "no-ca-names": 0,
  npn: 1,
};

/** One line's words, and where its `[...]` block starts and ends (word indexes; 0: none). */
interface LineWords {
  readonly words: string[];
  readonly open: number;
  readonly close: number;
}

/**
 * Splits a line as HAProxy's `crtlist_parse_line()`: spaces separate words, `[` and `]` too
 * (each may touch a word). Returns a message for a malformed bracket.
 */
function splitLine(line: string): LineWords | string {
  const words: string[] = [];
  let open = 0, close = 0, fresh = true;
  for (const ch of line) {
    if (/\s/.test(ch)) fresh = true;
    else if (ch === "[") {
      if (open > 0) return "too many '['";
      if (words.length === 0) return "file must start with a cert";
      open = words.length;
      fresh = true;
    } else if (ch === "]") {
      if (close > 0) return "too many ']'";
      if (open === 0) return "missing '['";
      close = words.length;
      fresh = true;
    } else if (fresh) {
      words.push(ch);
      fresh = false;
    } else words[words.length - 1] += ch;
  }
  if (open > 0 && close === 0) return "missing ']'";
  return { words, open, close };
}

/** The adapter contract's options of a line's `[sslbindconf]` (`undefined`: none set). */
function lineOptions(conf: SslBindConf): TlsCertificateOptions | undefined {
  const o: { -readonly [K in keyof TlsCertificateOptions]: TlsCertificateOptions[K] } = {
    ...(conf.alpnProtocols !== undefined ? { alpnProtocols: conf.alpnProtocols } : {}),
    ...(conf.caCerts !== undefined ? { caCerts: conf.caCerts } : {}),
    ...(conf.minVersion !== undefined ? { minVersion: conf.minVersion } : {}),
    ...(conf.maxVersion !== undefined ? { maxVersion: conf.maxVersion } : {}),
    ...clientCertFlags(conf.verify),
  };
  return Object.keys(o).length === 0 ? undefined : o;
}

/**
 * Loads a crt-list: positive SNI filters replace the names of the certificate; `!*` keeps it
 * out of the index (a default only); other negative filters are unsupported. A line's
 * `[sslbindconf]` (`alpn`, `ca-file`, `ca-verify-file`, `ssl-min-ver`, `ssl-max-ver`,
 * `verify`) becomes its certificates' {@link TlsCertificate.options}; an unknown keyword is
 * an error naming the file and line. `#` starts a comment.
 */
export function loadCrtList(c: Ctx, path: string, who: string, crtBase: string | undefined): TlsCertificate[] {
  const text = read(c, path, who, (r) => `'crt-list' : cannot open file '${path}' : ${r}`);
  const out: TlsCertificate[] = [];
  for (const [n, raw] of text.split("\n").entries()) {
    const at = `${who}'crt-list' : parsing [${path}:${n + 1}]: `;
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const split = splitLine(line);
    if (typeof split === "string") return c.error(`${at}${split}`);
    const { words, open, close } = split;
    if (open > 1) c.warn(`${at}malformated line, filters can't be between filename and options!`);
    const conf: SslBindConf = {};
    for (let i = open; open > 0 && i < close;) {
      const w = words[i]!;
      const inside = words.slice(0, close);
      const took = sslBindOption(c, at, inside, i, conf, c.global.caBase);
      if (took > 0) {
        i += took;
        continue;
      }
      const skip = UNSUPPORTED[w];
      if (skip === undefined) return c.error(`${at}unknown ssl keyword ${w}`);
      c.unsupported(`${at}ssl keyword '${w}' is not supported`);
      i += 1 + skip;
    }
    const filters = words.slice(open > 0 ? close : 1);
    if (open > 1) filters.unshift(...words.slice(1, open));
    const names: string[] = [];
    for (const f of filters) {
      if (f === "!*") continue;
      if (f.startsWith("!")) {
        c.unsupported(`${at}negative SNI filter '${f}' is not supported (only '!*')`);
        continue;
      }
      names.push(f.toLowerCase());
    }
    const options = lineOptions(conf);
    for (const cert of loadCrt(c, underBase(words[0]!, crtBase), who)) {
      out.push({
        ...cert,
        ...(filters.length > 0 ? { serverNames: names } : {}),
        ...(options !== undefined ? { options } : {}),
      });
    }
  }
  return out;
}
