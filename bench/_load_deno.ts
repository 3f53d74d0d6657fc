/**
 * The load kit on Deno's native sockets (see {@link LoadKit}): `Deno.listen`/`Deno.connect`,
 * one read loop per connection into a buffer it reuses (the kit keeps no chunk), writes
 * awaited and looped over partial counts, `closeWrite()` for the half-close.
 *
 * @module
 */
import { acceptEach } from "./_deno_accept.ts";
import { type BenchServer, encodeHeader, HeaderReader, type LoadKit } from "./_proto.ts";

// A hand-written view of the few Deno APIs used, so that `tsc` (no Deno types) checks this file.
interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}
interface DenoListener {
  accept(): Promise<DenoConn>;
  readonly addr: { readonly port: number };
  close(): void;
}
interface DenoLike {
  listen(o: { hostname: string; port: number }): DenoListener;
  connect(o: { hostname: string; port: number }): Promise<DenoConn>;
}
const D = (globalThis as unknown as { Deno: DenoLike }).Deno;

/** What the server sends in `D` mode: one shared buffer, written again and again. */
const SOURCE = new Uint8Array(65536);
/** Read buffer size: loopback hands over up to 64 KiB per read. */
const READ_BYTES = 65536;

/** Writes all of `p`, looping over partial writes. */
async function writeAll(c: DenoConn, p: Uint8Array): Promise<void> {
  let off = 0;
  while (off < p.length) off += await c.write(off === 0 ? p : p.subarray(off));
}

/** Writes `bytes` bytes of `buf` (repeated). */
async function send(c: DenoConn, bytes: number, buf: Uint8Array): Promise<void> {
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, buf.length);
    left -= n;
    await writeAll(c, n === buf.length ? buf : buf.subarray(0, n));
  }
}

/** Reads until EOF; returns the byte count. */
async function drainAll(c: DenoConn, buf: Uint8Array): Promise<number> {
  let got = 0;
  for (;;) {
    const n = await c.read(buf);
    if (n === null) return got;
    got += n;
  }
}

async function serve(c: DenoConn): Promise<void> {
  const buf = new Uint8Array(READ_BYTES);
  const hr = new HeaderReader();
  try {
    let got: ReturnType<HeaderReader["feed"]>;
    do {
      const n = await c.read(buf);
      if (n === null) return;
      got = hr.feed(buf.subarray(0, n));
    } while (got === undefined);
    const { header, rest } = got;
    if (header.mode === "U") {
      const total = rest.length + (await drainAll(c, buf));
      await writeAll(c, new TextEncoder().encode(String(total)));
    } else if (header.mode === "D") {
      await send(c, header.count, SOURCE);
    } else {
      if (rest.length > 0) await writeAll(c, rest.slice());
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        await writeAll(c, buf.subarray(0, n));
      }
    }
  } catch {
    // A reset client: nothing to report from the server side.
  } finally {
    try {
      c.close();
    } catch {
      // Already closed.
    }
  }
}

/** The Deno load kit. */
export const kit: LoadKit = {
  server(): Promise<BenchServer> {
    const l = D.listen({ hostname: "127.0.0.1", port: 0 });
    void acceptEach(l, (c) => void serve(c));
    return Promise.resolve({ port: l.addr.port, close: () => l.close() });
  },

  async upload(port, bytes, chunk) {
    const c = await D.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(c, encodeHeader("U", bytes));
      await send(c, bytes, chunk);
      await c.closeWrite();
      const buf = new Uint8Array(64);
      let answer = "";
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        answer += new TextDecoder().decode(buf.subarray(0, n));
      }
      if (Number(answer) !== bytes) throw new Error(`bench: upload of ${bytes} bytes, server got '${answer}'`);
    } finally {
      c.close();
    }
  },

  async download(port, bytes) {
    const c = await D.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(c, encodeHeader("D", bytes));
      const got = await drainAll(c, new Uint8Array(READ_BYTES));
      if (got !== bytes) throw new Error(`bench: download of ${bytes} bytes, got ${got}`);
    } finally {
      c.close();
    }
  },

  async pingPong(port, size, rounds) {
    const c = await D.connect({ hostname: "127.0.0.1", port });
    try {
      const msg = new Uint8Array(size).fill(0x70);
      const buf = new Uint8Array(Math.max(size, 4096));
      await writeAll(c, encodeHeader("E", size));
      for (let i = 0; i < rounds; i++) {
        await writeAll(c, msg);
        let pending = size;
        while (pending > 0) {
          const n = await c.read(buf);
          if (n === null) throw new Error(`bench: ping-pong closed with ${rounds - i} rounds left`);
          pending -= n;
        }
      }
      await c.closeWrite();
      await drainAll(c, buf);
    } finally {
      c.close();
    }
  },
};
