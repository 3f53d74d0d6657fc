/**
 * One runtime timer that the users of a client connection take in turn: the HTTP session while
 * it waits for a request (`timeout http-request`, `timeout http-keep-alive`), then each of its
 * transactions (`timeout client`, `timeout server`, `timeout tunnel`).
 *
 * Invariants:
 * - Deadlines only move later between two requests of a keep-alive connection (the same
 *   timeouts, counted from later starts): whoever takes the slot keeps a pending timer due no
 *   later than its own deadline, and re-arms for what is due then when it fires. One
 *   `setTimeout` serves many requests, instead of a `setTimeout` and a `clearTimeout` for each
 *   transaction and each wait (1.9 µs a pair on Deno), and an idle connection holds one timer.
 * - A user that lets go ({@link release}) leaves the timer pending and unowned: if it fires
 *   before someone takes the slot, nothing runs.
 * - The session clears the slot when the connection is over: nothing stays pending.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";

/** The timer slot of one client connection (see the module doc). */
export class TimerSlot {
  readonly #clock: Clock;
  /** The pending runtime timer, owned or not. */
  #timer: Timer | undefined;
  /** When {@link #timer} fires, clock ms. */
  #at = 0;
  /** Who took the slot last and did not let go: its {@link #fn} runs when the timer fires. */
  #owner: object | undefined;
  #fn: (() => void) | undefined;

  /** An empty slot on `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** When the timer `owner` holds is due, clock ms; undefined if it holds none. */
  dueFor(owner: object): number | undefined {
    return this.#owner === owner && this.#timer !== undefined ? this.#at : undefined;
  }

  /**
   * `owner` takes the slot to run `fn` at `at` (clock ms; `now` is the caller's reading of the
   * clock). A pending timer due no later stays: when it fires, `fn` decides again. The owner's
   * own pending timer keeps its function (a deadline of another kind, set by {@link replace}).
   */
  take(owner: object, at: number, now: number, fn: () => void): void {
    const mine = this.#owner === owner;
    this.#owner = owner;
    if (this.#timer !== undefined && this.#at <= at) {
      if (!mine) this.#fn = fn;
      return;
    }
    this.replace(owner, at, now, fn);
  }

  /** `owner` takes the slot to run `fn` at `at`, whatever was pending (a one-off deadline). */
  replace(owner: object, at: number, now: number, fn: () => void): void {
    const clock = this.#clock;
    clock.clearTimer(this.#timer);
    this.#owner = owner;
    this.#fn = fn;
    this.#at = at;
    this.#timer = clock.setTimer(this.#fire, at - now, now);
  }

  /** `owner` lets go, if it holds the slot: its timer stays pending for the next one. */
  release(owner: object): void {
    if (this.#owner !== owner) return;
    this.#owner = undefined;
    this.#fn = undefined;
  }

  /** No timer pending, no owner: the connection is over. */
  clear(): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#owner = undefined;
    this.#fn = undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    if (this.#owner !== undefined) this.#fn?.();
  };
}
