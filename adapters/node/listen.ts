/**
 * Listening with the Node adapter: a `net.Server` whose accepted sockets are handed over
 * paused (plain), or go through the TLS engine first (`tls_engine.ts`) and are handed over once
 * their handshake completed, or, with `tlsDeferred`, are handed over plain and remembered for
 * `startServerTls()`.
 *
 * @module
 */
import { createServer as netCreateServer } from "node:net";
import { setImmediate } from "node:timers";
import type { AddressInfo, Server as NetServer, Socket as NetSocket } from "node:net";
import type { Address, Listener, ListenOptions, NetError, Socket, TlsServerOptions } from "../../src/net.ts";
import { describeAddress, tcpAddress } from "../_address.ts";
import { netError, rethrowLater, toNetError } from "../_errors.ts";
import { ignore, NodeSocket, type WriteSettings } from "./socket.ts";
import { adoptStaticRead, StaticRead } from "./static_read.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, TlsEngine } from "./tls_engine.ts";

/** The engine of the `tlsDeferred` listener that accepted each plain socket. */
const DEFERRED = new WeakMap<Socket, { engine: TlsEngine; path: string | undefined }>();

/**
 * Wraps an accepted plain socket; `listenPath` is the local address of Unix sockets. A TCP
 * socket of a listener without TLS reads into the static buffer (`static_read.ts`); one that
 * TLS may be started on later (`tlsDeferred`) reads the ordinary way, as the TLS layer will.
 */
function accepted(sock: NetSocket, listenPath: string | undefined, writes: WriteSettings, plain: boolean): NodeSocket {
  if (listenPath !== undefined) {
    return new NodeSocket(sock, undefined, { transport: "unix", path: listenPath }, undefined, undefined, writes);
  }
  const s = new NodeSocket(sock, sock, null, null, undefined, writes);
  if (plain) {
    // Still paused since the accept: nothing was read the ordinary way.
    const reader = new StaticRead();
    if (adoptStaticRead(sock, reader)) reader.attach(sock, s);
  }
  return s;
}

/** Calls the owner's callback, surfacing its exception without stopping the listener. */
function call<A extends unknown[]>(fn: ((...a: A) => void) | undefined, ...args: A): void {
  try {
    fn?.(...args);
  } catch (err) {
    rethrowLater(err);
  }
}

/**
 * Binds and starts accepting; rejects with the mapped listen error. `writes` says how
 * the accepted sockets write (see {@link WriteSettings}); `hsMs` the TLS handshake timeout. The
 * Deno and Bun adapters use it for the TLS listeners their native API cannot serve.
 */
export function listen(
  options: ListenOptions,
  writes: WriteSettings,
  hsMs = DEFAULT_HANDSHAKE_TIMEOUT_MS,
): Promise<Listener> {
  const { address, onAccept } = options;
  const path = address.transport === "unix" ? address.path : undefined;
  let engine: TlsEngine | undefined;
  try {
    engine = options.tls === undefined ? undefined : new TlsEngine(options.tls, writes, hsMs);
  } catch (err) {
    return Promise.reject(err);
  }
  const deferred = engine !== undefined && options.tlsDeferred === true;
  // pauseOnConnect: nothing is read before the owner's first setHandlers() (or the peek).
  const server = netCreateServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
    if (engine === undefined || deferred) {
      const s = accepted(sock, path, writes, engine === undefined);
      if (engine !== undefined) DEFERRED.set(s, { engine, path });
      return call(onAccept, s);
    }
    const remote = path === undefined ? tcpAddress(sock.remoteAddress, sock.remotePort) : undefined;
    engine.start(sock, path).then(
      (s) => call(onAccept, s),
      (err: NetError) => call(options.onHandshakeError, err, remote),
    );
  });
  const listenOpts = path !== undefined ? { path } : {
    host: address.transport === "tcp" ? address.hostname : undefined,
    port: address.transport === "tcp" ? address.port : 0,
  };
  return new Promise<Listener>((resolve, reject) => {
    const onListenError = (err: unknown): void => reject(toNetError(err, `listen ${describeAddress(address)}`));
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
        resolve(new NodeListener(server, address, engine));
      },
    );
  });
}

/**
 * Starts TLS on a socket a `tlsDeferred` listener of this module accepted: `head` first, then
 * what Node holds for the paused socket, then the wire (`src/net.ts`, `startServerTls`).
 */
export function startServerTls(socket: Socket, head?: Uint8Array): Promise<Socket> {
  const d = DEFERRED.get(socket);
  if (d === undefined || !(socket instanceof NodeSocket)) {
    socket.abort();
    return Promise.reject(netError("ETLS", "startServerTls: not a socket accepted by a tlsDeferred listener"));
  }
  DEFERRED.delete(socket);
  const raw = socket.detach();
  if (raw === undefined) return Promise.reject(netError("ETLS", "startServerTls: the socket is already closed"));
  if (head !== undefined && head.length > 0) raw.unshift(head);
  return d.engine.start(raw, d.path);
}

/** A bound `net.Server`, with the TLS engine of a TLS listener. */
class NodeListener implements Listener {
  readonly address: Address;
  readonly #server: NetServer;
  readonly #engine: TlsEngine | undefined;
  #closed = false;

  constructor(server: NetServer, requested: Address, engine: TlsEngine | undefined) {
    this.#server = server;
    this.#engine = engine;
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

  /** New settings for the handshakes that start from now on; a plain listener throws `ETLS`. */
  setTls(options: TlsServerOptions): void {
    if (this.#engine === undefined) {
      throw netError("ETLS", `setTls: ${describeAddress(this.address)} is not a TLS listener`);
    }
    this.#engine.setTls(options);
  }
}
