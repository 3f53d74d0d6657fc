/**
 * The Node.js adapter: {@link Network} over `node:net` and `node:tls` (Node 24).
 *
 * Every socket is created half-open capable (`allowHalfOpen: true`, RUNTIMES.md Q4: Node's
 * default ends our write side as soon as the peer's FIN is read). Reading is a paused Node
 * stream until the first `setHandlers()`, so data and EOF are held by Node itself and the
 * kernel pushes back on the peer; `'end'` is only emitted once buffered data was consumed,
 * which also holds EOF while the owner has paused. Chunks are the `Buffer`s Node allocates per
 * read (never reused), handed over as they come; listeners are bound once per socket.
 *
 * Addresses are reported as the kernel gives them. A dual-stack `::` listener reports IPv4
 * peers as `::ffff:a.b.c.d` and its own side the same way: the pair is kept so both ends of a
 * PROXY header share a family; an IPv4 listener never sees mapped addresses.
 *
 * Node behaviours the core sees through this adapter (measured on Node 24.21):
 * - A TLS server whose ALPN list shares nothing with the client's offer fails the handshake
 *   with a `no_application_protocol` alert (client: `ETLS`); HAProxy would go on without ALPN.
 * - TLS 1.3: a client refused for lack of a certificate connects, then closes with `ETLS`
 *   (the `certificate_required` alert follows the client's Finished message).
 * - A TLS peer that resets before the server's first read after the handshake is seen as
 *   EOF, not `ECONNRESET`: Node drops the error of its session-ticket write (strace: write
 *   → ECONNRESET, then read → 0).
 * - `abort()` on TLS sends a reset through an internal flag (see `NodeSocket.abort`); under
 *   Deno's and Bun's `node:tls` layers it degrades to a FIN.
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/node";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 *
 * @module
 */
import { connect as netConnect, createServer as netCreateServer, isIP } from "node:net";
import type { AddressInfo, Server as NetServer, Socket as NetSocket } from "node:net";
import { connect as tlsConnect, createSecureContext, createServer as tlsCreateServer } from "node:tls";
import type { ConnectionOptions, SecureContext, TlsOptions, TLSSocket } from "node:tls";
import type {
  Address,
  ConnectOptions,
  Listener,
  ListenOptions,
  NetCapabilities,
  Network,
  Socket,
  TlsClientOptions,
  TlsInfo,
  TlsServerOptions,
} from "../src/net.ts";
import { netError, toNetError } from "./_errors.ts";
import { describe, NodeSocket, type ResetTarget, tcpAddress } from "./_node_socket.ts";

/** What Node can do (RUNTIMES.md, Node column). */
const CAPABILITIES: NetCapabilities = Object.freeze({
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: true,
  tlsServerClientAuth: true,
  tlsServerUpgrade: false,
  tlsPeerInfo: true,
  keepAliveDelay: true,
  reusePort: true,
  abortSendsReset: true,
  distinguishesUnreachable: true,
  notes: Object.freeze({
    tlsServerUpgrade: "not implemented yet; planned with the PROXY-protocol issue",
  }),
});

/** Subject common name of the peer certificate, when one was sent. */
function peerCommonName(sock: TLSSocket): string | undefined {
  const subject = sock.getPeerX509Certificate()?.subject;
  if (subject === undefined) return undefined;
  const m = /^CN=(.*)$/m.exec(subject);
  return m?.[1];
}

/** What was negotiated on `sock`; `authorized` only when a peer certificate was asked for. */
function tlsInfo(sock: TLSSocket, serverName: string | undefined, askedForCert: boolean): TlsInfo {
  const info: {
    alpnProtocol: string | null;
    serverName?: string;
    protocol?: string;
    authorized?: boolean;
    peerCommonName?: string;
  } = { alpnProtocol: typeof sock.alpnProtocol === "string" ? sock.alpnProtocol : null };
  if (serverName !== undefined) info.serverName = serverName;
  const protocol = sock.getProtocol();
  if (protocol !== null) info.protocol = protocol;
  if (askedForCert) {
    info.authorized = sock.authorized;
    const cn = peerCommonName(sock);
    if (cn !== undefined) info.peerCommonName = cn;
  }
  return info;
}

/**
 * `tls.createServer` options: the first certificate is the default context, the others are
 * chosen by SNI (exact name, then `*.` wildcard one label deep; unknown names get the default,
 * as HAProxy does without `strict-sni`). Each SNI context carries the client-certificate CAs:
 * a context returned by `SNICallback` replaces the server's CA store (RUNTIMES.md Q8 Node).
 */
