/**
 * The Deno adapter: {@link Network} over `Deno.listen`, `Deno.connect`, `Deno.listenTls`,
 * `Deno.connectTls` and `Deno.startTls` (Deno 2.9).
 *
 * Each socket runs one read loop (`conn.read()` into a buffer it then hands over, turned into
 * `onData`) and one write pump (Deno's `write()` is a promise that may resolve a partial
 * count), so the bulk path costs one read and one write promise per chunk, no Web Streams
 * (measured on Deno 2.9: a plain read/write loop moves 1.56× the bytes of
 * `readable.pipeTo(writable)`). What Deno's native TLS cannot do (several certificates by SNI,
 * client certificates, `strictSni`, TLS 1.3 only, TLS after a PROXY header, reload; on the
 * client side a name to verify other than the SNI, `verify: false`, TLS 1.3 only) goes through
 * Deno's `node:tls` layer, running the Node adapter's code (`adapters/_tls_route.ts`);
 * what remains is declared in the capabilities with its reason (`docs/runtimes.md`).
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/deno";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 *
 * @module
 */
import type { Listener, Network } from "../src/net.ts";
import { highWaterMarkBytes, integerOption, type NetworkOptions } from "./_options.ts";
import { CAPABILITIES, capabilities } from "./deno/capabilities.ts";
import { connect } from "./deno/connect.ts";
import { systemResolve } from "./_resolve.ts";
import { openDatagram } from "./_datagram.ts";
import { bind } from "./deno/listen.ts";
import { startServerTls } from "./node/listen.ts";

/** As Node's `tls.Server` `handshakeTimeout`. */
const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 120_000;

/** Options of {@link createNetwork}: the shared ones and Deno's own. */
export interface DenoNetworkOptions extends NetworkOptions {
  /**
   * Milliseconds an accepted TLS connection has to complete its handshake before the adapter
   * gives up on it (the core only sees connections whose handshake completed). Deno closes a
   * TlsConn only after its handshake ends, so the descriptor itself lives until the client
   * completes or closes (rustls-tokio-stream awaits the handshake before dropping the socket).
   * @default 120000
   */
  readonly tlsHandshakeTimeoutMs?: number;
  /**
   * Serve every TLS listener through Deno's `node:tls` layer, also those `Deno.listenTls` could
   * serve (one certificate, no client certificate, not deferred): their sockets then report
   * the TLS version, cipher and resumption, and {@link Listener.setTls} works on them. Listeners
   * that need more always go that way (`docs/runtimes.md`, Deno: what it costs).
   * @default false
   */
  readonly nodeTls?: boolean;
}

/**
 * Creates the Deno {@link Network}. Capabilities reflect the running process: `reusePort` is
 * true only with `--unstable-net` on Linux.
 *
 * @throws {RangeError} when `highWaterMarkBytes` is not an integer >= 0 or
 * `tlsHandshakeTimeoutMs` not an integer >= 1.
 */
export function createNetwork(options: DenoNetworkOptions = {}): Network {
  const hwm = highWaterMarkBytes(options);
  const hsMs = integerOption(
    "tlsHandshakeTimeoutMs",
    options.tlsHandshakeTimeoutMs,
    DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    1,
  );
  const nodeTls = options.nodeTls ?? false;
  return {
    name: "deno",
    capabilities: nodeTls ? capabilities(true) : CAPABILITIES,
    // The executor turns a throw from bind() into a rejection.
    listen: (o) => new Promise<Listener>((resolve) => resolve(bind(o, hwm, hsMs, nodeTls))),
    connect: (o) => connect(o, hwm),
    resolve: systemResolve,
    openDatagram,
    startServerTls,
  };
}

/** The Deno network with default options. */
export const network: Network = createNetwork();

export type { NetworkOptions };
