/**
 * The Node.js adapter: {@link Network} over `node:net` and `node:tls` (Node 24).
 *
 * Every socket is created half-open capable (`allowHalfOpen: true`: Node's default ends our
 * write side as soon as the peer's FIN is read). Reading is a paused Node stream until the
 * first `setHandlers()`, so data and EOF are held by Node itself and the kernel pushes back on
 * the peer. Chunks are the `Buffer`s Node allocates per read (never reused), handed over as
 * they come; listeners are bound once per socket. Node buffers writes without limit; its
 * writable high-water mark is set to `highWaterMarkBytes` + 1, so that its `write()` result
 * and `'drain'` are exactly the contract's (`false` once more than the mark is queued).
 *
 * Addresses are reported as the kernel gives them. A dual-stack `::` listener reports IPv4
 * peers as `::ffff:a.b.c.d` and its own side the same way: the pair is kept so both ends of a
 * PROXY header share a family; an IPv4 listener never sees mapped addresses.
 *
 * Node behaviours the core sees through this adapter (measured on Node 24.21; more in
 * `docs/runtimes.md`):
 * - A TLS server whose ALPN list shares nothing with the client's offer fails the handshake
 *   with a `no_application_protocol` alert (client: `ETLS`); HAProxy would go on without ALPN.
 * - TLS 1.3: a client refused for lack of a certificate connects, then closes with `ETLS`
 *   (the `certificate_required` alert follows the client's Finished message).
 * - A TLS peer that resets before the server's first read after the handshake is seen as
 *   EOF, not `ECONNRESET`: Node drops the error of its session-ticket write (strace: write
 *   → ECONNRESET, then read → 0).
 * - TLS listeners are `net.Server`s whose sockets go through one `tls.Server` that never
 *   listens (`node/tls_engine.ts`): the same code starts TLS after a PROXY header
 *   (`startServerTls`), and serves the Deno and Bun adapters where their native TLS falls short.
 * - `abort()` on TLS sends a reset through an internal flag (see `NodeSocket.abort`); under
 *   Deno's and Bun's `node:tls` layers it degrades to a FIN.
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/node";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 *
 * @module
 */
import type { Network } from "../src/net.ts";
import { highWaterMarkBytes, type NetworkOptions } from "./_options.ts";
import { CAPABILITIES } from "./node/capabilities.ts";
import { connect } from "./node/connect.ts";
import { systemResolve } from "./_resolve.ts";
import { openDatagram } from "./_datagram.ts";
import { listen, startServerTls } from "./node/listen.ts";
import { writeSettings } from "./node/socket.ts";
import { removeStaleUnixSocket } from "./_unix_stale.ts";

export type { NetworkOptions };

/**
 * Builds a Node network. Stateless: networks with the same options behave the same.
 *
 * @throws {RangeError} when `highWaterMarkBytes` is not an integer >= 0.
 */
export function createNetwork(options: NetworkOptions = {}): Network {
  const writes = writeSettings(highWaterMarkBytes(options), options.coalesceWrites ?? true);
  return {
    name: "node",
    capabilities: CAPABILITIES,
    listen: async (o) => {
      await removeStaleUnixSocket(o.address);
      return await listen(o, writes);
    },
    connect: (o) => connect(o, writes),
    resolve: systemResolve,
    openDatagram,
    startServerTls,
  };
}

/** The Node network (`node:net` / `node:tls`) with default options. */
export const network: Network = createNetwork();
