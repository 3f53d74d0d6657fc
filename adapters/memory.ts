/**
 * An in-memory {@link Network}: listeners, connections, backpressure, half-close, resets and
 * connect faults, driven by an injectable {@link Clock} so that the core (stream interface,
 * retries, timeouts, queues, health checks) is tested deterministically with `FakeClock`,
 * without sockets or real time. It models TCP on loopback:
 *
 * - Each direction has the sender's queue (`bufferedAmount`, unbounded) and the receiver's
 *   buffer (at most `bufferBytes`). `write()` moves at once what fits into the receiver's
 *   buffer; a receiver that is paused or has no handlers yet stops taking bytes, so with buffer
 *   B and high-water mark H exactly B + H bytes are written with `write()` returning `true`,
 *   and the next byte returns `false`. `onDrain` follows once the queue is back to H or less.
 * - Chunk ownership: each byte is copied once, when it enters the receiver's buffer. Until then
 *   the queue holds views of the caller's chunks (the contract says the caller leaves them
 *   alone until written); a chunk given to `onData` is fresh memory that nothing writes again.
 *   Writes of one tick coalesce into chunks of at most `maxChunkBytes`, like TCP segments.
 * - Handlers run from microtasks, never inside a socket method; connect latency uses the
 *   clock's timers (latency 0 uses a microtask), so `await fakeClock.advance(0)` settles
 *   everything in flight.
 * - `close()` stops reading, flushes, sends EOF and closes. A socket that receives bytes after
 *   it closed answers with a reset, as a kernel does: the writer closes with `ECONNRESET`.
 *   `abort()` drops both queues and resets the peer. A socket closed by a reset still gets the
 *   bytes (and EOF) already in its buffer first, as on Linux, unless it is paused.
 *
 * Faults ({@link MemoryNetwork.refuse}, {@link MemoryNetwork.blackhole},
 * {@link MemoryNetwork.unreachable}, {@link MemoryNetwork.setLatency},
 * {@link MemoryNetwork.resetAll}) and probes ({@link MemoryNetwork.connections},
 * {@link MemoryNetwork.connectAttempts}, ...) let tests script servers that die, hang or reset.
 * There is no TLS; a connect's `preamble` (a PROXY header) is the connection's first bytes,
 * written before the connect resolves.
 *
 * @example
 * ```ts
 * import { createNetwork, FakeClock } from "@proxykit/proxykit/testing";
 * const clock = new FakeClock();
 * const net = createNetwork({ clock });
 * const server = { transport: "tcp", hostname: "10.0.0.1", port: 80 } as const;
 * net.blackhole(server); // connects to it now time out, through the core's AbortSignal
 * ```
 *
 * @module
 */
import { MemoryNetwork } from "./memory/network.ts";
import type { MemoryNetworkOptions } from "./memory/options.ts";
import { MemorySocket } from "./memory/socket.ts";
import type { NetworkOptions } from "./_options.ts";

export { MemoryNetwork, MemorySocket };
export type { MemoryNetworkOptions, NetworkOptions };

/** A network of its own: the way tests get one on a `FakeClock` or with small buffers. */
export function createNetwork(options?: MemoryNetworkOptions): MemoryNetwork {
  return new MemoryNetwork(options);
}

/** A shared in-memory network on the system clock; tests usually want {@link createNetwork}. */
export const network: MemoryNetwork = new MemoryNetwork();
