/**
 * The Deno adapter: {@link Network} over `Deno.listen`, `Deno.connect`, `Deno.listenTls`,
 * `Deno.connectTls` and `Deno.startTls` (Deno 2.9).
 *
 * Each socket runs one read loop (`conn.read()` into a buffer it then hands over, turned into
 * `onData`) and one write pump (Deno's `write()` is a promise that may resolve a partial
 * count), so the bulk path costs one read and one write promise per chunk, no Web Streams
 * (measured on Deno 2.9: a plain read/write loop moves 1.56× the bytes of
 * `readable.pipeTo(writable)`). What Deno's native API cannot do is declared in the
 * capabilities with its reason (`docs/runtimes.md`).
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
import { CAPABILITIES } from "./deno/capabilities.ts";
import { connect } from "./deno/connect.ts";
import { plainPreamble } from "./_preamble.ts";
import { systemResolve } from "./_resolve.ts";
import { bind } from "./deno/listen.ts";

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
  return {
    name: "deno",
    capabilities: CAPABILITIES,
    // The executor turns a throw from bind() into a rejection.
    listen: (o) => new Promise<Listener>((resolve) => resolve(bind(o, hwm, hsMs))),
    connect: (o) => plainPreamble(o, connect(o, hwm)),
    resolve: systemResolve,
  };
}

/** The Deno network with default options. */
export const network: Network = createNetwork();

export type { NetworkOptions };
