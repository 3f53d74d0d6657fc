/**
 * Bun's socket handlers are given per listen/connect call and receive the native socket, so
 * each native socket carries its {@link BunSocket} in `socket.data` (before that, the accept
 * context or the pending connect), and one shared handler table per side forwards to it.
 *
 * @module
 */
import type { Address, NetError, Socket, TlsClientOptions } from "../../src/net.ts";
import { describeAddress } from "../_address.ts";
import { netError, rethrowLater, toNetError } from "../_errors.ts";
import type { BunHandlers, BunNativeSocket } from "./api.ts";
import { BunSocket } from "./socket.ts";
import { handshakeError, tlsInfo } from "./tls.ts";

/** A connect in progress, kept in `socket.data` until the wrapper exists. */
export interface PendingConnect {
  settled: boolean;
  readonly tls: TlsClientOptions | undefined;
  readonly serverName: string | undefined;
  readonly noDelay: boolean | undefined;
  /** Written first on a plain connection (a TLS one with a preamble goes through node:tls). */
  readonly preamble: Uint8Array | undefined;
  /** A Unix socket: Bun reports no addresses on them. */
  readonly unix: boolean;
  /** The network's `highWaterMarkBytes`. */
  readonly highWaterMarkBytes: number;
  /** The network's `coalesceWrites`. */
  readonly coalesceWrites: boolean;
  /** The wrapper, once Bun opened the socket (an abort then terminates it). */
  socket: BunSocket | undefined;
  readonly resolve: (s: Socket) => void;
  readonly reject: (e: NetError) => void;
}

/** Per-listener context, the listener's `data` until each socket's wrapper replaces it. */
export interface AcceptContext {
  readonly onAccept: (s: Socket) => void;
  /** The listener's `onHandshakeError`. */
  readonly onHandshakeError: ((e: NetError, remote: Address | undefined) => void) | undefined;
  readonly tls: boolean;
  readonly askedForCert: boolean;
  readonly path: string | undefined;
  /** The network's `highWaterMarkBytes`. */
  readonly highWaterMarkBytes: number;
  /** The network's `coalesceWrites`. */
  readonly coalesceWrites: boolean;
}

/** The wrapper a native socket carries from `open` on. */
function wrapperOf(s: BunNativeSocket): BunSocket | undefined {
  return s.data instanceof BunSocket ? s.data : undefined;
}

/**
 * Handlers shared by both sides. Core handlers run inside them: an exception they throw is
 * rethrown from a microtask, so that Bun's `error` handler only ever sees socket errors.
 */
const COMMON = {
  binaryType: "uint8array" as const,
  data(s: BunNativeSocket, chunk: Uint8Array): void {
    try {
      wrapperOf(s)?.nativeData(chunk);
    } catch (e) {
      rethrowLater(e);
    }
  },
  end(s: BunNativeSocket): void {
    try {
      wrapperOf(s)?.nativeEnd();
    } catch (e) {
      rethrowLater(e);
    }
  },
  drain(s: BunNativeSocket): void {
    try {
      wrapperOf(s)?.nativeDrain();
    } catch (e) {
      rethrowLater(e);
    }
  },
  error(s: BunNativeSocket, err: Error): void {
    wrapperOf(s)?.nativeError(err);
  },
};

/**
 * The wrapper of a newly opened native socket. Bun reports no addresses on Unix sockets:
 * `unix` then gives the local one, when known (a listener's path).
 */
function wrap(
  s: BunNativeSocket,
  ctx: { readonly highWaterMarkBytes: number; readonly coalesceWrites: boolean },
  unix?: { readonly local?: Address },
): BunSocket {
  if (unix !== undefined) return new BunSocket(s, unix.local, undefined, ctx.highWaterMarkBytes, ctx.coalesceWrites);
  return new BunSocket(s, null, null, ctx.highWaterMarkBytes, ctx.coalesceWrites);
}

/** Calls the listener's `onAccept`, surfacing its exceptions like a handler's. */
function accept(ctx: AcceptContext, w: BunSocket): void {
  try {
    ctx.onAccept(w);
  } catch (e) {
    rethrowLater(e);
  }
}

