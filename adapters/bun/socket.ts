/**
 * One Bun socket (plain or TLS) as a {@link Socket}: the write queue over Bun's partial writes,
 * paused/held delivery of Bun's push events, and the close sequence. The handler tables in
 * `handlers.ts` call the `native*` entry points.
 *
 * Bun quirks handled here (measured with Bun 1.4.5; `docs/runtimes.md`):
 * - `write()` returns the bytes the kernel took (partial, then 0) and keeps nothing: the
 *   unwritten tail is queued here (`_write_queue.ts`) and written from the `drain` handler.
 * - `end()` fully closes a TCP socket: the half-close is `shutdown()`, the full close
 *   `shutdown()` + `close()`. On TLS, Bun may still hold encrypted bytes that `write()`
 *   reported as taken, and `close()` right after `shutdown()` drops them: a TLS close is
 *   `end()`, which sends them, then close_notify; after a `shutdownWrite()` the native close
 *   waits for Bun's `drain` or the peer's end, at most `CLOSE_LINGER_MS` (`_linger.ts`).
 * - A TCP socket that shut its write side first is closed by Bun on the peer's FIN without an
 *   `end` call: a clean close we did not ask for is read as EOF, then close.
 * - Bun runs `close` (and a TLS `handshake`) synchronously inside `close()`/`terminate()`:
 *   whatever our own methods trigger is delivered from a microtask, never from the method.
 * - `pause()` stops kernel reads, but Bun still hands over a chunk it already read (decrypted
 *   with the TLS handshake, or read before a reset): chunks are held here, in order.
 *
 * @module
 */
import { tcpAddress } from "../_address.ts";
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../../src/net.ts";
import { toNetError } from "../_errors.ts";
import { lingerTimer } from "../_linger.ts";
import { WriteQueue } from "../_write_queue.ts";
import { atTurnEnd } from "../_turn.ts";
import type { BunNativeSocket } from "./api.ts";

/**
 * Chunks of at least this many bytes (HAProxy's buffer size) are written at once, after what
 * the turn kept: bulk data gains nothing from waiting for the turn's end and would pay a copy
 * to be joined (measured: 64 KiB HTTP responses at 0.75 of the uncoalesced throughput when
 * they waited, the same throughput when written at once, keep-alive requests still +11 %).
 */
const COALESCE_BELOW_BYTES = 16 * 1024;

/** The chunks a turn kept are joined into one write up to this many bytes in all. */
const TURN_JOIN_BYTES = 16 * 1024;

/** What `#local` records of the owner's requests; only moves forward. */
const OPEN = 0;
/** `close()` called: the queue is being written before the native close. */
const CLOSING = 1;
/** The native socket was closed (or is closing) because of `close()`. */
const CLOSED = 2;
/** `abort()` called. */
const ABORTED = 3;

/**
 * {@link Socket} over one Bun socket. Until the first `setHandlers()`, Bun reads on (it is
 * paused only once the held bytes reach the high-water mark);
 * whatever Bun reports meanwhile is held, in order, for the first handlers.
 */
export class BunSocket implements Socket {
  /**
   * The addresses, `null` until first read: Bun reads each field with its own system call
   * (getsockname for the address, again for the port), and most streams never ask.
   */
  #localAddr: Address | undefined | null;
  #remoteAddr: Address | undefined | null;
  /** The connect to settle or the accept to report, until the adapter hands the socket out. */
  pending: unknown;
  readonly #s: BunNativeSocket;
  readonly #queue: WriteQueue;
  #tls: TlsInfo | undefined;
  #h: SocketHandlers | undefined;
  /** Set by `pause()`, cleared by `resume()`. */
  #paused = false;
  /** Whether Bun is reading (not natively paused); Bun reads from `open` on. */
  #reading = true;
  /** Chunks Bun delivered that could not be handed over yet. */
  #held: Uint8Array[] = [];
  /** Bytes in `#held`: before the first handlers, Bun reads on until this reaches the high-water mark. */
  #heldBytes = 0;
  /** The high-water mark: what may be held before the first handlers before Bun is paused. */
  readonly #holdLimit: number;
  /** 0: no EOF; 1: EOF received, not delivered; 2: delivered or dropped. */
  #eof = 0;
  /** 0: open; 1: closed, `onClose` owed; 2: `onClose` delivered. */
  #closed = 0;
  #closeError: NetError | undefined;
  /** What Bun's `error` handler reported (a failed TLS session), before its `close`. */
  #lastError: Error | undefined;
  #local = OPEN as number;
  /** `write()` refuses bytes: shut down, closing or closed. */
  #writeClosed = false;
  /** 0: write side open; 1: `shutdownWrite()` waits for the queue; 2: FIN sent. */
  #shut = 0;
  /** A TLS close waits for Bun to send what it holds (see the module doc); the fallback timer. */
  #linger: ReturnType<typeof setTimeout> | undefined;
  /** Inside one of our methods calling Bun, whose handlers may then run synchronously. */
  #busy = false;
  #pumping = false;
  #scheduled = false;
  readonly #coalesce: boolean;
  /** The queue holds what this turn wrote, not handed to Bun yet (registered with `atTurnEnd`). */
  #inTurn = false;

