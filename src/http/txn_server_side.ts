/**
 * The server-side socket handlers of an HTTP transaction, bound to one server connection.
 *
 * @module
 */
import type { Connection } from "../connection.ts";
import type { NetError, SocketHandlers } from "../net.ts";
import type { StreamInterface } from "../stream_interface.ts";

/** What the handlers forward to: the transaction's server-side entry points. */
export interface ServerEvents {
  /** The server side; its `conn` is the connection the transaction uses now. */
  readonly back: StreamInterface;
  /** Server bytes. */
  serverData(chunk: Uint8Array): void;
  /** Server EOF. */
  serverEnded(): void;
  /** The server can take more. */
  serverDrained(): void;
  /** The server connection is gone. */
  serverClosed(): void;
}

/**
 * Server-side socket events of a transaction, for one connection: once the transaction moved
 * on (to a new connection after a reused one failed, or to its end), a late event of the old
 * socket is not the transaction's any more.
 */
export class ServerSide implements SocketHandlers {
  readonly #t: ServerEvents;
  readonly #conn: Connection;
  /** Handlers forwarding the events of `conn` to `t` while `conn` is its server connection. */
  constructor(t: ServerEvents, conn: Connection) {
    this.#t = t;
    this.#conn = conn;
  }
  /** Bytes from the server. */
  onData(chunk: Uint8Array): void {
    if (this.#t.back.conn === this.#conn) this.#t.serverData(chunk);
  }
  /** The server's EOF: the connection's read side is shut. */
  onEnd(): void {
    this.#conn.read0();
    if (this.#t.back.conn === this.#conn) this.#t.serverEnded();
  }
  /** The server's write buffer drained. */
  onDrain(): void {
    if (this.#t.back.conn === this.#conn) this.#t.serverDrained();
  }
  /** The socket closed (with the error that closed it, if any). */
  onClose(error?: NetError): void {
    this.#conn.closed(error);
    if (this.#t.back.conn === this.#conn) this.#t.serverClosed();
  }
}
