/**
 * The Deno adapter's read-buffer pool (`adapters/deno/read_buffers.ts`, plain TypeScript, so
 * checked on every runtime): a buffer comes back to the pool only when the whole chunk handed
 * over was written; a part of it written (an HTTP body after its head) leaves the rest alone.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { handedOver, READ_MAX, recycle, takeReadBuffer } from "../../adapters/deno/read_buffers.ts";

describe("deno read buffers", () => {
  it("recycles a read buffer whose whole chunk was written", () => {
    const buf = takeReadBuffer(READ_MAX);
    const chunk = buf.subarray(0, 40_000);
    handedOver(chunk);
    recycle(chunk);
    assert.equal(takeReadBuffer(READ_MAX).buffer, buf.buffer, "the pool hands the same memory out again");
  });

  it("keeps a buffer out of the pool when only part of the chunk was written", () => {
    const buf = takeReadBuffer(READ_MAX);
    const chunk = buf.subarray(0, 40_000);
    handedOver(chunk);
    recycle(chunk.subarray(100)); // the body after a 100-byte head
    recycle(chunk.subarray(0, 39_000)); // one of two pipelined messages
    assert.notEqual(takeReadBuffer(READ_MAX).buffer, buf.buffer, "still owned by the reader");
    recycle(chunk);
    assert.equal(takeReadBuffer(READ_MAX).buffer, buf.buffer, "the whole chunk written: recycled");
  });

  it("never recycles memory it did not hand out", () => {
    const foreign = new Uint8Array(READ_MAX);
    recycle(foreign);
    assert.notEqual(takeReadBuffer(READ_MAX).buffer, foreign.buffer);
  });
});