/** Handlers of accepted sockets: reported on `open` (plain) or after the TLS handshake. */
export const SERVER_HANDLERS: BunHandlers = {
  ...COMMON,
  open(s) {
    const ctx = s.data as AcceptContext;
    const unix = ctx.path === undefined ? undefined : { local: { transport: "unix", path: ctx.path } as const };
    const w = wrap(s, ctx, unix);
    s.data = w;
    if (ctx.tls) {
      w.pending = ctx;
      return;
    }
    w.ready(undefined);
    accept(ctx, w);
  },
  handshake(s, ok, err) {
    const w = wrapperOf(s);
    const ctx = w?.pending as AcceptContext | undefined;
    if (w === undefined || ctx === undefined) return;
    if (!ok) {
      w.pending = undefined;
      w.abort();
      return handshakeFailed(ctx, w, err);
    }
    const name = s.getServername();
    w.ready(tlsInfo(s, typeof name === "string" ? name : undefined, ctx.askedForCert));
    accept(ctx, w);
  },
  close(s, err) {
    const w = wrapperOf(s);
    const ctx = w?.pending as AcceptContext | undefined;
    if (w !== undefined && ctx !== undefined) {
      // Closed before the handshake completed (garbage instead of a ClientHello, a client gone).
      w.pending = undefined;
      handshakeFailed(ctx, w, err ?? null);
    }
    try {
      w?.nativeClosed(err ?? undefined);
    } catch (e) {
      rethrowLater(e);
    }
  },
};

/** Tells the listener's owner that a handshake failed (`ListenOptions.onHandshakeError`). */
function handshakeFailed(ctx: AcceptContext, w: BunSocket, err: Error | null): void {
  const remote = w.remoteAddress;
  const where = `TLS handshake from ${describeAddress(remote)}`;
  const e = err === null ? netError("ETLS", `${where}: closed during the TLS handshake`) : toNetError(err, where);
  try {
    ctx.onHandshakeError?.(e.code === "EUNKNOWN" ? netError("ETLS", e.message, err) : e, remote);
  } catch (thrown) {
    rethrowLater(thrown);
  }
}

/** Handlers of connecting sockets: the connect settles on `open` (plain) or `handshake` (TLS). */
export const CLIENT_HANDLERS: BunHandlers = {
  ...COMMON,
  open(s) {
    const p = s.data as PendingConnect;
    const w = wrap(s, p, p.unix ? {} : undefined);
    s.data = w;
    w.pending = p;
    p.socket = w;
    if (p.settled) return w.abort();
    if (p.noDelay !== undefined) s.setNoDelay(p.noDelay);
    if (p.tls !== undefined) return;
    w.ready(undefined);
    if (p.preamble !== undefined) w.write(p.preamble);
    p.settled = true;
    p.resolve(w);
  },
  handshake(s, ok, err) {
    const w = wrapperOf(s);
    const p = w?.pending as PendingConnect | undefined;
    if (w === undefined || p === undefined) return;
    if (p.settled) return w.abort();
    p.settled = true;
    if (!ok) {
      w.pending = undefined;
      w.abort();
      return p.reject(handshakeError(err, p.tls?.verify ?? true));
    }
    // A client always asks for the server's certificate: `authorized` is reported.
    w.ready(tlsInfo(s, p.serverName, true));
    p.resolve(w);
  },
  close(s, err) {
    const w = wrapperOf(s);
    if (w === undefined) return;
    const p = w.pending as PendingConnect | undefined;
    if (p !== undefined && !p.settled) {
      p.settled = true;
      p.reject(
        err !== undefined
          ? toNetError(err, "bun TLS handshake")
          : netError("ETLS", "bun TLS handshake: connection closed"),
      );
    }
    try {
      w.nativeClosed(err ?? undefined);
    } catch (e) {
      rethrowLater(e);
    }
  },
  connectError(s, err) {
    const p = s.data as PendingConnect;
    if (p.settled) return;
    p.settled = true;
    p.reject(toNetError(err, "bun connect"));
  },
};
