/**
 * The Deno adapter: {@link Network} over `Deno.listen`, `Deno.connect`, `Deno.listenTls`,
 * `Deno.connectTls` and `Deno.startTls` (Deno 2.9).
 *
 * Each socket runs one read loop (`conn.read()` into a buffer it then hands over, turned into
 * `onData`) and one write pump (Deno's `write()` is a promise that may resolve a partial
 * count), so the bulk path costs one read and one write promise per chunk, no Web Streams
 * (DESIGN.md "Push and callbacks, not Web Streams"). What Deno's native API cannot do is
 * declared in the capabilities with its reason (RUNTIMES.md, Deno rows).
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/deno";
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
  Network,
  Socket,
  TlsInfo,
} from "../src/net.ts";
import { netError, toNetError } from "./_errors.ts";
import { closeQuietly, type DenoAddr, type DenoConn, DenoSocket, toAddress } from "./_deno_socket.ts";

// Minimal hand-written view of the Deno APIs used here, so that `tsc` (no Deno types) checks
// this file; `deno check` sees the same shapes (connections: `_deno_socket.ts`).
interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoTlsClientOptions {
  hostname: string;
  caCerts?: string[];
  alpnProtocols?: string[];
  unsafelyDisableHostnameVerification?: boolean;
}
interface DenoLike {
  readonly build: { readonly os: string };
  readonly listenDatagram?: unknown;
  listen(
    o: { transport: "unix"; path: string } | {
      hostname: string;
      port: number;
      tcpBacklog?: number;
      reusePort?: boolean;
    },
  ): DenoListener;
  listenTls(
    o: {
      hostname: string;
      port: number;
      cert: string;
      key: string;
      alpnProtocols?: string[];
      tcpBacklog?: number;
      reusePort?: boolean;
    },
  ): DenoListener;
  connect(
    o: { transport: "unix"; path: string } | { hostname: string; port: number; signal?: AbortSignal },
  ): Promise<DenoConn>;
  connectTls(o: DenoTlsClientOptions & { port: number; cert?: string; key?: string }): Promise<DenoConn>;
  startTls(conn: DenoConn, o: DenoTlsClientOptions): Promise<DenoConn>;
}
const D = (globalThis as unknown as { Deno: DenoLike }).Deno;

/** `write()` returns `false` above this many queued bytes (Node's default high-water mark). */
const DEFAULT_HIGH_WATER_MARK = 65536;
/** As Node's `tls.Server` `handshakeTimeout`. */
const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 120_000;
/** Pause after a failed `accept()` (EMFILE...), as HAProxy pauses a listener out of descriptors. */
const ACCEPT_RETRY_MS = 100;
/** `accept()` error codes that concern one connection only: accept the next one at once. */
const DIED_IN_QUEUE: ReadonlySet<unknown> = new Set(["ECONNABORTED", "ECONNRESET", "ENOTCONN"]);

/**
 * `reusePort` is gated behind `--unstable-net` (without it Deno ends the process, exit 70,
 * which no try/catch can stop); `Deno.listenDatagram` exists only under that same flag.
 */
const REUSE_PORT = D !== undefined && typeof D.listenDatagram === "function" && D.build.os === "linux";

/** What Deno 2.9's native socket and TLS API can do (RUNTIMES.md, measured). */
const CAPABILITIES: NetCapabilities = {
  unix: true,
  ipv6: true,
  tlsClient: true,
  tlsServer: true,
  tlsSniMultiCert: false,
  tlsServerClientAuth: false,
  tlsServerUpgrade: false,
  tlsPeerInfo: false,
  keepAliveDelay: false,
  reusePort: REUSE_PORT,
  abortSendsReset: false,
  distinguishesUnreachable: true,
  notes: {
    tlsSniMultiCert: "Deno.listenTls uses only its first certificate and cannot read the client's SNI",
    tlsServerClientAuth: "Deno.listenTls has no option to request or verify client certificates",
    tlsServerUpgrade: "Deno.startTls is client-only, so TLS cannot start after a PROXY header",
    tlsPeerInfo: "Deno's TlsConn exposes only the ALPN protocol (no peer certificate, no TLS version)",
    keepAliveDelay: "TcpConn.setKeepAlive takes no delay (kernel default, 2 h); TlsConn has no setKeepAlive",
    abortSendsReset: "Deno cannot set SO_LINGER: abort() closes with a FIN, the peer sees an orderly EOF",
    ...(REUSE_PORT ? {} : { reusePort: "Deno.listen({ reusePort }) needs --unstable-net and Linux" }),
  },
};

