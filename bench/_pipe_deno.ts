/**
 * The hand-written Deno pipe (the ceiling for Deno): `Deno.listen`/`Deno.connect` and, per
 * direction, a loop that reads into one reused buffer and awaits the write of what it read
 * (looping over partial writes), then `closeWrite()` at EOF. The connection is closed once
 * both directions are done.
 *
 * @module
 */

import { acceptEach } from "./_deno_accept.ts";

// A hand-written view of the few Deno APIs used, so that `tsc` (no Deno types) checks this file.
interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}
interface DenoLike {
  listen(
    o: { hostname: string; port: number },
  ): { accept(): Promise<DenoConn>; readonly addr: { readonly port: number } };
  connect(o: { hostname: string; port: number }): Promise<DenoConn>;
}
const D = (globalThis as unknown as { Deno: DenoLike }).Deno;

/** Loopback TCP hands over up to 64 KiB per read. */
const BUF_BYTES = 65536;

/** Copies `from` to `to` until EOF, then half-closes `to`. */
async function copy(from: DenoConn, to: DenoConn): Promise<void> {
  const buf = new Uint8Array(BUF_BYTES);
  for (;;) {
    const n = await from.read(buf);
    if (n === null) break;
    let off = 0;
    while (off < n) off += await to.write(buf.subarray(off, n));
  }
  await to.closeWrite();
}

function closeQuietly(c: DenoConn): void {
  try {
    c.close();
  } catch {
    // Already closed.
  }
}

async function handle(client: DenoConn, target: { host: string; port: number }): Promise<void> {
  let upstream: DenoConn;
  try {
    upstream = await D.connect({ hostname: target.host, port: target.port });
  } catch {
    return closeQuietly(client);
  }
  // An error in one direction (reset) closes both sockets, which ends the other loop too.
  const fail = () => {
    closeQuietly(client);
    closeQuietly(upstream);
  };
  await Promise.all([copy(client, upstream).catch(fail), copy(upstream, client).catch(fail)]);
  closeQuietly(client);
  closeQuietly(upstream);
}

/** Listens on `host:port` and pipes each connection to `target`; resolves with the bound port. */
export function pipe(host: string, port: number, target: { host: string; port: number }): Promise<number> {
  const l = D.listen({ hostname: host, port });
  void acceptEach(l, (c) => void handle(c, target));
  return Promise.resolve(l.addr.port);
}
