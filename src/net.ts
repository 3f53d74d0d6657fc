/**
 * The adapter contract: what the core needs from a runtime's sockets and TLS, and nothing else.
 *
 * This file holds types only. Each runtime adapter (`adapters/deno.ts`, `adapters/bun.ts`,
 * `adapters/node.ts`, `adapters/memory.ts`) implements {@link Network}; the core is handed one
 * and never detects the runtime. It plays the part HAProxy's `protocol` (control layer) and
 * `xprt_ops` (transport layer: raw or TLS) tables play over the kernel and OpenSSL.
 *
 * Rules every adapter keeps, checked by `tests/adapters/conformance.ts`:
 * - Handlers are never called synchronously from inside a {@link Socket} method: `write()`,
 *   `pause()`, `resume()`, `shutdownWrite()`, `close()` and `abort()` return before any
 *   `onData` / `onEnd` / `onDrain` / `onClose` they make due runs, also when they are called
 *   from inside a handler.
 * - Once `pause()` has returned, no `onData` or `onEnd` runs until `resume()`, even for bytes
 *   the runtime had already read: the adapter holds them.
 * - A chunk passed to `onData` belongs to the receiver; the adapter never reuses its memory
 *   while the receiver owns it. A chunk passed to `write()` is given up: from then on the
 *   caller neither changes nor reads it, and once it is written the adapter may reuse its
 *   memory (the Deno adapter recycles its read buffers that way). So a chunk that is both kept
 *   and written must be copied first.
 * - `write()` accepts every byte (never drops, never partial); backpressure is its return value.
 * - Sockets are always half-open capable: `onEnd` (peer EOF) leaves the write side usable.
 * - Events arrive in order: `onData`* then `onEnd`? then `onClose` exactly once, last.
 * - On a TLS socket, `shutdownWrite()` sends a close_notify alert before the FIN, and `close()`
 *   sends one after the queued bytes: the peer can tell a complete stream from a cut one.
 *   `abort()` sends none, so the peer sees a truncation (where `abortSendsReset` is false the
 *   runtime closes in order, close_notify included: see its note). *
 * @module
 */

/** A TCP endpoint. `hostname` is an IP literal for addresses the adapter reports. */
export interface TcpAddress {
  /** Discriminates TCP from Unix addresses. */
  readonly transport: "tcp";
  /** IPv4 dotted quad or IPv6 text without brackets (`::1`); a name only in connect options. */
  readonly hostname: string;
  /** 0 in listen options asks for a free port; the listener reports the real one. */
  readonly port: number;
}

/** A Unix domain socket endpoint (`\0name` for Linux abstract sockets). */
export interface UnixAddress {
  /** Discriminates Unix from TCP addresses. */
  readonly transport: "unix";
  /** Filesystem path of the socket, or `\0name` for a Linux abstract socket. */
  readonly path: string;
}

/** Any endpoint the control layer can listen on or connect to. */
export type Address = TcpAddress | UnixAddress;

/**
 * The small, closed set of socket error codes the core reasons about. Adapters map their
 * runtime's errors onto it (all three runtimes expose Node-style `err.code` strings).
 * - `ECANCELED`: a connect aborted through its `AbortSignal` (the core's connect timeout).
 * - `ETLS`: a TLS handshake or record failure other than verification.
 * - `ETLSVERIFY`: the peer certificate failed verification (untrusted, expired, wrong name).
 * - `ENOTFOUND`: a name {@link Network.resolve} could not resolve (no such name, or no answer).
 * - `EUNKNOWN`: anything else; `cause` keeps the original error.
 */
export type NetErrorCode =
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "ETIMEDOUT"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "EHOSTUNREACH"
  | "ENETUNREACH"
  | "ENOENT"
  | "EACCES"
  | "EPIPE"
  | "ECANCELED"
  | "ETLS"
  | "ETLSVERIFY"
  | "ENOTFOUND"
  | "EUNKNOWN";

/** An error raised by an adapter: a plain `Error` with a {@link NetErrorCode}. */
export interface NetError extends Error {
  /** What failed, from the closed set the core reasons about. */
  readonly code: NetErrorCode;
}

