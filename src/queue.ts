/**
 * Server and backend queues, and the slots they hand out: HAProxy's queue.c (pendconn) in one
 * place.
 *
 * A stream that wants a server takes a *slot* on it (HAProxy's `served`, under its `maxconn`)
 * or waits in a queue: the server's own queue when it is already assigned to that server (a
 * hashed or least-connections election that found the server full), else the backend queue.
 * A freed slot goes to the oldest waiter of the two (`pendconn_process_next_strm()`); a server
 * coming UP takes waiters from the backend queue (`pendconn_grab_from_px()`); a server going
 * DOWN or into maintenance sends the waiters of its own queue back to election when `option
 * redispatch` is set (`pendconn_redistribute()`).
 *
 * Positions for the log (`%sq`/`%bq`) are counted as queue.c counts them: a queue numbers the
 * streams it hands a slot to (`queue_idx`), and a stream leaving it adds the number handed out
 * since it entered, plus one.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { ConnectCancel } from "./net.ts";
import type { Lease } from "./lease.ts";
import type { Server } from "./server.ts";

/**
 * How a wait in a queue ended:
 * - a {@link Server}: a slot on it was handed over (reserved, claimed when the stream resumes);
 * - `"redistributed"`: the stream's server went DOWN or into maintenance with `option
 *   redispatch`: elect again;
 * - `"timeout"`: `timeout queue` struck;
 * - `"aborted"`: the client left.
 */
export type WaitOutcome = Server | "redistributed" | "timeout" | "aborted";

/**
 * One waiting stream (HAProxy's pendconn), created by {@link Queues.wait}. Settled exactly
 * once.
 */
export class Pendconn {
  /** When it entered the queue, clock ms (the oldest waiter is served first). */
  readonly since: number;
  /** The queue it waits in. */
  readonly queue: Queue;
  /** The waiting stream's lease, which gets the slot or the queue position. */
  readonly lease: Lease;
  /** The queue's hand-out count when this one entered, minus one (`p->queue_idx`). */
  readonly #idx0: number;
  readonly #resolve: (o: WaitOutcome) => void;
  readonly #cancel: ConnectCancel;
  readonly #clock: Clock;
  #timer: Timer | undefined;

  /** A waiter of `queue` that calls `resolve` once, when {@link settle}d. */
  constructor(
    queue: Queue,
    lease: Lease,
    since: number,
    clock: Clock,
    cancel: ConnectCancel,
    resolve: (o: WaitOutcome) => void,
  ) {
    this.queue = queue;
    this.lease = lease;
    this.since = since;
    this.#clock = clock;
    this.#cancel = cancel;
    this.#resolve = resolve;
    this.#idx0 = queue.handedOut - 1;
  }

  /** Arms the queue timeout and the client abort. */
  arm(timeoutMs: number | undefined): void {
    if (timeoutMs !== undefined) this.#timer = this.#clock.setTimer(this.#onTimeout, timeoutMs);
    this.#cancel.onCancel = this.#onAbort;
  }

  /**
   * Ends the wait (the caller already took it out of its queue, or it is still in and is
   * removed here) and counts its queue position for the log (`__pendconn_unlink()`).
   */
  settle(outcome: WaitOutcome): void {
    this.queue.remove(this);
    const pos = this.queue.handedOut - this.#idx0;
    if (this.queue.server !== undefined) this.lease.serverQueuePos += pos;
    else this.lease.backendQueuePos += pos;
    this.#clock.clearTimer(this.#timer);
    if (this.#cancel.onCancel === this.#onAbort) this.#cancel.onCancel = undefined;
    this.#resolve(outcome);
  }

  readonly #onTimeout = (): void => this.settle("timeout");
  readonly #onAbort = (): void => this.settle("aborted");
}

/** A FIFO of waiting streams: one per server (`srv->queue`) and one per backend (`px->queue`). */
export class Queue {
  /** The server this queue belongs to; `undefined` for a backend queue. */
  readonly server: Server | undefined;
  /** Streams this queue has handed a slot to so far (`queue_idx`). */
  handedOut = 0;
  /** The most streams waiting at once (`qmax`). */
  max = 0;
  readonly #entries: Pendconn[] = [];

  /** The queue of `server`, or the backend queue when `server` is omitted. */
  constructor(server?: Server) {
    this.server = server;
  }

  /** Streams waiting now (`qcur`). */
  get length(): number {
    return this.#entries.length;
  }

  /** When the oldest waiter entered; `Infinity` when empty. */
  get oldest(): number {
    return this.#entries[0]?.since ?? Infinity;
  }

