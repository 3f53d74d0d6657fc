/**
 * UDP sockets of the three runtime adapters (`Network.openDatagram`), through `node:dgram`,
 * which Node, Bun and Deno (its Node compatibility layer) all provide without flags. Measured
 * on Node 24, Bun 1.4 and Deno 2.9 against dnsmasq on 127.0.0.1: same sends, same replies.
 * `Deno.listenDatagram` needs `--unstable-net`, and Bun's `Bun.udpSocket` would be a second
 * code path for the same behaviour (docs/dns.md).
 *
 * @module
 */
import { createSocket } from "node:dgram";
import type { DatagramOptions, DatagramSocket, TcpAddress } from "../src/net.ts";
import { toNetError } from "./_errors.ts";

/** Opens a UDP socket bound to `options.bind` (IPv6 when the address has a colon). */
export function openDatagram(options: DatagramOptions): Promise<DatagramSocket> {
  const v6 = options.bind.hostname.includes(":");
  const sock = createSocket({ type: v6 ? "udp6" : "udp4" });
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    sock.on("error", (e) => {
      if (!open) reject(toNetError(e, `bind udp ${options.bind.hostname}:${options.bind.port}`));
      else options.onError?.(toNetError(e, "udp"));
    });
    sock.on("message", (msg, rinfo) => {
      if (closed) return;
      options.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), {
        transport: "tcp",
        hostname: rinfo.address,
        port: rinfo.port,
      });
    });
    sock.bind(options.bind.port, options.bind.hostname, () => {
      open = true;
      const a = sock.address();
      const localAddress: TcpAddress = { transport: "tcp", hostname: a.address, port: a.port };
      resolve({
        localAddress,
        send(data, to) {
          if (closed) return;
          sock.send(data, to.port, to.hostname, (e) => {
            if (e && !closed) options.onError?.(toNetError(e, `udp send to ${to.hostname}:${to.port}`));
          });
        },
        close() {
          if (closed) return;
          closed = true;
          sock.close();
        },
      });
    });
  });
}
