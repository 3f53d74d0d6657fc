/**
 * Connecting with the Node adapter: a `net.Socket`, with `tls.connect` on top of it when asked.
 * The TCP socket stays ours, so `abort()` can reset it.
 *
 * @module
 */
import { connect as netConnect } from "node:net";
import type { Socket as NetSocket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { TLSSocket } from "node:tls";
import type { ConnectOptions, Socket, TlsInfo } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, toNetError } from "../_errors.ts";
import { watchCancel } from "../_cancel.ts";
import { ignore, NodeSocket, type WriteSettings } from "./socket.ts";
import { StaticRead } from "./static_read.ts";
import { clientTlsInfo, tlsClientOptions } from "./tls.ts";

/** Text for this connect's errors, built only when one happens. */
function where(address: ConnectOptions["address"]): string {
  return `connect ${describeAddress(address)}`;
}

/**
 * Resolves once connected (plain) or after the handshake and certificate check (TLS). `writes`
 * says how the socket writes (see {@link WriteSettings}). A `preamble` goes out first: on a plain
 * socket it is simply the first write; before TLS, the handshake starts once the kernel took
 * it (a TLS socket writes through the TCP handle, past the TCP socket's own queue).
 */
export function connect(options: ConnectOptions, writes: WriteSettings): Promise<Socket> {
  const { address, signal, preamble } = options;
  if (signal?.aborted === true) {
    return Promise.reject(netError("ECANCELED", `${where(address)}: aborted`, signal.reason));
  }
  return new Promise<Socket>((resolve, reject) => {
    const tlsOpts = options.tls;
    // A TLS socket reads the TCP handle itself: the static buffer is for plain TCP only.
    const reader = tlsOpts !== undefined ? undefined : new StaticRead();
    const onread = reader?.options();
    const raw = address.transport === "unix"
      ? netConnect({ path: address.path, allowHalfOpen: true, ...(onread && { onread }) })
      : netConnect({
        host: address.hostname,
        port: address.port,
        allowHalfOpen: true,
        noDelay: options.noDelay ?? false,
        ...(onread && { onread }),
      });
    let sock: NetSocket = raw;
    let settled = false;
    let unwatch = (): void => {};
    const settle = (): void => {
      settled = true;
      raw.off("connect", onConnect);
      raw.off("error", onError);
      sock.off("secureConnect", onReady);
      sock.off("error", onError);
      unwatch();
    };
    const onReady = (): void => {
      settle();
      const local = address.transport === "unix" ? undefined : null;
      const remote = address.transport === "unix" ? undefined : null;
      let info: TlsInfo | undefined;
      if (tlsOpts !== undefined) {
        const sni = (sock as TLSSocket).servername;
        info = clientTlsInfo(sock as TLSSocket, typeof sni === "string" ? sni : undefined);
      }
      const owner = new NodeSocket(sock, address.transport === "tcp" ? raw : undefined, local, remote, info, writes);
      reader?.attach(raw, owner);
      resolve(owner);
    };
    const fail = (err: unknown): void => {
      settle();
      raw.on("error", ignore);
      sock.on("error", ignore);
      sock.destroy();
      raw.destroy();
      reject(err);
    };
    const onError = (err: unknown): void => fail(toNetError(err, where(address)));
    const onAbort = (): void => fail(netError("ECANCELED", `${where(address)}: aborted`, signal?.reason));
    const startTls = (): void => {
      if (settled || tlsOpts === undefined) return;
      try {
        sock = tlsConnect(tlsClientOptions(raw, tlsOpts, address));
      } catch (err) {
        return onError(err);
      }
      // Paused from the start (the TLS handshake is not affected): nothing is read before the
      // owner's first setHandlers().
      sock.pause();
      sock.once("secureConnect", onReady);
      sock.once("error", onError);
    };
    const onConnect = (): void => {
      if (tlsOpts === undefined) return onReady();
      raw.write(preamble!, (err) => (err ? onError(err) : startTls()));
    };
    unwatch = watchCancel(options, onAbort);
    raw.pause();
    raw.once("error", onError);
    if (tlsOpts === undefined) {
      if (preamble !== undefined) raw.write(preamble);
      raw.once("connect", onConnect);
    } else if (preamble !== undefined) {
      raw.once("connect", onConnect);
    } else {
      startTls();
    }
  });
}
