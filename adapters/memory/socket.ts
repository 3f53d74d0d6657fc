/**
 * The socket half of the in-memory network: {@link MemorySocket}, one end of a connection,
 * with its send queue and receive buffer. The model it follows (buffers, backpressure,
 * chunk ownership, close and reset) is described in `adapters/memory.ts`; `network.ts` makes
 * the sockets.
 *
 * @module
 */
import { outputBytes } from "../../src/_bytes.ts";
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../../src/net.ts";
import { netError } from "../_errors.ts";
import { Fifo } from "../_fifo.ts";
import { WriteQueue } from "../_write_queue.ts";

/** Smallest receive segment, so that small writes of one tick share one chunk. */
const MIN_SEGMENT_BYTES = 1024;

/** What a socket needs from its network. */
export interface Env {
  /** Receive buffer of each socket, in bytes. */
  readonly bufferBytes: number;
  /** `write()` returns `false` above this many queued bytes. */
  readonly highWater: number;
  /** Largest chunk handed to one `onData`, in bytes. */
  readonly maxChunk: number;
  /** Called once, when `socket` closes, so the network stops counting it as open. */
  released(socket: MemorySocket): void;
}

/** Part of a receive buffer; delivered whole (it is never larger than `maxChunkBytes`). */
interface Segment {
  readonly buf: Uint8Array;
  end: number;
}

function resetError(): NetError {
  return netError("ECONNRESET", "memory network: connection reset by peer");
}

/**
 * One end of an in-memory connection. Created by {@link MemoryNetwork}; tests reach server
 * ends through {@link MemoryNetwork.connections} and client ends through {@link peer}.
 */
export class MemorySocket implements Socket {
  readonly localAddress: Address | undefined;
  readonly remoteAddress: Address | undefined;
  readonly tls: TlsInfo | undefined = undefined;
  /** The bound address of the listener that accepted this socket; `undefined` client side. */
  readonly listenerAddress: Address | undefined;
  #env: Env;
  #peer: MemorySocket;
  #handlers: SocketHandlers | undefined;
  #scheduled = false;
  #paused = false;
  #noDelay = false;
  #keepAliveMs: number | undefined;
  // Receive side.
  #rx = new Fifo<Segment>();
  #rxBytes = 0;
  #rxFin = false;
  #ended = false;
  #readClosed = false;
  // Send side.
  #tx: WriteQueue;
  #shut = false;
  #finSent = false;
  #closing = false;
  // Terminal state: closed (no more I/O), then onClose delivered.
  #closed = false;
  #closeError: NetError | undefined;
  #closeDelivered = false;

  /** @internal Made by {@link MemoryNetwork}; `peer` is the other end, made first. */
  constructor(
    env: Env,
    local: Address | undefined,
    remote: Address | undefined,
    listener?: Address,
    peer?: MemorySocket,
  ) {
    this.#env = env;
    this.#tx = new WriteQueue(env.highWater);
    this.localAddress = local;
    this.remoteAddress = remote;
    this.listenerAddress = listener;
    this.#peer = peer ?? this;
    if (peer !== undefined) peer.#peer = this;
  }

  /** The other end of the connection. */
  get peer(): MemorySocket {
    return this.#peer;
  }
  /** Whether `pause()` is in effect: tests assert the core applies backpressure. */
  get isPaused(): boolean {
    return this.#paused;
  }
  /** Whether the socket is closed (its `onClose` may still wait for handlers). */
  get isClosed(): boolean {
    return this.#closed;
  }
  /** The last `setNoDelay()` value (or the connect option). */
  get noDelay(): boolean {
    return this.#noDelay;
  }
  /** Keep-alive delay in ms from `setKeepAlive()`: 0 when enabled without one, else `undefined`. */
  get keepAliveMs(): number | undefined {
    return this.#keepAliveMs;
  }
  get bufferedAmount(): number {
    return this.#tx.bytes;
  }