/** What a socket tells its owner. Set with {@link Socket.setHandlers}. */
export interface SocketHandlers {
  /** Bytes from the peer; the chunk now belongs to the handler. Never called while paused. */
  onData(chunk: Uint8Array): void;
  /**
   * The peer shut its write side (EOF), after its last `onData`. Called at most once. The
   * socket stays writable: the owner decides when to `shutdownWrite()` or `close()`.
   */
  onEnd(): void;
  /** Called once after a `write()` returned `false`, when the socket can take more bytes. */
  onDrain(): void;
  /**
   * The socket is fully closed and its resources released; called exactly once, last.
   * `error` is set when an error closed it (reset by peer, TLS failure); it is absent after a
   * local `close()` / `abort()` or an orderly close of both directions. After `close()` it
   * comes once the queued bytes are sent; the adapter may keep the connection a little longer
   * (at most a minute), reading and discarding, until the peer closes too, as a kernel does
   * with a closed socket: closing while the peer still sends would reset the connection and
   * cut what the peer had not read yet.
   */
  onClose(error?: NetError): void;
}

/** What was negotiated on a TLS transport. Fields an adapter cannot read are absent. */
export interface TlsInfo {
  /** Negotiated ALPN protocol, `null` when none was agreed (a normal outcome). */
  readonly alpnProtocol: string | null;
  /** SNI the client sent (server side) or asked for (client side), when known. */
  readonly serverName?: string;
  /** `TLSv1.3`, ... when the runtime exposes it. */
  readonly protocol?: string;
  /** Whether the peer certificate verified, when one was requested and the runtime says. */
  readonly authorized?: boolean;
  /** Subject common name of the peer certificate, when the runtime exposes it. */
  readonly peerCommonName?: string;
  /**
   * Subject of the peer certificate as HAProxy's `ssl_c_s_dn` prints it (`/C=FR/O=Acme/CN=client1`),
   * when a certificate was presented and the runtime exposes it.
   */
  readonly peerSubject?: string;
  /** Issuer of the peer certificate, same format (`ssl_c_i_dn`). */
  readonly peerIssuer?: string;
  /** Negotiated cipher suite name (`TLS_AES_128_GCM_SHA256`), when the runtime exposes it. */
  readonly cipher?: string;
  /** Whether the session was resumed (ticket or cache), when the runtime says. */
  readonly resumed?: boolean;
  /**
   * Why the peer certificate did not verify (the runtime's code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`),
   * with `authorized: false`; absent when it verified or none was presented.
   */
  readonly verifyError?: string;
}

/**
 * One established connection's control layer (the socket) with its transport on top.
 *
 * Reading starts with the first {@link Socket.setHandlers} call; until then nothing is lost:
 * data, EOF and close are held for the first handlers.
 */
export interface Socket {
  /** Local endpoint; for Unix sockets the path when the runtime knows it. */
  readonly localAddress: Address | undefined;
  /** Peer endpoint; `undefined` for Unix peers on every runtime. */
  readonly remoteAddress: Address | undefined;
  /** Set when the transport is TLS. */
  readonly tls: TlsInfo | undefined;
  /** Bytes accepted by `write()` and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Attaches (or replaces) the handlers; the first call starts reading. */
  setHandlers(handlers: SocketHandlers): void;
  /**
   * Queues the whole chunk for sending. Returns `false` when the caller should stop writing
   * until `onDrain`; the bytes are still sent. After `shutdownWrite()`/`close()`/`abort()` or
   * once closed, the chunk is discarded and `false` is returned.
   */
  write(chunk: Uint8Array): boolean;
  /**
   * Stops delivering `onData`/`onEnd` from the moment it returns (bytes the runtime already
   * read are held) and stops reading from the kernel, so the peer blocks.
   */
  pause(): void;
  /** Resumes delivery after `pause()`. */
  resume(): void;
  /**
   * Half-close: once queued bytes are sent, shuts the write side (TLS: close_notify, then
   * FIN); reading goes on.
   */
  shutdownWrite(): void;
  /**
   * Sends queued bytes (TLS: then close_notify), then closes both directions; `onClose()`
   * follows.
   */
  close(): void;
  /**
   * Closes at once, dropping queued bytes, with a reset where the runtime can send one; on TLS
   * without close_notify, so that the peer sees the stream cut (see `abortSendsReset`).
   */
  abort(): void;
  /** Disables Nagle's algorithm. Returns whether the option was applied. */
  setNoDelay(enable: boolean): boolean;
  /** TCP keep-alive; `initialDelayMs` where supported. Returns whether it was applied. */
  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean;
}

