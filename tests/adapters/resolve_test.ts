/**
 * `Network.resolve()`: the memory adapter's static table, and the runtime's adapter asking
 * the system resolver (`localhost` comes from /etc/hosts, which `Deno.resolveDns` would miss).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../adapters/memory.ts";
import { nativeNetwork, runtime, within } from "../_helpers.ts";

describe("Network.resolve()", () => {
  it("memory: names from `hosts` and setHost(), any case; removed with an empty list", async () => {
    const net = new MemoryNetwork({ hosts: { "a.test": ["203.0.113.1", "2001:db8::1"] } });
    assert.deepEqual(await net.resolve("A.Test"), ["203.0.113.1", "2001:db8::1"]);
    net.setHost("b.test", ["10.0.0.2"]);
    assert.deepEqual(await net.resolve("b.test"), ["10.0.0.2"]);
    net.setHost("b.test", []);
    await assert.rejects(net.resolve("b.test"), { code: "ENOTFOUND" });
    assert.throws(() => net.setHost("c.test", ["not-an-ip"]), TypeError);
  });

  it(`${runtime}: localhost resolves through the system resolver (/etc/hosts)`, async () => {
    const net = await nativeNetwork();
    const found = await within(net.resolve("localhost"), 10_000, "resolve localhost");
    assert.ok(found.some((a) => a === "127.0.0.1" || a === "::1"), JSON.stringify(found));
  });
});
