/**
 * Node's `stream_wrap` binding, the one its `net.Socket` reads and writes with, for the plain
 * sockets' direct writes (`socket.ts`) and static reads (`static_read.ts`): the write request
 * class, and the shared state array through which the handle's C++ side tells what a read
 * brought and whether a write completes later.
 *
 * @module
 */

import { getSystemErrorName } from "node:util";

/** A stream handle's write request object (Node's `WriteWrap`), as the C++ side uses it. */
export interface WriteRequest {
  /** Called by libuv's completion of a write the kernel did not take at once. */
  oncomplete(this: WriteRequest, status: number): void;
}

/** What proxykit takes from the binding. */
export interface StreamBinding {
  readonly WriteWrap: new () => WriteRequest;
  /**
   * The state array: after a read callback, `[kReadBytesOrError]` is what it brought (bytes,
   * or a negative libuv code: EOF, an error); after a write call, `[kLastWriteWasAsync]` is 1
   * when libuv completes that write later and then holds its request.
   */
  readonly streamBaseState: Int32Array;
  readonly kReadBytesOrError: number;
  readonly kLastWriteWasAsync: number;
}

/** {@link streamBinding}'s answer, once looked up. */
let BINDING: StreamBinding | null | undefined;

/**
 * Node's `stream_wrap` binding through `process.binding()`, which Node keeps for it (its
 * deprecation DEP0111 is documentation-only), or `null`: when it is missing or not as
 * expected, and under `--pending-deprecation`, where the call would print a warning. Sockets
 * then read through Node's `onStreamRead` and write through the stream. Looked up on
 * first use: Deno and Bun load this module for the Node adapter's TLS route, never calling it.
 */
export function streamBinding(): StreamBinding | null {
  if (BINDING !== undefined) return BINDING;
  BINDING = null;
  const proc = (globalThis as {
    process?: { binding?: (name: string) => unknown; execArgv: string[]; env: Record<string, string | undefined> };
  }).process;
  if (proc?.binding === undefined) return BINDING;
  const options = `${proc.execArgv.join(" ")} ${proc.env.NODE_OPTIONS ?? ""}`;
  if (options.includes("--pending-deprecation") || proc.env.NODE_PENDING_DEPRECATION === "1") return BINDING;
  try {
    const b = proc.binding("stream_wrap") as Partial<StreamBinding>;
    if (
      typeof b.WriteWrap === "function" && b.streamBaseState instanceof Int32Array &&
      typeof b.kReadBytesOrError === "number" && typeof b.kLastWriteWasAsync === "number"
    ) BINDING = b as StreamBinding;
  } catch {
    // Not offered by this Node.
  }
  return BINDING;
}

/** Node's error for a libuv error code of a handle's `syscall`, as its `ErrnoException` has it. */
export function errnoError(errno: number, syscall: "read" | "write"): Error {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}
