/**
 * What a stream holds on its backend: it is counted in the backend from admission to release,
 * holds at most one server slot at a time, and carries what the connect loop found out for
 * the log (server, retries, redispatch, queue time and positions).
 *
 * Only the backend and its queues write it (`src/backend.ts`, `src/queue.ts`); the stream
 * reads it and releases it exactly once, when it ends. This is HAProxy's `s->target`,
 * `s->srv_conn` (the slot, `sess_change_server()`) and the `logs` fields of a stream.
 *
 * @module
 */
import type { Server } from "./server.ts";
import type { Connection } from "./connection.ts";
import type { RequestHead } from "./http/head.ts";
import type { StreamIdentity } from "./acl/sample.ts";
import type { TlsInfo } from "./net.ts";

/** Called once by {@link Lease.release}: the backend gives the slot back and counts the stream out. */
export type LeaseRelease = (lease: Lease, bytesIn: number, bytesOut: number) => void;

/** A stream's hold on its backend. Created by `Backend.admit()`. */
export class Lease {
  /** The client's connection, whose address `balance source` hashes (read only then). */
  readonly #client: Connection | undefined;
  /** The server assigned or last tried (log `%s`); undefined while none was (`<NOSRV>`). */
  server: Server | undefined;
  /** Connect retries (`%rc`). */
  retries = 0;
  /** A redispatch moved the stream to another server (`+` before `%rc`). */
  redispatched = false;
  /** Time spent in queues, ms (`%Tw`). */
  queueMs = 0;
  /**
   * The head of the HTTP request this lease is connecting for, the key of `balance uri`,
   * `url_param` and `hdr`. The HTTP mux sets it before each `Backend.connect()`; it stays
   * undefined in TCP mode (those algorithms then fall back to round-robin).
   */
  request: RequestHead | undefined = undefined;
  /**
   * The identity of the stream (TCP) or request (HTTP) this lease connects for: a
   * `send-proxy-v2` server with `proxy-v2-options unique-id` receives its unique id. Set by
   * its stream or transaction before `Backend.connect()`; undefined: an empty UNIQUE_ID TLV.
   */
  identity: StreamIdentity | undefined = undefined;
  /**
   * The server a persistence cookie designates (HAProxy SF_DIRECT | SF_ASSIGNED): set by the
   * HTTP mux from `persistRequest()` before `Backend.connect()`, which then takes this server
   * without load balancing, even DOWN (`option persist`). The backend clears it when a retry
   * redispatches the stream elsewhere (or its queue is full with `option redispatch`), and
   * sets {@link directLost}.
   */
  direct: Server | undefined = undefined;
  /**
   * A redispatch moved the stream off its {@link direct} server: the request cookie flag turns
   * `V` into `D` (backend.c `assign_server_and_queue()`, see `requestCookieFlagAfter()`), and
   * the response inserts a fresh cookie.
   */
  directLost = false;
  /** Position in server queues as queue.c counts it, summed over every wait (`%sq`). */
  serverQueuePos = 0;
  /** The same for the backend queue (`%bq`). */
  backendQueuePos = 0;
  /** The server whose slot is held (counted in its `served`), if any. */
  #slot: Server | undefined;
  #released = false;
  readonly #onRelease: LeaseRelease;

  /**
   * A lease holding no slot yet for the stream of `client` (its connection); `onRelease` is the
   * backend's side of {@link release}.
   */
  constructor(client: Connection | undefined, onRelease: LeaseRelease) {
    this.#client = client;
    this.#onRelease = onRelease;
  }

  /**
   * Client IP literal, the key of `balance source`; undefined for Unix clients. Read from the
   * client's connection when asked (an address costs a system call on some runtimes).
   */
  get sourceKey(): string | undefined {
    const src = this.#client?.src;
    return src?.transport === "tcp" ? src.hostname : undefined;
  }

  /** The client's connection: its addresses (a transparent server's destination) and TLS make the `send-proxy` header. */
  get client(): Connection | undefined {
    return this.#client;
  }

  /** The client connection's TLS, which a server's `sni ssl_fc_sni` passes on. */
  get clientTls(): TlsInfo | undefined {
    return this.#client?.tls;
  }

  /** Whether a server slot is held now. */
  get holdsSlot(): boolean {
    return this.#slot !== undefined;
  }

  /** Whether {@link release} was called. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Records the slot taken on `srv` (by the queues only).
   * @throws {Error} if a slot is already held: a slot is given back before another is taken.
   */
  holdSlot(srv: Server): void {
    if (this.#slot !== undefined) throw new Error(`lease: already holds a slot on ${this.#slot.name}`);
    this.#slot = srv;
  }

  /** Forgets the slot and returns its server, for the queues to give it back; once per slot. */
  dropSlot(): Server | undefined {
    const s = this.#slot;
    this.#slot = undefined;
    return s;
  }

  /**
   * Ends the stream's hold: gives back the slot it may hold (the next waiter gets it) and
   * counts the stream and its bytes out of the backend and its server. Later calls do nothing,
   * so no slot or count is ever given back twice.
   */
  release(bytesIn: number, bytesOut: number): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this, bytesIn, bytesOut);
  }
}
