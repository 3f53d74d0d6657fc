/**
 * A minimal hand-written view of the Bun socket API the adapter uses, so that `tsc` (no Bun
 * types) checks it and the npm build needs no runtime type package.
 *
 * @module
 */
import type { Address } from "../../src/net.ts";
import type { BunTlsOptions } from "./tls.ts";

/** A `Bun.listen` / `Bun.connect` socket (TCP or TLS). */
export interface BunNativeSocket {
  data: unknown;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Negotiated ALPN protocol; `false` (or null) when none. */
  readonly alpnProtocol: string | false | null;
  readonly authorized: boolean;
  /** Bytes taken (maybe fewer than given, `0` when full); `-1` when closed or shut down. */
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  /** Without an argument: shuts the write side (FIN; close_notify on TLS). */
  shutdown(): void;
  /** Flushes what Bun still holds, then closes (TLS: close_notify first). */
  end(): void;
  close(): void;
  /** SO_LINGER 0 then close: a reset on established connections. */
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(enable: boolean): boolean;
  setKeepAlive(enable: boolean, initialDelayMs?: number): boolean;
  getServername(): string | false | null | undefined;
  getTLSVersion(): string | null | undefined;
  getPeerCertificate(): { subject?: { CN?: string | string[] } } | null | undefined;
  getCipher?(): { standardName?: string; name?: string } | null | undefined;
  isSessionReused?(): boolean;
}

/** The handler table of `Bun.listen` / `Bun.connect`; `binaryType` picks plain `Uint8Array`s. */
export interface BunHandlers {
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
export interface BunEndpoint {
  hostname?: string;
  port?: number;
  unix?: string;
  allowHalfOpen: true;
  socket: BunHandlers;
  data: unknown;
  tls?: BunTlsOptions;
}

/** What `Bun.listen` returns. */
export interface BunListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

/** The `Bun` global. */
export interface BunLike {
  listen(o: BunEndpoint & { reusePort?: boolean }): BunListener;
  connect(o: BunEndpoint): Promise<BunNativeSocket>;
}

/** The `Bun` global, looked up when used: the module also loads (unused) on other runtimes. */
export const bun = (): BunLike => (globalThis as unknown as { Bun: BunLike }).Bun;

/** The address part of Bun's listen/connect options. */
export function endpoint(address: Address): { hostname: string; port: number } | { unix: string } {
  return address.transport === "unix" ? { unix: address.path } : { hostname: address.hostname, port: address.port };
}
