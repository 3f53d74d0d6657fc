/**
 * TCP content inspection: the stage between accepting a `mode tcp` connection and starting
 * its stream, where `tcp-request content` rules and `use_backend` read the client's first
 * bytes (a TLS ClientHello, a protocol banner) without consuming them.
 *
 * Invariants:
 * - The bytes are buffered, never changed, and handed to the stream first, untouched: a
 *   ClientHello routed on its SNI reaches the origin as the client sent it.
 * - The buffer is bounded: once it holds {@link INSPECT_BUFFER_BYTES} the client is paused
 *   and the pass is final (HAProxy's "buffer full", `channel_full()` keeping `maxrewrite`).
 * - Rules wait ("miss") only until the pass is final: `tcp-request inspect-delay` expired,
 *   buffer full, client shut its side (FIN), or no inspect-delay. The time waited is
 *   reported in the stream's `%Tw`, as HAProxy does.
 * - A client that stalls is closed by the inspect delay (then the stream's `timeout client`)
 *   or by `timeout client` when it strikes first (`cR`); a reset during inspection is `CR`, a
 *   `reject` is `PR` with an abortive close. Each ends with one log line, backend `<fe>`,
 *   server `<NOSRV>`.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { Connection } from "./connection.ts";
import type { NetError, Socket, SocketHandlers } from "./net.ts";
import type { Frontend } from "./frontend.ts";
import type { RequestPayload, SampleContext, StreamIdentity } from "./acl/sample.ts";
import { requestPayload } from "./acl/_payload.ts";
import { connectionSampleContext } from "./tcp_rules.ts";
import { compileHttpPolicy, type HttpPolicy, selectBackend } from "./http/policy.ts";
import { compileContentRules, type ContentRule, runContentRules } from "./inspect_rules.ts";
import type { ResolvedFrontendConfig } from "./config/resolved.ts";
import type { StreamLogRecord } from "./log.ts";
import { HAPROXY_BUFSIZE } from "./http/limits.ts";
import { RequestIdentity } from "./http/unique_id.ts";

/**
 * How many request bytes inspection holds at most: HAProxy's buffer less the `maxrewrite`
 * reserve (1024 by default) that `channel_full()` keeps free.
 */
export const INSPECT_BUFFER_BYTES: number = HAPROXY_BUFSIZE - 1024;

const EMPTY = new Uint8Array(0);

/** What a frontend's inspection runs: its rules, its switching, its delay. */
export interface InspectPolicy {
  /** `tcp-request inspect-delay`, ms; 0: the pass is final at once. */
  readonly delayMs: number;
  /** `tcp-request content` rules; none: no waiting at all, `use_backend` decides at once. */
  readonly rules: readonly ContentRule[];
  /** The frontend's ACLs, `use_backend` rules and `default_backend`. */
  readonly switching: HttpPolicy;
}

/**
 * The inspection policy of a `mode tcp` frontend with `tcp-request content` rules or
 * `use_backend` rules (others take the direct path): its ACLs, switching and content rules,
 * compiled once (`resolveConfig()` already refused what does not compile).
 */
export function compileInspectPolicy(f: ResolvedFrontendConfig): InspectPolicy {
  const switching = compileHttpPolicy({
    name: f.name,
    acls: f.http?.acls ?? [],
    useBackends: f.http?.useBackends ?? [],
    ...(f.defaultBackend !== undefined ? { defaultBackend: f.defaultBackend } : {}),
  });
  return {
    delayMs: f.tcpRequest.inspectDelayMs,
    rules: compileContentRules(f.tcpRequest.content, switching.acls),
    switching,
  };
}

/** What the inspections of one frontend share. */
export interface InspectContext {
  /** Timers and `%Tw`. */
  readonly clock: Clock;
  /** The frontend. */
  readonly frontend: Frontend;
  /** Its rules. */
  readonly policy: InspectPolicy;
  /**
   * The rules accepted and `use_backend` chose `backend`: start the stream with `head` (the
   * buffered bytes, forwarded first). The socket's handlers are the caller's from now on.
   */
  readonly onRoute: (inspection: Inspection, backend: string, head: Uint8Array | undefined) => void;
  /** The connection ended during inspection (reject, abort, timeout, kill): count and log it. */
  readonly onEnd: (inspection: Inspection) => void;
}

/** A sample context over the buffered bytes; `backend` is the frontend until one is chosen. */
function sampleContext(
  fe: Frontend,
  conn: Connection,
  payload: RequestPayload,
  stream?: StreamIdentity,
): SampleContext {
  return { ...connectionSampleContext(conn, fe.name, fe.name), payload, stream };
}

/**
 * The backend `use_backend` picks at once, final, on `head` (or nothing): a frontend with
 * switching rules but no content rule (HAProxy then never waits), or after the content rules
 * accepted (`parsed`: the pass's payload over the same bytes, whose ClientHello parse is
 * reused).
 */
export function routeAtOnce(
  policy: InspectPolicy,
  fe: Frontend,
  conn: Connection,
  head: Uint8Array | undefined,
  parsed?: RequestPayload,
): string {
  const payload = requestPayload(head ?? EMPTY, true, parsed);
  return selectBackend(policy.switching, sampleContext(fe, conn, payload)) ?? policy.switching.defaultBackend!;
}

