/**
 * One Deno connection (`TcpConn`, `TlsConn`, `UnixConn`) as a {@link Socket}: a read loop and a
 * write pump over `conn.read()` / `conn.write()`.
 *
 * @module
 */
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../../src/net.ts";
import { toNetError } from "../_errors.ts";
import { WriteQueue } from "../_write_queue.ts";
import type { DenoAddr, DenoConn } from "./api.ts";
import { handedOver, READ_MAX, READ_MAX_TLS, READ_MIN, recycle, takeReadBuffer } from "./read_buffers.ts";

/** Maps a Deno address to ours; `undefined` for addresses the contract has no form for. */
export function toAddress(a: DenoAddr): Address | undefined {
  if (a.transport === "tcp") return { transport: "tcp", hostname: a.hostname ?? "", port: a.port ?? 0 };
  if (a.transport === "unix" && typeof a.path === "string" && a.path !== "") return { transport: "unix", path: a.path };
  return undefined;
}

/** Closes `conn`, ignoring an already closed resource. */
export function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // Already closed (BadResource): nothing left to release.
  }
}

/** rustls reports a peer that closed without close_notify as `UnexpectedEof`: an EOF to us. */
function isEof(err: unknown): boolean {
  return err instanceof Error && err.name === "UnexpectedEof";
}

/**
 * One Deno connection as a {@link Socket}. The read loop runs only while handlers are set,
 * not paused and not at EOF; a chunk read while paused is held for `resume()`.
 */
export class DenoSocket implements Socket {
  /** Converted from Deno's address objects on first use (most streams never ask). */
  #localAddr: Address | undefined | null = null;
  #remoteAddr: Address | undefined | null = null;
  readonly tls: TlsInfo | undefined;
  readonly #conn: DenoConn;
  #handlers: SocketHandlers | undefined;
  /** The next read buffer; never one already handed to `onData`. */
  #buf: Uint8Array | undefined;
  readonly #readMax: number;
  /** A chunk whose read completed after `pause()`, delivered first on `resume()`. */
  #held: Uint8Array | undefined;
  readonly #queue: WriteQueue;
  /** Set by `pause()`, cleared by `resume()`. */
  #paused = false;
  /** A read loop is running (a `read()` may be in flight). */
  #reading = false;
  /** The write pump is running (a `write()` is in flight). */
  #writing = false;
  /** The kernel reported EOF. */
  #eof = false;
  /** `onEnd` was called. */
  #endDelivered = false;
  /** `shutdownWrite()`/`close()` was called: `write()` refuses data. */
  #writeShut = false;
  /** `closeWrite()` is in progress. */
  #shutting = false;
  /** The FIN (TLS: close_notify) went out. */
  #writeDone = false;
  /** `close()` was called: flushing, input is read and dropped. */
  #closing = false;
  /** The connection is closed; `onClose` is due. */
  #closed = false;
  #closeDelivered = false;
  #closeError: NetError | undefined;

  /** `highWaterMarkBytes` is the network's validated option. */
  constructor(conn: DenoConn, tls: TlsInfo | undefined, highWaterMarkBytes: number) {
    this.#conn = conn;
    this.#queue = new WriteQueue(highWaterMarkBytes);
    this.#readMax = tls === undefined ? READ_MAX : READ_MAX_TLS;
    this.tls = tls;
  }