/** Client side of the TLS transport. */
export interface TlsClientOptions {
  /** SNI and the name verified in the certificate; omitted for IP literals (RFC 6066). */
  readonly serverName?: string;
  /** ALPN protocols to offer, most preferred first, e.g. `["h2", "http/1.1"]`. */
  readonly alpnProtocols?: readonly string[];
  /** PEM CA certificates trusted instead of the runtime's default store. */
  readonly caCerts?: readonly string[];
  /** PEM client certificate and key, for mutual TLS. */
  readonly cert?: string;
  /** PEM private key of {@link TlsClientOptions.cert}. */
  readonly key?: string;
  /**
   * The name the certificate must carry, when it differs from {@link TlsClientOptions.serverName}
   * (HAProxy's `verifyhost`). Without either, only the chain is verified.
   */
  readonly verifyName?: string;
  /** Lowest protocol version offered. @default "TLSv1.2" */
  readonly minVersion?: TlsVersion;
  /** Highest protocol version offered (HAProxy's `ssl-max-ver`). @default "TLSv1.3" */
  readonly maxVersion?: TlsVersion;
  /**
   * Verify the server certificate: its chain and its name. `false` skips both, on adapters
   * with the `tlsClientNoVerify` capability; the others refuse it at once with `ETLSVERIFY`
   * rather than verify anyway.
   * @default true
   */
  readonly verify?: boolean;
}

/** TLS protocol versions proxykit offers or accepts (TLS 1.2 is HAProxy's default minimum). */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** One certificate a TLS listener can present. */
export interface TlsCertificate {
  /** PEM certificate chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /**
   * SNI names this certificate answers, lower case, exact (`a.test`) or one-label wildcards
   * (`*.wild.test`, which matches `x.wild.test` only). The certificate listed first is the
   * default, used without SNI or when no name matches; an exact name beats a wildcard, and
   * between two certificates claiming a name the earlier one wins (HAProxy's rules). The
   * proxy fills them from the certificate's subject CN and SAN DNS names when absent.
   */
  readonly serverNames?: readonly string[];
  /**
   * The `crt` file it was read from (set by the `haproxy.cfg` loader): the name the runtime
   * API's `set ssl cert FILE` and `commit ssl cert FILE` use. Adapters ignore it.
   */
  readonly file?: string;
  /**
   * Settings for the handshakes that select this certificate (a `crt-list` line's
   * `[sslbindconf]`), each replacing the listener's own; they make the listener a
   * `node:tls` one on Deno and Bun (their native listeners cannot vary per SNI).
   * @default undefined (the listener's settings)
   */
  readonly options?: TlsCertificateOptions;
}

/**
 * The listener settings a certificate may override for the handshakes that select it
 * (configuration.txt 5.1 `crt-list`): the client sees them once its SNI chose the certificate.
 */
export type TlsCertificateOptions = Pick<
  TlsServerOptions,
  "alpnProtocols" | "requestClientCert" | "requireClientCert" | "caCerts" | "minVersion" | "maxVersion"
>;

/** Server side of the TLS transport. */
export interface TlsServerOptions {
  /** At least one; more than one needs the `tlsSniMultiCert` capability. */
  readonly certificates: readonly TlsCertificate[];
  /** ALPN protocols accepted, most preferred first. */
  readonly alpnProtocols?: readonly string[];
  /** Ask for a client certificate (needs `tlsServerClientAuth`). */
  readonly requestClientCert?: boolean;
  /** Refuse clients without a valid certificate (with `requestClientCert`). */
  readonly requireClientCert?: boolean;
  /** PEM CAs that client certificates must chain to. */
  readonly caCerts?: readonly string[];
  /** Lowest protocol version accepted; older clients get alert 70. @default "TLSv1.2" */
  readonly minVersion?: TlsVersion;
  /**
   * Highest protocol version accepted (HAProxy's `ssl-max-ver`): a TLS 1.3 client is answered
   * in TLS 1.2 under `"TLSv1.2"`. @default "TLSv1.3"
   */
  readonly maxVersion?: TlsVersion;
  /**
   * The owner reads what the handshake told beyond ALPN ({@link TlsInfo}'s `serverName`,
   * `protocol`, `cipher`, `resumed`, peer certificate): an adapter whose fastest listener
   * cannot tell them serves this one another way (Deno: its `node:tls` layer).
   * @default false
   */
  readonly peerInfo?: boolean;
  /**
   * Refuse a handshake whose SNI is absent or matches no certificate (alert 112,
   * `unrecognized_name`), as HAProxy's `strict-sni`. @default false
   */
  readonly strictSni?: boolean;
}

