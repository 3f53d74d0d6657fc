/**
 * The Bun adapter: {@link Network} over `Bun.listen` / `Bun.connect` (Bun 1.4).
 *
 * Bun's socket handlers are given per listen/connect call and receive the native socket, so
 * each native socket carries its {@link BunSocket} (`adapters/_bun_socket.ts`) in
 * `socket.data`, and one shared handler table per side forwards to it. Quirks handled here
 * (RUNTIMES.md, Bun rows; re-measured with Bun 1.4.5):
 * - `allowHalfOpen: true` on both sides, or Bun closes the socket after the peer's FIN.
 * - Pausing a TLS socket before its handshake stalls the handshake: TLS sockets pause once
 *   it is done and are handed out only then (`Bun.connect` itself resolves before it).
 * - Each `data` chunk is a fresh `Uint8Array` over its own memory (checked by
 *   `tests/adapters/bun_test.ts`), so chunks are passed on without copying.
 * - `Bun.connect` has no timeout or abort: the signal rejects at once and a socket that opens
 *   later is terminated. Unreachable hosts are reported as `ECONNREFUSED`.
 * - TLS verification failures arrive through `handshake(socket, false, err)` with Node-style
 *   codes; an established session failing goes to `error`, then `close` without an error.
 * - ALPN lists must be wire format; without `serverName` Bun sends an IP literal as SNI
 *   (RFC 6066 forbids it), while `serverName: ""` sends none and still verifies the address.
 * - `Bun.listen` takes one certificate and no accept backlog (`backlog` is ignored).
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/bun";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 *
 * @module
 */
import type {
  Address,
  ConnectOptions,
  Listener,
  ListenOptions,
  NetCapabilities,
  NetError,
  Network,
  Socket,
  TlsClientOptions,
} from "../src/net.ts";
import { netError, toNetError } from "./_errors.ts";
import { BunSocket } from "./_bun_socket.ts";
import type { BunNativeSocket } from "./_bun_socket.ts";
import { clientTls, handshakeError, serverTls, tlsInfo } from "./_bun_tls.ts";
import type { BunTlsOptions } from "./_bun_tls.ts";

// Minimal hand-written view of the Bun API used here (the socket is in `_bun_socket.ts`), so
// that `tsc` (no Bun types) checks this file.
/** The handler table of `Bun.listen` / `Bun.connect`; `binaryType` picks plain `Uint8Array`s. */
interface BunHandlers {
  binaryType: "uint8array";
  open(s: BunNativeSocket): void;
  handshake(s: BunNativeSocket, ok: boolean, err: Error | null): void;
  data(s: BunNativeSocket, chunk: Uint8Array): void;
  end(s: BunNativeSocket): void;
  drain(s: BunNativeSocket): void;
  close(s: BunNativeSocket, err?: Error): void;
  error(s: BunNativeSocket, err: Error): void;
  connectError?(s: BunNativeSocket, err: Error): void;
}
/** Options shared by `Bun.listen` and `Bun.connect`. */
interface BunEndpoint {
  hostname?: string;
  port?: number;
  unix?: string;
  allowHalfOpen: true;
  socket: BunHandlers;
  data: unknown;
  tls?: BunTlsOptions;
}
/** What `Bun.listen` returns. */
interface BunListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}
/** The `Bun` global. */
interface BunLike {
  listen(o: BunEndpoint & { reusePort?: boolean }): BunListener;
  connect(o: BunEndpoint): Promise<BunNativeSocket>;
}
const bun = (): BunLike => (globalThis as unknown as { Bun: BunLike }).Bun;

/** What Bun can do (RUNTIMES.md, Bun column). */
const CAPABILITIES: NetCapabilities = Object.freeze({
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: false,
  tlsServerClientAuth: true,
  tlsServerUpgrade: false,
  tlsPeerInfo: true,
  keepAliveDelay: true,
  reusePort: true,
  // `terminate()` sets SO_LINGER 0: the peer's `close` handler gets ECONNRESET (measured).
  abortSendsReset: true,
  distinguishesUnreachable: false,
  notes: Object.freeze({
    tlsSniMultiCert: "Bun.listen takes one certificate (a `tls` array throws `TLSOptions must be an object`)",
    tlsServerUpgrade:
      "upgradeTLS({ isServer }) exists, but bytes read past a PROXY header cannot be handed back to TLS",
    distinguishesUnreachable: "Bun reports EHOSTUNREACH and ENETUNREACH as ECONNREFUSED",
  }),
});

