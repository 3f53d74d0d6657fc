/**
 * The inactivity timer of an HTTP transaction (configuration.txt 4.2, `timeout client`,
 * `timeout server`, `timeout tunnel`, `timeout http-request`): one timer per transaction, not
 * one per chunk. Activity only moves deadlines later: a timer due no later stays, and when it
 * fires it re-arms for what is due then. The connect and queue timeouts are the backend's.
 *
 * The runtime's timer is the client connection's {@link TimerSlot}, which the session and its
 * transactions take in turn (`src/timer_slot.ts`).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { TimerSlot } from "../timer_slot.ts";
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
   * `slot` is the client connection's, shared with its session and the transactions before and
   * after this one (a slot of its own when not given).
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
    return this.#slot.dueFor(this) !== undefined;
  }

  /** When the armed timer is due, clock ms; undefined if none is. */
  get at(): number | undefined {
    return this.#slot.dueFor(this);
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
    this.#slot.replace(this, at, this.#clock.now(), fn);
  }

  /** No timer armed: the slot's pending timer, if any, stays for the next owner. */
  disarm(): void {
    this.#slot.release(this);
  }

  /** Arms the timer for `at`, unless one is due no later (this one's, or one left in the slot). */
  #schedule(at: number, now: number): void {
    this.#slot.take(this, at, now, this.#fired);
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