/** Options of {@link Network.listen}. */
export interface ListenOptions {
  /** Where to listen; TCP port 0 asks for a free port. */
  readonly address: Address;
  /** Called for each accepted socket, which waits for its first `setHandlers()`. */
  readonly onAccept: (socket: Socket) => void;
  /**
   * Makes it a TLS listener (needs `tlsServer`). `onAccept` gets a socket whose handshake
   * completed (its `tls` is final); a failed handshake never reaches `onAccept` and is
   * reported to `onHandshakeError`.
   */
  readonly tls?: TlsServerOptions;
  /**
   * With `tls`: accept sockets plain and let the owner start TLS on each with
   * {@link Network.startServerTls}, after it read what comes first (a PROXY header). Needs
   * `tlsServerUpgrade`.
   * @default false
   */
  readonly tlsDeferred?: boolean;
  /**
   * A TLS handshake on this listener failed (bad client certificate, no shared version,
   * garbage instead of a ClientHello): for the log line HAProxy writes
   * (`fe/bind: SSL handshake failure`). The socket is already closed.
   */
  readonly onHandshakeError?: (error: NetError, remote: Address | undefined) => void;
  /** Share the port with other listeners (needs `reusePort`). */
  readonly reusePort?: boolean;
  /** Kernel accept backlog, when the runtime lets us set it. */
  readonly backlog?: number;
}

/**
 * A cheaper way than an `AbortSignal` to abandon a connect: no object or listener per attempt.
 * While the connect is pending the adapter keeps its canceller in `onCancel`, and clears it
 * (back to `undefined`) once the connect settled. Calling it abandons the attempt as an aborted
 * `signal` does: the promise rejects with `ECANCELED`, and a socket that opens later is closed
 * by the adapter. The core passes one slot per stream, reused by each attempt (a stream waits
 * for one thing at a time).
 */
export interface ConnectCancel {
  /** Set by the adapter while its connect is pending; the owner calls it to abandon the attempt. */
  onCancel: (() => void) | undefined;
}

/** Options of {@link Network.connect}. */
export interface ConnectOptions {
  /** The destination; a TCP hostname may be a name the runtime resolves. */
  readonly address: Address;
  /** Makes the transport TLS (needs `tlsClient`). */
  readonly tls?: TlsClientOptions;
  /**
   * Bytes written in clear right after the TCP connection is up, before the TLS handshake
   * when there is one (a PROXY protocol header), and before anything passed to `write()`.
   * The chunk is given up as with `write()`.
   */
  readonly preamble?: Uint8Array;
  /**
   * Aborting it abandons the attempt: the promise rejects with `ECANCELED` and a socket that
   * opens later is closed by the adapter. The core's connect timeout is built on it.
   */
  readonly signal?: AbortSignal;
  /** Like {@link ConnectOptions.signal}, without an `AbortController` (see {@link ConnectCancel}). */
  readonly cancel?: ConnectCancel;
  /**
   * Disable Nagle's algorithm on the new socket (TCP only).
   * @default false
   */
  readonly noDelay?: boolean;
}

/** A bound listener. */
export interface Listener {
  /** The bound endpoint, with the real port when port 0 was asked for. */
  readonly address: Address;
  /** Stops accepting; sockets already accepted live on. Resolves once the port is released. */
  close(): Promise<void>;
  /**
   * Replaces the TLS settings (certificates, CAs) of a TLS listener for the handshakes that
   * start from now on; established sockets keep theirs. Present where the runtime allows it
   * (the `tlsReload` capability). Throws a {@link NetError} for unusable settings, leaving the
   * old ones in place.
   */
  setTls?(options: TlsServerOptions): void;
}

/**
 * What an adapter can do, checked by the core at configuration time so that an unsupported
 * setting is refused with a clear error instead of failing on the first connection. A missing
 * capability carries its reason in {@link NetCapabilities.notes}.
 */
