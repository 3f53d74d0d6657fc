/**
 * The hand-written Node pipe (the ceiling for Node): `node:net`, `pipe()` in both directions,
 * `allowHalfOpen` on both sockets so that one side's FIN travels alone.
 *
 * @module
 */
import { connect, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/** Listens on `host:port` and pipes each connection to `target`; resolves with the bound port. */
export function pipe(host: string, port: number, target: { host: string; port: number }): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    client.pipe(upstream);
    upstream.pipe(client);
    // pipe() forwards data and EOF, not errors: a reset on one side destroys the other.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => resolve((server.address() as AddressInfo).port));
  });
}
