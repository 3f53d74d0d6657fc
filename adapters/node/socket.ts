/**
 * The socket half of the Node adapter: one `net.Socket` / `tls.TLSSocket` behind the
 * {@link Socket} contract of `src/net.ts`. Node buffers writes itself, with its writable
 * high-water mark set from the network's `highWaterMarkBytes`, except those of plain sockets
 * on Node, which go to its handle directly at the end of each turn (`DirectWrites`).
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import type { Address, NetError, Socket, SocketHandlers, TlsInfo } from "../../src/net.ts";
import { describeAddress, tcpAddress } from "../_address.ts";
import { toNetError } from "../_errors.ts";
import { lingerTimer } from "../_linger.ts";
import { atTurnEnd } from "../_turn.ts";
import { errnoError, type StreamBinding, streamBinding, type WriteRequest } from "./stream_binding.ts";

/** Handlers of a socket whose owner has not called `setHandlers()` yet: nothing reaches them. */
const NO_HANDLERS: SocketHandlers = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

/**
 * Sets a socket's writable high-water mark. Node takes it only as an option of the
 * constructor, which `tls.Server` does not pass on to its `TLSSocket`s and `tls.connect` takes
 * only together with the readable one, so the stream state is set directly, before the first
 * write.
 */
function setWritableHighWaterMark(sock: NetSocket, mark: number): void {
  const state = (sock as NetSocket & { _writableState?: { highWaterMark: number } })._writableState;
  if (state !== undefined) state.highWaterMark = mark;
}

/** How a network's sockets write (from its options, see `createNetwork()`). */
export interface WriteSettings {
  /** Node's writable high-water mark: the contract's `highWaterMarkBytes` + 1. */
  readonly mark: number;
  /** Coalesce the writes of one event-loop turn (`NetworkOptions.coalesceWrites`). */
  readonly coalesce: boolean;
  /**
   * Coalesced writes of plain sockets skip Node's `Writable` layer (`DirectWrites`): only on
   * Node itself, whose `net.Socket` internals this relies on, not under Deno's or Bun's
   * `node:net` (which serve the Node adapter's TLS route there).
   */
  readonly direct: boolean;
}

/**
 * The write settings of sockets made for a network with `highWaterMarkBytes` (the contract's:
 * Node's `write()` returns false once `writableLength >= mark`, so its mark is one above).
 */
export function writeSettings(highWaterMarkBytes: number, coalesce: boolean): WriteSettings {
  const node = !("Deno" in globalThis) && !("Bun" in globalThis);
  return { mark: highWaterMarkBytes + 1, coalesce, direct: coalesce && node };
}

/** The TCP socket that `abort()` resets (RST); `undefined` where none can be (Unix). */
export type ResetTarget = NetSocket | undefined;

/**
 * One Node socket (`net.Socket` or `tls.TLSSocket`) behind the {@link Socket} contract.
 * The Node stream is paused when this is built; reading starts with the first handlers.
 */
export class NodeSocket implements Socket {
  readonly tls: TlsInfo | undefined;
  /**
   * The addresses, `null` until first read: Node reads them with getsockname/getpeername, a
   * system call each, and most streams never ask (no log line, no `balance source`).
   */
  #localAddr: Address | undefined | null;
  #remoteAddr: Address | undefined | null;
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
  /** Node emitted `'end'` while the owner had paused: delivered on `resume()`. */
  #endHeld = false;
  /**
   * What static reads (`static_read.ts`) brought while the owner had paused, delivered on
   * `resume()`: Node may read once more after `pause()` (a `resume()` of the same turn restarts
   * the handle's reads from its next tick), and such a socket has no stream buffer to keep it.
   */
  #held: Uint8Array[] | undefined;
  #closeDelivered = false;
  /** Set while a closed socket waits for the peer's FIN (see `close()`). */
  #linger: ReturnType<typeof setTimeout> | undefined;
  readonly #coalesce: boolean;
  readonly #mark: number;
  /** Corked by a write of this turn, uncorked when the turn ends (`_turn.ts`). */
  #corked = false;
  /**
   * Writes go to Node's handle ({@link DirectWrites}, made on the first write: `undefined` until
   * then); `null` when they go through Node's stream.
   */
  #direct: DirectWrites | null | undefined;

