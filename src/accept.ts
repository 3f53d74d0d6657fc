/**
 * What happens to an accepted connection before it becomes a stream (HAProxy's session
 * layer: `session_accept_fd()` then the connection handshakes, `conn_complete_session()`):
 *
 * 1. `tcp-request connection` rules, on the real addresses: `accept`, `reject` (closed at
 *    once, counted, no log line, as HAProxy), `expect-proxy layer4` (this connection starts
 *    with a PROXY header), `set-dst` / `set-dst-port` (the destination a transparent server
 *    connects to);
 * 2. the PROXY header (`bind ... accept-proxy` or `expect-proxy`), read and parsed with
 *    `src/proxy_protocol.ts`: its addresses become the connection's (the seed's "set
 *    incrementally"), its TLVs stay with the connection;
 * 3. the TLS handshake of a bind that has both `accept-proxy` and `ssl` (started by the
 *    adapter's `startServerTls` once the header is consumed, bytes read past it first).
 *
 * A connection that fails a step (bad or late header, failed handshake) is closed and leaves
 * one line in the frontend's log, HAProxy's connection error format
 * (`<ip:port> [date] <fe>/<bind>: <reason>`, configuration.txt 8.2.5); no stream is made.
 * Binds without any of this skip the module entirely.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { Connection } from "./connection.ts";
import type { Address, NetError, Network, Socket, SocketHandlers } from "./net.ts";
import type { ResolvedBind } from "./config/resolved.ts";
import { concatBytes } from "./_bytes.ts";
import { PP2_MAX_LENGTH, PROXY_ERROR_MESSAGES, type ProxyHeader, type ProxyHeaderResult } from "./proxy_protocol.ts";
import { formatConnectionError } from "./log.ts";
import { type ConnectionRule, runConnectionRules } from "./tcp_rules.ts";

/** The PROXY header reader: `src/proxy_protocol.ts`'s parser, handed in for tests. */
export type ProxyHeaderParser = (buf: Uint8Array) => ProxyHeaderResult;

/** What a bind's handshakes need, shared by its connections. */
export interface HandshakeContext {
  /** The frontend's name, for log lines. */
  readonly frontend: string;
  /** The bind the connections came through. */
  readonly bind: ResolvedBind;
  /** `tcp-request connection` rules of the frontend, compiled. */
  readonly rules: readonly ConnectionRule[];
  /** How long the PROXY header may take: `timeout client`, as HAProxy (undefined = no limit). */
  readonly timeoutMs: number | undefined;
  /** Starts TLS after the header (the adapter's `startServerTls`) when {@link deferredTls}. */
  readonly net: Network;
  /**
   * The bind is TLS and its listener accepts plain (`tlsDeferred`): a PROXY header may come
   * before the ClientHello (`accept-proxy`, or an `expect-proxy` rule), so TLS starts here.
   */
  readonly deferredTls: boolean;
  /** Time and timers. */
  readonly clock: Clock;
  /** Where the connection error lines go; `undefined`: the frontend does not log. */
  readonly log: ((line: string) => void) | undefined;
  /** The PROXY header parser. */
  readonly parseHeader: ProxyHeaderParser;
  /** The typed API's destination hook (`ProxyHooks.setDestination`). */
  readonly setDestination?:
    | ((
      info: { frontend: string; source: Address | undefined; destination: Address | undefined },
    ) => Address | undefined)
    | undefined;
}

/** Whether a bind's connections go through this module at all. */
export function needsHandshake(bind: ResolvedBind, rules: readonly ConnectionRule[]): boolean {
  return bind.acceptProxy || rules.length > 0;
}

/**
 * One accepted connection walking the steps above. `done` receives the socket the stream
 * must use (the TLS one after a deferred handshake), the connection with its final addresses
 * and the bytes read past the header (which the stream or session takes first); `failed`
 * runs when the connection was closed instead, after its log line. `done` runs from inside
 * the socket's `onData` when the header ends a chunk's processing: the next owner's
 * `setHandlers` takes over from there, so nothing is read out of order.
 */
export class ClientHandshake implements SocketHandlers {
  readonly #ctx: HandshakeContext;
  readonly #conn: Connection;
  #socket: Socket;
  readonly #done: (socket: Socket, conn: Connection, head: Uint8Array | undefined) => void;
  readonly #failed: (rejected: boolean) => void;
  #buf: Uint8Array | undefined;
  #timer: Timer | undefined;
  /** Set once the header step is over (success or failure): later events are not ours. */
  #over = false;
  /** The client's address at accept, for the error line (read while the socket is open). */
  readonly #client: Address | undefined;
  /** When the connection was accepted, for the error line's date. */
  readonly #at: number;