function tlsServerOptions(o: TlsServerOptions): TlsOptions {
  const [first, ...others] = o.certificates;
  if (first === undefined) throw new TypeError("tls.certificates must hold at least one certificate");
  const ca = o.caCerts === undefined ? undefined : [...o.caCerts];
  const requestCert = (o.requestClientCert ?? false) || (o.requireClientCert ?? false);
  const options: TlsOptions = {
    allowHalfOpen: true,
    cert: first.cert,
    key: first.key,
    requestCert,
    rejectUnauthorized: requestCert && (o.requireClientCert ?? false),
  };
  if (ca !== undefined) options.ca = ca;
  if (o.alpnProtocols !== undefined) options.ALPNProtocols = [...o.alpnProtocols];
  if (others.length > 0) {
    const byName = new Map<string, SecureContext>();
    for (const c of others) {
      const ctx = createSecureContext(
        ca === undefined ? { cert: c.cert, key: c.key } : { cert: c.cert, key: c.key, ca },
      );
      for (const name of c.serverNames ?? []) {
        const key = name.toLowerCase();
        if (!byName.has(key)) byName.set(key, ctx);
      }
    }
    // Names of the default certificate must win over a later certificate claiming them too.
    for (const name of first.serverNames ?? []) byName.delete(name.toLowerCase());
    options.SNICallback = (servername, cb) => {
      const name = servername.toLowerCase();
      const dot = name.indexOf(".");
      cb(null, byName.get(name) ?? (dot > 0 ? byName.get(`*${name.slice(dot)}`) : undefined));
    };
  }
  return options;
}

/** Wraps an accepted socket; `listenPath` is the local address of Unix sockets. */
function accepted(
  sock: NetSocket,
  listenPath: string | undefined,
  tls: TlsInfo | undefined,
  resetVia: ResetTarget,
): NodeSocket {
  if (listenPath !== undefined) {
    return new NodeSocket(sock, undefined, { transport: "unix", path: listenPath }, undefined, tls);
  }
  return new NodeSocket(
    sock,
    resetVia,
    tcpAddress(sock.localAddress, sock.localPort),
    tcpAddress(sock.remoteAddress, sock.remotePort),
    tls,
  );
}

/**
 * Binds a `net.Server` (paused accepts) or a `tls.Server` (sockets handed over once the
 * handshake is done, so `tls` is filled in). Rejects with the mapped listen error.
 */
function listen(options: ListenOptions): Promise<Listener> {
  const { address, onAccept } = options;
  const path = address.transport === "unix" ? address.path : undefined;
  let server: NetServer;
  const tlsOpts = options.tls;
  if (tlsOpts === undefined) {
    // pauseOnConnect: nothing is read before the owner's first setHandlers().
    server = netCreateServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      onAccept(accepted(sock, path, undefined, sock));
    });
  } else {
    const askedForCert = (tlsOpts.requestClientCert ?? false) || (tlsOpts.requireClientCert ?? false);
    server = tlsCreateServer(tlsServerOptions(tlsOpts));
    server.on("secureConnection", (sock: TLSSocket) => {
      const name = typeof sock.servername === "string" ? sock.servername : undefined;
      // `_parent` is the accepted net.Socket under the TLS layer (no public accessor; null
      // under Bun's node:tls).
      const raw = path === undefined
        ? (sock as TLSSocket & { _parent?: NetSocket | null })._parent ?? undefined
        : undefined;
      onAccept(accepted(sock, path, tlsInfo(sock, name, askedForCert), raw));
    });
  }
  const listenOpts = path !== undefined ? { path } : {
    host: address.transport === "tcp" ? address.hostname : undefined,
    port: address.transport === "tcp" ? address.port : 0,
  };
  return new Promise<Listener>((resolve, reject) => {
    const onListenError = (err: unknown): void => reject(toNetError(err, `listen ${describe(address)}`));
    server.once("error", onListenError);
    server.listen(
      {
        ...listenOpts,
        ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
        ...(options.reusePort === true ? { reusePort: true } : {}),
      },
      () => {
        server.off("error", onListenError);
        // Accept errors (EMFILE, ...) must not crash the process; Node retries the accept.
        server.on("error", ignore);
        resolve(new NodeListener(server, address));
      },
    );
  });
}

/** Listener for errors that have nowhere to go. */
function ignore(): void {}

/** A bound `net.Server` / `tls.Server`. */
class NodeListener implements Listener {
  readonly address: Address;
  readonly #server: NetServer;
  #closed = false;