  /**
   * `highWaterMarkBytes` is the network's validated option, `coalesce` its `coalesceWrites`;
   * `local`/`remote` the addresses, or `null` for a TCP socket whose addresses are read from
   * Bun on first use.
   */
  constructor(
    s: BunNativeSocket,
    local: Address | undefined | null,
    remote: Address | undefined | null,
    highWaterMarkBytes: number,
    coalesce: boolean,
  ) {
    this.#s = s;
    this.#coalesce = coalesce;
    this.#queue = new WriteQueue(highWaterMarkBytes);
    this.#holdLimit = highWaterMarkBytes;
    this.#localAddr = local;
    this.#remoteAddr = remote;
  }

  get localAddress(): Address | undefined {
    if (this.#localAddr === null) this.#localAddr = tcpAddress(this.#s.localAddress, this.#s.localPort);
    return this.#localAddr;
  }

  get remoteAddress(): Address | undefined {
    if (this.#remoteAddr === null) this.#remoteAddr = tcpAddress(this.#s.remoteAddress, this.#s.remotePort);
    return this.#remoteAddr;
  }

  get tls(): TlsInfo | undefined {
    return this.#tls;
  }

  get bufferedAmount(): number {
    return this.#queue.bytes;
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
    if (this.#coalesce) {
      if (chunk.length < COALESCE_BELOW_BYTES) {
        // A partial write still queued: Bun's drain writes the rest, this chunk after it.
        if (!this.#inTurn && this.#queue.empty) {
          this.#inTurn = true;
          atTurnEnd(this);
        }
        return this.#queue.push(chunk);
      }
      // A large chunk goes at once (see COALESCE_BELOW_BYTES), after what this turn kept.
      this.#flushTurn();
    }
    let taken = 0;
    if (this.#queue.empty) {
      this.#busy = true;
      taken = this.#s.write(chunk);
      this.#busy = false;
      if (taken === chunk.length) {
        // What the turn kept may have gone over the mark (a drain owed) and out just now.
        if (this.#queue.takeDrain()) queueMicrotask(() => this.#writeClosed || this.#h?.onDrain());
        return true;
      }
      if (taken < 0) return false;
    }
    return this.#queue.push(chunk, taken);
  }

  /** The turn ended: what it queued goes to Bun, in one write when small (see `write()`). */
  endTurn(): void {
    if (this.#leaveTurn()) this.nativeDrain();
  }

  /**
   * Hands what this turn queued to Bun now (the socket is ending, or a large chunk follows): no
   * handler runs from here.
   */
  #flushTurn(): void {
    if (!this.#leaveTurn()) return;
    this.#busy = true;
    this.#writeQueued();
    this.#busy = false;
  }

  /** Ends this socket's turn, its chunks joined when small; false when there is nothing to write. */
  #leaveTurn(): boolean {
    if (!this.#inTurn) return false;
    this.#inTurn = false;
    if (this.#closed !== 0) return false;
    this.#queue.join(TURN_JOIN_BYTES);
    return true;
  }

  /** Hands the queue to Bun until it is empty (true) or Bun takes less than it is given. */
  #writeQueued(): boolean {
    const q = this.#queue;
    while (!q.empty) {
      const head = q.head as Uint8Array;
      const offset = q.headOffset;
      const n = this.#s.write(head, offset, head.length - offset);
      if (n < 0) return false;
      q.advance(n);
      if (n < head.length - offset) return false;
    }
    return true;
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
    this.#flushTurn();
    this.#shut = 1;
    if (this.#queue.empty) this.#shutdownNow();
  }

  close(): void {
    if (this.#local !== OPEN) return;
    this.#local = CLOSING;
    this.#writeClosed = true;
    this.#flushTurn();
    this.#dropInput();
    if (this.#closed !== 0) return this.#forgetError();
    // Keep reading (and discarding) so that the kernel ends with a FIN, not a reset for unread bytes.
    this.#syncReading();
    if (this.#queue.empty) this.#closeNow();
  }

  abort(): void {
    if (this.#local === ABORTED) return;
    const lingering = this.#linger !== undefined;
    if (this.#local === CLOSED && !lingering) return;
    this.#local = ABORTED;
    this.#writeClosed = true;
    // What was written before the reset goes to the kernel first, as without coalescing.
    this.#flushTurn();
    this.#dropInput();
    this.#queue.clear();
    this.#stopLinger();
    if (this.#closed !== 0 && !lingering) return this.#forgetError();
    this.#busy = true;
    this.#s.terminate();
    this.#busy = false;
    this.#markClosed(undefined);
    this.#schedule();
  }

  setNoDelay(enable: boolean): boolean {
    return this.#closed === 0 && this.#s.setNoDelay(enable);
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    if (this.#closed !== 0) return false;
    return initialDelayMs === undefined ? this.#s.setKeepAlive(enable) : this.#s.setKeepAlive(enable, initialDelayMs);
  }

  /** Connect or accept done: `tls` is what was negotiated; reading goes on, bounded, until the first handlers. */
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
    this.#heldBytes += chunk.length;
    if (h === undefined && this.#heldBytes >= this.#holdLimit) this.#syncReading();
    if (this.#busy) this.#schedule();
  }

  /** Bun's `end`: the peer's FIN. */
  nativeEnd(): void {
    if (this.#linger !== undefined) return this.#closeLingering();
    if (this.#eof !== 0 || this.#local !== OPEN) return;
    this.#eof = 1;
    this.#pump();
  }

  /** Bun's `drain`: writes the queue; once empty, finishes a shutdown or close, or calls `onDrain`. */
  nativeDrain(): void {
    if (this.#linger !== undefined) return this.#closeLingering();
    if (!this.#writeQueued()) return;
    if (this.#local === CLOSING) return this.#closeNow();
    if (this.#shut === 1) this.#shutdownNow();
    if (this.#queue.takeDrain() && !this.#writeClosed) this.#h?.onDrain();
  }

  /** Bun's `error`: an established TLS session failed; the `close` that follows carries it. */
  nativeError(err: Error): void {
    this.#lastError = err;
  }

  /** Bun's `close`: at most once; when Bun runs it inside one of our calls, `#pump` defers. */
  nativeClosed(err: Error | undefined): void {
    this.#stopLinger();
    this.#markClosed(err);
    this.#pump();
  }

  /** Records the native close (Bun's, or ours when Bun may skip its handler). */
  #markClosed(err: Error | undefined): void {
    if (this.#closed !== 0) return;
    this.#closed = 1;
    this.#writeClosed = true;
    this.#queue.clear();
    const cause = err ?? this.#lastError;
    if (this.#local !== OPEN && this.#local !== CLOSING) {
      this.#closeError = undefined;
    } else if (cause !== undefined) {
      this.#closeError = toNetError(cause, "bun socket");
    } else if (this.#eof === 0 && this.#local === OPEN) {
      // A clean close we did not ask for is the peer's FIN (Bun skips `end` after our shutdown).
      this.#eof = 1;
    }
  }

  /** The native socket is already closed: a local close/abort now only owes an error-free `onClose`. */
  #forgetError(): void {
    this.#closeError = undefined;
    this.#schedule();
  }

  /** Bun reads exactly when something can be delivered, or while closing (to discard). */
  /**
   * Bun reads when something can be delivered, or while closing (to discard). Before the first
   * handlers it reads on (into `#held`) up to the high-water mark: pausing at `open` and
   * resuming at `setHandlers()`, usually in the same tick for an accepted socket, cost two
   * epoll_ctl and two setsockopt calls per socket.
   */
  #syncReading(): void {
    const want = this.#local === CLOSING ||
      (!this.#paused && (this.#h !== undefined || this.#heldBytes < this.#holdLimit));
    if (want === this.#reading || this.#closed !== 0) return;
    this.#reading = want;
    this.#busy = true;
    if (want) this.#s.resume();
    else this.#s.pause();
    this.#busy = false;
  }

  #dropInput(): void {
    this.#held = [];
    this.#heldBytes = 0;
    if (this.#eof === 1) this.#eof = 2;
  }

  #shutdownNow(): void {
    this.#shut = 2;
    this.#busy = true;
    this.#s.shutdown();
    this.#busy = false;
  }

  /**
   * Full close once the queue is empty. TCP: FIN, then release. TLS: `end()` sends what Bun
   * holds, then close_notify; already shut down, the native close waits (module doc).
   */
  #closeNow(): void {
    this.#local = CLOSED;
    this.#busy = true;
    if (this.#tls === undefined) {
      if (this.#shut !== 2) this.#s.shutdown();
      this.#s.close();
    } else if (this.#shut !== 2) {
      this.#s.end();
    } else if (this.#eof === 0) {
      this.#linger = lingerTimer(this.#lingerExpired);
    } else {
      this.#s.close();
    }
    this.#busy = false;
    this.#markClosed(undefined);
    this.#schedule();
  }

  /** A sign that Bun sent what it held (drain) or that the peer is done (end). */
  #closeLingering(): void {
    this.#stopLinger();
    this.#busy = true;
    this.#s.close();
    this.#busy = false;
  }

  readonly #lingerExpired = (): void => {
    this.#linger = undefined;
    this.#s.terminate();
  };

  #stopLinger(): void {
    if (this.#linger === undefined) return;
    clearTimeout(this.#linger);
    this.#linger = undefined;
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
          const chunk = this.#held.shift() as Uint8Array;
          this.#heldBytes -= chunk.length;
          h.onData(chunk);
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
