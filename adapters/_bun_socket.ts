/**
 * One Bun socket (plain or TLS) as a {@link Socket}: the write queue over Bun's partial writes,
 * paused/held delivery of Bun's push events, and the close sequence. Private to
 * `adapters/bun.ts`, whose handler tables call the `native*` entry points.
 *
 * Bun quirks handled here (RUNTIMES.md, Bun rows; re-measured with Bun 1.4.5):
 * - `write()` returns the bytes the kernel took (partial, then 0) and keeps nothing: the
 *   unwritten tail is queued here, as the caller's chunk plus an offset (no copy), and written
 *   from the `drain` handler.
 * - `end()` fully closes a TCP socket and is erratic on TLS (it may never call `close`): the
 *   half-close is `shutdown()`, the full close `shutdown()` + `close()`.
 * - A TCP socket that shut its write side first is closed by Bun on the peer's FIN without an
 *   `end` call: a clean close we did not ask for is read as EOF, then close.
 * - `close` runs synchronously inside `close()`/`terminate()` (and a TLS handshake handler
 *   inside `terminate()`): whatever our own methods trigger is delivered from a microtask.
 * - `pause()` stops kernel reads, but Bun still hands over a chunk it already read (decrypted
 *   with the TLS handshake, or read before a reset): chunks are held here too, in order.
 *
 * @module
 */
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../src/net.ts";
import { toNetError } from "./_errors.ts";

// Minimal hand-written view of the Bun socket API used by the adapter, so that `tsc` (no Bun
// types) checks it.
/** A `Bun.listen` / `Bun.connect` socket (TCP or TLS). */
export interface BunNativeSocket {
  data: unknown;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Negotiated ALPN protocol; `false` (or null) when none. */
  readonly alpnProtocol: string | false | null;
  readonly authorized: boolean;
  /** Bytes taken (maybe fewer than given, `0` when full); `-1` when closed or shut down. */
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  /** Without an argument: shuts the write side (FIN; close_notify on TLS). */
  shutdown(): void;
  close(): void;
  /** SO_LINGER 0 then close: a reset on established connections. */
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(enable: boolean): boolean;
  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean;
  getServername(): string | false | null | undefined;
  getTLSVersion(): string | null | undefined;
  getPeerCertificate(): { subject?: { CN?: string | string[] } } | null | undefined;
}

/** What `#local` records of the owner's requests; only moves forward. */
const OPEN = 0;
/** `close()` called: the queue is being written before the native close. */
const CLOSING = 1;
/** The native socket was closed by `close()`. */
const CLOSED = 2;
/** `abort()` called. */
const ABORTED = 3;

/**
 * Bytes queued beyond which `write()` returns `false`, as Node's stream default.
 * @default 65536
 */
const HIGH_WATER_BYTES = 65536;

/**
 * {@link Socket} over one Bun socket. Reading is paused until the first `setHandlers()`;
 * whatever Bun reports meanwhile is held, in order, for the first handlers.
 */
export class BunSocket implements Socket {
  readonly localAddress: Address | undefined;
  readonly remoteAddress: Address | undefined;
  /** The connect to settle or the accept to report, until the adapter hands the socket out. */
  pending: unknown;
  readonly #s: BunNativeSocket;
  #tls: TlsInfo | undefined;
  #h: SocketHandlers | undefined;
  /** Set by `pause()`, cleared by `resume()`. */
  #paused = false;
  /** Whether Bun is reading (not natively paused); Bun reads from `open` on. */
  #reading = true;
  /** Chunks Bun delivered that could not be handed over yet. */
  #held: Uint8Array[] = [];
  /** 0: no EOF; 1: EOF received, not delivered; 2: delivered or dropped. */
  #eof = 0;
  /** 0: open; 1: closed natively, `onClose` owed; 2: `onClose` delivered. */
  #closed = 0;
  #closeError: NetError | undefined;
  /** What Bun's `error` handler reported (a failed TLS session), before its `close`. */
  #lastError: Error | undefined;
  #local = OPEN as number;
  /** `write()` refuses bytes: shut down, closing or closed. */
  #writeClosed = false;
  /** 0: write side open; 1: `shutdownWrite()` waits for the queue; 2: FIN sent. */
  #shut = 0;
  /** Unwritten chunks in order; the first one from `#headOffset` on. */
  #queue: Uint8Array[] = [];
  #headOffset = 0;
  #queued = 0;
  #needDrain = false;
  /** Inside one of our methods calling Bun, whose handlers may then run synchronously. */
  #busy = false;
  #pumping = false;
  #scheduled = false;

  constructor(s: BunNativeSocket, local: Address | undefined, remote: Address | undefined) {
    this.#s = s;
    this.localAddress = local;
    this.remoteAddress = remote;
  }

