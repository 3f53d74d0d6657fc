/**
 * The timer slot of a client connection (`src/timer_slot.ts`): one runtime timer its session
 * and transactions take in turn, kept when due no later than the new deadline.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../src/clock.ts";
import { TimerSlot } from "../src/timer_slot.ts";

describe("TimerSlot", () => {
  it("a later deadline keeps the pending timer, which the new owner's function then gets", async () => {
    const clock = new FakeClock();
    const slot = new TimerSlot(clock);
    const fired: string[] = [];
    const a = {}, b = {};
    const t0 = clock.now();
    slot.take(a, t0 + 1000, t0, () => fired.push("a"));
    slot.release(a);
    assert.equal(slot.dueFor(a), undefined, "released: a holds nothing");
    slot.take(b, t0 + 3000, t0, () => fired.push("b"));
    assert.deepEqual([clock.pending, slot.dueFor(b)], [1, t0 + 1000], "b adopted a's timer, due first");
    await clock.advance(1000);
    assert.deepEqual(fired, ["b"]);
  });

  it("an earlier deadline replaces the pending timer", async () => {
    const clock = new FakeClock();
    const slot = new TimerSlot(clock);
    const fired: string[] = [];
    const a = {}, b = {};
    const t0 = clock.now();
    slot.take(a, t0 + 3000, t0, () => fired.push("a"));
    slot.release(a);
    slot.take(b, t0 + 1000, t0, () => fired.push("b"));
    assert.deepEqual([clock.pending, slot.dueFor(b)], [1, t0 + 1000]);
    await clock.advance(3000);
    assert.deepEqual(fired, ["b"], "a's timer was cleared");
  });

  it("a released timer that fires runs nothing; the owner's own timer keeps its function; clear() leaves none", async () => {
    const clock = new FakeClock();
    const slot = new TimerSlot(clock);
    const fired: string[] = [];
    const a = {};
    const t0 = clock.now();
    slot.take(a, t0 + 1000, t0, () => fired.push("a"));
    slot.release(a);
    await clock.advance(1000);
    assert.equal(fired.length, 0, "nothing ran");
    slot.replace(a, t0 + 2000, clock.now(), () => fired.push("once"));
    slot.take(a, t0 + 5000, clock.now(), () => fired.push("a"));
    await clock.advance(1000);
    assert.deepEqual(fired, ["once"], "take() by the same owner kept the pending one-off deadline");
    slot.take(a, t0 + 4000, clock.now(), () => fired.push("a"));
    slot.clear();
    assert.deepEqual([clock.pending, slot.dueFor(a)], [0, undefined]);
  });
});
