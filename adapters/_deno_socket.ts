/**
 * One Deno connection (`TcpConn`, `TlsConn`, `UnixConn`) as a {@link Socket}: a read loop and a
 * write pump over `conn.read()` / `conn.write()`. Private to `adapters/deno.ts`.
 *
 * @module
 */
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../src/net.ts";
import { toNetError } from "./_errors.ts";

// Minimal hand-written view of Deno's connection objects, so that `tsc` (no Deno types)
// checks this file; `deno check` sees the same shapes.
/** A connection or listener address as Deno reports it. */
export interface DenoAddr {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: string | null;
}
/** The methods of `Deno.Conn` (and its TCP/TLS variants) used here. */
export interface DenoConn {
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  /** TcpConn only: `TlsConn` and `UnixConn` lack it. */
  setNoDelay?(noDelay?: boolean): void;
  /** TcpConn only; takes no delay (the kernel default applies). */
  setKeepAlive?(keepAlive?: boolean): void;
  /** TlsConn only. */
  handshake?(): Promise<{ readonly alpnProtocol: string | null }>;
}

/**
 * Read buffer sizes. A handed-over chunk must be fresh memory, and fresh memory is what bulk
 * reads cost (measured: a reused buffer reads 1.4-1.7 GB/s on loopback, a fresh 64 KiB one per
 * read 0.7-0.9 GB/s, and slabs of 256 KiB to 4 MiB cut into views do no better), so the size
 * adapts: it starts small, grows ×4 while reads fill it, shrinks after a short read. A pending
 * read pins its buffer, so an idle connection holds a few KiB, not 64.
 */
const READ_MIN = 4096;
/** Loopback TCP hands over up to 64 KiB per read. */
const READ_MAX = 65536;
/** rustls returns one record per read: at most 16 KiB of plaintext, whatever the buffer size. */
const READ_MAX_TLS = 16384;

/**
 * Recycled READ_MAX read buffers. Zero-filling a fresh 64 KiB buffer per read cost Deno a
 * third of its bulk throughput (bench/: memset 15 % of the profile, 9x the page faults of a
 * plain pipe). The contract (src/net.ts) makes a chunk given to `write()` the adapter's: once
 * one of our read buffers is fully written, by any socket of this adapter, it comes back here.
 * `OUT` holds the buffers handed to the core, so each one returns at most once.
 */
const POOL: ArrayBuffer[] = [];
/** At most 64 × 64 KiB = 4 MiB kept idle. */
const POOL_MAX = 64;
const OUT = new WeakSet<ArrayBufferLike>();

function takeReadBuffer(size: number): Uint8Array {
  if (size !== READ_MAX) return new Uint8Array(size);
  const b = POOL.pop() ?? new ArrayBuffer(READ_MAX);
  OUT.add(b);
  return new Uint8Array(b);
}

