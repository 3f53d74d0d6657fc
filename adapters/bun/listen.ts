/**
 * Listening with the Bun adapter: `Bun.listen` with the accept handlers of `handlers.ts`.
 *
 * @module
 */
import type { Address, Listener, ListenOptions } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { toNetError } from "../_errors.ts";
import { bun, endpoint } from "./api.ts";
import { type AcceptContext, SERVER_HANDLERS } from "./handlers.ts";
import { serverTls } from "./tls.ts";
import { type NativeServerTls, serverNeedsNodeTls } from "../_tls_route.ts";
import { listen as nodeListen } from "../node/listen.ts";
import { writeSettings } from "../node/socket.ts";

/**
 * What `Bun.listen` does beyond one certificate and ALPN: TLS 1.3 only, Unix sockets. Client
 * certificates it can ask for, but HAProxy's `verify optional` and the peer details go
 * through node:tls.
 */
const NATIVE: NativeServerTls = { clientAuth: false, minTls13: true, unix: true, peerInfo: true };

/**
 * Binds with `Bun.listen`; its synchronous errors (`EADDRINUSE`, ...) become rejections. A TLS
 * listener `Bun.listen` cannot serve (`_tls_route.ts`), or any TLS listener with `nodeTls`, is
 * a `node:net` server whose sockets go through the Node adapter's `node:tls` engine.
 */
export function listen(
  options: ListenOptions,
  highWaterMarkBytes: number,
  nodeTls = false,
  coalesceWrites = true,
): Promise<Listener> {
  const { address } = options;
  if (options.tls !== undefined && (nodeTls || serverNeedsNodeTls(options, NATIVE) !== undefined)) {
    return nodeListen(options, writeSettings(highWaterMarkBytes, false));
  }
  try {
    const ctx: AcceptContext = {
      onAccept: options.onAccept,
      onHandshakeError: options.onHandshakeError,
      tls: options.tls !== undefined,
      askedForCert: options.tls?.requestClientCert ?? false,
      path: address.transport === "unix" ? address.path : undefined,
      highWaterMarkBytes,
      coalesceWrites,
    };
    const l = bun().listen({
      ...endpoint(address),
      allowHalfOpen: true,
      socket: SERVER_HANDLERS,
      data: ctx,
      ...(options.reusePort === true ? { reusePort: true } : {}),
      ...(options.tls !== undefined ? { tls: serverTls(options.tls) } : {}),
    });
    let closed = false;
    const bound: Address = address.transport === "unix"
      ? address
      : { transport: "tcp", hostname: address.hostname, port: l.port };
    return Promise.resolve({
      address: bound,
      close(): Promise<void> {
        if (!closed) {
          closed = true;
          // Stops accepting and releases the port now; accepted sockets live on.
          l.stop(false);
        }
        return Promise.resolve();
      },
    });
  } catch (e) {
    return Promise.reject(e instanceof RangeError ? e : toNetError(e, `bun listen ${describeAddress(address)}`));
  }
}
