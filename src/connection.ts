/**
 * A connection: addresses, a control layer (the socket) and a transport layer (raw or TLS),
 * as in HAProxy's design note on server connection management and reuse
 * (`doc/design-thoughts/connection-reuse.txt`, 2013/10/17).
 *
 * - It is created the first time an address must be stored, before any socket exists.
 * - Addresses are set incrementally; {@link CO_FL} bits say which are known.
 * - The control layer (a {@link Network}, which creates sockets) and the transport layer
 *   ({@link Transport}) are chosen separately: outgoing, once the destination is known;
 *   incoming, as soon as the source is known.
 * - Closing is split: {@link Connection.closeXprt} tears down the transport,
 *   {@link Connection.closeCtrl} the socket; neither forgets the addresses, so a failed connect
 *   can be retried on the same destination with the same object. {@link Connection.clear}
 *   forgets everything (a redispatch) without the owner having to detach it.
 *
 * @module
 */
import type { Address, ConnectCancel, ConnectOptions, Network, Socket, TlsClientOptions, TlsInfo } from "./net.ts";
import type { ProxyTlvs } from "./proxy_protocol.ts";

/**
 * Connection flags. Validity before a close is read from these bits, never guessed.
 */
export const CO_FL = {
  /**
   * Source address known: set by setSrc(), or once a socket that knows it exists (accept: the
   * peer's address; connect: our local one), which is then read from the socket on first use.
   */
  ADDR_FROM_SET: 1 << 0,
  /** Destination known: set by setDst(); cleared only by clear() (redispatch). */
  ADDR_TO_SET: 1 << 1,
  /** A socket exists and belongs to the control layer: set on connect/accept, cleared by closeCtrl(). */
  CTRL_READY: 1 << 2,
  /** The transport is initialised on that socket: set with CTRL_READY, cleared by closeXprt(). */
  XPRT_READY: 1 << 3,
  /** Waiting for the L4 (TCP) connect: set when connect() starts, cleared when it settles. */
  WAIT_L4_CONN: 1 << 4,
  /** Waiting for the L6 (TLS) handshake: set with WAIT_L4_CONN for a TLS transport. */
  WAIT_L6_CONN: 1 << 5,
  /** Established at every layer: set on connect/accept success, cleared by closeCtrl(). */
  CONNECTED: 1 << 6,
  /** The last connect or the socket failed: set on failure, cleared by the next connect(). */
  ERROR: 1 << 7,
  /**
   * The peer sent EOF (HAProxy's read0). Set by read0(); kept after the socket closes (what
   * happened on it stays known), cleared by the next connect() or clear().
   */
  SOCK_RD_SH: 1 << 8,
  /**
   * Our write side is shut (FIN sent, after close_notify on TLS). Set by shutw(); kept after
   * the socket closes, cleared by the next connect() or clear().
   */
  SOCK_WR_SH: 1 << 9,
} as const;

