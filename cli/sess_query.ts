/**
 * `show sess` across the command line's workers: worker 1 (the one with the stats sockets)
 * asks every other worker for its streams through the primary, waits for their answers up to
 * a bounded time, then prints its own streams and theirs as one list, as HAProxy with
 * `nbthread` lists the streams of every thread. A worker that does not answer in time (busy,
 * stopping) leaves its streams out of that answer; nothing else waits on it.
 *
 * @module
 */
import type { SessReplyMessage } from "./workers.ts";
import type { SessRow } from "../src/_show_sess.ts";

/** How long worker 1 waits for the other workers' streams, ms. */
export const SESS_QUERY_TIMEOUT_MS = 1000;

/** One query waiting for its answers. */
interface Pending {
  add(rows: readonly SessRow[]): void;
}

/** Worker side of the query: asks, collects the answers, gives up after a bounded time. */
export class SessQuery {
  readonly #workers: number;
  readonly #ask: (id: number) => void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  /**
   * `workers`: how many run (this one included); `ask(id)` sends query `id` to every other
   * worker, whose answers come to {@link answer}.
   */
  constructor(workers: number, ask: (id: number) => void, timeoutMs = SESS_QUERY_TIMEOUT_MS) {
    this.#workers = workers;
    this.#ask = ask;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Every worker's streams: `own`, then the others' as they answer within the timeout, in
   * worker order.
   */
  rows(own: readonly SessRow[]): Promise<SessRow[]> {
    if (this.#workers <= 1) return Promise.resolve([...own]);
    const id = this.#next++;
    return new Promise((resolve) => {
      const rows = [...own];
      let left = this.#workers - 1;
      const finish = () => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(rows.sort((a, b) => (a.worker ?? 0) - (b.worker ?? 0)));
      };
      const timer = setTimeout(finish, this.#timeoutMs);
      this.#pending.set(id, {
        add(r) {
          rows.push(...r);
          if (--left === 0) finish();
        },
      });
      this.#ask(id);
    });
  }

  /** A worker's answer; one to a query that already gave up is dropped. */
  answer(m: SessReplyMessage): void {
    this.#pending.get(m.id)?.add(m.rows);
  }
}
