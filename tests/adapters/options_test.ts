/**
 * The options every adapter's `createNetwork()` shares, checked the same way on the native
 * adapter of the runtime running the tests and on the in-memory network: `highWaterMarkBytes`
 * is validated alike, and `write()` returns `false` exactly once more than it is queued, on
 * connected and accepted sockets, plain and TLS.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Network } from "../../src/net.ts";
import type { NetworkOptions } from "../../adapters/_options.ts";
import { createNetwork as memoryNetwork } from "../../adapters/memory.ts";
import { runtime, within } from "../_helpers.ts";
import { pair, skipUnless, WAIT_MS } from "./_conformance_kit.ts";

const native: (options?: NetworkOptions) => Network = runtime === "deno"
  ? (await import("../../adapters/deno.ts")).createNetwork
  : runtime === "bun"
  ? (await import("../../adapters/bun.ts")).createNetwork
  : (await import("../../adapters/node.ts")).createNetwork;

for (const [label, make] of [[`${runtime} (native)`, native], ["memory", memoryNetwork]] as const) {
  describe(`network options: ${label}`, () => {
    it("refuses a highWaterMarkBytes that is not an integer >= 0, naming it and the value", () => {
      for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
        assert.throws(() => make({ highWaterMarkBytes: bad }), (e: Error) => {
          assert.ok(e instanceof RangeError);
          assert.match(e.message, new RegExp(`highWaterMarkBytes must be an integer >= 0, got ${bad}`));
          return true;
        });
      }
      make({ highWaterMarkBytes: 0 });
    });

    for (const tls of [false, true]) {
      const net = make({ highWaterMarkBytes: 4096 });
      it(`write() returns false once more than highWaterMarkBytes are queued (${tls ? "TLS" : "TCP"})`, {
        skip: tls && skipUnless(net, "tlsServer", "tlsClient"),
      }, async () => {
        const p = await pair(net, { tls });
        try {
          p.client.pause();
          p.server.pause();
          const chunk = new Uint8Array(1000);
          for (const [side, socket, rec] of [["connected", p.client, p.c], ["accepted", p.server, p.s]] as const) {
            let writes = 0;
            while (socket.write(chunk)) {
              assert.ok(socket.bufferedAmount <= 4096, `${side}: true with ${socket.bufferedAmount} bytes queued`);
              assert.ok(++writes < 100_000, `${side}: write() never returned false`);
            }
            const queued = socket.bufferedAmount;
            assert.ok(queued > 4096 && queued <= 4096 + chunk.length, `${side}: false with ${queued} bytes queued`);
            (socket === p.client ? p.server : p.client).resume();
            await within(rec.drained.promise, WAIT_MS, `${side}: drain`);
          }
        } finally {
          await p.done();
        }
      });
    }
  });
}

describe(`network options: coalesceWrites (${runtime})`, {
  skip: runtime === "deno"
    ? "Deno's writes are asynchronous already: the option is accepted and changes nothing"
    : false,
}, () => {
  for (const tls of [false, true]) {
    it(`holds the writes of one turn until its end by default, writes at once with false (${tls ? "TLS" : "TCP"})`, async () => {
      for (const coalesce of [true, false]) {
        const p = await pair(native({ coalesceWrites: coalesce }), { tls });
        try {
          for (const [socket, peer] of [[p.client, p.s], [p.server, p.c]] as const) {
            socket.write(new Uint8Array(100));
            socket.write(new Uint8Array(50));
            // Coalesced: both are still queued in this turn. Otherwise the kernel took them (on
            // plain TCP: a TLS write may complete later on Node, with or without the option).
            if (coalesce) assert.equal(socket.bufferedAmount, 150, "coalesceWrites true");
            else if (!tls) assert.equal(socket.bufferedAmount, 0, "coalesceWrites false");
            await within(peer.waitBytes(150), WAIT_MS, "the bytes at the peer");
          }
        } finally {
          await p.done();
        }
      }
    });
  }

  it("a large chunk after small ones over the mark: every byte out, and the drain owed comes", async () => {
    const p = await pair(native({ highWaterMarkBytes: 1000 }));
    try {
      // Small writes go over the mark within the turn: from the second on they answer false.
      assert.equal(p.client.write(new Uint8Array(600)), true);
      assert.equal(p.client.write(new Uint8Array(600)), false);
      assert.equal(p.client.write(new Uint8Array(600)), false);
      // Bun: a large chunk is not kept for the turn's end, it and what was kept go to the kernel
      // now. Node corks the socket for the turn whatever the size: its writev takes the lot.
      p.client.write(new Uint8Array(20_000));
      if (runtime === "bun") assert.equal(p.client.bufferedAmount, 0, "all handed to the kernel (the peer reads)");
      await within(p.s.waitBytes(21_800), WAIT_MS, "the bytes at the peer");
      await within(p.c.drained.promise, WAIT_MS, "the drain owed for the false answers");
    } finally {
      await p.done();
    }
  });
});