/** Names of the set bits, for logs and test messages: `["ADDR_TO_SET", "CONNECTED"]`. */
export function flagNames(flags: number): string[] {
  return Object.entries(CO_FL).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

/** The transport layer: bytes as they are, or TLS with its client options. */
export type Transport = { readonly kind: "raw" } | { readonly kind: "tls"; readonly options: TlsClientOptions };

/** The plain transport. */
export const RAW: Transport = { kind: "raw" };

/** What a closed socket takes with it: the layers and the connected state. */
const LIVE = CO_FL.CTRL_READY | CO_FL.XPRT_READY | CO_FL.CONNECTED;
/** What belongs to one socket's life: reset when the same connection connects again. */
const PER_SOCKET = LIVE | CO_FL.SOCK_RD_SH | CO_FL.SOCK_WR_SH | CO_FL.ERROR;

/**
 * One connection, incoming or outgoing. Owned by at most one stream interface at a time.
 *
 * @example The connect side: destination first, then the layers, then the socket
 * ```ts
 * import type { Network } from "@proxykit/proxykit";
 * declare const network: Network; // a runtime adapter's `network`
 *
 * const conn = new Connection();
 * conn.setDst({ transport: "tcp", hostname: "127.0.0.1", port: 6379 });
 * conn.prepareCtrl(network);
 * conn.prepareXprt(RAW);
 * try {
 *   const socket = await conn.connect();
 *   socket.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
 * } catch {
 *   // ERROR is set; dst, ctrl and xprt stay: calling conn.connect() again retries the same
 *   // destination, as HAProxy retries on the same server.
 * }
 * ```
 */
export class Connection {
  /** {@link CO_FL} bits. */
  flags = 0;
  #src: Address | undefined;
  #dst: Address | undefined;
  /**
   * A socket whose addresses were not read yet (HAProxy's design note: "incrementally set the
   * accepted connection's parameters ... and keep track of what is set (eg: getsockname)").
   * Reading an address costs a system call or two on Node and Bun, and most streams never need
   * one (no log line, no `balance source`), so it is read on first use. An address still
   * unread once its socket is gone may be lost: whoever needs it after the close reads it
   * before (the proxy does when the frontend logs).
   */
  #lazy: Socket | undefined;
  #lazySrc: "remote" | "local" | undefined;
  #lazyDst = false;
  /** Control layer: the network that creates and owns the socket. */
  ctrl: Network | undefined;
  /** Transport layer chosen for this connection. */
  xprt: Transport | undefined;
  /** The socket while CTRL_READY. */
  socket: Socket | undefined;
  /**
   * What the TLS handshake negotiated, kept once the socket is gone (logs and samples read it
   * at the end); `undefined` on a plain connection.
   */
  tls: TlsInfo | undefined;
  /** Number of connect() calls made on this object (retries included). */
  attempts = 0;
  /**
   * HTTP requests sent on this connection (HTTP mode): the pool reads it to tell connections
   * that proved the server keeps them alive (more than one) and to apply `max-reuse`.
   */
  requests = 0;
  /**
   * What, beyond the server, an idle connection must match to serve another stream (HAProxy's
   * connection hash: a transparent server's destination, the PROXY header it sends, ...);
   * `undefined`: nothing.
   */
  hash: string | undefined;
  /**
   * Outgoing: the PROXY protocol header (`send-proxy*`) written first, in clear, on each
   * connect of this connection (`ConnectOptions.preamble`), a copy per attempt. Set by the
   * backend once the server is known, forgotten by clear() (another server may want another
   * one); part of {@link Connection.hash}, so that an idle connection only serves a stream
   * that would send the same header.
   */
  proxyHeader: Uint8Array | undefined;
  /**
   * Incoming (`accept-proxy`): the TLVs of the PROXY header the client sent (authority, unique
   * id...), which `send-proxy-v2` passes on. Undefined without a header or for v1.
   */
  proxyTlvs: ProxyTlvs | undefined;
  /**
   * The protocol state the connection keeps from one stream to the next (HAProxy's mux
   * context, `conn->ctx`): in HTTP mode the parser of the server's responses, which the next
   * transaction taking the connection from the pool reuses once it checked the parser is
   * between messages. `clear()` forgets it.
   */
  mux: object | undefined;

  /**
   * Builds the connection of an accepted socket: every layer ready, both addresses known to the
   * socket (read on first use).
   */
  static accepted(ctrl: Network, socket: Socket, xprt: Transport = RAW): Connection {
    const c = new Connection();
    c.prepareCtrl(ctrl);
    c.prepareXprt(xprt);
    c.#lazy = socket;
    c.#lazySrc = "remote";
    c.#lazyDst = true;
    c.socket = socket;
    c.tls = socket.tls;
    c.flags |= CO_FL.ADDR_FROM_SET | CO_FL.ADDR_TO_SET | CO_FL.CTRL_READY | CO_FL.XPRT_READY | CO_FL.CONNECTED;
    return c;
  }

  /** Source: the client (incoming) or our local address (outgoing). */
  get src(): Address | undefined {
    if (this.#lazySrc !== undefined) {
      this.#src = this.#lazySrc === "remote" ? this.#lazy?.remoteAddress : this.#lazy?.localAddress;
      this.#lazySrc = undefined;
    }
    return this.#src;
  }

  /** Destination: our local address (incoming) or the server (outgoing). */
  get dst(): Address | undefined {
    if (this.#lazyDst) {
      this.#dst = this.#lazy?.localAddress;
      this.#lazyDst = false;
    }
    return this.#dst;
  }

  /** Records the source address, whatever the connection's state. */
  setSrc(addr: Address): void {
    this.#src = addr;
    this.#lazySrc = undefined;
    this.flags |= CO_FL.ADDR_FROM_SET;
  }

  /** Records the destination address, whatever the connection's state. */
  setDst(addr: Address): void {
    this.#dst = addr;
    this.#lazyDst = false;
    this.flags |= CO_FL.ADDR_TO_SET;
  }

  /** Chooses the control layer (done once the destination is known, on the connect side). */
  prepareCtrl(ctrl: Network): void {
    this.ctrl = ctrl;
  }

  /** Chooses the transport layer, independently of the control layer. */
  prepareXprt(xprt: Transport): void {
    this.xprt = xprt;
  }

  /** True when both layers are up and the connection is usable. */
  get connected(): boolean {
    return (this.flags & CO_FL.CONNECTED) !== 0;
  }

  /**
   * Connects to `dst` with the chosen layers. Rejects with the adapter's `NetError` and sets
   * ERROR; the addresses and layer choices stay for a retry. `signal` or `cancel` abandon the
   * attempt (`ECANCELED`).
   * @throws {Error} when the destination or the control layer is not set (a core bug).
   */
  async connect(signal?: AbortSignal, cancel?: ConnectCancel): Promise<Socket> {
    if (this.dst === undefined || (this.flags & CO_FL.ADDR_TO_SET) === 0) {
      throw new Error("Connection.connect: destination not set");
    }
    if (this.ctrl === undefined) throw new Error("Connection.connect: control layer not set");
    if (this.flags & CO_FL.CTRL_READY) this.closeCtrl();
    const xprt = this.xprt ?? RAW;
    this.attempts++;
    this.flags &= ~PER_SOCKET;
    this.flags |= CO_FL.WAIT_L4_CONN | (xprt.kind === "tls" ? CO_FL.WAIT_L6_CONN : 0);
    try {
      // Built field by field: object spreads cost a property copy per connect (seen in Bun's
      // CPU profile); an absent option is left undefined, which every adapter reads as absent.
      const options: { -readonly [K in keyof ConnectOptions]: ConnectOptions[K] } = { address: this.dst };
      if (xprt.kind === "tls") options.tls = xprt.options;
      if (this.proxyHeader !== undefined) options.preamble = this.proxyHeader.slice();
      if (signal !== undefined) options.signal = signal;
      if (cancel !== undefined) options.cancel = cancel;
      const socket = await this.ctrl.connect(options);
      this.socket = socket;
      this.tls = socket.tls;
      this.flags = (this.flags & ~(CO_FL.WAIT_L4_CONN | CO_FL.WAIT_L6_CONN)) |
        CO_FL.ADDR_FROM_SET | CO_FL.CTRL_READY | CO_FL.XPRT_READY | CO_FL.CONNECTED;
      // Our local address, read from the socket on first use.
      this.#lazy = socket;
      this.#lazySrc = "local";
      return socket;
    } catch (e) {
      this.flags = (this.flags & ~(CO_FL.WAIT_L4_CONN | CO_FL.WAIT_L6_CONN)) | CO_FL.ERROR;
      throw e;
    }
  }

  /** The peer's EOF arrived (HAProxy's `conn_sock_read0()`): its read side is shut for good. */
  read0(): void {
    this.flags |= CO_FL.SOCK_RD_SH;
  }

  /**
   * Shuts our write side once queued bytes are out (FIN; on TLS, close_notify first), keeping
   * the read side (HAProxy's `conn_sock_shutw()`). Does nothing if already shut or not open.
   */
  shutw(): void {
    if ((this.flags & (CO_FL.SOCK_WR_SH | CO_FL.CTRL_READY)) !== CO_FL.CTRL_READY) return;
    this.flags |= CO_FL.SOCK_WR_SH;
    this.socket!.shutdownWrite();
  }

  /**
   * Closes the transport layer. On TLS that is close_notify (sent with our write side's
   * shutdown, after queued bytes), so the peer can tell an orderly end from a truncation; the
   * raw transport has nothing to close. The socket (control layer) stays.
   */
  closeXprt(): void {
    if ((this.flags & CO_FL.XPRT_READY) === 0) return;
    if (this.xprt?.kind === "tls") this.shutw();
    this.flags &= ~CO_FL.XPRT_READY;
  }

  /**
   * Closes the socket (control layer): `abort` drops queued bytes (a reset where the runtime
   * can send one), otherwise they are flushed first. Addresses and layer choices stay, so the
   * same object can connect again.
   */
  closeCtrl(abort = false): void {
    const s = this.socket;
    this.socket = undefined;
    this.flags &= ~LIVE;
    if (s !== undefined) {
      if (abort) s.abort();
      else s.close();
    }
  }

  /**
   * Full close (HAProxy's `conn_full_close()`): the transport layer first (TLS close_notify),
   * then the socket. An abort skips close_notify: the peer sees a reset, not an orderly end.
   */
  close(abort = false): void {
    if (abort) this.flags &= ~CO_FL.XPRT_READY;
    else this.closeXprt();
    this.closeCtrl(abort);
  }

  /**
   * The control layer reports the socket closed (its `onClose`): both layers are gone, the
   * addresses stay. `error` marks the connection failed.
   */
  closed(error?: unknown): void {
    this.socket = undefined;
    this.flags &= ~LIVE;
    if (error !== undefined) this.flags |= CO_FL.ERROR;
  }

  /**
   * Forgets everything, for a redispatch to another server: closes what is open, clears both
   * addresses, the layer choices and every flag. The owner keeps the object attached.
   */
  clear(): void {
    this.close(true);
    this.flags = 0;
    this.#src = undefined;
    this.#dst = undefined;
    this.#lazy = undefined;
    this.#lazySrc = undefined;
    this.#lazyDst = false;
    this.ctrl = undefined;
    this.xprt = undefined;
    this.proxyHeader = undefined;
    this.mux = undefined;
  }
}