  setHandlers(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    this.#kick();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#shut) return false;
    if (chunk.length > 0) {
      this.#tx.push(chunk);
      this.#flush();
      if (this.#closed) return false;
    }
    return this.#tx.writeResult();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#kick();
  }

  shutdownWrite(): void {
    if (this.#closed || this.#shut) return;
    this.#shut = true;
    this.#flush();
  }

  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#shut = true;
    this.#readClosed = true;
    this.#dropReceived();
    this.#peer.#flush(); // what the peer queued for us now goes nowhere
    this.#flush();
    this.#maybeClose();
  }

  abort(): void {
    if (this.#closed) return;
    this.#terminate(undefined, false);
    if (!this.#peer.#closed) this.#peer.#terminate(resetError(), true);
  }

  /**
   * Fault injection: a reset on the wire (a crashed host, a middlebox). Both ends close with
   * `ECONNRESET`, each after the bytes already in its buffer. Compare `abort()`, after which
   * only the peer sees the reset.
   */
  reset(): void {
    const peer = this.#peer;
    if (!this.#closed) this.#terminate(resetError(), true);
    if (!peer.#closed) peer.#terminate(resetError(), true);
  }

  setNoDelay(enable: boolean): boolean {
    this.#noDelay = enable;
    return true;
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    this.#keepAliveMs = enable ? initialDelayMs ?? 0 : undefined;
    return true;
  }

  #dropReceived(): void {
    this.#rx.clear();
    this.#rxBytes = 0;
    this.#rxFin = false;
  }

  /** Closes for good; `keepReceived` lets bytes already here be delivered before `onClose`. */
  #terminate(error: NetError | undefined, keepReceived: boolean): void {
    this.#closed = true;
    this.#closeError = error;
    this.#readClosed = true;
    this.#tx.clear();
    if (!keepReceived) this.#dropReceived();
    this.#env.released(this);
    this.#kick();
  }

  /** Orderly close: our EOF is out, and either we asked to close or the peer's EOF was read. */
  #maybeClose(): void {
    if (!this.#closed && this.#finSent && (this.#closing || this.#ended)) this.#terminate(undefined, true);
  }

  /** Moves queued bytes (then EOF) into the peer's buffer as far as it has room. */
  #flush(): void {
    const r = this.#peer;
    if (this.#closed) return;
    if (this.#tx.bytes > 0) {
      // A kernel answers bytes for a socket that no longer exists with a reset.
      if (r.#closed) return this.#terminate(resetError(), true);
      const n = r.#readClosed ? this.#tx.bytes : Math.min(this.#tx.bytes, this.#env.bufferBytes - r.#rxBytes);
      if (n > 0) this.#send(n, r.#readClosed ? undefined : r);
    }
    if (this.#shut && !this.#finSent && this.#tx.bytes === 0) {
      this.#finSent = true;
      if (!r.#readClosed) {
        r.#rxFin = true;
        r.#kick();
      }
      this.#maybeClose();
    }
    if (this.#tx.drainDue) this.#kick();
  }

  /** Takes `n` bytes off the queue and copies them into `into`'s buffer (or drops them). */
  #send(n: number, into: MemorySocket | undefined): void {
    let left = n;
    while (left > 0) {
      const head = this.#tx.head as Uint8Array;
      const offset = this.#tx.headOffset;
      const take = Math.min(left, head.length - offset);
      if (into !== undefined) into.#append(head.subarray(offset, offset + take), left);
      this.#tx.advance(take);
      left -= take;
    }
    if (into !== undefined) into.#kick();
  }

  /** Copies `src` into the receive buffer; `hint` is what this move brings in all. */
  #append(src: Uint8Array, hint: number): void {
    let off = 0;
    while (off < src.length) {
      let seg = this.#rx.last();
      if (seg === undefined || seg.end === seg.buf.length) {
        const size = Math.min(this.#env.maxChunk, Math.max(MIN_SEGMENT_BYTES, hint - off));
        // A view of a shared slab: a fresh buffer per move cost more than the proxy it carried
        // (bench/http_core.ts), and a segment is only read once delivered.
        seg = { buf: outputBytes(size), end: 0 };
        this.#rx.push(seg);
      }
      const k = Math.min(src.length - off, seg.buf.length - seg.end);
      seg.buf.set(src.subarray(off, off + k), seg.end);
      seg.end += k;
      off += k;
    }
    this.#rxBytes += src.length;
  }

  #kick(): void {
    if (this.#scheduled || this.#closeDelivered) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#run());
  }

  /** Delivers what is due, in contract order: data, EOF, drain, close. */
  #run(): void {
    this.#scheduled = false;
    if (this.#handlers === undefined || this.#closeDelivered) return;
    try {
      while (!this.#paused && this.#rxBytes > 0 && this.#handlers !== undefined) {
        const seg = this.#rx.shift() as Segment;
        this.#rxBytes -= seg.end;
        // A delivered segment leaves the buffer, so nothing is ever appended to its memory.
        const chunk = seg.end === seg.buf.length ? seg.buf : seg.buf.subarray(0, seg.end);
        this.#peer.#flush();
        this.#handlers.onData(chunk);
      }
      if (this.#rxFin && !this.#ended && this.#rxBytes === 0 && !this.#paused) {
        this.#ended = true;
        this.#handlers.onEnd();
        this.#maybeClose();
      }
      if (!this.#closed && this.#tx.takeDrain()) {
        this.#handlers.onDrain();
      }
      if (this.#closed && !this.#closeDelivered) {
        // A paused reader notices a reset at once; its unread bytes are lost.
        if (this.#closeError !== undefined && this.#paused) this.#dropReceived();
        if (this.#rxBytes === 0 && (!this.#rxFin || this.#ended)) {
          this.#closeDelivered = true;
          this.#handlers.onClose(this.#closeError);
        }
      }
    } catch (err) {
      this.#kick(); // what a throwing handler left undelivered still goes out
      throw err;
    }
  }
}
