/**
 * Listening with the Deno adapter: `Deno.listen` / `Deno.listenTls` and an accept loop that
 * completes each TLS handshake before the core hears of the connection.
 *
 * @module
 */
import type { Address, Listener, ListenOptions, TlsInfo } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, rethrowLater, toNetError } from "../_errors.ts";
import { D, type DenoConn, type DenoListener } from "./api.ts";
import { CAPABILITIES, REUSE_PORT } from "./capabilities.ts";
import { closeQuietly, DenoSocket, toAddress } from "./socket.ts";
import { type NativeServerTls, serverNeedsNodeTls } from "../_tls_route.ts";
import { listen as nodeListen } from "../node/listen.ts";
import { writeSettings } from "../node/socket.ts";

/** Pause after a failed `accept()` (EMFILE...), as HAProxy pauses a listener out of descriptors. */
const ACCEPT_RETRY_MS = 100;
/** `accept()` error codes that concern one connection only: accept the next one at once. */
const DIED_IN_QUEUE: ReadonlySet<unknown> = new Set(["ECONNABORTED", "ECONNRESET", "ENOTCONN"]);

/** A bound Deno listener and its accept loop. */
class DenoListenerHandle implements Listener {
  readonly address: Address;
  readonly #listener: DenoListener;
  readonly #options: ListenOptions;
  readonly #hwm: number;
  readonly #hsMs: number;
  /** Accepted TLS connections still in their handshake. */
  readonly #handshaking = new Set<DenoConn>();
  readonly #loop: Promise<void>;
  #closed = false;

  constructor(listener: DenoListener, options: ListenOptions, hwm: number, hsMs: number) {
    this.#listener = listener;
    this.#options = options;
    this.#hwm = hwm;
    this.#hsMs = hsMs;
    this.address = toAddress(listener.addr) ?? options.address;
    this.#loop = this.#acceptLoop();
  }

  /**
   * Resolves once the pending `accept()` has settled: Deno keeps the port bound until then.
   * Connections still in their TLS handshake are closed; no `onAccept` follows.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      for (const conn of this.#handshaking) closeQuietly(conn);
      this.#handshaking.clear();
    }
    return this.#loop;
  }

  async #acceptLoop(): Promise<void> {
    const tls = this.#options.tls !== undefined;
    for (;;) {
      let conn: DenoConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        const { name, code } = err as { name?: string; code?: unknown };
        if (this.#closed || name === "BadResource" || name === "Interrupted") return;
        // A connection that died in the queue costs nothing (Deno reports one reset before
        // its peer address was read as ENOTCONN); anything else (EMFILE...) would fail again
        // at once, so wait a little.
        if (!DIED_IN_QUEUE.has(code)) await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      if (this.#closed) return closeQuietly(conn);
      if (tls) void this.#secure(conn);
      else this.#deliver(conn, undefined);
    }
  }

  /** Completes the server handshake before `onAccept`, so `tls.alpnProtocol` is known. */
  async #secure(conn: DenoConn): Promise<void> {
    this.#handshaking.add(conn);
    const timer = setTimeout(closeQuietly, this.#hsMs, conn);
    let alpn: string | null;
    try {
      alpn = (await conn.handshake!()).alpnProtocol ?? null;
    } catch (err) {
      // The core never sees the connection; its owner hears of the failure.
      closeQuietly(conn);
      if (this.#closed) return;
      const remote = toAddress(conn.remoteAddr);
      const e = toNetError(err, `TLS handshake from ${describeAddress(remote)}`);
      try {
        this.#options.onHandshakeError?.(e.code === "EUNKNOWN" ? netError("ETLS", e.message, err) : e, remote);
      } catch (thrown) {
        rethrowLater(thrown);
      }
      return;
    } finally {
      clearTimeout(timer);
      this.#handshaking.delete(conn);
    }
    if (this.#closed) return closeQuietly(conn);
    this.#deliver(conn, { alpnProtocol: alpn });
  }

  #deliver(conn: DenoConn, tls: TlsInfo | undefined): void {
    const socket = new DenoSocket(conn, tls, this.#hwm);
    try {
      this.#options.onAccept(socket);
    } catch (err) {
      // A throwing onAccept is a bug to surface, but it must not stop the accept loop.
      socket.abort();
      rethrowLater(err);
    }
  }
}

/**
 * What `Deno.listenTls` does beyond one certificate and ALPN: nothing (no client certificates,
 * no version setting, TCP only).
 */
const NATIVE: NativeServerTls = { clientAuth: false, minTls13: false, unix: false, peerInfo: false };

/**
 * Binds (Deno's listen calls are sync); throws a `NetError`. A TLS listener `Deno.listenTls`
 * cannot serve (`_tls_route.ts`), or any TLS listener with `nodeTls`, is a `node:net` server
 * whose sockets go through the `node:tls` engine of the Node adapter: it resolves later.
 */
export function bind(
  options: ListenOptions,
  hwm: number,
  hsMs: number,
  nodeTls: boolean,
): Listener | Promise<Listener> {
  const { address, tls } = options;
  const where = `listen ${describeAddress(address)}`;
  if (options.reusePort === true && !REUSE_PORT) {
    throw netError("EUNKNOWN", `${where}: ${CAPABILITIES.notes["reusePort"]}`);
  }
  if (tls !== undefined && (nodeTls || serverNeedsNodeTls(options, NATIVE) !== undefined)) {
    return nodeListen(options, writeSettings(hwm, false), hsMs);
  }
  let listener: DenoListener;
  try {
    if (address.transport === "unix") {
      listener = D.listen({ transport: "unix", path: address.path });
    } else {
      const o = {
        hostname: address.hostname,
        port: address.port,
        ...(options.backlog !== undefined ? { tcpBacklog: options.backlog } : {}),
        ...(options.reusePort === true ? { reusePort: true } : {}),
      };
      const cert = tls?.certificates[0];
      listener = tls === undefined || cert === undefined ? D.listen(o) : D.listenTls({
        ...o,
        cert: cert.cert,
        key: cert.key,
        ...(tls.alpnProtocols !== undefined ? { alpnProtocols: [...tls.alpnProtocols] } : {}),
      });
    }
  } catch (err) {
    throw toNetError(err, where);
  }
  return new DenoListenerHandle(listener, options, hwm, hsMs);
}
