/**
 * Time and timers, injectable so that every timeout, retry delay and health-check interval in
 * the core can be driven deterministically by tests.
 *
 * @module
 */

/** A timer handle returned by {@link Clock.setTimer}, to pass to {@link Clock.clearTimer}. */
export interface Timer {
  /** When the timer is due, in the clock's ms since the Unix epoch. */
  readonly at: number;
}

/**
 * The core's only source of time: every timeout, retry delay, health-check interval and log
 * date goes through one, so that a {@link FakeClock} can drive them all in tests.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall time: logs print it). */
  now(): number;
  /**
   * Calls `fn` once after `delayMs` (clamped to >= 0). `now` is the caller's reading of
   * {@link now} in the same turn, which spares the clock a second one (the due time is
   * `now + delayMs`).
   */
  setTimer(fn: () => void, delayMs: number, now?: number): Timer;
  /** Cancels a timer; harmless if it already fired or was cancelled. */
  clearTimer(timer: Timer | undefined): void;
}

interface SystemTimer extends Timer {
  handle: ReturnType<typeof setTimeout>;
}

/** The real clock: `Date.now()` and the runtime's `setTimeout` (the default of `ProxyServer`). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs, now = Date.now()) {
    const ms = Math.max(0, delayMs);
    const t: SystemTimer = { at: now + ms, handle: setTimeout(fn, ms) };
    return t;
  },
  clearTimer(timer) {
    if (timer !== undefined) clearTimeout((timer as SystemTimer).handle);
  },
};

interface FakeTimer extends Timer {
  readonly seq: number;
  fn: (() => void) | undefined;
}

/** Lets pending promise continuations run: one macrotask turn flushes every microtask. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A manual clock for tests: time moves only through {@link FakeClock.advance}. Timers due at
 * the same instant fire in the order they were set; between two timers, pending promise
 * continuations run, so async core code observes time exactly as it would for real.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@proxykit/proxykit/testing";
 *
 * const clock = new FakeClock();
 * let fired = false;
 * clock.setTimer(() => (fired = true), 1000);
 * await clock.advance(999); // fired === false
 * await clock.advance(1); // fired === true, clock.now() is 1000 ms after the start
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  /**
   * Creates a clock standing still at `startMs` until advanced.
   * @param startMs The initial time, ms since the Unix epoch; when omitted 1_767_225_600_000
   *   (2026-01-01T00:00:00Z), so that log dates in tests do not depend on the day they run.
   */
  constructor(startMs = 1_767_225_600_000) {
    this.#now = startMs;
  }

  /** The clock's current time, ms since the Unix epoch; moves only with {@link advance}. */
  now(): number {
    return this.#now;
  }

  /** Calls `fn` once when the clock reaches `now() + delayMs` (a negative delay counts as 0). */
  setTimer(fn: () => void, delayMs: number): Timer {
    const t: FakeTimer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn };
    this.#timers.push(t);
    return t;
  }

  /** Cancels a timer; harmless if it already fired or was cancelled. */
  clearTimer(timer: Timer | undefined): void {
    if (timer === undefined) return;
    (timer as FakeTimer).fn = undefined;
    this.#timers = this.#timers.filter((t) => t !== timer);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Time of the next pending timer, or `undefined`. */
  get nextAt(): number | undefined {
    return this.#next()?.at;
  }

  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers
   * those timers set), with promise continuations settled before and after each one.
   * @throws {RangeError} if `ms` is negative or not a number, or more than 100 000 timers fire
   *   (a timer that keeps setting itself).
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    await settle();
    for (let fired = 0;; fired++) {
      if (fired > 100_000) throw new RangeError("FakeClock.advance: more than 100000 timers fired");
      const t = this.#next();
      if (t === undefined || t.at > target) break;
      this.#timers.splice(this.#timers.indexOf(t), 1);
      this.#now = t.at;
      const fn = t.fn;
      t.fn = undefined;
      fn?.();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /**
   * Advances to the next pending timer and fires it, with every timer due at the same time.
   * Resolves `false`, without moving time, when no timer is pending.
   */
  async step(): Promise<boolean> {
    const at = this.nextAt;
    if (at === undefined) return false;
    await this.advance(at - this.#now);
    return true;
  }
}