  /** Appends a waiter. */
  push(p: Pendconn): void {
    this.#entries.push(p);
    if (this.#entries.length > this.max) this.max = this.#entries.length;
  }

  /** Takes the oldest waiter out. */
  shift(): Pendconn | undefined {
    return this.#entries.shift();
  }

  /** Takes every waiter out, oldest first. */
  drain(): Pendconn[] {
    return this.#entries.splice(0);
  }

  /** Removes `p` if it is still waiting here. */
  remove(p: Pendconn): void {
    const i = this.#entries.indexOf(p);
    if (i >= 0) this.#entries.splice(i, 1);
  }
}

/** What the queues of one backend need to know about it. */
export interface QueueHost {
  /** Times the waits (`timeout queue`, the log's `%Tw`). */
  readonly clock: Clock;
  /** `timeout queue`, ms; undefined = infinite. */
  readonly queueTimeoutMs: number | undefined;
  /** `option allbackups`. */
  readonly allBackups: boolean;
  /** `option redispatch` is set (any interval): a DOWN server's waiters are elected again. */
  readonly redispatch: boolean;
  /** The backend's servers, in declaration order (the first usable backup is the first here). */
  readonly servers: readonly Server[];
}

/**
 * The queues of one backend and the slots of its servers. Every slot is taken, handed out and
 * given back here, so `served` and the queues can never disagree.
 */
export class Queues {
  /** Streams waiting for any server of the backend. */
  readonly backend: Queue = new Queue();
  readonly #host: QueueHost;

  /** The queues of the backend `host` describes; every queue starts empty. */
  constructor(host: QueueHost) {
    this.#host = host;
  }

  /** Active (non-backup) servers that can take traffic (HAProxy's `srv_act`). */
  get activeServers(): number {
    let n = 0;
    for (const s of this.#host.servers) if (!s.backup && s.usable) n++;
    return n;
  }

  /** The lease takes a free slot on `srv` at once (the caller checked `!srv.full`). */
  take(lease: Lease, srv: Server): void {
    srv.take();
    lease.holdSlot(srv);
  }

  /** A waiter that was handed a slot on `srv` resumes and now holds it. */
  claim(lease: Lease, srv: Server): void {
    srv.claim();
    lease.holdSlot(srv);
  }

  /**
   * Waits in `queue` until a slot is handed over, `timeout queue` strikes, the server is
   * redistributed or the stream's `cancel` slot is called (the client left).
   */
  wait(queue: Queue, lease: Lease, cancel: ConnectCancel): Promise<WaitOutcome> {
    const clock = this.#host.clock;
    return new Promise((resolve) => {
      const p = new Pendconn(queue, lease, clock.now(), clock, cancel, resolve);
      p.arm(this.#host.queueTimeoutMs);
      queue.push(p);
    });
  }

  /**
   * Gives back the slot `lease` holds and hands it to the oldest waiter among that server's
   * queue and the backend queue (`pendconn_process_next_strm()`); the backend queue is not
   * served by a server that cannot take new streams. Does nothing when no slot is held.
   */
  release(lease: Lease): void {
    const srv = lease.dropSlot();
    if (srv === undefined) return;
    srv.release();
    this.process(srv);
  }

  /**
   * Hands the free slots of `srv` to the oldest waiters among its own queue and the backend
   * queue (`process_srv_queue()`): after a release, or when its `maxconn` was raised.
   */
  process(srv: Server): void {
    while (!srv.full) {
      const own = srv.queue;
      const shared = this.#servesBackendQueue(srv) ? this.backend : undefined;
      const from = shared === undefined || own.oldest <= shared.oldest ? own : shared;
      const next = from.shift();
      if (next === undefined) return;
      srv.reserve();
      next.settle(srv);
      // Counted after the waiter's own position, as pendconn_process_next_strm() does.
      from.handedOut++;
    }
  }

  /**
   * A server came UP: streams waiting in the backend queue take its free slots at once
   * (`pendconn_grab_from_px()`; unlike a freed slot this does not advance `%bq`). Returns how
   * many were taken (the state line's "N sessions requeued").
   */
  grab(srv: Server): number {
    if (!this.#servesBackendQueue(srv)) return 0;
    let n = 0;
    while (!srv.full) {
      const next = this.backend.shift();
      if (next === undefined) break;
      srv.reserve();
      next.settle(srv);
      n++;
    }
    return n;
  }

  /**
   * A server went DOWN or into maintenance: with `option redispatch`, the streams waiting in
   * its own queue go back to election, to be served by another server or the backend queue
   * (`pendconn_redistribute()`). Returns how many (the state line's "N requeued").
   */
  redistribute(srv: Server): number {
    if (!this.#host.redispatch) return 0;
    const waiting = srv.queue.drain();
    for (const p of waiting) p.settle("redistributed");
    return waiting.length;
  }

  /**
   * Whether `srv` may take streams from the backend queue (queue.c): it must be usable, and a
   * backup server only while no active server is, and only the first usable backup unless
   * `option allbackups`.
   */
  #servesBackendQueue(srv: Server): boolean {
    if (!srv.usable) return false;
    if (!srv.backup) return true;
    if (this.activeServers > 0) return false;
    return this.#host.allBackups || this.#host.servers.find((s) => s.backup && s.usable) === srv;
  }
}