  get localAddress(): Address | undefined {
    if (this.#localAddr === null) this.#localAddr = toAddress(this.#conn.localAddr);
    return this.#localAddr;
  }

  get remoteAddress(): Address | undefined {
    // The contract has no Unix peer address: Deno reports the listener's path or null.
    if (this.#remoteAddr === null) {
      const a = this.#conn.remoteAddr;
      this.#remoteAddr = a.transport === "tcp" ? toAddress(a) : undefined;
    }
    return this.#remoteAddr;
  }

  get bufferedAmount(): number {
    return this.#queue.bytes;
  }

  setHandlers(handlers: SocketHandlers): void {
    const first = this.#handlers === undefined;
    this.#handlers = handlers;
    if (first) queueMicrotask(this.#kick);
  }

  write(chunk: Uint8Array): boolean {
    if (this.#writeShut || this.#closed) return false;
    const below = this.#queue.push(chunk);
    if (!this.#writing && !this.#queue.empty) void this.#pump();
    return below;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#handlers !== undefined && !this.#closed) queueMicrotask(this.#kick);
  }

  shutdownWrite(): void {
    if (this.#writeShut || this.#closed) return;
    this.#writeShut = true;
    if (!this.#writing) void this.#shutdown();
  }

  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#writeShut = true;
    this.#held = undefined;
    if (!this.#writing) {
      if (this.#writeDone) return this.#finish(undefined);
      void this.#shutdown();
    }
    // Keep reading (and dropping) while the queue flushes: unread input would turn the final
    // close(2) into a reset, and a peer blocked on writing to us might never read our bytes.
    if (!this.#closed && !this.#reading) queueMicrotask(this.#kick);
  }

  abort(): void {
    this.#finish(undefined);
  }

  setNoDelay(enable: boolean): boolean {
    const conn = this.#conn;
    if (this.#closed || typeof conn.setNoDelay !== "function") return false;
    try {
      conn.setNoDelay(enable);
      return true;
    } catch {
      return false;
    }
  }

  /** Deno takes no delay: `initialDelayMs` is ignored (capability `keepAliveDelay: false`). */
  setKeepAlive(enable: boolean, _initialDelayMs?: number): boolean {
    const conn = this.#conn;
    if (this.#closed || typeof conn.setKeepAlive !== "function") return false;
    try {
      conn.setKeepAlive(enable);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs in a microtask: delivers a held close or drain, then (re)starts the read loop. */
  readonly #kick = (): void => {
    if (this.#closed) return this.#deliverClose();
    this.#drainIfDue();
    this.#readLoop();
  };

  readonly #deliverClose = (): void => {
    if (this.#closeDelivered || this.#handlers === undefined) return;
    this.#closeDelivered = true;
    const err = this.#closeError;
    if (err === undefined) this.#handlers.onClose();
    else this.#handlers.onClose(err);
  };

  /**
   * Starts the read loop unless it runs (a read in flight) or cannot. The loop is a chain of
   * `conn.read().then(...)` rather than an async function: a suspended async function (its
   * generator, promise and await closures) per idle socket was a tenth of an idle stream's JS
   * heap (bench/conn.ts).
   */
  #readLoop(): void {
    if (this.#reading || this.#closed || (this.#handlers === undefined && !this.#closing)) return;
    this.#reading = true;
    const held = this.#held;
    if (held !== undefined && !this.#paused) {
      this.#held = undefined;
      this.#deliver(held);
    }
    this.#next();
  }

  /** Reads again while the socket may read; otherwise ends the loop, delivering a due EOF. */
  #next(): void {
    if (!this.#closed && !this.#eof && (this.#closing || (!this.#paused && this.#held === undefined))) {
      this.#conn.read(this.#buf ??= new Uint8Array(READ_MIN)).then(this.#onRead, this.#onReadError);
      return;
    }
    this.#reading = false;
    if (
      this.#eof && !this.#endDelivered && !this.#closed && !this.#closing && !this.#paused && this.#held === undefined
    ) {
      this.#endDelivered = true;
      this.#handlers!.onEnd();
      if (this.#writeDone) this.#finish(undefined);
    }
  }

  /** Hands a chunk over; a throwing handler stops the loop (and the error surfaces). */
  #deliver(chunk: Uint8Array): void {
    try {
      this.#handlers!.onData(chunk);
    } catch (err) {
      this.#reading = false;
      throw err;
    }
  }

  readonly #onRead = (n: number | null): void => {
    if (this.#closed) {
      this.#reading = false;
      return;
    }
    if (n === null) {
      this.#eof = true;
      return this.#next();
    }
    if (this.#closing || n === 0) return this.#next();
    // At least half full: hand the buffer over (grow it when it was filled). Shorter: copy out,
    // keep the buffer, and shrink it towards READ_MIN.
    const buf = this.#buf!;
    const size = buf.byteLength;
    let chunk: Uint8Array;
    if (n >= size >>> 1) {
      chunk = buf.subarray(0, n);
      handedOver(chunk);
      this.#buf = takeReadBuffer(n === size && size < this.#readMax ? Math.min(size * 4, this.#readMax) : size);
    } else {
      chunk = buf.slice(0, n);
      if (size > READ_MIN) this.#buf = new Uint8Array(Math.max(size >>> 2, READ_MIN));
    }
    if (this.#paused) this.#held = chunk;
    else this.#deliver(chunk);
    this.#next();
  };

  readonly #onReadError = (err: unknown): void => {
    if (this.#closed) {
      this.#reading = false;
      return;
    }
    if (!isEof(err)) {
      this.#reading = false;
      return this.#finish(toNetError(err, "read"));
    }
    this.#eof = true;
    this.#next();
  };

  async #pump(): Promise<void> {
    this.#writing = true;
    const q = this.#queue;
    try {
      while (!q.empty) {
        const head = q.head!;
        const offset = q.headOffset;
        let n: number;
        try {
          n = await this.#conn.write(offset === 0 ? head : head.subarray(offset));
        } catch (err) {
          this.#finish(toNetError(err, "write"));
          return;
        }
        if (this.#closed) return;
        const written = q.advance(n);
        if (written !== undefined) recycle(written);
        this.#drainIfDue();
      }
    } finally {
      this.#writing = false;
    }
    if (this.#writeShut) await this.#shutdown();
  }

  /** After the queue is flushed: FIN (TLS: close_notify), then close if both sides are done. */
  async #shutdown(): Promise<void> {
    if (this.#closed || this.#shutting) return;
    if (this.#writeDone) {
      if (this.#closing) this.#finish(undefined);
      return;
    }
    // close(2) sends the FIN after kernel-queued bytes anyway; TLS first needs close_notify.
    if (this.#closing && this.tls === undefined) return this.#finish(undefined);
    this.#shutting = true;
    try {
      await this.#conn.closeWrite();
    } catch (err) {
      // ENOTCONN: the peer already reset; its read side reports the error, if any.
      if (!this.#closed && (err as { name?: string }).name !== "NotConnected") {
        return this.#finish(toNetError(err, "shutdown"));
      }
    }
    this.#shutting = false;
    this.#writeDone = true;
    if (this.#closing || this.#endDelivered) this.#finish(undefined);
  }

  /** `onDrain` once the queue is back under the mark, unless the write side was shut since. */
  #drainIfDue(): void {
    if (this.#handlers !== undefined && this.#queue.drainDue && !this.#writeShut) {
      this.#queue.takeDrain();
      this.#handlers.onDrain();
    }
  }

  /** Closes the connection once and schedules `onClose` (held until the first handlers). */
  #finish(error: NetError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    // Contract: after a local close() the owner hears no error, whatever the flush met.
    this.#closeError = this.#closing ? undefined : error;
    this.#held = undefined;
    this.#queue.clear();
    closeQuietly(this.#conn);
    if (this.#handlers !== undefined) queueMicrotask(this.#deliverClose);
  }
}
