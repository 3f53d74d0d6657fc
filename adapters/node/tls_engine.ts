/**
 * Server-side TLS over `node:tls`, started on an accepted `net.Socket`: the one piece of code
 * behind every TLS listener of the Node adapter, and behind the Deno and Bun adapters where
 * their native listeners fall short (several certificates, client certificates, `strictSni`,
 * TLS 1.3 only, TLS after a PROXY header, reload). Deno's and Bun's `node:tls` layers run it
 * unchanged (`docs/runtimes.md`, "Ways around the gaps").
 *
 * A `tls.Server` that never listens does the handshakes: a socket is handed to it with
 * `emit("connection")`, as a listening `tls.Server` does with its own. Before that the first
 * record is read (and put back with `unshift()`) to learn the SNI as sent, which a resumed TLS
 * 1.2 session does not report on Node and which `strictSni` needs even when absent.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import type { Socket as NetSocket } from "node:net";
import { createSecureContext, createServer as tlsCreateServer } from "node:tls";
import type { SecureContext, Server as TlsServer, TlsOptions, TLSSocket } from "node:tls";
import type { Address, NetError, TlsServerOptions } from "../../src/net.ts";
import { describeAddress, tcpAddress } from "../_address.ts";
import { netError, toNetError } from "../_errors.ts";
import { ALERT_UNRECOGNIZED_NAME, peekClientHello } from "../_sni_peek.ts";
import { CertificateIndex } from "../_tls_select.ts";
import { ignore, NodeSocket, type WriteSettings } from "./socket.ts";
import { serverTlsInfo } from "./tls.ts";

/** As Node's `tls.Server` `handshakeTimeout`. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 120_000;

/** One set of settings: a handshake keeps the set it started with, whatever `setTls()` does later. */
interface Settings {
  readonly server: TlsServer;
  readonly index: CertificateIndex;
  readonly strict: boolean;
  readonly askedForCert: boolean;
  readonly required: boolean;
  /**
   * By certificate index: the settings of the handshakes that select a certificate with its
   * own `options` (a crt-list line's), a `tls.Server` of their own chosen once the peeked SNI
   * picked the certificate, before OpenSSL reads the ClientHello: the version range, ALPN
   * and client certificate policy then apply from the first byte, which a context swapped in
   * by `SNICallback` cannot do (the version is chosen before the callback runs).
   */
  readonly byCertificate: readonly (Settings | undefined)[];
}

/** A socket between `start()` and the end of its handshake. */
interface Pending {
  /** The listener's settings, then those of the certificate the SNI selected. */
  settings: Settings;
  readonly remote: Address | undefined;
  readonly local: Address | undefined | null;
  readonly resetVia: NetSocket | undefined;
  /** The SNI as the client sent it. */
  sni: string | undefined;
  settled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The raw socket's `close` listener while the handshake runs. */
  onClose: (() => void) | undefined;
  resolve(s: NodeSocket): void;
  reject(e: NetError): void;
}

/** Where the raw socket of a handshake keeps its record (one property, set and cleared here). */
const PENDING = Symbol("proxykit.tlsPending");
type WithPending = NetSocket & { [PENDING]?: Pending };

/** The raw socket under a `TLSSocket` made by `emit("connection")` (Node, Deno and Bun set `_parent`). */
function rawOf(t: TLSSocket): WithPending | undefined {
  return (t as TLSSocket & { _parent?: WithPending | null })._parent ?? undefined;
}

/**
 * Checks `o` and builds its `tls.Server`, and one per certificate with `options`; throws a
 * {@link NetError} naming what is wrong. Each set has its own ticket keys and session id
 * context: a session never resumes under another certificate's client certificate policy.
 */