/** A core handler threw inside a Bun handler: surface it as an uncaught error, like Node. */
function rethrow(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** A connect in progress, kept in `socket.data` until the wrapper exists. */
interface PendingConnect {
  settled: boolean;
  readonly tls: TlsClientOptions | undefined;
  readonly serverName: string | undefined;
  readonly noDelay: boolean | undefined;
  /** A Unix socket: no addresses are reported (RUNTIMES.md Q2). */
  readonly unix: boolean;
  /** The wrapper, once Bun opened the socket (an abort then terminates it). */
  socket: BunSocket | undefined;
  readonly resolve: (s: Socket) => void;
  readonly reject: (e: NetError) => void;
}

/** Per-listener context, the listener's `data` until each socket's wrapper replaces it. */
interface AcceptContext {
  readonly onAccept: (s: Socket) => void;
  readonly tls: boolean;
  readonly askedForCert: boolean;
  readonly path: string | undefined;
}

/** A TCP address from Bun's socket fields, `undefined` when Bun reports none. */
function tcpAddress(hostname: string | undefined, port: number | undefined): Address | undefined {
  return hostname === undefined || port === undefined ? undefined : { transport: "tcp", hostname, port };
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
      rethrow(e);
    }
  },
  end(s: BunNativeSocket): void {
    try {
      wrapperOf(s)?.nativeEnd();
    } catch (e) {
      rethrow(e);
    }
  },
  drain(s: BunNativeSocket): void {
    try {
      wrapperOf(s)?.nativeDrain();
    } catch (e) {
      rethrow(e);
    }
  },
  error(s: BunNativeSocket, err: Error): void {
    wrapperOf(s)?.nativeError(err);
  },
};

/** Calls the listener's `onAccept`, surfacing its exceptions like a handler's. */
function accept(ctx: AcceptContext, w: BunSocket): void {
  try {
    ctx.onAccept(w);
  } catch (e) {
    rethrow(e);
  }
}

/** Handlers of accepted sockets: reported on `open` (plain) or after the TLS handshake. */
const SERVER_HANDLERS: BunHandlers = {
  ...COMMON,
  open(s) {
    const ctx = s.data as AcceptContext;
    const w = ctx.path !== undefined
      ? new BunSocket(s, { transport: "unix", path: ctx.path }, undefined)
      : new BunSocket(s, tcpAddress(s.localAddress, s.localPort), tcpAddress(s.remoteAddress, s.remotePort));
    s.data = w;
    if (ctx.tls) {
      w.pending = ctx;
      return;
    }
    w.ready(undefined);
    accept(ctx, w);
  },
  handshake(s, ok) {
    const w = wrapperOf(s);
    const ctx = w?.pending as AcceptContext | undefined;
    if (w === undefined || ctx === undefined) return;
    if (!ok) {
      // A refused client certificate, or a client gone mid-handshake: never reported.
      w.pending = undefined;
      return w.abort();
    }
    const name = s.getServername();
    w.ready(tlsInfo(s, typeof name === "string" ? name : undefined, ctx.askedForCert));
    accept(ctx, w);
  },
  close(s, err) {
    try {
      wrapperOf(s)?.nativeClosed(err ?? undefined);
    } catch (e) {
      rethrow(e);
    }
  },
};

/** Handlers of connecting sockets: the connect settles on `open` (plain) or `handshake` (TLS). */
const CLIENT_HANDLERS: BunHandlers = {
  ...COMMON,
  open(s) {
    const p = s.data as PendingConnect;
    const w = p.unix
      ? new BunSocket(s, undefined, undefined)
      : new BunSocket(s, tcpAddress(s.localAddress, s.localPort), tcpAddress(s.remoteAddress, s.remotePort));
    s.data = w;
    w.pending = p;
    p.socket = w;
    if (p.settled) return w.abort();
    if (p.noDelay !== undefined) s.setNoDelay(p.noDelay);
    if (p.tls !== undefined) return;
    w.ready(undefined);
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
      rethrow(e);
    }
  },
  connectError(s, err) {
    const p = s.data as PendingConnect;
    if (p.settled) return;
    p.settled = true;
    p.reject(toNetError(err, "bun connect"));
  },
};