/** Options of {@link createNetwork}. */
export interface DenoNetworkOptions {
  /**
   * Queued bytes above which `write()` returns `false` (`onDrain` follows once the queue is
   * back at or below it).
   * @default 65536
   */
  readonly highWaterMarkBytes?: number;
  /**
   * Milliseconds an accepted TLS connection has to complete its handshake before the adapter
   * gives up on it (the core only sees connections whose handshake completed). Deno closes a
   * TlsConn only after its handshake ends, so the descriptor itself lives until the client
   * completes or closes (rustls-tokio-stream awaits the handshake before dropping the socket).
   * @default 120000
   */
  readonly tlsHandshakeTimeoutMs?: number;
}

/**
 * Creates the Deno {@link Network}. Capabilities reflect the running process: `reusePort` is
 * true only with `--unstable-net` on Linux.
 *
 * @throws {RangeError} when an option is not a positive number.
 */
export function createNetwork(options: DenoNetworkOptions = {}): Network {
  const hwm = positive("highWaterMarkBytes", options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK);
  const hsMs = positive("tlsHandshakeTimeoutMs", options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS);
  return {
    name: "deno",
    capabilities: CAPABILITIES,
    // The executor turns a throw from bind() into a rejection.
    listen: (o) => new Promise<Listener>((resolve) => resolve(bind(o, hwm, hsMs))),
    connect: (o) => connect(o, hwm),
  };
}

/** The Deno network with default options. */
export const network: Network = createNetwork();

