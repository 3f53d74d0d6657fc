/**
 * Connecting with the Deno adapter, plain or TLS, cancelled through the `AbortSignal` (which
 * also cancels Deno's own connect) or the `ConnectCancel` slot (a late connection is closed).
 *
 * @module
 */
import type { ConnectOptions, Socket, TlsInfo } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, toNetError } from "../_errors.ts";
import { tlsClientName } from "../_tls_name.ts";
import { watchCancel } from "../_cancel.ts";
import { D, type DenoConn, type DenoTlsClientOptions } from "./api.ts";
import { clientNeedsNodeTls, type NativeClientTls } from "../_tls_route.ts";
import { connect as nodeConnect } from "../node/connect.ts";
import { writeSettings } from "../node/socket.ts";
import { closeQuietly, DenoSocket } from "./socket.ts";

/**
 * What Deno's native TLS client does beyond SNI, ALPN, CAs and the name check: TLS 1.2 and
 * 1.3 always offered, no `verify: false` (only the name check can be skipped), a client
 * certificate only on `connectTls` (whose SNI is the host dialled), no bytes before the
 * handshake on `connectTls` (`startTls` would take them, but not with a certificate: the
 * `node:tls` path serves both), no TLS over Unix sockets.
 */
const NATIVE: NativeClientTls = {
  noVerify: false,
  minTls13: false,
  certWithOtherSni: false,
  preamble: false,
  unix: false,
};

/** The first write of a plain socket: the preamble goes out before anything else. */
function withPreamble(socket: DenoSocket, preamble: Uint8Array | undefined): DenoSocket {
  if (preamble !== undefined) socket.write(preamble);
  return socket;
}

/** Whether the connect was abandoned (its `signal` or `cancel` fired), shared by its steps. */
interface Attempt {
  cancelled: boolean;
}

/**
 * Rejects when the connect is abandoned (`options.signal` or `options.cancel`); a value `p`
 * delivers after that is handed to `discard` (Deno cannot cancel a step it started).
 */
function abortable<T>(p: Promise<T>, options: ConnectOptions, at: Attempt, discard: (v: T) => void): Promise<T> {
  if (options.signal === undefined && options.cancel === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const unwatch = watchCancel(options, () => {
      at.cancelled = true;
      reject(options.signal?.reason);
    });
    p.then(
      (v) => {
        unwatch();
        if (at.cancelled) discard(v);
        else resolve(v);
      },
      (err) => {
        unwatch();
        reject(err);
      },
    );
  });
}

/**
 * Connects (plain, or TLS by `Deno.connectTls` with a client certificate, else `Deno.connect`
 * + `Deno.startTls`); resolves once the TLS handshake is done. A TLS connect the native client
 * cannot make as asked (`NATIVE`, `_tls_route.ts`) goes through Deno's `node:tls` layer with
 * the Node adapter's code. Rejects with a `NetError`.
 */
export async function connect(options: ConnectOptions, hwm: number): Promise<Socket> {
  const { address, tls, signal } = options;
  const where = `connect ${describeAddress(address)}`;
  if (signal?.aborted === true) throw netError("ECANCELED", `${where}: aborted`, signal.reason);
  if (tls !== undefined && clientNeedsNodeTls(tls, address, options.preamble !== undefined, NATIVE) !== undefined) {
    return nodeConnect(options, writeSettings(hwm, false));
  }
  const hostname = address.transport === "tcp" ? address.hostname : "";
  const { verifyName = hostname, sni } = tls === undefined ? {} : tlsClientName(tls, address);
  const withCert = tls !== undefined && (tls.cert !== undefined || tls.key !== undefined);
  let conn: DenoConn | undefined;
  const at: Attempt = { cancelled: false };
  try {
    if (address.transport === "unix") {
      conn = await abortable(D.connect({ transport: "unix", path: address.path }), options, at, closeQuietly);
      return withPreamble(new DenoSocket(conn, undefined, hwm), options.preamble);
    }
    const { port } = address;
    const withSignal = signal !== undefined ? { signal } : {};
    if (tls === undefined) {
      conn = await abortable(D.connect({ hostname, port, ...withSignal }), options, at, closeQuietly);
      if (options.noDelay !== undefined) conn.setNoDelay?.(options.noDelay);
      return withPreamble(new DenoSocket(conn, undefined, hwm), options.preamble);
    }
    // rustls sends `hostname` as SNI unless it is an IP literal: the rule of `_tls_name.ts`.
    const common: DenoTlsClientOptions = {
      hostname: verifyName,
      ...(tls.caCerts !== undefined ? { caCerts: [...tls.caCerts] } : {}),
      ...(tls.alpnProtocols !== undefined ? { alpnProtocols: [...tls.alpnProtocols] } : {}),
    };
    if (withCert) {
      const pem = {
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
      };
      conn = await abortable(D.connectTls({ ...common, hostname, port, ...pem }), options, at, closeQuietly);
    } else {
      // connect + startTls: the connect honours the signal, Nagle is set on the TCP socket
      // (TlsConn has no setNoDelay), and the SNI may differ from the address.
      const tcp = await abortable(D.connect({ hostname, port, ...withSignal }), options, at, closeQuietly);
      conn = tcp;
      if (options.noDelay !== undefined) tcp.setNoDelay?.(options.noDelay);
      conn = await D.startTls(tcp, common);
    }
    const info = await abortable(conn.handshake!(), options, at, () => {});
    const tlsInfo: TlsInfo = {
      alpnProtocol: info.alpnProtocol ?? null,
      ...(sni !== undefined ? { serverName: sni } : {}),
    };
    return new DenoSocket(conn, tlsInfo, hwm);
  } catch (err) {
    if (conn !== undefined) closeQuietly(conn);
    if (at.cancelled || options.signal?.aborted === true) throw netError("ECANCELED", `${where}: aborted`, err);
    throw toNetError(err, where);
  }
}