/** One connection under inspection. */
export class Inspection implements SocketHandlers {
  /** The client's socket (its handlers are this inspection's until it routes). */
  readonly socket: Socket;
  /** The client's connection. */
  readonly conn: Connection;
  /** Accept time, clock ms. */
  readonly acceptedAt: number;
  /** The last time the client sent bytes (the stream's `timeout client` counts from it). */
  lastReadAt: number;
  /**
   * The stream's `%rt` (taken at accept, as HAProxy's stream exists from then) and unique id,
   * which rules may read (`unique-id`) and the stream keeps; rendered over the bytes so far.
   */
  readonly identity: RequestIdentity;
  /** How it ended when it did not route (`PR`, `CR`, `cR`, `KR`); `--` while running. */
  termination = "--";
  /** End time, clock ms; -1 while running. */
  endedAt = -1;
  readonly #ctx: InspectContext;
  #bytes: Uint8Array = EMPTY;
  #timer: Timer | undefined;
  #done = false;

  /** Inspection of an accepted connection; nothing runs before {@link start}. */
  constructor(ctx: InspectContext, socket: Socket, conn: Connection) {
    this.#ctx = ctx;
    this.socket = socket;
    this.conn = conn;
    this.acceptedAt = ctx.clock.now();
    this.lastReadAt = this.acceptedAt;
    this.identity = new RequestIdentity(
      ctx.frontend.settings.uniqueId,
      this.acceptedAt,
      () => sampleContext(ctx.frontend, conn, requestPayload(this.#bytes, true), this.identity),
    );
  }

  /** The bytes received so far (what `%U` counts when it ends here). */
  get bytesIn(): number {
    return this.#bytes.length;
  }

  /** The frontend. */
  get frontend(): Frontend {
    return this.#ctx.frontend;
  }

  /**
   * The log record of an inspection that ended without a stream (`%b` is the frontend, no
   * server, `-1/-1/Tt`), `processConns` being the process's streams now, this one included.
   */
  logRecord(processConns: number): StreamLogRecord {
    const fe = this.#ctx.frontend;
    return {
      client: this.conn.src,
      acceptedAt: this.acceptedAt,
      frontend: fe.name,
      backend: fe.name,
      server: undefined,
      queueMs: -1,
      connectMs: -1,
      totalMs: this.endedAt - this.acceptedAt,
      bytesToClient: 0,
      bytesFromClient: this.bytesIn,
      termination: this.termination,
      processConns,
      frontendConns: fe.counters.current,
      backendConns: 0,
      serverConns: 0,
      retries: 0,
      redispatched: false,
      serverQueue: 0,
      backendQueue: 0,
    };
  }

  /** Starts reading, `head` (bytes an earlier stage read) first. */
  start(head?: Uint8Array): void {
    if (head !== undefined && head.length > 0) this.#bytes = head;
    this.socket.setHandlers(this);
    if (!this.#pass(this.#bytes.length >= INSPECT_BUFFER_BYTES || this.#ctx.policy.delayMs === 0)) this.#arm();
  }

  /** Client bytes: buffered, then a new pass. */
  onData(chunk: Uint8Array): void {
    if (this.#done) return;
    this.lastReadAt = this.#ctx.clock.now();
    const b = new Uint8Array(this.#bytes.length + chunk.length);
    b.set(this.#bytes);
    b.set(chunk, this.#bytes.length);
    this.#bytes = b;
    const full = b.length >= INSPECT_BUFFER_BYTES;
    if (full) this.socket.pause();
    if (!this.#pass(full)) this.#arm();
  }

  /** The client shut its side: the pass is final. */
  onEnd(): void {
    if (this.#done) return;
    this.conn.read0();
    this.#pass(true);
  }

  /** The stream drains the client side; nothing is written during inspection. */
  onDrain(): void {}

  /** The client vanished before a decision: a client abort in the request phase. */
  onClose(error?: NetError): void {
    this.conn.closed(error);
    this.#end("CR", false);
  }

  /** The proxy stops: end at once (`KR`). */
  kill(): void {
    this.#end("KR", true);
  }

  /** One pass; returns whether it decided (routed or ended). */
  #pass(final: boolean): boolean {
    const { frontend: fe, policy } = this.#ctx;
    const bytes = this.#bytes;
    const payload = requestPayload(bytes, final);
    const verdict = runContentRules(
      policy.rules,
      () => sampleContext(fe, this.conn, payload, this.identity),
      this.conn,
    );
    if (verdict === "wait") return false;
    if (verdict === "reject") {
      this.#end("PR", true);
      return true;
    }
    this.#finish();
    const backend = routeAtOnce(policy, fe, this.conn, bytes, payload);
    this.#ctx.onRoute(this, backend, bytes.length > 0 ? bytes : undefined);
    return true;
  }

  /** Arms the one timer: the inspect delay's end, or `timeout client` if it comes first. */
  #arm(): void {
    const clock = this.#ctx.clock;
    clock.clearTimer(this.#timer);
    const due = this.acceptedAt + this.#ctx.policy.delayMs;
    const cto = this.#ctx.frontend.settings.clientTimeoutMs;
    const idle = cto === undefined ? Infinity : this.lastReadAt + cto;
    const at = Math.min(due, idle);
    this.#timer = clock.setTimer(() => {
      this.#timer = undefined;
      if (this.#done) return;
      if (clock.now() >= due) this.#pass(true);
      else if (clock.now() >= idle) this.#end("cR", true);
      else this.#arm();
    }, Math.max(0, at - clock.now()));
  }

  #finish(): void {
    this.#done = true;
    this.#ctx.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Ends here with `termination`; `abort`: reset the client (HAProxy kills the connection). */
  #end(termination: string, abort: boolean): void {
    if (this.#done) return;
    this.#finish();
    this.termination = termination;
    this.endedAt = this.#ctx.clock.now();
    if (abort) this.conn.close(true);
    this.#ctx.onEnd(this);
  }
}
