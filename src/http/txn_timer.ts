/**
 * The inactivity timer of an HTTP transaction (configuration.txt 4.2, `timeout client`,
 * `timeout server`, `timeout tunnel`, `timeout http-request`): one timer per transaction, not
 * one per chunk. Activity only moves deadlines later: a timer due no later stays, and when it
 * fires it re-arms for what is due then. The connect and queue timeouts are the backend's.
 *
 * The runtime's timer is a {@link TimerSlot} of the session, kept across its transactions: a
 * transaction that ends leaves it pending, unowned, and the next one adopts it when it is due
 * no later than what that one needs (a keep-alive connection's next request wants the same
 * timeout from a later start). One `setTimeout` serves many requests instead of a
 * `setTimeout` and a `clearTimeout` each (1.9 µs a pair on Deno). An unowned timer that fires
 * does nothing; the session clears its slot when it ends.
 *
 * @module
 */
import type { Clock, Timer } from "../clock.ts";
import type { BackendSettings } from "../backend.ts";
import { nextTimeout } from "../_timeouts.ts";
import type { TxnFlags } from "./txn_state.ts";

/** The side whose timeout struck: `c` the client's, `s` the server's. */
export type TimeoutSide = "c" | "s";

/** What a {@link TxnTimer} calls back: its transaction (through the transaction's core object). */
export interface TimerOwner {
  /** The timer fired before any timeout struck: arm it again with the settings of the moment. */
  armTimer(): void;
  /** A timeout struck on `side`. */
  timedOut(side: TimeoutSide): void;
}

/**
 * The runtime timer the transactions of one session take in turn (module doc). Owned by the
 * {@link TxnTimer} that armed or adopted it last, until that one disarms it.
 */
export class TimerSlot {
  readonly #clock: Clock;
  /** The pending runtime timer, if any (owned or not). */
  timer: Timer | undefined;
  /** When {@link timer} fires, clock ms. */
  at = 0;
  /** The transaction timer that owns it: undefined once disarmed (a pending timer does nothing then). */
  owner: TxnTimer | undefined;
  /** What the owner runs when it fires. */
  fn: (() => void) | undefined;

  /** An empty slot on `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Replaces the pending timer by one due at `at` (`now`: the caller's clock reading). */
  set(at: number, now: number, fn: () => void): void {
    this.#clock.clearTimer(this.timer);
    this.fn = fn;
    this.at = at;
    this.timer = this.#clock.setTimer(this.#fire, at - now, now);
  }

  /** No timer pending, no owner: the session is over. */
  clear(): void {
    this.#clock.clearTimer(this.timer);
    this.timer = undefined;
    this.owner = undefined;
    this.fn = undefined;
  }

  readonly #fire = (): void => {
    this.timer = undefined;
    if (this.owner !== undefined) this.fn?.();
  };
}

/** The timer of one transaction; what it decides on is the transaction's {@link TxnFlags}. */
export class TxnTimer {
  readonly #clock: Clock;
  readonly #f: TxnFlags;
  readonly #owner: TimerOwner;
  readonly #slot: TimerSlot;
  /** The client side's last activity, clock ms. */
  cliAt: number;
  /** The server side's last activity, clock ms. */
  srvAt: number;

  /**
   * A timer reading `flags`, calling `owner.timedOut()` when a timeout strikes (from
   * {@link arm} itself when it is already over) and `owner.armTimer()` when it fires before any
   * did (the transaction then calls {@link arm} with its settings of the moment). Both sides
   * count as active at `now`. One owner object rather than two closures per transaction.
   * `slot` is the session's, shared with the transactions before and after this one (a slot
   * of its own when not given).
   */
  constructor(clock: Clock, flags: TxnFlags, now: number, owner: TimerOwner, slot = new TimerSlot(clock)) {
    this.#clock = clock;
    this.#f = flags;
    this.#owner = owner;
    this.#slot = slot;
    this.cliAt = now;
    this.srvAt = now;
  }

  /** A timer is armed. */
  get armed(): boolean {
    return this.#slot.owner === this && this.#slot.timer !== undefined;
  }

  /** When the armed timer is due, clock ms; undefined if none is. */
  get at(): number | undefined {
    return this.armed ? this.#slot.at : undefined;
  }

  /**
   * The inactivity timeouts of a transaction connected to a server of a backend with
   * `settings` (undefined: not connected, nothing armed): `timeout server` while the response
   * is awaited or the server does not drain, `timeout client` (`clientTimeoutMs`) while the
   * request body is read or the client does not drain, `timeout tunnel` for both once
   * tunnelled. `now` is the caller's reading of the clock in this turn, if it has one.
   */
  arm(settings: BackendSettings | undefined, clientTimeoutMs: number | undefined, now?: number): void {
    const f = this.#f;
    if (f.ended || settings === undefined) return this.disarm();
    if (f.tunnel && settings.tunnelTimeoutMs !== undefined) return this.#armTunnel(settings.tunnelTimeoutMs);
    const tunnel = f.tunnel ? settings.tunnelTimeoutMs : undefined;
    const cliTo = (!f.reqDone && !f.srvBlocked) || f.cliBlocked ? tunnel ?? clientTimeoutMs : undefined;
    const srvTo = (!f.resDone && !f.cliBlocked) || f.srvBlocked ? tunnel ?? settings.serverTimeoutMs : undefined;
    now ??= this.#clock.now();
    const next = nextTimeout(now, this.cliAt, cliTo, this.srvAt, srvTo);
    if (typeof next === "string") return this.#owner.timedOut(next);
    if (next === Infinity) return this.disarm();
    this.#schedule(next, now);
  }

  /** Runs `fn` at `at` (clock ms) unless a timer is armed already (the wait for a request body). */
  once(at: number, fn: () => void): void {
    if (this.armed) return;
    this.#slot.owner = this;
    this.#slot.set(at, this.#clock.now(), fn);
  }

  /** No timer armed: the slot's pending timer, if any, stays for the next owner. */
  disarm(): void {
    const s = this.#slot;
    if (s.owner !== this) return;
    s.owner = undefined;
    s.fn = undefined;
  }

  /** Arms the timer for `at`, unless one is due no later (this one's, or one left in the slot). */
  #schedule(at: number, now: number): void {
    const s = this.#slot;
    const mine = s.owner === this;
    s.owner = this;
    if (s.timer !== undefined && s.at <= at) {
      if (!mine) s.fn = this.#fired;
      return;
    }
    s.set(at, now, this.#fired);
  }

  readonly #fired = (): void => {
    this.#owner.armTimer();
  };

  /**
   * `timeout tunnel` strikes once the tunnel was idle in both directions for that long
   * (configuration.txt 4.2: "inactive in both directions"), so a one-way stream (server push)
   * lives on. The client side is blamed (`cD--`, HAProxy checks the request channel first)
   * unless only the server does not drain (`sD--`).
   */
  #armTunnel(ms: number): void {
    const at = Math.max(this.cliAt, this.srvAt) + ms;
    const now = this.#clock.now();
    if (now >= at) return this.#owner.timedOut(this.#f.srvBlocked && !this.#f.cliBlocked ? "s" : "c");
    this.#schedule(at, now);
  }
}
