/**
 * `rate-limit sessions <rate>` (configuration.txt 4.2): a frontend takes at most `<rate>` new
 * sessions per second, measured as HAProxy measures it (a sliding one-second window, the
 * previous second prorated, `src/_rates.ts`). HAProxy stops polling the listener and leaves
 * the excess in the kernel's backlog; the adapters have no way to stop `accept()`, so the
 * excess waits here instead: accepted, never read (an accepted socket delivers nothing before
 * its first `setHandlers()`), taken in arrival order as the rate allows. A client that gives up
 * meanwhile is seen as a closed connection once taken; a graceful stop (a reload) takes the ones
 * still waiting, so that none is lost, a stop without grace aborts them.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { Socket } from "./net.ts";
import { FreqCounter } from "./_rates.ts";

/** One frontend's session rate limit: what passes now, what waits, and the timer that takes it. */
export class AcceptRate {
  readonly #rate: number;
  readonly #clock: Clock;
  /** Sessions passed on, per second (what the limit is measured on). */
  readonly #passed: FreqCounter;
  readonly #waiting: { socket: Socket; take: (socket: Socket) => void }[] = [];
  #timer: Timer | undefined;

  /** At most `rate` sockets per second pass, in order; the clock times the window. */
  constructor(rate: number, clock: Clock) {
    this.#rate = rate;
    this.#clock = clock;
    this.#passed = new FreqCounter(clock);
  }

  /** Connections accepted and waiting for the rate to allow them. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A new connection: given to `take` now if the rate allows and none waits before it, else
   * once its turn comes.
   */
  offer(socket: Socket, take: (socket: Socket) => void): void {
    this.#waiting.push({ socket, take });
    if (this.#timer === undefined) this.#run();
  }

  /** Takes what the rate allows, then waits for the next room if some are left. */
  #run(): void {
    this.#timer = undefined;
    while (this.#waiting.length > 0 && this.#passed.allows(this.#rate)) {
      const { socket, take } = this.#waiting.shift()!;
      this.#passed.add();
      take(socket);
    }
    if (this.#waiting.length > 0) {
      this.#timer = this.#clock.setTimer(() => this.#run(), this.#passed.delayFor(this.#rate));
    }
  }

  /**
   * Stops: the waiting connections are taken now (`release`: a graceful stop or a reload lets
   * them finish like the streams in progress, so none is lost) or aborted (they never became
   * sessions).
   */
  close(release: boolean): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    for (const w of this.#waiting.splice(0)) release ? w.take(w.socket) : w.socket.abort();
  }
}
