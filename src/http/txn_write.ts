/**
 * How an HTTP transaction writes to its two sides: the bytes one pull queued for a side are
 * written at its end, small pieces (a head and a small body) coalesced into one write, one
 * system call and one packet instead of two (the copy of a few KiB is cheaper), larger ones
 * written as they are. Backpressure both ways: a side whose write buffer is full pauses the
 * other side's reads until it drains.
 *
 * @module
 */
import { concatBytes, outputBytes } from "../_bytes.ts";
import { HAPROXY_BUFSIZE } from "./limits.ts";
import type { TxnCore, TxnFlags } from "./txn_state.ts";

/** Pieces queued for one side are copied into one write up to this many bytes in all. */
export const COALESCE_BYTES: number = HAPROXY_BUFSIZE;

/**
 * Writes `pieces` to `out`: one write of their concatenation when small, else each as is.
 * Returns `write()`'s backpressure answer.
 */
export function writeAll(out: { write(b: Uint8Array): boolean }, pieces: readonly Uint8Array[]): boolean {
  if (pieces.length === 1) return out.write(pieces[0]!);
  let size = 0;
  for (const p of pieces) size += p.length;
  if (size > COALESCE_BYTES) {
    let ok = true;
    for (const p of pieces) ok = out.write(p) && ok;
    return ok;
  }
  return out.write(concatBytes(pieces, size, outputBytes));
}

/**
 * Body views read in one pull, queued together toward the server (`toServer`) or the client
 * through the transaction's `core`: one chunk for all of them when the body is chunked (`enc`:
 * as HAProxy re-chunks what one read brought), each view as is otherwise. The batch is
 * emptied; returns its size in bytes, for the direction's count.
 */
export function writeBatch(
  batch: Uint8Array[],
  enc: { chunk(size: number): Uint8Array } | undefined,
  core: TxnCore,
  toServer: boolean,
): number {
  let size = 0;
  for (const d of batch) size += d.length;
  if (enc !== undefined) queue(core, toServer, enc.chunk(size));
  for (const d of batch) queue(core, toServer, d);
  batch.length = 0;
  return size;
}

/** Queues `b` toward the server (`toServer`) or the client. */
function queue(core: TxnCore, toServer: boolean, b: Uint8Array): void {
  if (toServer) core.toServer(b);
  else core.toClient(b);
}

/** A side written to: `write()` answers false once its buffer is full; `pause()` stops its reads. */
export interface TxnPeer {
  /** Writes bytes; false when the write buffer is full. */
  write(bytes: Uint8Array): boolean;
  /** Stops reading until resumed. */
  pause(): void;
}

/** What a {@link TxnOutput} asks its transaction (through the transaction's core object). */
export interface OutputOwner {
  /** The server side, undefined while not connected. */
  server(): TxnPeer | undefined;
  /** A side stopped draining: the transaction's timer applies the other timeouts. */
  armTimer(): void;
}

/** The bytes queued for each side of a transaction during a pull, written by {@link flush}. */
export class TxnOutput {
  readonly #f: TxnFlags;
  readonly #client: TxnPeer;
  readonly #owner: OutputOwner;
  readonly #srv: Uint8Array[] = [];
  readonly #cli: Uint8Array[] = [];

  /**
   * The output of a transaction to `client` and to `owner.server()`, setting
   * `flags.srvBlocked` / `flags.cliBlocked` and calling `owner.armTimer()` when a side stops
   * draining. One owner object rather than two closures per transaction.
   */
  constructor(flags: TxnFlags, client: TxnPeer, owner: OutputOwner) {
    this.#f = flags;
    this.#client = client;
    this.#owner = owner;
  }

  /** Queues bytes for the server. */
  toServer(bytes: Uint8Array): void {
    this.#srv.push(bytes);
  }

  /** Queues bytes for the client. */
  toClient(bytes: Uint8Array): void {
    this.#cli.push(bytes);
  }

  /** Drops what is queued for the server (its connection is aborted). */
  dropServer(): void {
    this.#srv.length = 0;
  }

  /**
   * Writes what a pull queued for each side, coalesced ({@link writeAll}). A side that does
   * not drain pauses the other side's reads.
   */
  flush(): void {
    const f = this.#f;
    if (this.#srv.length > 0) {
      const server = this.#owner.server();
      if (server !== undefined && !writeAll(server, this.#srv) && !f.srvBlocked) {
        f.srvBlocked = true;
        this.#client.pause();
        this.#owner.armTimer();
      }
      this.#srv.length = 0;
    }
    if (this.#cli.length > 0) {
      if (!writeAll(this.#client, this.#cli) && !f.cliBlocked) {
        f.cliBlocked = true;
        this.#owner.server()?.pause();
        this.#owner.armTimer();
      }
      this.#cli.length = 0;
    }
  }
}
