/**
 * TLS to a server (`server ... ssl`, configuration.txt 5.2): the client options of each
 * connection, its SNI from the `sni` sample expression evaluated for the stream, and how a
 * failed handshake counts (HAProxy's `back_handle_st_cer()`: a verification failure is a
 * connect failure, retried, except a certificate that does not match the SNI sent).
 *
 * @module
 */
import type { NetError, TlsClientOptions, TlsInfo } from "../net.ts";
import type { ServerTlsConfig } from "../config/tls_types.ts";
import type { Transport } from "../connection.ts";
import { NO_REQUEST, type RequestHead } from "../http/head.ts";
import { evaluate, parseSampleExpr, type SampleExpr } from "../acl/expr.ts";
import { toStr } from "../acl/sample.ts";

/** Distinct SNI values whose options stay cached; past it the cache starts over. */
export const MAX_CACHED_SNI = 256;

/** What the `sni` expression reads of a stream. */
export interface SniSource {
  /** The HTTP request being sent (`req.hdr(host)`); undefined in TCP mode. */
  readonly request: RequestHead | undefined;
  /** The client connection's TLS (`ssl_fc_sni`); undefined when plain. */
  readonly clientTls: TlsInfo | undefined;
}

/**
 * One server's TLS origination: builds the {@link Transport} of each connection, one options
 * object per distinct SNI (the adapters cache their TLS context per options object, so the
 * CA and key are parsed once per SNI, not per connection), which also tells pooled
 * connections apart: in HTTP mode a connection is reused only for the same SNI, as HAProxy
 * hashes the SNI into the connection's identity.
 */
export class TlsOrigin {
  /** The settings, `verify` resolved. */
  readonly settings: ServerTlsConfig;
  readonly #sni: SampleExpr | undefined;
  readonly #base: TlsClientOptions;
  readonly #bySni = new Map<string, Transport>();
  readonly #noSni: Transport;

  /** Compiles `settings.sni` (already validated by the configuration). */
  constructor(settings: ServerTlsConfig) {
    this.settings = settings;
    this.#sni = settings.sni === undefined ? undefined : parseSampleExpr(settings.sni).expr;
    const o: { -readonly [K in keyof TlsClientOptions]: TlsClientOptions[K] } = {
      verify: settings.verify ?? true,
    };
    if (settings.caCerts !== undefined) o.caCerts = settings.caCerts;
    if (settings.alpnProtocols !== undefined) o.alpnProtocols = settings.alpnProtocols;
    if (settings.cert !== undefined && settings.key !== undefined) {
      o.cert = settings.cert;
      o.key = settings.key;
    }
    if (settings.minVersion !== undefined) o.minVersion = settings.minVersion;
    if (settings.maxVersion !== undefined) o.maxVersion = settings.maxVersion;
    this.#base = o;
    // Without an SNI, `verifyhost` names what the certificate must carry; without either,
    // only the chain is verified (configuration.txt 5.2 `verifyhost`).
    this.#noSni = {
      kind: "tls",
      options: settings.verifyHost === undefined ? o : { ...o, verifyName: settings.verifyHost },
    };
  }

  /** The SNI this stream's connection sends, or undefined (no `sni`, or its fetch found nothing). */
  sniOf(src: SniSource): string | undefined {
    if (this.#sni === undefined) return undefined;
    const s = evaluate(this.#sni, { request: src.request ?? NO_REQUEST, tls: src.clientTls });
    const v = s === undefined ? "" : toStr(s);
    return v === "" ? undefined : v;
  }

  /** The transport of a connection for this stream (the same object for the same SNI). */
  transport(src: SniSource): Transport {
    const sni = this.sniOf(src);
    if (sni === undefined) return this.#noSni;
    let t = this.#bySni.get(sni);
    if (t === undefined) {
      if (this.#bySni.size >= MAX_CACHED_SNI) this.#bySni.clear();
      t = { kind: "tls", options: { ...this.#base, serverName: sni } };
      this.#bySni.set(sni, t);
    }
    return t;
  }
}

/** Runtime texts and codes of a certificate that does not carry the name asked for. */
const NAME_MISMATCH_CODES = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);
const NAME_MISMATCH_TEXT = /altnames|not valid for name|hostname mismatch|does not match certificate/i;

/**
 * Whether a failed TLS connect is a certificate that does not match the SNI sent (HAProxy's
 * `CO_ER_SSL_MISMATCH_SNI`): never retried, as the same name would fail again. A mismatch
 * with `verifyhost` (no SNI sent) and every other failure are retried.
 */
export function isSniMismatch(error: unknown, transport: Transport | undefined): boolean {
  if (transport?.kind !== "tls" || transport.options.serverName === undefined) return false;
  if ((error as Partial<NetError> | undefined)?.code !== "ETLSVERIFY") return false;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NAME_MISMATCH_CODES.has(code)) return true;
    if (NAME_MISMATCH_TEXT.test(e.message)) return true;
  }
  return false;
}
