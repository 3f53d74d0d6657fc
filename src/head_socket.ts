/**
 * A socket whose first bytes were already read by someone else: the PROXY header reader or
 * the content inspection read past what they needed (the start of the request, in the same
 * TCP segment as the header). The runtimes cannot push bytes back into a socket (Node's
 * `unshift` aside), so the bytes read ahead are handed to the next owner through this thin
 * wrapper, which delivers them first and then steps aside: every later event comes straight
 * from the wrapped socket to the new owner's handlers.
 *
 * @module
 */
import type { Address, Socket, SocketHandlers, TlsInfo } from "./net.ts";

/**
 * Wraps `inner` (paused by its previous owner, which set no handler since) so that its next
 * owner receives `head` before anything else. Keeps the contract's rules: `head` is delivered
 * from a microtask, never while the owner has the socket paused, and the wrapped socket stays
 * paused until `head` is out, so that the order of the bytes is kept.
 *
 * @example
 * ```ts
 * import type { Socket } from "@proxykit/proxykit";
 * declare const raw: Socket; // paused after its PROXY header was read
 * declare const rest: Uint8Array; // bytes read past the header
 * const socket = withHead(raw, rest);
 * socket.setHandlers({ onData: (c) => console.log(c.length), onEnd() {}, onDrain() {}, onClose() {} });
 * ```
 */
export function withHead(inner: Socket, head: Uint8Array | undefined): Socket {
  return head === undefined || head.length === 0 ? resumedLater(inner) : new HeadSocket(inner, head);
}

/**
 * `inner` as it is, except that its previous owner paused it: the next owner's first
 * `setHandlers` resumes it (reading starts with the first `setHandlers` on a fresh socket, and
 * the next owner expects that).
 */
function resumedLater(inner: Socket): Socket {
  return new HeadSocket(inner, undefined);
}

/** See {@link withHead}. */
class HeadSocket implements Socket {
  readonly #inner: Socket;
  #head: Uint8Array | undefined;
  /** The owner's pause state; the inner socket is also kept paused while `#head` waits. */
  #paused = false;
  #handlers: SocketHandlers | undefined;
  #scheduled = false;

  constructor(inner: Socket, head: Uint8Array | undefined) {
    this.#inner = inner;
    this.#head = head;
  }

  get localAddress(): Address | undefined {
    return this.#inner.localAddress;
  }
  get remoteAddress(): Address | undefined {
    return this.#inner.remoteAddress;
  }
  get tls(): TlsInfo | undefined {
    return this.#inner.tls;
  }
  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  setHandlers(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    this.#inner.setHandlers(handlers);
    this.#kick();
  }

  /** Delivers the head (when there is one and the owner is not pausing), then lets the inner socket go. */
  #kick(): void {
    if (this.#scheduled || this.#paused || this.#handlers === undefined) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#paused) return;
      const head = this.#head;
      this.#head = undefined;
      if (head !== undefined) this.#handlers!.onData(head);
      if (!this.#paused) this.#inner.resume();
    });
  }

  write(chunk: Uint8Array): boolean {
    return this.#inner.write(chunk);
  }
  pause(): void {
    this.#paused = true;
    this.#inner.pause();
  }
  resume(): void {
    this.#paused = false;
    if (this.#head !== undefined) this.#kick();
    else this.#inner.resume();
  }
  shutdownWrite(): void {
    this.#inner.shutdownWrite();
  }
  close(): void {
    this.#head = undefined;
    this.#inner.close();
  }
  abort(): void {
    this.#head = undefined;
    this.#inner.abort();
  }
  setNoDelay(enable: boolean): boolean {
    return this.#inner.setNoDelay(enable);
  }
  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    return this.#inner.setKeepAlive(enable, initialDelayMs);
  }
}