  /**
   * `local`/`remote`: the addresses, or `null` for a TCP socket whose addresses are read from
   * Node on first use (they stay readable until the socket is destroyed).
   */
  constructor(
    sock: NetSocket,
    resetVia: ResetTarget,
    local: Address | undefined | null,
    remote: Address | undefined | null,
    tls: TlsInfo | undefined,
    writes: WriteSettings,
  ) {
    this.#sock = sock;
    setWritableHighWaterMark(sock, writes.mark);
    this.#mark = writes.mark;
    this.#coalesce = writes.coalesce;
    this.#direct = writes.direct && tls === undefined && streamBinding() !== null ? undefined : null;
    this.#resetVia = resetVia;
    this.#isTcp = local === null || local?.transport === "tcp";
    this.#localAddr = local;
    this.#remoteAddr = remote;
    this.tls = tls;
    // pause() first: adding a 'data' listener to a stream whose flowing state is not false
    // would start it.
    sock.pause();
    // One set of listener functions for every socket (Node calls them with `this` = the
    // net.Socket, which points back here), not seven closures per socket: 2.8 KiB less per
    // idle proxied stream (bench/conn.ts). This is the one place where a field is added to a
    // foreign object, for that reason.
    (sock as Owned)[OWNER] = this;
    sock.on("data", LISTENERS.data);
    sock.on("end", LISTENERS.end);
    sock.on("drain", LISTENERS.drain);
    sock.on("error", LISTENERS.error);
    sock.on("close", LISTENERS.close);
  }