  constructor(server: NetServer, requested: Address) {
    this.#server = server;
    const bound = server.address();
    this.address = requested.transport === "unix" || bound === null || typeof bound === "string"
      ? requested
      : { transport: "tcp", hostname: (bound as AddressInfo).address, port: (bound as AddressInfo).port };
  }

  /**
   * Node's `close` callback waits for every accepted socket to end, which the contract does
   * not: the listening fd is closed (and a Unix path unlinked) inside `server.close()` itself.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#server.close();
    }
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Client contexts by options object: building one parses every CA and key PEM (about a
 * millisecond with a CA bundle), and the core passes the same options for every connection
 * to a server.
 */
const clientContexts = new WeakMap<TlsClientOptions, SecureContext>();

/** The cached client context of `o`. */
function clientContext(o: TlsClientOptions): SecureContext {
  let ctx = clientContexts.get(o);
  if (ctx === undefined) {
    ctx = createSecureContext({
      ...(o.caCerts === undefined ? {} : { ca: [...o.caCerts] }),
      ...(o.cert === undefined ? {} : { cert: o.cert }),
      ...(o.key === undefined ? {} : { key: o.key }),
    });
    clientContexts.set(o, ctx);
  }
  return ctx;
}

/**
 * `tls.connect` options on top of `raw`. The name verified is `serverName`, else the address's
 * hostname; it is sent as SNI only when it is not an IP literal (RFC 6066 §3).
 */
function tlsClientOptions(raw: NetSocket, o: TlsClientOptions, address: Address): ConnectionOptions {
  const name = o.serverName ?? (address.transport === "tcp" ? address.hostname : undefined);
  return {
    socket: raw,
    secureContext: clientContext(o),
    ...(name === undefined ? {} : { host: name }),
    ...(name === undefined || isIP(name) !== 0 ? {} : { servername: name }),
    ...(o.alpnProtocols === undefined ? {} : { ALPNProtocols: [...o.alpnProtocols] }),
    rejectUnauthorized: o.verify ?? true,
  };
}

/**
 * Connects a `net.Socket`, with `tls.connect` on top of it when asked: the TCP socket stays
 * ours, so `abort()` can reset it. Resolves once connected (plain) or after the handshake
 * and certificate check (TLS).
 */
function connect(options: ConnectOptions): Promise<Socket> {
  const { address, signal } = options;
  const where = `connect ${describe(address)}`;
  if (signal?.aborted === true) return Promise.reject(netError("ECANCELED", `${where}: aborted`, signal.reason));
  return new Promise<Socket>((resolve, reject) => {
    const raw = address.transport === "unix" ? netConnect({ path: address.path, allowHalfOpen: true }) : netConnect({
      host: address.hostname,
      port: address.port,
      allowHalfOpen: true,
      noDelay: options.noDelay ?? false,
    });
    const tlsOpts = options.tls;
    const sock: NetSocket = tlsOpts === undefined ? raw : tlsConnect(tlsClientOptions(raw, tlsOpts, address));
    // Paused from the start (the TLS handshake is not affected): nothing is read before the
    // owner's first setHandlers().
    sock.pause();
    const ready = tlsOpts === undefined ? "connect" : "secureConnect";
    const settle = (): void => {
      sock.off(ready, onReady);
      sock.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    const onReady = (): void => {
      settle();
      const local = address.transport === "unix" ? undefined : tcpAddress(sock.localAddress, sock.localPort);
      const remote = address.transport === "unix" ? undefined : tcpAddress(sock.remoteAddress, sock.remotePort);
      let info: TlsInfo | undefined;
      if (tlsOpts !== undefined) {
        const sni = (sock as TLSSocket).servername;
        info = tlsInfo(sock as TLSSocket, typeof sni === "string" ? sni : undefined, true);
      }
      resolve(new NodeSocket(sock, address.transport === "tcp" ? raw : undefined, local, remote, info));
    };
    const onError = (err: unknown): void => {
      settle();
      sock.on("error", ignore);
      sock.destroy();
      reject(toNetError(err, where));
    };
    const onAbort = (): void => {
      settle();
      sock.on("error", ignore);
      sock.destroy();
      reject(netError("ECANCELED", `${where}: aborted`, signal?.reason));
    };
    sock.once(ready, onReady);
    sock.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Builds the Node network. Stateless: every call returns an equivalent object. */
export function createNetwork(): Network {
  return { name: "node", capabilities: CAPABILITIES, listen, connect };
}

/** The Node network (`node:net` / `node:tls`). */
export const network: Network = createNetwork();
