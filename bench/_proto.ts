/**
 * The bench's wire protocol and the interface every runtime's load kit implements.
 *
 * One bench server serves the three workloads, so each target (pipe, proxykit, HAProxy)
 * needs a single child process: a connection opens with a fixed {@link HEADER_BYTES}-byte
 * header, a mode letter then a decimal count padded with spaces:
 * - `U` upload: the client sends `count` bytes then half-closes; the server discards them and,
 *   at EOF, answers with the decimal number of bytes it received, then closes.
 * - `D` download: the server sends `count` bytes then closes; the client counts them.
 * - `E` echo: the server echoes every byte; the client sends `count`-byte messages, one at a
 *   time, and waits for each to come back (ping-pong).
 *
 * No runtime API here: this file runs on all three.
 *
 * @module
 */

/** Length of the header that opens every bench connection, in bytes. */
export const HEADER_BYTES = 16;

/** The workload a connection asks for. */
export type Mode = "U" | "D" | "E";

/** Encodes a header (ASCII). */
export function encodeHeader(mode: Mode, count: number): Uint8Array {
  return new TextEncoder().encode(mode + String(count).padStart(HEADER_BYTES - 1, " "));
}

/** A parsed header. */
export interface Header {
  readonly mode: Mode;
  readonly count: number;
}

/**
 * Collects the header from the first chunks of a connection. `feed()` returns `undefined`
 * until the header is complete, then the header and the bytes after it in that chunk.
 */
export class HeaderReader {
  #buf = new Uint8Array(HEADER_BYTES);
  #have = 0;

  /** Adds a chunk; throws on a malformed header. */
  feed(chunk: Uint8Array): { header: Header; rest: Uint8Array } | undefined {
    const take = Math.min(HEADER_BYTES - this.#have, chunk.length);
    this.#buf.set(chunk.subarray(0, take), this.#have);
    this.#have += take;
    if (this.#have < HEADER_BYTES) return undefined;
    const text = new TextDecoder().decode(this.#buf);
    const mode = text[0];
    const count = Number(text.slice(1).trim());
    if ((mode !== "U" && mode !== "D" && mode !== "E") || !Number.isSafeInteger(count) || count < 0) {
      throw new Error(`bench: bad header ${JSON.stringify(text)}`);
    }
    return { header: { mode, count }, rest: chunk.subarray(take) };
  }
}

/** A running bench server. */
export interface BenchServer {
  readonly port: number;
  close(): void;
}

/**
 * The load generator of one runtime, written against that runtime's native socket API so that
 * it costs as little as possible (it shares the machine with the process being measured).
 * Every method opens one connection to `127.0.0.1:port` and resolves when its work is done
 * and checked; it rejects on a socket error or a short count.
 */
export interface LoadKit {
  /** Starts the bench server (all three modes) on 127.0.0.1, any free port. */
  server(): Promise<BenchServer>;
  /** Sends `bytes` in writes of `chunk.length` bytes (the last one shorter); see `U`. */
  upload(port: number, bytes: number, chunk: Uint8Array): Promise<void>;
  /** Receives `bytes`; see `D`. */
  download(port: number, bytes: number): Promise<void>;
  /** `rounds` round trips of `size`-byte messages; see `E`. */
  pingPong(port: number, size: number, rounds: number): Promise<void>;
}
