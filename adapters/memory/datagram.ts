/**
 * UDP in the memory network: sockets bound to `host:port` keys; a datagram to a key nobody
 * holds is dropped silently, as UDP without an ICMP reply is (a dead DNS server). Delivery is
 * a microtask after `send()`, never synchronous.
 *
 * @module
 */
import type { DatagramOptions, DatagramSocket, TcpAddress } from "../../src/net.ts";
import { netError } from "../_errors.ts";

/** The UDP sockets of one memory network. */
export class MemoryDatagrams {
  readonly #bound = new Map<string, DatagramOptions>();
  #nextPort = 40000;

  /** Binds a socket (port 0: a free one from 40000); `EADDRINUSE` when the key is taken. */
  open(options: DatagramOptions): Promise<DatagramSocket> {
    let port = options.bind.port;
    const host = options.bind.hostname;
    if (port === 0) { while (this.#bound.has(`${host}:${port = this.#nextPort++}`)); }
    const key = `${host}:${port}`;
    if (this.#bound.has(key)) return Promise.reject(netError("EADDRINUSE", `memory udp: ${key} is in use`));
    this.#bound.set(key, options);
    const localAddress: TcpAddress = { transport: "tcp", hostname: host, port };
    const bound = this.#bound;
    let closed = false;
    return Promise.resolve({
      localAddress,
      send(data: Uint8Array, to: TcpAddress): void {
        if (closed) return;
        const copy = data.slice();
        queueMicrotask(() => bound.get(`${to.hostname}:${to.port}`)?.onMessage(copy, localAddress));
      },
      close(): void {
        if (closed) return;
        closed = true;
        bound.delete(key);
      },
    });
  }
}