  get tls(): TlsInfo | undefined {
    return this.#tls;
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  setHandlers(handlers: SocketHandlers): void {
    const first = this.#h === undefined;
    this.#h = handlers;
    if (!first) return;
    this.#syncReading();
    this.#schedule();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#writeClosed) return false;
    if (this.#queue.length === 0) {
      this.#busy = true;
      const n = this.#s.write(chunk);
      this.#busy = false;
      if (n === chunk.length) return true;
      if (n < 0) return false;
      this.#queue.push(chunk);
      this.#headOffset = n;
      this.#queued = chunk.length - n;
    } else {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
    }
    if (this.#queued <= HIGH_WATER_BYTES) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
    this.#syncReading();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#syncReading();
    this.#schedule();
  }

  shutdownWrite(): void {
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    this.#shut = 1;
    if (this.#queue.length === 0) this.#shutdownNow();
  }

  close(): void {
    if (this.#local !== OPEN) return;
    this.#local = CLOSING;
    this.#writeClosed = true;
    this.#dropInput();
    if (this.#closed !== 0) return this.#forgetError();
    // Keep reading (and discarding) so that the kernel ends with a FIN, not a reset for unread bytes.
    this.#syncReading();
    if (this.#queue.length === 0) this.#closeNow();
  }

  abort(): void {
    if (this.#local === ABORTED || this.#local === CLOSED) return;
    this.#local = ABORTED;
    this.#writeClosed = true;
    this.#dropInput();
    this.#dropQueue();
    if (this.#closed !== 0) return this.#forgetError();
    this.#busy = true;
    this.#s.terminate();
    this.#busy = false;
    this.nativeClosed(undefined);
  }

  setNoDelay(enable: boolean): boolean {
    return this.#closed === 0 && this.#s.setNoDelay(enable);
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    if (this.#closed !== 0) return false;
    return initialDelayMs === undefined ? this.#s.setKeepAlive(enable) : this.#s.setKeepAlive(enable, initialDelayMs);
  }

  /** Connect or accept done: reading stops until the first handlers; `tls` is what was negotiated. */
  ready(tls: TlsInfo | undefined): void {
    this.#tls = tls;
    this.pending = undefined;
    this.#syncReading();
  }

  /** Bun's `data`: hands the chunk straight over when nothing is held and reading is on. */
  nativeData(chunk: Uint8Array): void {
    if (this.#local !== OPEN || this.#closed !== 0) return;
    const h = this.#h;
    if (h !== undefined && !this.#paused && this.#held.length === 0 && !this.#busy && !this.#pumping) {
      h.onData(chunk);
      return;
    }
    this.#held.push(chunk);
    if (this.#busy) this.#schedule();
  }

  /** Bun's `end`: the peer's FIN. */
  nativeEnd(): void {
    if (this.#eof !== 0 || this.#local !== OPEN) return;
    this.#eof = 1;
    this.#pump();
  }

  /** Bun's `drain`: writes the queue; once empty, finishes a shutdown or close, or calls `onDrain`. */
  nativeDrain(): void {
    const q = this.#queue;
    if (q.length === 0 && !this.#needDrain) return;
    while (q.length > 0) {
      const head = q[0] as Uint8Array;
      const len = head.length - this.#headOffset;
      const n = this.#s.write(head, this.#headOffset, len);
      if (n < 0) return;
      this.#queued -= n;
      if (n < len) {
        this.#headOffset += n;
        return;
      }
      q.shift();
      this.#headOffset = 0;
    }
    if (this.#local === CLOSING) return this.#closeNow();
    if (this.#shut === 1) this.#shutdownNow();
    if (this.#needDrain) {
      this.#needDrain = false;
      if (!this.#writeClosed) this.#h?.onDrain();
    }
  }

  /** Bun's `error`: an established TLS session failed; the `close` that follows carries it. */
  nativeError(err: Error): void {
    this.#lastError = err;
  }

  /** Bun's `close` (also called by us after a native close, in case Bun skips it): at most once. */
  nativeClosed(err: Error | undefined): void {
    if (this.#closed !== 0) return;
    this.#closed = 1;
    this.#writeClosed = true;
    this.#dropQueue();
    const cause = err ?? this.#lastError;
    if (this.#local === ABORTED || this.#local === CLOSED) {
      this.#closeError = undefined;
    } else if (cause !== undefined) {
      this.#closeError = toNetError(cause, "bun socket");
    } else if (this.#eof === 0 && this.#local === OPEN) {
      // A clean close we did not ask for is the peer's FIN (Bun skips `end` after our shutdown).
      this.#eof = 1;
    }
    this.#pump();
  }

  /** The native socket is already closed: a local close/abort now only owes an error-free `onClose`. */
  #forgetError(): void {
    this.#closeError = undefined;
    this.#schedule();
  }

  /** Bun reads exactly when something can be delivered, or while closing (to discard). */
  #syncReading(): void {
    const want = this.#local === CLOSING || (this.#h !== undefined && !this.#paused);
    if (want === this.#reading || this.#closed !== 0) return;
    this.#reading = want;
    this.#busy = true;
    if (want) this.#s.resume();
    else this.#s.pause();
    this.#busy = false;
  }

  #dropInput(): void {
    this.#held = [];
    if (this.#eof === 1) this.#eof = 2;
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#headOffset = 0;
    this.#queued = 0;
    this.#needDrain = false;
  }

  #shutdownNow(): void {
    this.#shut = 2;
    this.#busy = true;
    this.#s.shutdown();
    this.#busy = false;
  }

  /** Full close once the queue is empty: FIN (and TLS close_notify), then release. */
  #closeNow(): void {
    this.#local = CLOSED;
    this.#busy = true;
    if (this.#shut !== 2) this.#s.shutdown();
    this.#s.close();
    this.#busy = false;
    this.nativeClosed(undefined);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Delivers held events in order (data, EOF, close) as far as pause and handlers allow. */
  #pump(): void {
    if (this.#busy) return this.#schedule();
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const h = this.#h;
        if (h === undefined) return;
        if (this.#held.length > 0) {
          if (this.#paused) return;
          h.onData(this.#held.shift() as Uint8Array);
        } else if (this.#eof === 1) {
          if (this.#paused) return;
          this.#eof = 2;
          h.onEnd();
        } else {
          if (this.#closed === 1) {
            this.#closed = 2;
            h.onClose(this.#closeError);
          }
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
