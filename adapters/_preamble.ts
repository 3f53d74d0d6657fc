/**
 * `ConnectOptions.preamble` on a plain connection: written first, as soon as the connect
 * resolves, before anything the owner writes (a PROXY protocol header). A TLS connect writes
 * it itself, in clear, before its handshake, inside the runtime's TLS path.
 *
 * @module
 */
import type { ConnectOptions, Socket } from "../src/net.ts";

/** `connecting`, with the preamble written first when the connection is plain. */
export function plainPreamble(options: ConnectOptions, connecting: Promise<Socket>): Promise<Socket> {
  const pre = options.preamble;
  if (pre === undefined || options.tls !== undefined) return connecting;
  return connecting.then((socket) => {
    socket.write(pre);
    return socket;
  });
}
