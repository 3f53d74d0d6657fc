/**
 * `ConnectOptions.preamble` on plain connections (each adapter's connect, the memory
 * network): the bytes reach the peer first, before anything the owner writes, even when the
 * owner writes at once; without a preamble nothing is added. The TLS path (written before the
 * handshake) is covered with the TLS adapters.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Network } from "../../src/net.ts";
import { MemoryNetwork } from "../../adapters/memory.ts";
import { FakeClock } from "../../src/clock.ts";
import { deferred, enc, nativeNetwork, Recorder, runtime, tcp, within } from "../_helpers.ts";

/** Waits for `p`: on a real network with a time limit, on the memory one by moving its clock. */
type Settle = (p: Promise<unknown>, what: string) => Promise<void>;

async function check(net: Network, host: string, settle: Settle): Promise<void> {
  let next = deferred<Recorder>();
  const listener = await net.listen({
    address: tcp(host, 0),
    onAccept: (s) => {
      const r = new Recorder();
      s.setHandlers(r);
      next.resolve(r);
    },
  });
  try {
    for (const preamble of [enc("PROXY UNKNOWN\r\n"), undefined]) {
      next = deferred<Recorder>();
      const accepted = next.promise;
      const socket = await net.connect({
        address: listener.address,
        ...(preamble !== undefined ? { preamble: preamble.slice() } : {}),
      });
      socket.setHandlers(new Recorder());
      socket.write(enc("data"));
      socket.shutdownWrite();
      let r: Recorder | undefined;
      await settle(accepted.then((x) => (r = x)), "the accept");
      await settle(r!.ended.promise, "the EOF");
      assert.equal(r!.text(), `${preamble === undefined ? "" : "PROXY UNKNOWN\r\n"}data`);
      socket.close();
    }
  } finally {
    await listener.close();
  }
}

describe("ConnectOptions.preamble", () => {
  it(`${runtime} adapter: written first on a plain connection`, async () => {
    await check(await nativeNetwork(), "127.0.0.1", async (p, what) => void await within(p, 10_000, what));
  });

  it("memory network: written first", async () => {
    const clock = new FakeClock();
    await check(new MemoryNetwork({ clock }), "10.9.0.1", async (p, what) => {
      let done = false;
      void p.then(() => (done = true));
      for (let i = 0; !done; i++) {
        if (i > 100) assert.fail(`memory network: no ${what}`);
        await clock.advance(1);
      }
    });
  });
});
