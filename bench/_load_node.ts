/**
 * The load kit on Node's `node:net` (see {@link LoadKit}): event handlers, `write()`'s return
 * value and `'drain'` for backpressure, `end()` with `allowHalfOpen` for the half-close.
 *
 * @module
 */
import { connect, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { type BenchServer, encodeHeader, HeaderReader, type LoadKit } from "./_proto.ts";

/** What the server sends in `D` mode: one shared buffer, written again and again. */
const SOURCE = new Uint8Array(65536);

/** Client read buffer, reused (`onread`): the client keeps no chunk. */
const READ_BUF = new Uint8Array(65536);

/** Connects; with `onRead`, reads go into {@link READ_BUF} and no `'data'` event is emitted. */
function open(port: number, onRead?: (n: number) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = onRead === undefined ? connect({ host: "127.0.0.1", port, allowHalfOpen: true }) : connect({
      host: "127.0.0.1",
      port,
      allowHalfOpen: true,
      onread: {
        buffer: READ_BUF,
        callback: (n: number) => {
          onRead(n);
          return true;
        },
      },
    });
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

/** Writes `bytes` bytes of `buf` (repeated), honouring `write()`'s backpressure. */
async function send(s: Socket, bytes: number, buf: Uint8Array): Promise<void> {
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, buf.length);
    left -= n;
    if (!s.write(n === buf.length ? buf : buf.subarray(0, n))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          s.off("close", onClose);
          resolve();
        };
        const onClose = () => {
          s.off("drain", onDrain);
          reject(new Error("bench: socket closed while writing"));
        };
        s.once("drain", onDrain);
        s.once("close", onClose);
      });
    }
  }
}

function serve(s: Socket): void {
  const hr = new HeaderReader();
  let mode: "H" | "U" | "D" | "E" = "H";
  let received = 0;
  s.on("error", () => s.destroy());
  s.on("drain", () => s.resume());
  s.on("end", () => {
    if (mode === "U") s.end(String(received));
    else if (mode !== "D") s.end();
    // D: our own end() follows the last write.
  });
  s.on("data", (chunk: Buffer) => {
    if (mode === "U") {
      received += chunk.length;
    } else if (mode === "E") {
      if (!s.write(chunk)) s.pause();
    } else if (mode === "H") {
      const got = hr.feed(chunk);
      if (got === undefined) return;
      mode = got.header.mode;
      if (mode === "U") received = got.rest.length;
      else if (mode === "E") {
        if (got.rest.length > 0 && !s.write(got.rest)) s.pause();
      } else send(s, got.header.count, SOURCE).then(() => s.end(), () => s.destroy());
    }
  });
}

/** The Node load kit. */
export const kit: LoadKit = {
  server(): Promise<BenchServer> {
    const srv = createServer({ allowHalfOpen: true }, serve);
    return new Promise((resolve, reject) => {
      srv.once("error", reject);
      srv.listen({ host: "127.0.0.1", port: 0 }, () => {
        resolve({ port: (srv.address() as AddressInfo).port, close: () => srv.close() });
      });
    });
  },

  async upload(port, bytes, chunk) {
    const s = await open(port);
    const done = new Promise<void>((resolve, reject) => {
      let answer = "";
      s.setEncoding("latin1");
      s.on("data", (t: string) => (answer += t));
      s.on("error", reject);
      s.on("close", () => {
        if (Number(answer) === bytes) resolve();
        else reject(new Error(`bench: upload of ${bytes} bytes, server got '${answer}'`));
      });
    });
    const sending = (async () => {
      s.write(encodeHeader("U", bytes));
      await send(s, bytes, chunk);
      s.end();
    })();
    await Promise.all([done, sending]);
  },

  async download(port, bytes) {
    let got = 0;
    const s = await open(port, (n) => (got += n));
    await new Promise<void>((resolve, reject) => {
      s.on("error", reject);
      s.on("end", () => s.end());
      s.on("close", () => {
        if (got === bytes) resolve();
        else reject(new Error(`bench: download of ${bytes} bytes, got ${got}`));
      });
      s.write(encodeHeader("D", bytes));
    });
  },

  async pingPong(port, size, rounds) {
    const msg = new Uint8Array(size).fill(0x70);
    let left = rounds;
    let pending = size;
    const s = await open(port, (n) => {
      pending -= n;
      if (pending > 0) return;
      if (--left === 0) {
        s.end();
        return;
      }
      pending = size;
      s.write(msg);
    });
    await new Promise<void>((resolve, reject) => {
      s.on("error", reject);
      s.on("end", () => s.end());
      s.on(
        "close",
        () => (left === 0 ? resolve() : reject(new Error(`bench: ping-pong closed with ${left} rounds left`))),
      );
      s.write(encodeHeader("E", size));
      s.write(msg);
    });
  },
};
