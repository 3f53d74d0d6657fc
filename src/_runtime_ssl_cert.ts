/**
 * The runtime API's certificate hot reload (management.txt 9.3 `set ssl cert`, `commit ssl
 * cert`, `abort ssl cert`): a new PEM for a `crt` file the configuration loaded goes into the
 * one transaction of the process; the commit hands it to every bind that uses the file
 * (`ProxyServer.setBindTls()`), for the handshakes to come. Replies are haproxy 2.6's.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "./proxy.ts";
import type { TlsCertificate, TlsServerOptions } from "./net.ts";
import { splitPem } from "./tls/pem.ts";
import { parsePemCertificate, sniNames } from "./tls/x509.ts";

/** The certificate waiting for its commit: one per process, as HAProxy's `ckchs_transaction`. */
interface Transaction {
  readonly file: string;
  readonly cert: string;
  readonly key: string | undefined;
}

const TRANSACTIONS = new WeakMap<ProxyServer, Transaction>();

/** Each bind using `file` now, with the index of that certificate in its settings. */
function users(proxy: ProxyServer, file: string) {
  const i = internalsOf(proxy);
  const out: { frontend: string; bind: string; tls: TlsServerOptions; index: number }[] = [];
  for (const fe of i.frontends) {
    for (const b of fe.settings.binds) {
      const tls = i.bindTls(b);
      tls?.certificates.forEach((c, index) => {
        if (c.file === file) out.push({ frontend: fe.name, bind: b.name, tls, index });
      });
    }
  }
  return out;
}

/** `set ssl cert <file> <payload>`: opens or updates the transaction. */
export function setSslCert(proxy: ProxyServer, file: string | undefined, payload: string | undefined): string {
  if (file === undefined || payload === undefined) {
    return "'set ssl cert expects a filename and a certificate as a payload\n";
  }
  const current = TRANSACTIONS.get(proxy);
  if (current !== undefined && current.file !== file) {
    return `The ongoing transaction is about '${current.file}' but you are trying to set '${file}'\nCan't update ${file}!\n`;
  }
  if (current === undefined && users(proxy, file).length === 0) {
    return `Can't replace a certificate which is not referenced by the configuration!\nCan't update ${file}!\n`;
  }
  const pem = splitPem(payload);
  let ok = pem.certificates.length > 0;
  try {
    if (ok) parsePemCertificate(pem.chain);
  } catch {
    ok = false;
  }
  if (!ok) return `unable to load certificate from file '${file}'.\nCan't load the payload\nCan't update ${file}!\n`;
  TRANSACTIONS.set(proxy, { file, cert: pem.chain, key: pem.key });
  return `Transaction ${current === undefined ? "created" : "updated"} for certificate ${file}!\n`;
}

/**
 * `commit ssl cert <file>`: every bind using the file gets the new certificate (its key too,
 * or the old key when the payload had none); one `.` per bind, as HAProxy prints one per
 * instance. A bind whose SNI names came from the old certificate takes the new one's.
 */
export function commitSslCert(proxy: ProxyServer, file: string | undefined): string {
  const t = TRANSACTIONS.get(proxy);
  if (t === undefined) return `No ongoing transaction! !\nCan't commit ${file ?? ""}!\n`;
  if (t.file !== file) {
    return `The ongoing transaction is about '${t.file}' but you are trying to set '${file ?? ""}'\nCan't commit ${
      file ?? ""
    }!\n`;
  }
  let dots = "";
  try {
    for (const u of users(proxy, file)) {
      const certificates = u.tls.certificates.map((c, i) => (i === u.index ? replaced(c, t) : c));
      proxy.setBindTls(u.frontend, u.bind, { ...u.tls, certificates });
      dots += ".";
    }
  } catch (e) {
    return `Committing ${file}${dots}\n${(e as Error).message}\nCan't commit ${file}!\n`;
  }
  TRANSACTIONS.delete(proxy);
  return `Committing ${file}${dots}\nSuccess!\n`;
}

/** `abort ssl cert <file>`: drops the transaction. */
export function abortSslCert(proxy: ProxyServer, file: string | undefined): string {
  const t = TRANSACTIONS.get(proxy);
  if (t === undefined || t.file !== file) return "No ongoing transaction!\n";
  TRANSACTIONS.delete(proxy);
  return `Transaction aborted for certificate '${file}'!\n`;
}

/**
 * `old` with the transaction's certificate; names given explicitly (a crt-list filter) and
 * the crt-list line's options stay.
 */
function replaced(old: TlsCertificate, t: Transaction): TlsCertificate {
  const derived = sniNames(parsePemCertificate(old.cert)).join(" ") === (old.serverNames ?? []).join(" ");
  return {
    cert: t.cert,
    key: t.key ?? old.key,
    ...(derived || old.serverNames === undefined ? {} : { serverNames: old.serverNames }),
    file: t.file,
    ...(old.options !== undefined ? { options: old.options } : {}),
  };
}
