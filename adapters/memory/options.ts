/**
 * The in-memory network's options and capabilities.
 *
 * @module
 */
import type { NetCapabilities } from "../../src/net.ts";
import type { Clock } from "../../src/clock.ts";
import type { NetworkOptions } from "../_options.ts";

/** Receive buffer per direction: the order of a Linux loopback socket's receive buffer. */
export const DEFAULT_BUFFER_BYTES = 256 * 1024;
/** As the read size of the runtimes' socket loops. */
export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;
export const NO_TLS = "the in-memory network has no TLS";
/** No TLS; everything else is modelled. */
export const CAPABILITIES: NetCapabilities = {
  unix: true,
  ipv6: true,
  tlsClient: false,
  tlsServer: false,
  tlsSniMultiCert: false,
  tlsServerClientAuth: false,
  tlsServerUpgrade: false,
  tlsPeerInfo: false,
  tlsReload: false,
  tlsClientNoVerify: false,
  keepAliveDelay: true,
  reusePort: true,
  abortSendsReset: true,
  distinguishesUnreachable: true,
  notes: Object.fromEntries(
    [
      "tlsClient",
      "tlsServer",
      "tlsSniMultiCert",
      "tlsServerClientAuth",
      "tlsServerUpgrade",
      "tlsPeerInfo",
      "tlsReload",
      "tlsClientNoVerify",
    ].map((
      k,
    ) => [k, NO_TLS]),
  ),
};

/** Options of {@link createNetwork}. */
export interface MemoryNetworkOptions extends NetworkOptions {
  /**
   * Drives connect latency (`FakeClock` in tests).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * Receive buffer of each socket, in bytes: how much a receiver that does not read holds
   * before its peer's writes queue up.
   * @default 262144
   */
  readonly bufferBytes?: number;
  /**
   * Largest chunk handed to one `onData`, in bytes; 1 splits every message byte by byte.
   * @default 65536
   */
  readonly maxChunkBytes?: number;
  /**
   * Connect latency in milliseconds for destinations without {@link MemoryNetwork.setLatency}.
   * @default 0
   */
  readonly connectLatencyMs?: number;
  /**
   * The static name table `resolve()` reads: host name (any case) to its IP literals, in the
   * order returned. More can be added with {@link MemoryNetwork.setHost}.
   * @default {} (only IP literals resolve)
   */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
}