/** The address part of Bun's listen/connect options. */
function endpoint(address: Address): { hostname: string; port: number } | { unix: string } {
  return address.transport === "unix" ? { unix: address.path } : { hostname: address.hostname, port: address.port };
}

/** Binds with `Bun.listen`; its synchronous errors (`EADDRINUSE`, ...) become rejections. */
function listen(options: ListenOptions): Promise<Listener> {
  const { address } = options;
  try {
    const ctx: AcceptContext = {
      onAccept: options.onAccept,
      tls: options.tls !== undefined,
      askedForCert: options.tls?.requestClientCert ?? false,
      path: address.transport === "unix" ? address.path : undefined,
    };
    const l = bun().listen({
      ...endpoint(address),
      allowHalfOpen: true,
      socket: SERVER_HANDLERS,
      data: ctx,
      ...(options.reusePort === true ? { reusePort: true } : {}),
      ...(options.tls !== undefined ? { tls: serverTls(options.tls) } : {}),
    });
    let closed = false;
    const bound: Address = address.transport === "unix"
      ? address
      : { transport: "tcp", hostname: address.hostname, port: l.port };
    return Promise.resolve({
      address: bound,
      close(): Promise<void> {
        if (!closed) {
          closed = true;
          // Stops accepting and releases the port now; accepted sockets live on.
          l.stop(false);
        }
        return Promise.resolve();
      },
    });
  } catch (e) {
    return Promise.reject(e instanceof RangeError ? e : toNetError(e, `bun listen ${JSON.stringify(address)}`));
  }
}

/** Connects with `Bun.connect`; settles on `open`, or after the handshake for TLS. */
function connect(options: ConnectOptions): Promise<Socket> {
  const { address, signal } = options;
  if (signal?.aborted) {
    return Promise.reject(netError("ECANCELED", "bun connect: aborted before it started", signal.reason));
  }
  return new Promise<Socket>((resolve, reject) => {
    let tls: BunTlsOptions | undefined;
    try {
      tls = options.tls !== undefined ? clientTls(options.tls, address) : undefined;
    } catch (e) {
      return reject(e);
    }
    const onAbort = (): void => {
      if (p.settled) return;
      p.settled = true;
      reject(netError("ECANCELED", "bun connect: aborted", signal?.reason));
      // Bun's connect cannot be cancelled: a socket that already opened is dropped now, a
      // later one on `open`.
      p.socket?.abort();
    };
    const p: PendingConnect = {
      settled: false,
      tls: options.tls,
      serverName: tls?.serverName,
      noDelay: options.noDelay,
      unix: address.transport === "unix",
      socket: undefined,
      resolve: (s) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      },
      reject: (e) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      bun()
        .connect({
          ...endpoint(address),
          allowHalfOpen: true,
          socket: CLIENT_HANDLERS,
          data: p,
          ...(tls !== undefined ? { tls } : {}),
        })
        .then(
          () => {},
          (e: unknown) => {
            if (p.settled) return;
            p.settled = true;
            p.reject(toNetError(e, "bun connect"));
          },
        );
    } catch (e) {
      p.settled = true;
      p.reject(toNetError(e, "bun connect"));
    }
  });
}

/** A new {@link Network} over Bun's native sockets. */
export function createNetwork(): Network {
  return { name: "bun", capabilities: CAPABILITIES, listen, connect };
}

/**
 * The Bun network: `Bun.listen` / `Bun.connect` behind the adapter contract.
 *
 * Capabilities: everything but several certificates per TLS listener, server-side TLS upgrade
 * and telling unreachable hosts from refusals (see `capabilities.notes`).
 */
export const network: Network = createNetwork();
