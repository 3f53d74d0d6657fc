import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concatBytes, outputBytes } from "../src/_bytes.ts";

describe("outputBytes", () => {
  it("hands out small buffers that never overlap, each of the size asked", () => {
    const bufs = Array.from({ length: 200 }, (_, i) => outputBytes(1 + (i * 37) % 300));
    bufs.forEach((b, i) => b.fill(i & 0xff));
    bufs.forEach((b, i) => {
      assert.equal(b.length, 1 + (i * 37) % 300);
      assert.ok(b.every((x) => x === (i & 0xff)), `buffer ${i} was overwritten`);
    });
    // Small ones share slabs (that is the point): fewer slabs than buffers.
    assert.ok(new Set(bufs.map((b) => b.buffer)).size < bufs.length / 4);
  });

  it("gives a large buffer memory of its own", () => {
    const big = outputBytes(100_000);
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 100_000);
  });

  it("serves concatBytes for coalesced output, the pieces in order", () => {
    const out = concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])], 3, outputBytes);
    assert.deepEqual([...out], [1, 2, 3]);
  });
});
