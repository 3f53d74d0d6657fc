/**
 * The socket half of the Node adapter: one `net.Socket` / `tls.TLSSocket` behind the
 * {@link Socket} contract of `src/net.ts`. Listening and connecting live in `node.ts`.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../src/net.ts";
import { toNetError } from "./_errors.ts";

/** Handlers of a socket whose owner has not called `setHandlers()` yet: nothing reaches them. */
const NO_HANDLERS: SocketHandlers = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

/** The TCP socket that `abort()` resets (RST); `undefined` where none can be (Unix). */
export type ResetTarget = NetSocket | undefined;

/**
 * One Node socket (`net.Socket` or `tls.TLSSocket`) behind the {@link Socket} contract.
 * The Node stream is paused when this is built; reading starts with the first handlers.
 */
export class NodeSocket implements Socket {
  readonly localAddress: Address | undefined;
  readonly remoteAddress: Address | undefined;
  readonly tls: TlsInfo | undefined;
  readonly #sock: NetSocket;
  /** The TCP socket whose `resetAndDestroy()` sends the RST; `undefined` for Unix sockets. */
  readonly #resetVia: ResetTarget;
  readonly #isTcp: boolean;
  #h: SocketHandlers = NO_HANDLERS;
  #started = false;
  #userPaused = false;
  /** Set by shutdownWrite/close/abort: later writes are discarded. */
  #writeShut = false;
  /** Set by close/abort: the owner is done; onData/onEnd are no longer delivered. */
  #local = false;
  #error: NetError | undefined;
  #closed = false;
  #drainHeld = false;

  constructor(
    sock: NetSocket,
    resetVia: ResetTarget,
    local: Address | undefined,
    remote: Address | undefined,
    tls: TlsInfo | undefined,
  ) {
    this.#sock = sock;
    this.#resetVia = resetVia;
    this.#isTcp = local?.transport === "tcp";
    this.localAddress = local;
    this.remoteAddress = remote;
    this.tls = tls;
    // pause() first: adding a 'data' listener to a stream whose flowing state is not false
    // would start it.
    sock.pause();
    sock.on("data", this.#onData);
    sock.on("end", this.#onEnd);
    sock.on("drain", this.#onDrain);
    sock.on("error", this.#onError);
    sock.on("close", this.#onClose);
  }

  get bufferedAmount(): number {
    return this.#sock.writableLength;
  }

  setHandlers(handlers: SocketHandlers): void {
    this.#h = handlers;
    if (this.#started) return;
    this.#started = true;
    // Held events go out on a microtask: no handler runs inside a Socket method.
    if (this.#closed) {
      queueMicrotask(this.#deliverClose);
      return;
    }
    if (this.#drainHeld) {
      this.#drainHeld = false;
      queueMicrotask(this.#onDrain);
    }
    if (!this.#userPaused || this.#local) this.#sock.resume();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#writeShut || this.#sock.destroyed) return false;
    return this.#sock.write(chunk);
  }

  pause(): void {
    this.#userPaused = true;
    if (this.#started && !this.#local) this.#sock.pause();
  }

  resume(): void {
    this.#userPaused = false;
    if (this.#started) this.#sock.resume();
  }

  shutdownWrite(): void {
    if (this.#writeShut) return;
    this.#writeShut = true;
    this.#sock.end();
  }

  /**
   * Ends the write side and destroys the socket once Node has flushed it (`'finish'`),
   * without waiting for the peer's FIN. Reading goes on meanwhile and is discarded, so
   * that unread bytes in the kernel do not turn the close into a reset.
   */
  close(): void {
    if (this.#local) return;
    this.#local = true;
    this.#writeShut = true;
    const sock = this.#sock;
    if (sock.destroyed) return;
    sock.resume();
    if (sock.writableFinished) {
      sock.destroy();
      return;
    }
    sock.once("finish", this.#destroy);
    sock.end();
  }

  /**
   * Plain TCP: `resetAndDestroy()` (SO_LINGER 0, RST). It refuses TLS sockets, and calling it
   * on the TCP socket under a live TLS layer corrupts memory in Node 24 (double free, seen as
   * segfaults): instead the TCP socket is flagged as `resetAndDestroy()` flags it, and the
   * TLS socket is destroyed the ordinary way, which destroys that TCP socket last, with RST.
   */
  abort(): void {
    this.#local = true;
    this.#writeShut = true;
    const sock = this.#sock;
    if (sock.destroyed) return;
    const via = this.#resetVia;
    if (via === sock) {
      sock.resetAndDestroy();
      return;
    }
    if (via !== undefined && !via.destroyed) (via as NetSocket & { resetAndClosing?: boolean }).resetAndClosing = true;
    sock.destroy();
  }

  setNoDelay(enable: boolean): boolean {
    if (!this.#isTcp || this.#sock.destroyed) return false;
    this.#sock.setNoDelay(enable);
    return true;
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    if (!this.#isTcp || this.#sock.destroyed) return false;
    this.#sock.setKeepAlive(enable, initialDelayMs ?? 0);
    return true;
  }

  readonly #onData = (chunk: Uint8Array): void => {
    if (!this.#local) this.#h.onData(chunk);
  };

  readonly #onEnd = (): void => {
    if (!this.#local) this.#h.onEnd();
  };

  readonly #onDrain = (): void => {
    if (this.#started) this.#h.onDrain();
    else this.#drainHeld = true;
  };

  /**
   * A TLS error after the handshake (an alert such as `certificate_required`) is emitted
   * without destroying the socket, and with `allowHalfOpen` it would then stay half-open.
   */
  readonly #onError = (err: unknown): void => {
    this.#error ??= toNetError(err, `socket ${describe(this.remoteAddress ?? this.localAddress)}`);
    if (!this.#sock.destroyed) this.#sock.destroy();
  };

  readonly #onClose = (): void => {
    this.#closed = true;
    if (this.#started) this.#deliverClose();
  };

  readonly #deliverClose = (): void => {
    // A local close() / abort() closes without error, whatever Node reported after it.
    this.#h.onClose(this.#local ? undefined : this.#error);
  };

  readonly #destroy = (): void => {
    this.#sock.destroy();
  };
}

/** The address Node reports for one side of a TCP socket, or `undefined` before/after. */
export function tcpAddress(hostname: string | undefined, port: number | undefined): Address | undefined {
  return hostname === undefined || port === undefined ? undefined : { transport: "tcp", hostname, port };
}

/** Text for error messages. */
export function describe(a: Address | undefined): string {
  if (a === undefined) return "(unknown address)";
  if (a.transport === "unix") return a.path;
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
