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

/** Binds with `Bun.listen`; its synchronous errors (`EADDRINUSE`, ...) become rejections. */
export function listen(options: ListenOptions, highWaterMarkBytes: number): Promise<Listener> {
  const { address } = options;
  try {
    const ctx: AcceptContext = {
      onAccept: options.onAccept,
      tls: options.tls !== undefined,
      askedForCert: options.tls?.requestClientCert ?? false,
      path: address.transport === "unix" ? address.path : undefined,
      highWaterMarkBytes,
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
