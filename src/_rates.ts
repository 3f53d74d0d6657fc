/**
 * Counters that depend on time, driven by the proxy's {@link Clock}: events per second
 * (HAProxy's `freq_ctr`, src/freq_ctr.c) and the age and downtime of a state (HAProxy's
 * `last_change` and `down_time`, `srv_downtime()` / `be_downtime()`). Whole seconds, as
 * HAProxy's stats print them (management.txt 9.1 `rate`, `lastchg`, `downtime`).
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** One second, the period of every rate the stats show. */
const PERIOD_MS = 1000;

/**
 * Events per second, as HAProxy's `freq_ctr` over one second: the events of the current
 * second, plus those of the previous second prorated by the part of it still inside the last
 * 1000 ms (`read_freq_ctr()`). Seconds are aligned on the clock's whole seconds. {@link max}
 * is the most events counted within one second (HAProxy's `sps_max` / `rps_max`, which keep
 * the value `update_freq_ctr()` returns).
 */
export class FreqCounter {
  readonly #clock: Clock;
  /** Start of the current second, ms; -Infinity before the first event. */
  #start = -Infinity;
  #curr = 0;
  #prev = 0;
  #max = 0;

  /** A counter reading `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Moves the window to the second holding `now`. */
  #rotate(now: number): void {
    const start = now - (now % PERIOD_MS);
    if (start === this.#start) return;
    this.#prev = start - this.#start === PERIOD_MS ? this.#curr : 0;
    this.#curr = 0;
    this.#start = start;
  }

  /** Counts `n` events at `now` (clock ms; the clock's now unless the caller read it already). */
  add(n = 1, now: number = this.#clock.now()): void {
    this.#rotate(now);
    this.#curr += n;
    if (this.#curr > this.#max) this.#max = this.#curr;
  }

  /** Events over the last second (rounded down), as HAProxy's stats `rate`. */
  get current(): number {
    const now = this.#clock.now();
    this.#rotate(now);
    const left = PERIOD_MS - (now - this.#start);
    return this.#curr + Math.floor((this.#prev * left) / PERIOD_MS);
  }

  /**
   * HAProxy's `freq_ctr_total()`: the events of the last second weighed in ms, the current
   * second's in full, the previous one's prorated (`curr * 1000 + prev * (1000 - elapsed)`).
   */
  #total(now: number): number {
    this.#rotate(now);
    return this.#curr * PERIOD_MS + this.#prev * (PERIOD_MS - (now - this.#start));
  }

  /** Whether one more event now stays within `freq` per second (HAProxy's `freq_ctr_remain() > 0`). */
  allows(freq: number): boolean {
    return this.#total(this.#clock.now()) < freq * PERIOD_MS;
  }

  /**
   * How long until {@link allows} holds again, ms (0: now): when the previous second's share
   * has decayed enough, or at the next second when that is sooner or it had none (HAProxy's
   * `next_event_delay()`, which polls every ms instead).
   */
  delayFor(freq: number): number {
    const now = this.#clock.now();
    const over = this.#total(now) - freq * PERIOD_MS;
    if (over < 0) return 0;
    const toNextSecond = PERIOD_MS - (now - this.#start);
    return this.#prev === 0 ? toNextSecond : Math.min(Math.floor(over / this.#prev) + 1, toNextSecond);
  }

  /** The most events counted within one second since the start (`rate_max`). */
  get max(): number {
    return this.#max;
  }
}

/**
 * When a server's or a backend's state last changed and how long it was down in all, in whole
 * seconds of the clock as HAProxy counts them (`now.tv_sec - last_change`, `down_time`
 * plus the current down spell).
 */
export class StateAge {
  readonly #clock: Clock;
  /** Second of the last change. */
  #last: number;
  /** Seconds down before the last change. */
  #downBefore = 0;
  #down: boolean;

  /** Starts now, down or not. */
  constructor(clock: Clock, down: boolean) {
    this.#clock = clock;
    this.#last = this.#sec();
    this.#down = down;
  }

  #sec(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  /** Whether the object is down now. */
  get down(): boolean {
    return this.#down;
  }

  /** Records a change of state now; `down` is whether the new state counts as down. */
  change(down: boolean): void {
    const now = this.#sec();
    if (this.#down) this.#downBefore += Math.max(0, now - this.#last);
    this.#last = now;
    this.#down = down;
  }

  /** Seconds since the last change (or the start), HAProxy's `lastchg`. */
  get sinceChange(): number {
    return Math.max(0, this.#sec() - this.#last);
  }

  /** Seconds spent down in all, the current spell included, HAProxy's `downtime`. */
  get downtime(): number {
    return this.#downBefore + (this.#down ? this.sinceChange : 0);
  }
}

/**
 * When an object was last given a stream, in whole seconds of the clock: HAProxy's `last_sess`
 * (`srv_set_sess_last()`, `be_set_sess_last()`), shown as `lastsess` = seconds since, or -1
 * when it never had one (`srv_lastsession()`, `be_lastsession()`).
 */
export class LastEvent {
  readonly #clock: Clock;
  /** Second of the last event; -1: never. */
  #at = -1;

  /** Never happened yet; `clock` tells the seconds. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** It happens at `now` (clock ms; the clock's now unless the caller read it already). */
  mark(now: number = this.#clock.now()): void {
    this.#at = Math.floor(now / 1000);
  }

  /** Whole seconds since it last happened, -1 if never (HAProxy's `lastsess`). */
  get age(): number {
    if (this.#at < 0) return -1;
    return Math.max(0, Math.floor(this.#clock.now() / 1000) - this.#at);
  }
}
