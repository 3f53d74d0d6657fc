/**
 * Connecting with the Bun adapter: `Bun.connect` with the connect handlers of `handlers.ts`.
 *
 * @module
 */
import type { ConnectOptions, Socket } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, toNetError } from "../_errors.ts";
import { bun, endpoint } from "./api.ts";
import { CLIENT_HANDLERS, type PendingConnect } from "./handlers.ts";
import { watchCancel } from "../_cancel.ts";
import { type BunTlsOptions, clientTls } from "./tls.ts";
import { clientNeedsNodeTls, type NativeClientTls } from "../_tls_route.ts";
import { connect as nodeConnect } from "../node/connect.ts";
import { writeSettings } from "../node/socket.ts";

/**
 * What `Bun.connect` does beyond SNI, ALPN, CAs and the name check: `verify: false`, TLS 1.3
 * only, any client certificate, TLS over Unix sockets; not bytes before the handshake (the TLS
 * starts with the connection).
 */
const NATIVE: NativeClientTls = { noVerify: true, minTls13: true, certWithOtherSni: true, preamble: false, unix: true };

/**
 * Connects with `Bun.connect`; settles on `open`, or after the handshake for TLS. A TLS connect
 * `Bun.connect` cannot make as asked (`_tls_route.ts`) goes through Bun's `node:tls` layer with
 * the Node adapter's code.
 */
export function connect(options: ConnectOptions, highWaterMarkBytes: number, coalesceWrites = true): Promise<Socket> {
  const { address, signal } = options;
  if (signal?.aborted) {
    return Promise.reject(netError("ECANCELED", "bun connect: aborted before it started", signal.reason));
  }
  if (options.tls !== undefined && clientNeedsNodeTls(options.tls, address, options.preamble !== undefined, NATIVE)) {
    return nodeConnect(options, writeSettings(highWaterMarkBytes, false));
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
      preamble: options.preamble,
      unix: address.transport === "unix",
      highWaterMarkBytes,
      coalesceWrites,
      socket: undefined,
      resolve: (s) => {
        unwatch();
        resolve(s);
      },
      reject: (e) => {
        unwatch();
        reject(e);
      },
    };
    const unwatch = watchCancel(options, onAbort);
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