function positive(name: string, v: number): number {
  if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

function describe(a: Address): string {
  return a.transport === "unix"
    ? a.path
    : a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
}

/** A bound Deno listener and its accept loop. */
class DenoListenerHandle implements Listener {
  readonly address: Address;
  readonly #listener: DenoListener;
  readonly #options: ListenOptions;
  readonly #hwm: number;
  readonly #hsMs: number;
  /** Accepted TLS connections still in their handshake. */
  readonly #handshaking = new Set<DenoConn>();
  readonly #loop: Promise<void>;
  #closed = false;

  constructor(listener: DenoListener, options: ListenOptions, hwm: number, hsMs: number) {
    this.#listener = listener;
    this.#options = options;
    this.#hwm = hwm;
    this.#hsMs = hsMs;
    this.address = toAddress(listener.addr) ?? options.address;
    this.#loop = this.#acceptLoop();
  }

  /**
   * Resolves once the pending `accept()` has settled: Deno keeps the port bound until then.
   * Connections still in their TLS handshake are closed; no `onAccept` follows.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      for (const conn of this.#handshaking) closeQuietly(conn);
      this.#handshaking.clear();
    }
    return this.#loop;
  }

  async #acceptLoop(): Promise<void> {
    const tls = this.#options.tls !== undefined;
    for (;;) {
      let conn: DenoConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        const { name, code } = err as { name?: string; code?: unknown };
        if (this.#closed || name === "BadResource" || name === "Interrupted") return;
        // A connection that died in the queue costs nothing (Deno reports one reset before
        // its peer address was read as ENOTCONN); anything else (EMFILE...) would fail again
        // at once, so wait a little.
        if (!DIED_IN_QUEUE.has(code)) await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      if (this.#closed) return closeQuietly(conn);
      if (tls) void this.#secure(conn);
      else this.#deliver(conn, undefined);
    }
  }

  /** Completes the server handshake before `onAccept`, so `tls.alpnProtocol` is known. */
  async #secure(conn: DenoConn): Promise<void> {
    this.#handshaking.add(conn);
    const timer = setTimeout(closeQuietly, this.#hsMs, conn);
    let alpn: string | null;
    try {
      alpn = (await conn.handshake!()).alpnProtocol ?? null;
    } catch {
      // A failed handshake is the client's problem; the core never sees the connection.
      return closeQuietly(conn);
    } finally {
      clearTimeout(timer);
      this.#handshaking.delete(conn);
    }
    if (this.#closed) return closeQuietly(conn);
    this.#deliver(conn, { alpnProtocol: alpn });
  }

  #deliver(conn: DenoConn, tls: TlsInfo | undefined): void {
    const socket = new DenoSocket(conn, tls, this.#hwm);
    try {
      this.#options.onAccept(socket);
    } catch (err) {
      // A throwing onAccept is a bug to surface, but it must not stop the accept loop.
      socket.abort();
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/** Binds synchronously (Deno's listen calls are sync); throws a `NetError`. */
function bind(options: ListenOptions, hwm: number, hsMs: number): Listener {
  const { address, tls } = options;
  const where = `listen ${describe(address)}`;
  if (options.reusePort === true && !REUSE_PORT) {
    throw netError("EUNKNOWN", `${where}: ${CAPABILITIES.notes["reusePort"]}`);
  }
  if (tls !== undefined) {
    const why = tls.certificates.length !== 1
      ? `exactly one certificate is supported (${CAPABILITIES.notes["tlsSniMultiCert"]})`
      : tls.requestClientCert === true || tls.requireClientCert === true
      ? CAPABILITIES.notes["tlsServerClientAuth"]
      : address.transport === "unix"
      ? "Deno.listenTls listens on TCP only"
      : undefined;
    if (why !== undefined) throw netError("ETLS", `${where}: ${why}`);
  }
  let listener: DenoListener;
  try {
    if (address.transport === "unix") {
      listener = D.listen({ transport: "unix", path: address.path });
    } else {
      const o = {
        hostname: address.hostname,
        port: address.port,
        ...(options.backlog !== undefined ? { tcpBacklog: options.backlog } : {}),
        ...(options.reusePort === true ? { reusePort: true } : {}),
      };
      const cert = tls?.certificates[0];
      listener = tls === undefined || cert === undefined ? D.listen(o) : D.listenTls({
        ...o,
        cert: cert.cert,
        key: cert.key,
        ...(tls.alpnProtocols !== undefined ? { alpnProtocols: [...tls.alpnProtocols] } : {}),
      });
    }
  } catch (err) {
    throw toNetError(err, where);
  }
  return new DenoListenerHandle(listener, options, hwm, hsMs);
}

/** Rejects when `signal` aborts; a value `p` delivers after that is handed to `discard`. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, discard: (v: T) => void): Promise<T> {
  if (signal === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) discard(v);
        else resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|.*:.*)$/;

async function connect(options: ConnectOptions, hwm: number): Promise<Socket> {
  const { address, tls, signal } = options;
  const where = `connect ${describe(address)}`;
  if (signal?.aborted === true) throw netError("ECANCELED", `${where}: aborted`, signal.reason);
  if (address.transport === "unix" && tls !== undefined) {
    throw netError("ETLS", `${where}: Deno starts TLS on TCP connections only`);
  }
  const hostname = address.transport === "tcp" ? address.hostname : "";
  const serverName = tls?.serverName ?? (IP_LITERAL.test(hostname) ? undefined : hostname);
  const withCert = tls !== undefined && (tls.cert !== undefined || tls.key !== undefined);
  if (withCert && serverName !== undefined && serverName !== hostname) {
    // Only connectTls takes a client certificate, and its SNI is the name it dials.
    throw netError("ETLS", `${where}: Deno cannot send a client certificate with an SNI name other than the address`);
  }
  let conn: DenoConn | undefined;
  try {
    if (address.transport === "unix") {
      conn = await abortable(D.connect({ transport: "unix", path: address.path }), signal, closeQuietly);
      return new DenoSocket(conn, undefined, hwm);
    }
    const { port } = address;
    const withSignal = signal !== undefined ? { signal } : {};
    if (tls === undefined) {
      conn = await abortable(D.connect({ hostname, port, ...withSignal }), signal, closeQuietly);
      if (options.noDelay !== undefined) conn.setNoDelay?.(options.noDelay);
      return new DenoSocket(conn, undefined, hwm);
    }
    // Deno has no "skip chain verification": verify:false only skips the name check.
    const common: DenoTlsClientOptions = {
      hostname: serverName ?? hostname,
      ...(tls.caCerts !== undefined ? { caCerts: [...tls.caCerts] } : {}),
      ...(tls.alpnProtocols !== undefined ? { alpnProtocols: [...tls.alpnProtocols] } : {}),
      ...(tls.verify === false ? { unsafelyDisableHostnameVerification: true } : {}),
    };
    if (withCert) {
      const pem = {
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
      };
      conn = await abortable(D.connectTls({ ...common, hostname, port, ...pem }), signal, closeQuietly);
    } else {
      // connect + startTls: the connect honours the signal, Nagle is set on the TCP socket
      // (TlsConn has no setNoDelay), and the SNI may differ from the address.
      const tcp = await abortable(D.connect({ hostname, port, ...withSignal }), signal, closeQuietly);
      conn = tcp;
      if (options.noDelay !== undefined) tcp.setNoDelay?.(options.noDelay);
      conn = await D.startTls(tcp, common);
    }
    const info = await abortable(conn.handshake!(), signal, () => {});
    const tlsInfo: TlsInfo = {
      alpnProtocol: info.alpnProtocol ?? null,
      ...(serverName !== undefined ? { serverName } : {}),
    };
    return new DenoSocket(conn, tlsInfo, hwm);
  } catch (err) {
    if (conn !== undefined) closeQuietly(conn);
    // The signal may have aborted while awaiting; TS keeps the narrowing from the top.
    if ((signal as AbortSignal | undefined)?.aborted === true) throw netError("ECANCELED", `${where}: aborted`, err);
    throw toNetError(err, where);
  }
}
