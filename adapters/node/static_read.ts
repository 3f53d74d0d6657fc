/**
 * Reading plain TCP sockets into one static buffer (Node's `onread`), for the connections the
 * adapter opens and, through Node's own fields for that option, for the ones it accepts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Socket as NetSocket } from "node:net";
import type { NodeSocket } from "./socket.ts";
import { errnoError, streamBinding } from "./stream_binding.ts";

/**
 * The one buffer every plain TCP connection of this process reads into: Node otherwise
 * allocates a 64 KiB buffer per read and shrinks it to what was read, and the `malloc`/`free`
 * and array-buffer bookkeeping of that showed as a tenth of the proxy's CPU in HTTP keep-alive
 * profiles (README, Performance). What a read brought is copied out at once into a
 * `Buffer.from()` (Node's shared pool for small sizes), since the core keeps chunks past the
 * callback. Reads run one at a time on the event loop, so one buffer serves all.
 */
const READ_BUFFER = new Uint8Array(64 * 1024);

/** Node's `onread` option: where reads land and who gets them. */
export interface OnRead {
  readonly buffer: Uint8Array;
  readonly callback: (n: number, buf: Uint8Array) => boolean;
}

/**
 * Where the bytes a connection reads into {@link READ_BUFFER} go: its {@link NodeSocket}, set
 * before the first read can happen. Its own small object, so that the read callback, which
 * lives as long as the connection, keeps only this alive and not the closures around it.
 */
export class StaticRead {
  owner: NodeSocket | undefined;

  /** Node's `onread` option for this connection. */
  options(): OnRead {
    return {
      buffer: READ_BUFFER,
      callback: (n, buf) => this.owner?.onStaticRead(Buffer.from(buf.subarray(0, n))) ?? true,
    };
  }

  /**
   * Sets the {@link NodeSocket} the reads of `sock` (made with {@link options}, or adopted)
   * go to, and, where Node's `stream_wrap` binding is to be had, has its handle call
   * {@link onHandleRead} instead of Node's `onStreamRead`: what that function does for a read
   * into a user buffer, less the steps these sockets never need (the refresh of a
   * `setTimeout()` timer, the lookups of the option's fields, a buffer generator).
   */
  attach(sock: NetSocket, owner: NodeSocket): void {
    this.owner = owner;
    const handle = (sock as unknown as { _handle?: ReadHandle | null })._handle;
    if (handle == null || typeof handle.onread !== "function" || streamBinding() === null) return;
    NODE_ONREAD ??= handle.onread;
    // Only in place of the function every plain socket's handle has: anything else is not ours.
    if (handle.onread !== NODE_ONREAD) return;
    handle[READER] = this;
    handle.onread = onHandleRead;
  }
}

/** Where a handle read by {@link onHandleRead} keeps its {@link StaticRead}. */
const READER = Symbol("proxykit.StaticRead");

/** What {@link onHandleRead} uses of Node's stream handle (`TCPWrap`). */
interface ReadHandle {
  /** The function the C++ side calls after each read (Node sets its `onStreamRead`). */
  onread: (this: ReadHandle, arrayBuffer?: ArrayBuffer) => unknown;
  reading: boolean;
  readStop(): number;
  [READER]?: StaticRead;
}

/** Node's `onStreamRead`, taken from the first handle attached: EOF and errors still go to it. */
let NODE_ONREAD: ReadHandle["onread"] | undefined;

/**
 * A handle's read callback for a socket reading into {@link READ_BUFFER}: the binding's state
 * array says how many bytes the read brought; a copy goes to the owner, whose answer false
 * stops the handle's reads (as Node's `pause()` would). EOF and read errors (a count of 0 or
 * less) go to Node's own `onStreamRead`, which ends or destroys the stream.
 */
function onHandleRead(this: ReadHandle, arrayBuffer?: ArrayBuffer): unknown {
  const b = streamBinding()!;
  const n = b.streamBaseState[b.kReadBytesOrError]!;
  if (n <= 0) return NODE_ONREAD!.call(this, arrayBuffer);
  const owner = this[READER]!.owner;
  if (owner === undefined || owner.onStaticRead(Buffer.from(READ_BUFFER.subarray(0, n)))) return;
  this.reading = false;
  const err = this.readStop();
  if (err !== 0) owner.onHandleError(errnoError(err, "read"));
}

/** The fields a `net.Socket` made with `onread` keeps it in (Node's `kBuffer`, ...). */
interface OnReadKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/**
 * Node's own keys for `onread`, found once on a socket made with the option (by the values it
 * stored, and for the generator by its description): `undefined` when this Node keeps them
 * otherwise, and accepted sockets then read the ordinary way.
 */
const KEYS: OnReadKeys | undefined = (() => {
  const probe: OnRead = { buffer: new Uint8Array(1), callback: () => true };
  const s = new NetSocket({ onread: probe }) as unknown as Record<symbol, unknown>;
  let buffer: symbol | undefined, callback: symbol | undefined, generator: symbol | undefined;
  for (const k of Object.getOwnPropertySymbols(s)) {
    if (s[k] === probe.buffer) buffer = k;
    else if (s[k] === probe.callback) callback = k;
    else if (k.description === "kBufferGen" && s[k] === null) generator = k;
  }
  (s as unknown as NetSocket).destroy();
  return buffer && callback && generator ? { buffer, callback, generator } : undefined;
})();

/**
 * Makes an accepted plain socket, paused since its accept (nothing read yet), read as one made
 * with `onread` does: Node has no such option for a server's sockets, so its three fields are
 * set as its constructor sets them and the handle is told the buffer (`useUserBuffer`, what
 * that constructor's handle setup calls). `pause()`/`resume()` then stop and start the
 * handle's reads, as for any `onread` socket. Returns false, changing nothing, when this Node
 * does not offer what that takes. Never for a socket TLS may be put on later: the TLS layer
 * reads the handle itself.
 */
export function adoptStaticRead(sock: NetSocket, reader: StaticRead): boolean {
  const handle = (sock as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (KEYS === undefined || typeof handle?.useUserBuffer !== "function") return false;
  const o = reader.options();
  const fields = sock as unknown as Record<symbol, unknown>;
  fields[KEYS.buffer] = o.buffer;
  fields[KEYS.callback] = o.callback;
  fields[KEYS.generator] = null;
  handle.useUserBuffer(o.buffer);
  return true;
}
