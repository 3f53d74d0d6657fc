/**
 * Listening and connecting with the Bun adapter: `Bun.listen` / `Bun.connect` with the shared
 * handler tables of `handlers.ts`.
 *
 * @module
 */
import type { Address, ConnectOptions, Listener, ListenOptions, Socket } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, toNetError } from "../_errors.ts";
import { bun } from "./api.ts";
import { type AcceptContext, CLIENT_HANDLERS, type PendingConnect, SERVER_HANDLERS } from "./handlers.ts";
import { type BunTlsOptions, clientTls, serverTls } from "./tls.ts";

/** The address part of Bun's listen/connect options. */
function endpoint(address: Address): { hostname: string; port: number } | { unix: string } {
  return address.transport === "unix" ? { unix: address.path } : { hostname: address.hostname, port: address.port };
}

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

/** Connects with `Bun.connect`; settles on `open`, or after the handshake for TLS. */
export function connect(options: ConnectOptions, highWaterMarkBytes: number): Promise<Socket> {
  const { address, signal } = options;
  if (signal?.aborted) {
    return Promise.reject(netError("ECANCELED", "bun connect: aborted before it started", signal.reason));
  }
  return new Promise<Socket>((resolve, reject) => {
    let tls: BunTlsOptions | undefined;
    try {
      tls = options.tls !== undefined ? clientTls(options.tls, address) : undefined;
    } catch (e) {
      return reject(e);
    }
    const onAbort = (): void => {
      if (p.settled) return;
      p.settled = true;
      reject(netError("ECANCELED", "bun connect: aborted", signal?.reason));
      // Bun's connect cannot be cancelled: a socket that already opened is dropped now, a
      // later one on `open`.
      p.socket?.abort();
    };
    const p: PendingConnect = {
      settled: false,
      tls: options.tls,
      serverName: tls?.serverName,
      noDelay: options.noDelay,
      unix: address.transport === "unix",
      highWaterMarkBytes,
      socket: undefined,
      resolve: (s) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      },
      reject: (e) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      bun()
        .connect({
          ...endpoint(address),
          allowHalfOpen: true,
          socket: CLIENT_HANDLERS,
          data: p,
          ...(tls !== undefined ? { tls } : {}),
        })
        .then(
          () => {},
          (e: unknown) => {
            if (p.settled) return;
            p.settled = true;
            p.reject(toNetError(e, `bun connect ${describeAddress(address)}`));
          },
        );
    } catch (e) {
      p.settled = true;
      p.reject(toNetError(e, `bun connect ${describeAddress(address)}`));
    }
  });
}