  get localAddress(): Address | undefined {
    if (this.#localAddr === null) this.#localAddr = tcpAddress(this.#sock.localAddress, this.#sock.localPort);
    return this.#localAddr;
  }

  get remoteAddress(): Address | undefined {
    if (this.#remoteAddr === null) this.#remoteAddr = tcpAddress(this.#sock.remoteAddress, this.#sock.remotePort);
    return this.#remoteAddr;
  }

  get bufferedAmount(): number {
    return this.#sock.writableLength + (this.#direct?.queued ?? 0);
  }

  setHandlers(handlers: SocketHandlers): void {
    this.#h = handlers;
    if (this.#started) return;
    this.#started = true;
    // Held events go out on a microtask: no handler runs inside a Socket method.
    if (this.#closed) {
      queueMicrotask(() => this.#deliverClose());
      return;
    }
    if (this.#drainHeld) {
      this.#drainHeld = false;
      queueMicrotask(() => this.onDrainEvent());
    }
    if (this.#local) this.#sock.resume();
    else if (!this.#userPaused) this.#resumeReads();
  }

  /**
   * With `coalesceWrites` (the default), the first write of an event-loop turn corks the
   * socket and the turn's end uncorks it: what the turn wrote to this socket (an HTTP head and
   * body, the responses of several pipelined requests) leaves in one system call, and the
   * peers woken by those writes are woken once per turn, after all the reads of the turn were
   * handled, as HAProxy's event loop sends after processing its ready events. Measured with
   * HTTP keep-alive (README, Performance): a fifth less CPU per request. Node counts corked
   * bytes in its buffer, so `write()`'s answer and the drain stay the contract's. On Node, a
   * plain socket keeps the turn's chunks itself and hands them to Node's handle when the turn
   * ends, below Node's stream layer ({@link DirectWrites}); TLS sockets, and any socket while
   * Node's stream still holds bytes, cork and uncork.
   */
  write(chunk: Uint8Array): boolean {
    if (this.#writeShut || this.#sock.destroyed) return false;
    // Direct once Node's stream holds nothing (what it holds goes out first).
    if (this.#direct !== null && !this.#corked && this.#sock.writableLength === 0 && !this.#sock.connecting) {
      const d = this.#direct ??= new DirectWrites(this, this.#sock as DirectSocket);
      if (!d.pending) atTurnEnd(this);
      return d.add(chunk, this.#mark);
    }
    if (this.#coalesce && !this.#corked) {
      this.#corked = true;
      this.#sock.cork();
      atTurnEnd(this);
    }
    return this.#sock.write(chunk);
  }

  /** The turn ended: what it wrote goes out now (direct: once no earlier write is in flight). */
  endTurn(): void {
    this.#flush(false);
  }

  /** `all`: the socket is ending, what it kept goes to Node now, behind what is in flight. */
  #flush(all: boolean): void {
    if (this.#direct?.pending) this.#direct.flush(all);
    if (!this.#corked) return;
    this.#corked = false;
    if (!this.#sock.destroyed) this.#sock.uncork();
  }

  pause(): void {
    this.#userPaused = true;
    if (this.#started && !this.#local) this.#sock.pause();
  }

  resume(): void {
    this.#userPaused = false;
    if (this.#started) this.#resumeReads();
  }

  /** Held bytes first (on a microtask: no handler runs inside a Socket method), then the socket. */
  #resumeReads(): void {
    if (this.#held !== undefined) {
      queueMicrotask(() => this.#deliverHeld());
      return;
    }
    this.#sock.resume();
    if (this.#endHeld) queueMicrotask(() => this.#deliverHeldEnd());
  }

  #deliverHeld(): void {
    const held = this.#held;
    if (held === undefined || this.#userPaused || this.#local) return;
    while (held.length > 0) {
      this.#h.onData(held.shift()!);
      if (this.#userPaused || this.#local) return;
    }
    this.#held = undefined;
    this.#resumeReads();
  }

  shutdownWrite(): void {
    if (this.#writeShut) return;
    this.#writeShut = true;
    this.#flush(true);
    this.#sock.end();
  }

  /**
   * Ends the write side (TLS: close_notify after the queued bytes); once Node has flushed it
   * (`'finish'`) the owner gets `onClose`, while the socket lingers, reading and discarding,
   * until the peer's FIN lets Node destroy it (`autoDestroy`), for at most `CLOSE_LINGER_MS`.
   * Destroying it at `'finish'` reset connections whose peer was still sending (measured: a
   * TLS peer's session tickets arriving then cut the last kilobytes we had sent it).
   */
  close(): void {
    if (this.#local) return;
    this.#local = true;
    this.#writeShut = true;
    this.#flush(true);
    const sock = this.#sock;
    if (sock.destroyed) return this.#closeOwed();
    sock.resume();
    if (sock.writableFinished) return this.orphan();
    sock.once("finish", LISTENERS.finish);
    sock.end();
  }

  /**
   * Plain TCP: `resetAndDestroy()` (SO_LINGER 0, RST). It refuses TLS sockets, and calling it
   * on the TCP socket under a live TLS layer corrupts memory in Node 24 (double free, seen as
   * segfaults): instead the TCP socket is flagged as `resetAndDestroy()` flags it, and the
   * TLS socket is destroyed the ordinary way, which destroys that TCP socket last, with RST.
   * While an `end()` is still flushing (after `close()` or `shutdownWrite()`), a reset fails
   * with `EINVAL` and Node 24 then never emits `'close'`: such a socket is destroyed plainly.
   */
  abort(): void {
    this.#local = true;
    this.#writeShut = true;
    // What was written before the reset reaches the kernel first, as it did without coalescing.
    this.#flush(true);
    const sock = this.#sock;
    if (sock.destroyed) return this.#closeOwed();
    const via = this.#resetVia;
    const flushing = sock.writableEnded && !sock.writableFinished;
    if (via === sock && !flushing) {
      sock.resetAndDestroy();
      return;
    }
    if (via !== undefined && via !== sock && !via.destroyed && !flushing) {
      (via as NetSocket & { resetAndClosing?: boolean }).resetAndClosing = true;
    }
    sock.destroy();
  }

  setNoDelay(enable: boolean): boolean {
    if (!this.#isTcp || this.#closed || this.#sock.destroyed) return false;
    this.#sock.setNoDelay(enable);
    return true;
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean {
    if (!this.#isTcp || this.#closed || this.#sock.destroyed) return false;
    this.#sock.setKeepAlive(enable, initialDelayMs ?? 0);
    return true;
  }

  /**
   * Gives the Node socket up, paused, with the bytes Node holds still in its buffer: for
   * `startServerTls`, which puts TLS on top. This wrapper is dead from then on (no handler
   * runs again). `undefined` when the socket is already closing or closed.
   */
  detach(): NetSocket | undefined {
    const sock = this.#sock;
    if (this.#local || this.#closed || sock.destroyed || this.#endHeld) return undefined;
    this.#flush(true);
    this.#local = true;
    this.#writeShut = true;
    this.#closeDelivered = true;
    sock.pause();
    sock.off("data", LISTENERS.data);
    sock.off("end", LISTENERS.end);
    sock.off("drain", LISTENERS.drain);
    sock.off("error", LISTENERS.error);
    sock.off("close", LISTENERS.close);
    delete (sock as Partial<Owned>)[OWNER];
    return sock;
  }

  /**
   * A read into the static buffer (`static_read.ts`), `chunk` a copy: delivered, or held while
   * the owner has paused. The answer is Node's `onread` one: false stops the handle's reads.
   */
  onStaticRead(chunk: Uint8Array): boolean {
    if (this.#local) return true;
    if (this.#userPaused || this.#held !== undefined) {
      (this.#held ??= []).push(chunk);
      return false;
    }
    this.#h.onData(chunk);
    return !this.#userPaused;
  }

  /** Node's `'data'` (through {@link LISTENERS}). */
  onDataEvent(chunk: Uint8Array): void {
    if (!this.#local) this.#h.onData(chunk);
  }

  /** Node's `'end'`: it comes once its buffer is empty, even while paused; then it waits for `resume()`. */
  onEndEvent(): void {
    if (this.#local) return;
    if (this.#userPaused) this.#endHeld = true;
    else this.#h.onEnd();
  }

  #deliverHeldEnd(): void {
    if (!this.#endHeld || this.#userPaused || this.#local) return;
    this.#endHeld = false;
    this.#h.onEnd();
    if (this.#closed) this.#deliverClose();
  }

  /**
   * A local close()/abort() of a socket Node already closed: the `onClose` it held behind a
   * held EOF (see `onCloseEvent`) is owed now, error-free.
   */
  #closeOwed(): void {
    if (this.#closed && this.#started) queueMicrotask(() => this.#deliverClose());
  }

  /**
   * A direct write or a static read of the handle failed: Node's stream ends with that error,
   * as a failed stream write or read ends it.
   */
  onHandleError(err: Error): void {
    if (!this.#sock.destroyed) this.#sock.destroy(err);
  }

  /**
   * Node's `'drain'`, or the direct writes' ({@link DirectWrites}). None after close(), abort()
   * or detach(): the owner is done writing (a direct write may complete after those).
   */
  onDrainEvent(): void {
    if (this.#local) return;
    if (this.#started) this.#h.onDrain();
    else this.#drainHeld = true;
  }

  /**
   * A TLS error after the handshake (an alert such as `certificate_required`) is emitted
   * without destroying the socket, and with `allowHalfOpen` it would then stay half-open:
   * Node's `'error'` destroys it.
   */
  onErrorEvent(err: unknown): void {
    this.#error ??= toNetError(err, `socket ${describeAddress(this.remoteAddress ?? this.localAddress)}`);
    if (!this.#sock.destroyed) this.#sock.destroy();
  }

  /**
   * Node's `'close'`. Node closes a half-closed socket on the peer's FIN by itself, and its
   * `'end'` may then still be held for a paused owner: the close waits behind it (the contract's
   * order is onEnd, then onClose), until `resume()` delivers both or a local close owes it.
   * An error closes at once.
   */
  onCloseEvent(): void {
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#closed = true;
    if (this.#endHeld && this.#error === undefined && !this.#local) return;
    if (this.#started) this.#deliverClose();
  }

  #deliverClose(): void {
    if (this.#closeDelivered) return;
    this.#closeDelivered = true;
    // A local close() / abort() closes without error, whatever Node reported after it.
    this.#h.onClose(this.#local ? undefined : this.#error);
  }

  /** After `close()`, once flushed: the owner is done; the socket lingers (see `close()`). */
  orphan(): void {
    const sock = this.#sock;
    if (sock.destroyed) return;
    if (sock.readableEnded) {
      sock.destroy();
      return;
    }
    this.#closed = true;
    if (this.#started) queueMicrotask(() => this.#deliverClose());
    sock.unref();
    this.#linger = lingerTimer(() => sock.destroy());
  }
}

/** What direct writes use of Node's `net.Socket`: its handle. */
type DirectSocket = NetSocket & { _handle: StreamHandle | null };

/** The methods of Node's stream handle (`TCPWrap`) that its `net.Socket#_writeGeneric` calls. */
interface StreamHandle {
  writeBuffer(req: DirectRequest, data: Uint8Array): number;
  writev(req: DirectRequest, chunks: Uint8Array[], allBuffers: boolean): number;
}

/**
 * Node's write request object (its `WriteWrap`, see `stream_binding.ts`) as direct writes use
 * it: `data` keeps a write's chunks alive until its `oncomplete`, as Node's own requests do.
 */
interface DirectRequest extends WriteRequest {
  /** The writes whose call it is, told of the completion (`undefined` while spare). */
  writes: DirectWrites | undefined;
  data: Uint8Array | Uint8Array[] | undefined;
}

/**
 * The request object the next handle write of any socket takes: the C++ side attaches a request
 * only to a write libuv completes later, so one serves every write the kernel takes whole, of
 * whichever socket, and idle sockets hold none.
 */
let SPARE_REQUEST: DirectRequest | undefined;

/**
 * The writes of a plain socket on Node, handed to its handle without the `Writable` layer:
 * what a turn wrote goes out when the turn ends, in one call of the handle (one chunk: a
 * `writeBuffer`, several: a `writev`), the call Node's own `_write` and `_writev` end in once
 * that layer has buffered, corked, uncorked and cleared its buffer, made a request object and
 * scheduled its callbacks on `process.nextTick`. The request object of a write the kernel took
 * whole is used again for the next, of any socket (Node makes one per write); which writes
 * libuv completes later, Node's `stream_wrap` binding says (`stream_binding.ts`: where it is not
 * to be had, sockets write through the stream). As that layer does, one write is in flight at a time:
 * while the kernel has not taken one, what later turns write waits and goes out in one
 * `writev` when it has (libuv would otherwise make a system call and a callback per turn's
 * write). A socket that ends hands everything over at once: libuv runs a shutdown after the
 * writes queued before it, so Node's `end()` (its `Writable` stays empty) still shuts down
 * after the last byte. Measured with HTTP keep-alive (README, Performance): 2 to 5 % less CPU
 * per request, and about 2.5 % more for the handle calls and the reused request. Counts
 * what the kernel has not taken yet (`queued`), for the contract's `write()` answer and drain.
 * Made on a socket's first write, so an idle socket that never wrote pays nothing.
 */
class DirectWrites {
  readonly owner: NodeSocket;
  readonly #sock: DirectSocket;
  /** The first chunk waiting to be handed over, and the others when there are more. */
  #first: Uint8Array | undefined;
  #more: Uint8Array[] | undefined;
  #waitingBytes = 0;
  /** Bytes handed to Node whose writes have not completed. */
  #inflightBytes = 0;
  /**
   * The sizes of the writes the kernel did not take during their call, in libuv's order (made
   * on the first such write: small writes complete during their call).
   */
  #inflight: number[] | undefined;
  #wantDrain = false;
  /** The binding that tells which writes complete later (see `stream_binding.ts`). */
  readonly #binding: StreamBinding;

  /** Only where {@link streamBinding} answers. */
  constructor(owner: NodeSocket, sock: DirectSocket) {
    this.owner = owner;
    this.#sock = sock;
    this.#binding = streamBinding()!;
  }

  /** Bytes not yet taken by the kernel. */
  get queued(): number {
    return this.#waitingBytes + this.#inflightBytes;
  }

  /** Whether chunks wait to be handed over (the socket is then registered for a turn's end). */
  get pending(): boolean {
    return this.#first !== undefined;
  }

  /** Adds a chunk to the waiting ones; false once more than `mark` - 1 bytes are queued. */
  add(chunk: Uint8Array, mark: number): boolean {
    if (this.#first === undefined) this.#first = chunk;
    else (this.#more ??= []).push(chunk);
    this.#waitingBytes += chunk.length;
    if (this.queued < mark) return true;
    this.#wantDrain = true;
    return false;
  }

  /**
   * Hands the waiting chunks to Node, unless a write is in flight and not `all` (its
   * completion hands them over then). Nothing once Node destroyed the socket.
   */
  flush(all: boolean): void {
    if (!all && this.#inFlight) return;
    const sock = this.#sock;
    const first = this.#first!, more = this.#more, n = this.#waitingBytes;
    this.#first = this.#more = undefined;
    this.#waitingBytes = 0;
    // Node drops the handle when it destroys the socket.
    const handle = sock._handle;
    if (sock.destroyed || handle === null) return;
    this.#inflightBytes += n;
    this.#toHandle(handle, first, more, n);
  }

  /**
   * One write of `n` bytes straight to Node's handle, as `_writeGeneric` makes it. A write
   * libuv completes later holds its request until its `oncomplete`; else the request serves
   * the next write ({@link SPARE_REQUEST}).
   */
  #toHandle(handle: StreamHandle, first: Uint8Array, more: Uint8Array[] | undefined, n: number): void {
    const binding = this.#binding;
    let req = SPARE_REQUEST;
    if (req === undefined) {
      req = new binding.WriteWrap() as DirectRequest;
      req.oncomplete = onHandleWrite;
    }
    let data: Uint8Array | Uint8Array[] = first, err;
    if (more === undefined) err = handle.writeBuffer(req, first);
    else {
      data = [first, ...more];
      err = handle.writev(req, data, true);
    }
    if (err !== 0) {
      // Not used again: a failure after libuv took the write disposed of its attachment.
      SPARE_REQUEST = undefined;
      return this.#completed(errnoError(err, "write"), true, n);
    }
    if (binding.streamBaseState[binding.kLastWriteWasAsync] === 0) {
      SPARE_REQUEST = req;
      return this.#completed(null, true, n);
    }
    // libuv holds the request until this write completes.
    SPARE_REQUEST = undefined;
    req.writes = this;
    req.data = data;
    (this.#inflight ??= []).push(n);
  }

  /** libuv completed a handle write the kernel did not take at once (see {@link onHandleWrite}). */
  handleWriteDone(status: number): void {
    this.#completed(status < 0 ? errnoError(status, "write") : null, false, this.#inflight!.shift()!);
  }

  /** Whether a write handed over has not completed. */
  get #inFlight(): boolean {
    return this.#inflight !== undefined && this.#inflight.length > 0;
  }

  /**
   * A write of `bytes` completed: `sync` inside its own call, else a libuv callback, in the
   * order of the writes (libuv's queue).
   */
  #completed(err: Error | null | undefined, sync: boolean, bytes: number): void {
    this.#inflightBytes -= bytes;
    if (err) return this.owner.onHandleError(err);
    // An asynchronous completion (a libuv callback, outside any Socket method): what waited
    // goes now, one write for all of it.
    if (!sync && this.pending && !this.#inFlight) this.flush(false);
    if (this.#wantDrain && this.queued === 0) {
      this.#wantDrain = false;
      // Maybe inside flush(), so inside a Socket method: no handler runs there.
      queueMicrotask(() => this.owner.onDrainEvent());
    }
  }
}

/** The `oncomplete` of the write requests of {@link DirectWrites} (Node calls it on the request). */
function onHandleWrite(this: DirectRequest, status: number): void {
  const writes = this.writes!;
  this.writes = this.data = undefined;
  writes.handleWriteDone(status);
}

/** Where a net.Socket keeps its {@link NodeSocket}, for the shared listeners. */
const OWNER = Symbol("proxykit.NodeSocket");
/** A net.Socket wrapped by a {@link NodeSocket}. */
type Owned = NetSocket & { [OWNER]: NodeSocket };

/** The listeners of every wrapped net.Socket; Node calls them with `this` = that socket. */
const LISTENERS = {
  data(this: NetSocket, chunk: Uint8Array): void {
    (this as Owned)[OWNER].onDataEvent(chunk);
  },
  end(this: NetSocket): void {
    (this as Owned)[OWNER].onEndEvent();
  },
  drain(this: NetSocket): void {
    (this as Owned)[OWNER].onDrainEvent();
  },
  error(this: NetSocket, err: unknown): void {
    (this as Owned)[OWNER].onErrorEvent(err);
  },
  close(this: NetSocket): void {
    (this as Owned)[OWNER].onCloseEvent();
  },
  finish(this: NetSocket): void {
    (this as Owned)[OWNER].orphan();
  },
};

/** Listener for errors that have nowhere to go. */
export function ignore(): void {}
