/**
 * A small DER walk over an X.509 certificate (RFC 5280 4.1): the subject and issuer names,
 * the SAN DNS names and the end of validity. Enough to index certificates by SNI as HAProxy
 * does (`ssl_sock_load_cert_sni()`: every SAN dNSName and every subject CN, lower-cased) and to
 * print names as `ssl_c_s_dn` does (`/C=FR/O=Acme/CN=client1`). No signature is checked: the
 * runtime's TLS stack does that.
 *
 * @module
 */
import { pemBlocks, pemDer } from "./pem.ts";

/** One attribute of a distinguished name, in certificate order. */
export interface NameEntry {
  /** Short name as OpenSSL prints it (`CN`, `O`, `emailAddress`), else the dotted OID. */
  readonly name: string;
  /** The value as text. */
  readonly value: string;
}

/** What proxykit reads from a certificate. */
export interface CertificateInfo {
  /** Subject attributes in order. */
  readonly subject: readonly NameEntry[];
  /** Issuer attributes in order. */
  readonly issuer: readonly NameEntry[];
  /** SAN `dNSName` entries as written (not lower-cased). */
  readonly dnsNames: readonly string[];
  /** End of validity, ms since the Unix epoch. */
  readonly notAfter: number;
}

/** Short names OpenSSL prints for the usual attribute OIDs. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.17": "postalCode",
  "2.5.4.42": "GN",
  "2.5.4.46": "dnQualifier",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
};

const SAN_OID = "2.5.29.17";

/** A DER element: tag, and where its content lies. */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** Thrown for bytes that are not the DER of a certificate. */
export class X509Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "X509Error";
  }
}

function tlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new X509Error("truncated DER element");
  const tag = der[at]!;
  let len = der[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new X509Error("bad DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new X509Error("DER element runs past its parent");
  return { tag, start: p, end: p + len };
}

/** The children of a constructed element. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end;) {
    const t = tlv(der, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

function oid(der: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (der[i]! & 0x7f);
    if ((der[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

/** A string value: UTF8String, PrintableString, IA5String, T61 (as latin1), BMPString. */
function text(der: Uint8Array, t: Tlv): string {
  const bytes = der.subarray(t.start, t.end);
  if (t.tag === 0x0c) return new TextDecoder().decode(bytes);
  if (t.tag === 0x1e) {
    let s = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return s;
  }
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function name(der: Uint8Array, t: Tlv): NameEntry[] {
  const out: NameEntry[] = [];
  for (const rdn of children(der, t)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (type === undefined || value === undefined) throw new X509Error("bad name attribute");
      const o = oid(der, type);
      out.push({ name: SHORT_NAMES[o] ?? o, value: text(der, value) });
    }
  }
  return out;
}

/** UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`). */
function time(der: Uint8Array, t: Tlv): number {
  const s = text(der, t);
  const m = t.tag === 0x17
    ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s)
    : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s);
  if (m === null) throw new X509Error(`bad certificate time '${s}'`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

function sanDnsNames(der: Uint8Array, extensions: Tlv): string[] {
  const out: string[] = [];
  for (const ext of children(der, extensions)) {
    const parts = children(der, ext);
    if (parts[0] === undefined || oid(der, parts[0]) !== SAN_OID) continue;
    const value = parts[parts.length - 1]!;
    const seq = tlv(der, value.start, value.end);
    for (const gn of children(der, seq)) if (gn.tag === 0x82) out.push(text(der, gn));
  }
  return out;
}

/**
 * Reads a certificate's DER.
 * @throws {X509Error} when the bytes are not a certificate.
 */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const cert = tlv(der, 0, der.length);
  const [tbsTlv] = children(der, cert);
  if (cert.tag !== 0x30 || tbsTlv?.tag !== 0x30) throw new X509Error("not a certificate");
  const tbs = children(der, tbsTlv);
  // [0] version is optional (v1 certificates omit it).
  const i = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = tbs[i + 2], validity = tbs[i + 3], subject = tbs[i + 4];
  if (issuer === undefined || validity === undefined || subject === undefined) throw new X509Error("not a certificate");
  const notAfter = children(der, validity)[1];
  if (notAfter === undefined) throw new X509Error("no notAfter");
  const extWrap = tbs.slice(i + 6).find((t) => t.tag === 0xa3);
  const extensions = extWrap === undefined ? undefined : tlv(der, extWrap.start, extWrap.end);
  return {
    subject: name(der, subject),
    issuer: name(der, issuer),
    dnsNames: extensions === undefined ? [] : sanDnsNames(der, extensions),
    notAfter: time(der, notAfter),
  };
}

/**
 * Reads the first certificate of a PEM text (the leaf of a chain).
 * @throws {X509Error} when it holds no readable certificate.
 */
export function parsePemCertificate(pem: string): CertificateInfo {
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE" || b.label === "TRUSTED CERTIFICATE");
  if (block === undefined) throw new X509Error("no certificate in PEM text");
  return parseCertificate(pemDer(block));
}

/**
 * The SNI names HAProxy indexes a certificate under when no crt-list filter is given: every
 * SAN dNSName and every subject CN (both, even when SANs exist), lower-cased, without
 * duplicates, in that order.
 */
export function sniNames(info: CertificateInfo): string[] {
  const names = [...info.dnsNames, ...info.subject.filter((e) => e.name === "CN").map((e) => e.value)];
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/** A name as `ssl_c_s_dn` / `ssl_c_i_dn` print it: `/C=FR/O=Acme/CN=client1`. */
export function formatDn(entries: readonly NameEntry[]): string {
  return entries.map((e) => `/${e.name}=${e.value}`).join("");
}