function build(o: TlsServerOptions, engine: TlsEngine, hsMs: number): Settings {
  const [first] = o.certificates;
  if (first === undefined) throw netError("ETLS", "tls.certificates must hold at least one certificate");
  const askedForCert = (o.requestClientCert ?? false) || (o.requireClientCert ?? false);
  const ca = o.caCerts === undefined ? undefined : [...o.caCerts];
  if (askedForCert && (ca === undefined || ca.length === 0)) {
    throw netError("ETLS", "tls.requestClientCert/requireClientCert need tls.caCerts");
  }
  // Shared by every context of the set: a ticket issued under one SNI context resumes under
  // another, and a client certificate session needs an id context (OpenSSL refuses to resume
  // without one).
  const common = {
    ticketKeys: randomBytes(48),
    sessionIdContext: randomBytes(16).toString("hex"),
    minVersion: o.minVersion ?? "TLSv1.2",
    maxVersion: o.maxVersion ?? "TLSv1.3",
    ...(ca === undefined ? {} : { ca }),
  } as const;
  let contexts: SecureContext[];
  try {
    // Deno's createSecureContext accepts anything and fails at the first handshake.
    for (const c of o.certificates) {
      if (!new X509Certificate(c.cert).checkPrivateKey(createPrivateKey(c.key))) {
        throw new Error("the key does not match the certificate");
      }
    }
    // A context returned by SNICallback replaces the server's CA store: each carries the CAs.
    contexts = o.certificates.map((c) => createSecureContext({ ...common, cert: c.cert, key: c.key }));
  } catch (err) {
    throw netError("ETLS", `tls.certificates: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const index = new CertificateIndex(o.certificates);
  const options: TlsOptions = {
    ...common,
    cert: first.cert,
    key: first.key,
    allowHalfOpen: true,
    handshakeTimeout: hsMs,
    requestCert: askedForCert,
    // Required: a client without a certificate gets alert 116 (certificate_required) from
    // OpenSSL, as from HAProxy. A certificate that does not verify is refused by Node after the
    // handshake, without any event: the close during the handshake says so (`start()`).
    // Optional: verified in `secured()`.
    rejectUnauthorized: o.requireClientCert ?? false,
    SNICallback: (name, cb) => {
      const i = name === "" ? undefined : index.match(name);
      cb(null, i === undefined || i === 0 ? undefined : contexts[i]);
    },
  };
  if (o.alpnProtocols !== undefined && o.alpnProtocols.length > 0) options.ALPNProtocols = [...o.alpnProtocols];
  const server = tlsCreateServer(options);
  server.on("secureConnection", (t: TLSSocket) => engine.secured(t));
  server.on("tlsClientError", (err: Error, t: TLSSocket) => engine.failed(t, err));
  return {
    server,
    index,
    strict: o.strictSni ?? false,
    askedForCert,
    required: o.requireClientCert ?? false,
    byCertificate: o.certificates.map(({ options, ...cert }) =>
      options === undefined ? undefined : build({ ...o, ...options, certificates: [cert] }, engine, hsMs)
    ),
  };
}

/**
 * Handshakes of one listener's settings. `start()` takes a raw socket (paused, with any bytes
 * to replay already unshifted) and resolves with the TLS socket once its handshake succeeded.
 */
export class TlsEngine {
  #settings: Settings;
  readonly #writes: WriteSettings;
  readonly #hsMs: number;

  /**
   * `writes` says how the sockets made write (see `WriteSettings`); `hsMs` the
   * handshake timeout.
   * @throws {NetError} `ETLS` for unusable settings.
   */
  constructor(options: TlsServerOptions, writes: WriteSettings, hsMs = DEFAULT_HANDSHAKE_TIMEOUT_MS) {
    this.#writes = writes;
    this.#hsMs = hsMs;
    this.#settings = build(options, this, hsMs);
  }

  /** New settings for the handshakes that start from now on; throws and keeps the old ones if unusable. */
  setTls(options: TlsServerOptions): void {
    this.#settings = build(options, this, this.#hsMs);
  }

  /**
   * Starts TLS on `raw`. `unixPath` is the listener's path for Unix sockets. Rejects with
   * `ETLS` / `ETLSVERIFY` (the socket then destroyed) for any failed handshake, a peer gone
   * during it, or a `strictSni` refusal.
   */
  start(raw: NetSocket, unixPath?: string): Promise<NodeSocket> {
    const remote = unixPath === undefined ? tcpAddress(raw.remoteAddress, raw.remotePort) : undefined;
    return new Promise<NodeSocket>((resolve, reject) => {
      const p: Pending = {
        settings: this.#settings,
        remote,
        local: unixPath === undefined ? null : { transport: "unix", path: unixPath },
        resetVia: unixPath === undefined ? raw : undefined,
        sni: undefined,
        settled: false,
        timer: undefined,
        onClose: undefined,
        resolve,
        reject,
      };
      (raw as WithPending)[PENDING] = p;
      p.timer = setTimeout(
        () => this.#refuse(raw, p, netError("ETLS", `${this.#where(p)}: handshake timeout`)),
        this.#hsMs,
      );
      (p.timer as { unref?: () => void }).unref?.();
      raw.on("error", ignore);
      p.onClose = () => {
        const why = p.settings.required ? " (a client certificate refused?)" : "";
        this.#refuse(raw, p, netError("ETLS", `${this.#where(p)}: closed during the TLS handshake${why}`));
      };
      raw.once("close", p.onClose);
      this.#peek(raw, p);
    });
  }

  #where(p: Pending): string {
    return `TLS handshake from ${describeAddress(p.remote)}`;
  }

  /** Reads the first record, puts it back, then hands the socket to TLS (or refuses it, strict SNI). */
  #peek(raw: NetSocket, p: Pending): void {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Uint8Array): void => {
      chunks.push(chunk);
      size += chunk.length;
      const buf = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      const seen = peekClientHello(buf);
      if (seen.state === "more") return;
      raw.off("data", onData);
      raw.pause();
      raw.unshift(buf);
      if (p.settled) return;
      p.sni = seen.sni;
      const s = p.settings;
      const i = seen.sni === undefined ? undefined : s.index.match(seen.sni);
      if (s.strict && seen.hello && i === undefined) {
        const what = seen.sni === undefined ? "no SNI" : `no certificate for SNI ${JSON.stringify(seen.sni)}`;
        // RFC 8446 §6: a fatal alert in clear, before anything is agreed.
        raw.end(ALERT_UNRECOGNIZED_NAME);
        return this.#refuse(raw, p, netError("ETLS", `${this.#where(p)}: strict-sni: ${what}`));
      }
      // Without a match the first certificate answers, with its options (HAProxy's default_ctx).
      if (seen.hello) p.settings = s.byCertificate[i ?? 0] ?? s;
      p.settings.server.emit("connection", raw);
    };
    raw.on("data", onData);
    raw.resume();
  }

  /** `secureConnection`: the client-certificate policy, then the socket is handed over. */
  secured(t: TLSSocket): void {
    const raw = rawOf(t);
    const p = raw?.[PENDING];
    if (raw === undefined || p === undefined || p.settled) {
      t.destroy();
      return;
    }
    const s = p.settings;
    if (s.askedForCert) {
      const presented = t.getPeerX509Certificate() !== undefined;
      // HAProxy's `verify optional` refuses a certificate that does not verify (alert 48); with
      // TLS 1.3 the verdict comes after the client's Finished, so the client sees a close.
      if (presented && !t.authorized) {
        t.destroy();
        return this.#refuse(
          raw,
          p,
          netError("ETLSVERIFY", `${this.#where(p)}: client certificate not trusted: ${String(t.authorizationError)}`),
        );
      }
      if (!presented && s.required) {
        t.destroy();
        return this.#refuse(raw, p, netError("ETLS", `${this.#where(p)}: no client certificate`));
      }
    }
    this.#settle(raw, p);
    const name = p.sni ?? (typeof t.servername === "string" && t.servername !== "" ? t.servername : undefined);
    p.resolve(
      new NodeSocket(
        t,
        p.resetVia,
        p.local,
        p.local === null ? null : undefined,
        serverTlsInfo(t, name, s.askedForCert),
        this.#writes,
      ),
    );
  }

  /** `tlsClientError`: the handshake failed. */
  failed(t: TLSSocket, err: Error): void {
    const raw = rawOf(t);
    const p = raw?.[PENDING];
    t.destroy();
    if (raw === undefined || p === undefined) return;
    this.#refuse(raw, p, toNetError(err, this.#where(p)));
  }

  #settle(raw: WithPending, p: Pending): void {
    p.settled = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.onClose !== undefined) raw.off("close", p.onClose);
    delete raw[PENDING];
  }

  #refuse(raw: WithPending, p: Pending, err: NetError): void {
    if (p.settled) return;
    this.#settle(raw, p);
    if (!raw.destroyed && !raw.writableEnded) raw.destroy();
    else if (!raw.destroyed) raw.destroySoon();
    p.reject(err.code === "EUNKNOWN" ? netError("ETLS", err.message, err) : err);
  }
}
