/**
 * The Bun adapter: {@link Network} over `Bun.listen` / `Bun.connect` (Bun 1.4).
 *
 * Each native socket carries its {@link Socket} wrapper (`bun/socket.ts`) in `socket.data`,
 * and one shared handler table per side forwards to it (`bun/handlers.ts`). Quirks handled
 * (measured with Bun 1.4.5; `docs/runtimes.md`):
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
 * - `write()` keeps nothing it did not take, and a TLS close must let Bun send what it holds
 *   (`bun/socket.ts`).
 * - `Bun.listen` takes one certificate and no accept backlog (`backlog` is ignored). TLS
 *   listeners it cannot serve (several certificates, client certificates, `strictSni`, TLS
 *   after a PROXY header) and TLS connects it cannot make (a bytes-first preamble, a name to
 *   verify other than the SNI, the chain alone) run on Bun's `node:tls` layer with the Node
 *   adapter's code (`adapters/_tls_route.ts`).
 *
 * @example
 * ```ts
 * import { network } from "@proxykit/proxykit/bun";
 * const sock = await network.connect({ address: { transport: "tcp", hostname: "127.0.0.1", port: 80 } });
 * ```
 *
 * @module
 */
import type { Network } from "../src/net.ts";
import { highWaterMarkBytes, type NetworkOptions } from "./_options.ts";
import { CAPABILITIES, capabilities } from "./bun/capabilities.ts";
import { connect } from "./bun/connect.ts";
import { systemResolve } from "./_resolve.ts";
import { openDatagram } from "./_datagram.ts";
import { listen } from "./bun/listen.ts";
import { startServerTls } from "./node/listen.ts";
import { removeStaleUnixSocket } from "./_unix_stale.ts";

export type { NetworkOptions };

/**
 * A new {@link Network} over Bun's native sockets.
 *
 * @throws {RangeError} when `highWaterMarkBytes` is not an integer >= 0.
 */
export function createNetwork(options: BunNetworkOptions = {}): Network {
  const hwm = highWaterMarkBytes(options);
  const coalesce = options.coalesceWrites ?? true;
  const nodeTls = options.nodeTls ?? false;
  return {
    name: "bun",
    capabilities: nodeTls ? capabilities(true) : CAPABILITIES,
    listen: async (o) => {
      await removeStaleUnixSocket(o.address);
      return await listen(o, hwm, nodeTls, coalesce);
    },
    connect: (o) => connect(o, hwm, coalesce),
    resolve: systemResolve,
    openDatagram,
    startServerTls,
  };
}

/** Options of {@link createNetwork}: the shared ones and Bun's own. */
export interface BunNetworkOptions extends NetworkOptions {
  /**
   * Serve every TLS listener through Bun's `node:tls` layer, also those `Bun.listen` could
   * serve (one certificate, no client certificate, not deferred): {@link Listener.setTls} then
   * works on them. Listeners that need more always go that way (`docs/runtimes.md`, Bun: what
   * it costs).
   * @default false
   */
  readonly nodeTls?: boolean;
}

/**
 * The Bun network with default options: `Bun.listen` / `Bun.connect` behind the adapter
 * contract.
 *
 * Capabilities: everything but telling unreachable hosts from refusals, and `setTls()` on the
 * listeners `Bun.listen` serves (see `capabilities.notes`).
 */
export const network: Network = createNetwork();