export interface NetCapabilities {
  /** Listen on and connect to Unix domain sockets. */
  readonly unix: boolean;
  /** Listen on and connect to IPv6 addresses. */
  readonly ipv6: boolean;
  /** TLS on outgoing connections ({@link ConnectOptions.tls}). */
  readonly tlsClient: boolean;
  /** TLS listeners ({@link ListenOptions.tls}) with one certificate. */
  readonly tlsServer: boolean;
  /** Several certificates chosen by SNI on one listener. */
  readonly tlsSniMultiCert: boolean;
  /** Request and verify client certificates on a TLS listener. */
  readonly tlsServerClientAuth: boolean;
  /** Start server-side TLS on an accepted plain socket (PROXY header before TLS). */
  readonly tlsServerUpgrade: boolean;
  /** Read the peer certificate and TLS version. */
  readonly tlsPeerInfo: boolean;
  /** {@link Listener.setTls}: new certificates for new handshakes, without closing the port. */
  readonly tlsReload: boolean;
  /**
   * `TlsClientOptions.verify: false` skips certificate verification entirely (chain and
   * name), so a self-signed or untrusted server certificate is accepted.
   */
  readonly tlsClientNoVerify: boolean;
  /** `setKeepAlive` honours its delay. */
  readonly keepAliveDelay: boolean;
  /** Several listeners on one port, the kernel spreading connections (SO_REUSEPORT). */
  readonly reusePort: boolean;
  /**
   * `abort()` sends a TCP reset (SO_LINGER 0) rather than a FIN, and no TLS close_notify.
   * Without it, `abort()` is an orderly close the peer cannot tell from `close()`.
   */
  readonly abortSendsReset: boolean;
  /** Unreachable hosts are reported as such, not as `ECONNREFUSED`. */
  readonly distinguishesUnreachable: boolean;
  /** Why each `false` capability is missing, keyed by capability name. */
  readonly notes: Readonly<Record<string, string>>;
}

/**
 * A UDP socket (the {@link Network.openDatagram} capability): what the DNS resolver sends its
 * queries over (configuration.txt 5.3.2 `nameserver`).
 */
export interface DatagramSocket {
  /** The bound local endpoint. */
  readonly localAddress: TcpAddress;
  /** Sends one datagram to `to` (an IP literal); errors go to `onError`, never thrown. */
  send(data: Uint8Array, to: TcpAddress): void;
  /** Closes the socket; no handler runs afterwards. */
  close(): void;
}

/** Options of {@link Network.openDatagram}. */
export interface DatagramOptions {
  /** Where to bind: an IP literal and a port, 0 for a free one. */
  readonly bind: TcpAddress;
  /** One datagram received, with its sender. The chunk belongs to the handler. */
  readonly onMessage: (data: Uint8Array, from: TcpAddress) => void;
  /** A send or receive error; the socket stays open. */
  readonly onError?: (error: NetError) => void;
}

/**
 * A runtime's network: the control layer (listen / connect) and the transports it offers.
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/node";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 */
export interface Network {
  /** `"deno"`, `"bun"`, `"node"` or `"memory"`: for logs and error messages only. */
  readonly name: string;
  /** What this adapter can do; the core refuses a configuration needing anything else. */
  readonly capabilities: NetCapabilities;
  /** Binds and starts accepting. Rejects with a {@link NetError} (`EADDRINUSE`, ...). */
  listen(options: ListenOptions): Promise<Listener>;
  /** Opens a connection (and its TLS transport when asked). Rejects with a {@link NetError}. */
  connect(options: ConnectOptions): Promise<Socket>;
  /**
   * Resolves a host name to IP literals (IPv4 dotted quads, IPv6 text without brackets), in
   * the order the resolver gave them; an IP literal resolves to itself without a lookup. The
   * real adapters ask the system resolver (`getaddrinfo`, so `/etc/hosts` counts); the memory
   * adapter reads its static table. The core resolves through it where a destination comes
   * from traffic (proxy mode), so that it can check the addresses before connecting.
   * Rejects with a {@link NetError}: `ENOTFOUND` when the name has no address.
   */
  resolve(hostname: string): Promise<string[]>;
  /**
   * Starts server-side TLS on `socket`, accepted plain by a listener opened with `tls` and
   * `tlsDeferred` (needs `tlsServerUpgrade`), with that listener's TLS settings. `head` holds
   * bytes the owner read from the socket that belong to the TLS stream (read past a PROXY
   * header): TLS consumes them first, then what the adapter held while the socket was paused,
   * then the wire. The owner pauses `socket` before calling and never uses it again: it
   * resolves with the TLS socket once the handshake completed, or rejects with `ETLS` /
   * `ETLSVERIFY`, the connection closed.
   */
  startServerTls?(socket: Socket, head?: Uint8Array): Promise<Socket>;
  /**
   * Opens a UDP socket bound to `options.bind`, for the DNS resolver (`resolvers` sections).
   * Rejects with a {@link NetError} (`EADDRINUSE`, ...). Absent where the runtime has no UDP:
   * a configuration with `resolvers` is then refused.
   */
  openDatagram?(options: DatagramOptions): Promise<DatagramSocket>;
}