  /** Starts walking: rules at once, then the header and the handshake as bytes come. */
  constructor(
    ctx: HandshakeContext,
    socket: Socket,
    conn: Connection,
    done: (socket: Socket, conn: Connection, head: Uint8Array | undefined) => void,
    failed: (rejected: boolean) => void,
  ) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#conn = conn;
    this.#done = done;
    this.#failed = failed;
    this.#at = ctx.clock.now();
    this.#client = conn.src;
  }

  /** Runs the connection rules, then waits for the header or hands the connection over. */
  start(): void {
    const verdict = runConnectionRules(this.#ctx.rules, this.#conn);
    if (verdict === "reject") {
      this.#over = true;
      this.#socket.abort();
      this.#failed(true);
      return;
    }
    if (!this.#ctx.bind.acceptProxy && verdict !== "expect-proxy") {
      this.#over = true;
      this.#finish(undefined);
      return;
    }
    const ms = this.#ctx.timeoutMs;
    if (ms !== undefined) {
      this.#timer = this.#ctx.clock.setTimer(() => this.#fail(PROXY_ERROR_MESSAGES.PRX_TIMEOUT), ms);
    }
    this.#socket.setHandlers(this);
  }

  /** Ends the connection at once (the proxy stops): no log line. */
  kill(): void {
    if (this.#over) return;
    this.#over = true;
    this.#ctx.clock.clearTimer(this.#timer);
    this.#socket.abort();
    this.#failed(false);
  }

  onData(chunk: Uint8Array): void {
    if (this.#over) return;
    const buf = this.#buf === undefined ? chunk : concatBytes([this.#buf, chunk]);
    const r = this.#ctx.parseHeader(buf);
    if (r.state === "incomplete") {
      if (buf.length > PP2_MAX_LENGTH) return this.#fail(PROXY_ERROR_MESSAGES.PRX_BAD_HDR);
      this.#buf = buf === chunk ? chunk.slice() : buf;
      return;
    }
    if (r.state === "error") return this.#fail(r.reason);
    this.#over = true;
    this.#ctx.clock.clearTimer(this.#timer);
    this.#apply(r);
    this.#finish(r.length < buf.length ? buf.subarray(r.length) : undefined);
  }

  onEnd(): void {
    this.#fail(PROXY_ERROR_MESSAGES[this.#buf === undefined ? "PRX_EMPTY" : "PRX_TRUNCATED"]);
  }

  onDrain(): void {}

  onClose(error?: NetError): void {
    if (this.#over) return;
    this.#fail(PROXY_ERROR_MESSAGES[error === undefined ? "PRX_EMPTY" : "PRX_ABORT"]);
  }

  /**
   * The header's addresses become the connection's, set one by one as the seed describes
   * (LOCAL, UNKNOWN and the families HAProxy does not take keep the real ones); its TLVs stay
   * with the connection for samples and `send-proxy-v2`.
   */
  #apply(h: ProxyHeader): void {
    if (h.command !== "PROXY") return;
    this.#conn.proxyTlvs = h.version === 2 ? h.tlvs : undefined;
    if (h.source !== undefined) this.#conn.setSrc(h.source);
    if (h.destination !== undefined) this.#conn.setDst(h.destination);
  }

  /** The destination hook, deferred TLS when the bind has it, then the stream. */
  #finish(head: Uint8Array | undefined): void {
    const hook = this.#ctx.setDestination;
    if (hook !== undefined) {
      const c = this.#conn;
      const dst = hook({ frontend: this.#ctx.frontend, source: c.src, destination: c.dst });
      if (dst !== undefined) c.setDst(dst);
    }
    if (!this.#ctx.deferredTls) return this.#done(this.#socket, this.#conn, head);
    // The adapter takes the socket over: nothing more for our handlers (the contract's rule).
    this.#socket.pause();
    const start = this.#ctx.net.startServerTls;
    if (start === undefined) return this.#closeWith(handshakeReason(this.#ctx.bind, undefined));
    start.call(this.#ctx.net, this.#socket, head).then(
      (tlsSocket) => {
        this.#socket = tlsSocket;
        this.#conn.socket = tlsSocket;
        this.#conn.tls = tlsSocket.tls;
        this.#done(tlsSocket, this.#conn, undefined);
      },
      (e: NetError) => this.#closeWith(handshakeReason(this.#ctx.bind, e)),
    );
  }

  #fail(reason: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#ctx.clock.clearTimer(this.#timer);
    this.#closeWith(reason);
  }

  /** The connection error line, then the close. */
  #closeWith(reason: string): void {
    this.#socket.abort();
    this.#ctx.log?.(formatConnectionError(this.#client, this.#at, this.#ctx.frontend, this.#ctx.bind.name, reason));
    this.#failed(false);
  }
}

/**
 * Why a TLS handshake failed, in HAProxy's words (ssl_sock.c): a client certificate that did
 * not verify on a bind asking for one, else the generic reason.
 */
export function handshakeReason(bind: ResolvedBind, error: NetError | undefined): string {
  const clientAuth = bind.tls?.requestClientCert === true || bind.tls?.requireClientCert === true;
  return clientAuth && error?.code === "ETLSVERIFY" ? "SSL client certificate not trusted" : "SSL handshake failure";
}
