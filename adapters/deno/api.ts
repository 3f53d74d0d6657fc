/**
 * A minimal hand-written view of the Deno APIs the adapter uses, so that `tsc` (no Deno types)
 * checks it and the npm build needs no runtime type package; `deno check` sees the same shapes.
 *
 * @module
 */

/** A connection or listener address as Deno reports it. */
export interface DenoAddr {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: string | null;
}
/** The methods of `Deno.Conn` (and its TCP/TLS variants) used here. */
export interface DenoConn {
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  /** TcpConn only: `TlsConn` and `UnixConn` lack it. */
  setNoDelay?(noDelay?: boolean): void;
  /** TcpConn only; takes no delay (the kernel default applies). */
  setKeepAlive?(keepAlive?: boolean): void;
  /** TlsConn only. */
  handshake?(): Promise<{ readonly alpnProtocol: string | null }>;
}

/** A listener as `Deno.listen` / `Deno.listenTls` return it. */
export interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
/** Options shared by `Deno.connectTls` and `Deno.startTls`. */
export interface DenoTlsClientOptions {
  hostname: string;
  caCerts?: string[];
  alpnProtocols?: string[];
}
/** The parts of the `Deno` global the adapter uses. */
export interface DenoLike {
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
/** The `Deno` global; `undefined` when the module loads (unused) on another runtime. */
export const D = (globalThis as unknown as { Deno: DenoLike }).Deno;
