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
import { CAPABILITIES } from "./capabilities.ts";
import { closeQuietly, DenoSocket } from "./socket.ts";

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
 * + `Deno.startTls`); resolves once the TLS handshake is done. Rejects with a `NetError`, at
 * once for what Deno cannot do: `verify: false` (it can skip the name check only, never the
 * chain, and verifying anyway would betray the option), TLS over Unix sockets, and a client
 * certificate with an SNI other than the address.
 */
export async function connect(options: ConnectOptions, hwm: number): Promise<Socket> {
  const { address, tls, signal } = options;
  const where = `connect ${describeAddress(address)}`;
  if (signal?.aborted === true) throw netError("ECANCELED", `${where}: aborted`, signal.reason);
  if (address.transport === "unix" && tls !== undefined) {
    throw netError("ETLS", `${where}: Deno starts TLS on TCP connections only`);
  }
  if (tls?.verify === false) {
    throw netError(
      "ETLSVERIFY",
      `${where}: tls.verify: false is not supported: ${CAPABILITIES.notes["tlsClientNoVerify"]}`,
    );
  }
  const hostname = address.transport === "tcp" ? address.hostname : "";
  const { verifyName = hostname, sni } = tls === undefined ? {} : tlsClientName(tls, address);
  const withCert = tls !== undefined && (tls.cert !== undefined || tls.key !== undefined);
  if (withCert && verifyName !== hostname) {
    // Only connectTls takes a client certificate, and its SNI is the name it dials.
    throw netError("ETLS", `${where}: Deno cannot send a client certificate with an SNI name other than the address`);
  }
  let conn: DenoConn | undefined;
  const at: Attempt = { cancelled: false };
  try {
    if (address.transport === "unix") {
      conn = await abortable(D.connect({ transport: "unix", path: address.path }), options, at, closeQuietly);
      return new DenoSocket(conn, undefined, hwm);
    }
    const { port } = address;
    const withSignal = signal !== undefined ? { signal } : {};
    if (tls === undefined) {
      conn = await abortable(D.connect({ hostname, port, ...withSignal }), options, at, closeQuietly);
      if (options.noDelay !== undefined) conn.setNoDelay?.(options.noDelay);
      return new DenoSocket(conn, undefined, hwm);
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