function recycle(chunk: Uint8Array): void {
  const b = chunk.buffer;
  if (OUT.delete(b) && POOL.length < POOL_MAX) POOL.push(b as ArrayBuffer);
}

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
  readonly localAddress: Address | undefined;
  readonly remoteAddress: Address | undefined;
  readonly tls: TlsInfo | undefined;
  readonly #conn: DenoConn;
  readonly #hwm: number;
  #handlers: SocketHandlers | undefined;
  /** The next read buffer; never one already handed to `onData`. */
  #buf: Uint8Array | undefined;
  readonly #readMax: number;
  /** A chunk whose read completed after `pause()`, delivered first on `resume()`. */
  #held: Uint8Array | undefined;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  /** Set by `pause()`, cleared by `resume()`. */
  #paused = false;
  /** A read loop is running (a `read()` may be in flight). */
  #reading = false;
  /** The write pump is running (a `write()` is in flight). */
  #writing = false;
  /** A `write()` returned false; cleared when `onDrain` is called. */
  #needDrain = false;
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

  constructor(conn: DenoConn, tls: TlsInfo | undefined, hwm: number) {
    this.#conn = conn;
    this.#hwm = hwm;
    this.#readMax = tls === undefined ? READ_MAX : READ_MAX_TLS;
    this.tls = tls;
    this.localAddress = toAddress(conn.localAddr);
    // The contract has no Unix peer address: Deno reports the listener's path or null.
    this.remoteAddress = conn.remoteAddr.transport === "tcp" ? toAddress(conn.remoteAddr) : undefined;
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  setHandlers(handlers: SocketHandlers): void {
    const first = this.#handlers === undefined;
    this.#handlers = handlers;
    if (first) queueMicrotask(this.#kick);
  }

  write(chunk: Uint8Array): boolean {
    if (this.#writeShut || this.#closed) return false;
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
      if (!this.#writing) void this.#pump();
    }
    if (this.#queued <= this.#hwm) return true;
    this.#needDrain = true;
    return false;
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
    this.#needDrain = false;
    if (!this.#writing) void this.#shutdown();
  }

  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#writeShut = true;
    this.#needDrain = false;
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
    if (this.#needDrain && this.#queued <= this.#hwm && this.#handlers !== undefined) {
      this.#needDrain = false;
      this.#handlers.onDrain();
    }
    void this.#readLoop();
  };

  readonly #deliverClose = (): void => {
    if (this.#closeDelivered || this.#handlers === undefined) return;
    this.#closeDelivered = true;
    const err = this.#closeError;
    if (err === undefined) this.#handlers.onClose();
    else this.#handlers.onClose(err);
  };

  async #readLoop(): Promise<void> {
    if (this.#reading || this.#closed || (this.#handlers === undefined && !this.#closing)) return;
    this.#reading = true;
    try {
      const held = this.#held;
      if (held !== undefined && !this.#paused) {
        this.#held = undefined;
        this.#handlers!.onData(held);
      }
      let buf = this.#buf ?? new Uint8Array(READ_MIN);
      while (!this.#closed && !this.#eof && (this.#closing || (!this.#paused && this.#held === undefined))) {
        let n: number | null;
        try {
          n = await this.#conn.read(buf);
        } catch (err) {
          if (this.#closed) break;
          if (!isEof(err)) {
            this.#finish(toNetError(err, "read"));
            break;
          }
          n = null;
        }
        if (this.#closed) break;
        if (n === null) {
          this.#eof = true;
          break;
        }
        if (this.#closing || n === 0) continue;
        // At least half full: hand the buffer over (grow it when it was filled). Shorter:
        // copy out, keep the buffer, and shrink it towards READ_MIN.
        let chunk: Uint8Array;
        const size = buf.byteLength;
        if (n >= size >>> 1) {
          chunk = buf.subarray(0, n);
          buf = takeReadBuffer(n === size && size < this.#readMax ? Math.min(size * 4, this.#readMax) : size);
        } else {
          chunk = buf.slice(0, n);
          if (size > READ_MIN) buf = new Uint8Array(Math.max(size >>> 2, READ_MIN));
        }
        if (this.#paused) {
          this.#held = chunk;
          break;
        }
        this.#handlers!.onData(chunk);
      }
      this.#buf = buf;
    } finally {
      this.#reading = false;
    }
    if (
      this.#eof && !this.#endDelivered && !this.#closed && !this.#closing && !this.#paused && this.#held === undefined
    ) {
      this.#endDelivered = true;
      this.#handlers!.onEnd();
      if (this.#writeDone) this.#finish(undefined);
    }
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    const q = this.#queue;
    try {
      while (q.length > 0) {
        const chunk = q[0]!;
        let n: number;
        try {
          n = await this.#conn.write(chunk);
        } catch (err) {
          this.#finish(toNetError(err, "write"));
          return;
        }
        if (this.#closed) return;
        this.#queued -= n;
        if (n < chunk.byteLength) {
          q[0] = chunk.subarray(n);
        } else {
          q.shift();
          recycle(chunk);
        }
        if (this.#needDrain && this.#queued <= this.#hwm && this.#handlers !== undefined) {
          this.#needDrain = false;
          this.#handlers.onDrain();
        }
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

  /** Closes the connection once and schedules `onClose` (held until the first handlers). */
  #finish(error: NetError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    // Contract: after a local close() the owner hears no error, whatever the flush met.
    this.#closeError = this.#closing ? undefined : error;
    this.#held = undefined;
    this.#queue.length = 0;
    this.#queued = 0;
    closeQuietly(this.#conn);
    if (this.#handlers !== undefined) queueMicrotask(this.#deliverClose);
  }
}
