/**
 * The Bun socket wrapper over a scripted native socket, on every runtime: what it does when
 * Bun does not run its `close` handler inside `terminate()` / `close()` / `end()` (Bun 1.4.5
 * does, but nothing promises it), and that a TLS close lets Bun send what it holds.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BunSocket } from "../../adapters/bun/socket.ts";
import type { BunNativeSocket } from "../../adapters/bun/api.ts";
import { Recorder, within } from "../_helpers.ts";

/** A native socket that records calls and never calls back by itself. */
function fakeNative(calls: string[]): BunNativeSocket {
  const note = (name: string) => () => void calls.push(name);
  return {
    data: undefined,
    alpnProtocol: null,
    authorized: false,
    write: (d: Uint8Array) => (calls.push(`write ${d.length}`), d.length),
    shutdown: note("shutdown"),
    end: note("end"),
    close: note("close"),
    terminate: note("terminate"),
    pause: note("pause"),
    resume: note("resume"),
    setNoDelay: () => true,
    setKeepAlive: () => true,
    getServername: () => undefined,
    getTLSVersion: () => undefined,
    getPeerCertificate: () => undefined,
  };
}

/** A wrapper over a fake native socket, handed out with handlers attached. */
async function socket(tls: boolean, coalesce = false): Promise<{ s: BunSocket; r: Recorder; calls: string[] }> {
  const calls: string[] = [];
  const s = new BunSocket(fakeNative(calls), undefined, undefined, 65536, coalesce);
  s.ready(tls ? { alpnProtocol: null } : undefined);
  const r = new Recorder();
  s.setHandlers(r);
  await Promise.resolve();
  return { s, r, calls };
}

describe("bun socket wrapper (scripted native socket)", () => {
  for (const method of ["abort", "close"] as const) {
    for (const tls of [false, true]) {
      it(
        `${method}() delivers onClose after returning, even when Bun calls no close handler (${tls ? "TLS" : "TCP"})`,
        async () => {
          const { s, r } = await socket(tls);
          let inside = true;
          let sync = false;
          r.onClose = () => {
            sync = inside;
            r.closed.resolve(undefined);
          };
          s[method]();
          inside = false;
          await within(r.closed.promise, 1000, "onClose");
          assert.equal(sync, false, `onClose ran inside ${method}()`);
        },
      );
    }
  }

  it("closes TLS with end(), which sends what Bun holds, and TCP with shutdown() + close()", async () => {
    const t = await socket(true);
    t.s.write(new Uint8Array(10));
    t.s.close();
    assert.deepEqual(t.calls.filter((c) => c !== "resume" && c !== "pause"), ["write 10", "end"]);
    const p = await socket(false);
    p.s.close();
    assert.deepEqual(p.calls.filter((c) => c !== "resume" && c !== "pause"), ["shutdown", "close"]);
  });

  it("after shutdownWrite(), a TLS close waits for Bun's drain or the peer's end", async () => {
    const { s, calls } = await socket(true);
    s.shutdownWrite();
    s.close();
    assert.ok(!calls.includes("close") && !calls.includes("end"), `closed at once: ${calls.join(", ")}`);
    s.nativeDrain();
    assert.ok(calls.includes("close"), `not closed on drain: ${calls.join(", ")}`);
  });

  describe("coalesceWrites", () => {
    /** Resolves after the turn's setImmediate callbacks. */
    const nextTurn = () => new Promise<void>((r) => setImmediate(r));
    const writes = (calls: string[]) =>
      calls.filter((c) =>
        c.startsWith("write") || c === "end" || c === "shutdown" || c === "close" || c === "terminate"
      );

    it("the writes of one turn go to Bun together at its end, in one write", async () => {
      const { s, calls } = await socket(false, true);
      assert.equal(s.write(new Uint8Array(10)), true);
      assert.equal(s.write(new Uint8Array(5)), true);
      assert.deepEqual(writes(calls), [], "nothing written inside the turn");
      assert.equal(s.bufferedAmount, 15);
      await nextTurn();
      assert.deepEqual(writes(calls), ["write 15"]);
      assert.equal(s.bufferedAmount, 0);
    });

    for (
      const [method, expected] of [
        ["close", ["write 10", "shutdown", "close"]],
        ["shutdownWrite", ["write 10", "shutdown"]],
        ["abort", ["write 10", "terminate"]],
      ] as const
    ) {
      it(`${method}() in the same turn writes what the turn queued first`, async () => {
        const { s, calls } = await socket(false, true);
        s.write(new Uint8Array(10));
        s[method]();
        await nextTurn();
        assert.deepEqual(writes(calls), expected);
      });
    }
  });
});
