/**
 * The TLS sample fetches of the client connection (configuration.txt 7.3.4): `ssl_fc*` about
 * the connection, `ssl_c_*` about the client certificate. They read what the adapter reported
 * of the handshake ({@link TlsInfo}); a field the runtime does not expose makes its fetch find
 * nothing, as HAProxy's fetch fails.
 *
 * @module
 */
import type { TlsInfo } from "../net.ts";
import type { FetchSpec } from "./fetches.ts";
import { bool, int, type Sample, type SampleContext, str } from "./sample.ts";
import { x509ErrorNumber } from "../tls/x509_errors.ts";

/** The client presented a certificate. */
function hasCert(t: TlsInfo): boolean {
  return t.peerSubject !== undefined || t.peerCommonName !== undefined;
}

/** A fetch of the client connection's TLS; finds nothing on a plain connection. */
function tlsFetch(type: FetchSpec["type"], get: (t: TlsInfo) => Sample | undefined): FetchSpec {
  return {
    args: { types: [], min: 0 },
    type,
    fetch: (ctx: SampleContext) => {
      const t = ctx.tls;
      if (t === undefined) return [];
      const s = get(t);
      return s === undefined ? [] : [s];
    },
  };
}

const optStr = (
  v: string | null | undefined,
): Sample | undefined => (v === undefined || v === null ? undefined : str(v));

/** `/C=FR/O=Acme/CN=client1` split into its entries. */
function dnEntries(dn: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of dn.split("/")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.push([part.slice(0, eq), part.slice(eq + 1)]);
    else if (out.length > 0 && part !== "") out[out.length - 1]![1] += `/${part}`;
  }
  return out;
}

/** RFC 2253 escaping of one attribute value. */
function rfc2253Value(v: string): string {
  return v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, "\\ ");
}

/**
 * `ssl_c_s_dn([entry[,occ[,format]]])` / `ssl_c_i_dn`: the whole name, or the value of
 * `entry`'s `occ`th occurrence (1 = first, -1 = last; the first by default); `format`
 * `rfc2253` prints the whole name as LDAP does (`CN=client1,O=Acme,C=FR`).
 */
function dnFetch(which: "peerSubject" | "peerIssuer"): FetchSpec {
  return {
    args: { types: ["str", "int", "str"], min: 0 },
    type: "str",
    fetch: (ctx, [entry, occ, format]) => {
      const dn = ctx.tls?.[which];
      if (dn === undefined) return [];
      if (entry === undefined || entry === "") {
        if (format !== "rfc2253") return [str(dn)];
        return [str(dnEntries(dn).reverse().map(([k, v]) => `${k}=${rfc2253Value(v)}`).join(","))];
      }
      const values = dnEntries(dn).filter(([k]) => k === entry).map(([, v]) => v);
      const n = Number(occ ?? 1) || 1;
      const v = n > 0 ? values[n - 1] : values[values.length + n];
      return v === undefined ? [] : [str(v)];
    },
  };
}

/** The TLS fetches, merged into `FETCHES`. */
export const SSL_FETCHES: Readonly<Record<string, FetchSpec>> = {
  ssl_fc: {
    args: { types: [], min: 0 },
    type: "bool",
    fetch: (ctx) => [bool(ctx.tls !== undefined || ctx.secure === true)],
  },
  // As sent by the client, case kept; nothing when it sent no SNI (TLS_ACL_OPS.md A).
  ssl_fc_sni: tlsFetch("str", (t) => optStr(t.serverName)),
  ssl_fc_protocol: tlsFetch("str", (t) => optStr(t.protocol)),
  ssl_fc_alpn: tlsFetch("str", (t) => optStr(t.alpnProtocol)),
  ssl_fc_cipher: tlsFetch("str", (t) => optStr(t.cipher)),
  ssl_fc_is_resumed: tlsFetch("bool", (t) => bool(t.resumed ?? false)),
  ssl_fc_has_crt: tlsFetch("bool", (t) => bool(hasCert(t))),
  ssl_c_used: tlsFetch("bool", (t) => bool(hasCert(t))),
  // 0 when the certificate verified (or none was presented), else OpenSSL's error number.
  ssl_c_verify: tlsFetch("int", (t) => {
    if (t.authorized !== false || !hasCert(t)) return int(0);
    return int(x509ErrorNumber(t.verifyError));
  }),
  ssl_c_s_dn: dnFetch("peerSubject"),
  ssl_c_i_dn: dnFetch("peerIssuer"),
};
