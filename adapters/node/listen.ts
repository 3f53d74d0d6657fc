/**
 * Listening with the Node adapter: a `net.Server` (accepts paused until the owner's first
 * `setHandlers()`) or a `tls.Server` (sockets handed over once the handshake is done).
 *
 * @module
 */
import { createServer as netCreateServer } from "node:net";
import type { AddressInfo, Server as NetServer, Socket as NetSocket } from "node:net";
import { createServer as tlsCreateServer } from "node:tls";
import type { TLSSocket } from "node:tls";
import type { Address, Listener, ListenOptions, TlsInfo } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { toNetError } from "../_errors.ts";
import { ignore, NodeSocket, type ResetTarget } from "./socket.ts";
import { tlsInfo, tlsServerOptions } from "./tls.ts";

/** Wraps an accepted socket; `listenPath` is the local address of Unix sockets. */
function accepted(
  sock: NetSocket,
  listenPath: string | undefined,
  tls: TlsInfo | undefined,
  resetVia: ResetTarget,
  mark: number,
): NodeSocket {
  if (listenPath !== undefined) {
    return new NodeSocket(sock, undefined, { transport: "unix", path: listenPath }, undefined, tls, mark);
  }
  return new NodeSocket(sock, resetVia, null, null, tls, mark);
}

/**
 * Binds and starts accepting; rejects with the mapped listen error. `mark` is Node's
 * writable high-water mark for the accepted sockets.
 */
export function listen(options: ListenOptions, mark: number): Promise<Listener> {
  const { address, onAccept } = options;
  const path = address.transport === "unix" ? address.path : undefined;
  let server: NetServer;
  const tlsOpts = options.tls;
  if (tlsOpts === undefined) {
    // pauseOnConnect: nothing is read before the owner's first setHandlers().
    server = netCreateServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      onAccept(accepted(sock, path, undefined, sock, mark));
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
      onAccept(accepted(sock, path, tlsInfo(sock, name, askedForCert), raw, mark));
    });
  }
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
        resolve(new NodeListener(server, address));
      },
    );
  });
}

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
