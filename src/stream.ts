/**
 * A stream: the client side (accepted, EST from the start), the server side (walked by the
 * backend's connect loop), and the bytes between them in both directions, with backpressure,
 * half-close propagation, inactivity timeouts and HAProxy's termination state.
 *
 * Invariants:
 * - Nothing buffers without bound: a direction whose destination is saturated pauses its
 *   source until the destination drains; before the server is connected, the client's bytes
 *   wait in a small request buffer and the client is paused once it holds `REQ_BUFFER_BYTES`.
 * - Chunks are forwarded as received, never copied.
 * - What is true of a socket (EOF received, write side shut, open or closed) is read from its
 *   {@link Connection}'s flags and its stream interface's state, never mirrored here; the
 *   stream keeps only what HAProxy keeps on its channels (a read shut by a timeout, a
 *   direction blocked by backpressure).
 * - The stream ends when both stream interfaces are closed (or the server side never got a
 *   connection); then, and only then, its lease is released and `onEnd` runs once (counters,
 *   log line).
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { NetError, Socket, SocketHandlers } from "./net.ts";
import { CO_FL, type Connection } from "./connection.ts";
import { StreamInterface } from "./stream_interface.ts";
import type { Frontend } from "./frontend.ts";
import { type Backend, type CancelToken, raiseCancel } from "./backend.ts";
import type { Lease } from "./lease.ts";
import type { Server } from "./server.ts";
import { nextTimeout } from "./_timeouts.ts";
import { HAPROXY_BUFSIZE } from "./http/limits.ts";
import { countAbort, countTimes, dataAbort } from "./_counters.ts";
import { RequestIdentity } from "./http/unique_id.ts";
import type { SampleContext } from "./acl/sample.ts";
import { connectionSampleContext } from "./tcp_rules.ts";

/** Client bytes held while the server side connects (HAProxy buffers up to tune.bufsize). */
export const REQ_BUFFER_BYTES: number = HAPROXY_BUFSIZE;

/** What the streams of one frontend share: built once per frontend, not per stream. */
export interface StreamContext {
  /** Times the stream: inactivity timeouts and the log's `%Tc`, `%Tt`. */
  readonly clock: Clock;
  /**
   * Whether any inactivity timeout applies (client, server or tunnel). Without one, the data
   * path does not read the clock for each chunk and no timer is ever armed.
   */
  readonly timed: boolean;
  /** The frontend the stream was accepted on. */
  readonly frontend: Frontend;
  /** The backend serving the streams: the frontend's default one, or one `use_backend` chose. */
  readonly backend: Backend;
  /** Called once when a stream is over, after its lease was released. */
  readonly onEnd: (stream: Stream) => void;
}

/** Client-side socket events, bound once per stream (no per-chunk closures). */
class ClientHandlers implements SocketHandlers {
  readonly #s: Stream;
  constructor(s: Stream) {
    this.#s = s;
  }
  onData(chunk: Uint8Array): void {
    this.#s.fromClient(chunk);
  }
  onEnd(): void {
    this.#s.clientEnded();
  }
  onDrain(): void {
    this.#s.clientDrained();
  }
  onClose(error?: NetError): void {
    this.#s.clientClosed(error);
  }
}

/** Server-side socket events. */
class ServerHandlers implements SocketHandlers {
  readonly #s: Stream;
  constructor(s: Stream) {
    this.#s = s;
  }
  onData(chunk: Uint8Array): void {
    this.#s.fromServer(chunk);
  }
  onEnd(): void {
    this.#s.serverEnded();
  }
  onDrain(): void {
    this.#s.serverDrained();
  }
  onClose(error?: NetError): void {
    this.#s.serverClosed(error);
  }
}

/**
 * One proxied TCP stream. Created by the proxy for each accepted socket; {@link Stream.start}
 * runs it to the end.
 */
export class Stream implements CancelToken {
  /** The accepted side, attached in EST. */
  readonly front: StreamInterface;
  /** The server side, walked by the backend's connect loop. */
  readonly back: StreamInterface;
  /** What the backend gave this stream: server, slot, retries, queue figures. */
  readonly lease: Lease;
  /** When the client connection was accepted, clock ms (`%t`). */
  readonly acceptedAt: number;
  /**
   * `%rt` (taken when the connection was accepted) and the unique id (`unique-id-format`,
   * rendered on first use: `%ID`, the `unique-id` fetch, a `send-proxy-v2` server's
   * UNIQUE_ID TLV); the content inspection's, when one ran before.
   */
  readonly identity: RequestIdentity;
  /** `%Tc`, -1 until established. */
  connectMs: number = -1;
  /** `%Tw`, -1 unless the stream reached the queue/connect stage. */
  queueTimeMs: number = -1;
  /** Bytes client → server. */
  bytesIn = 0;
  /** Bytes server → client (`%B`). */
  bytesOut = 0;
  /**
   * First termination character (configuration.txt 8.5): who ended the stream, `-` while
   * nothing abnormal happened; `C`/`S` client/server abort, `c`/`s` timeout, `K` killed.
   */
  termCause = "-";
  /** Second termination character: the phase it ended in (`C` connect, `Q` queue, `D` data, `L` last data). */
  termPhase = "-";
  /** End time, clock ms (`%Tt` = endedAt - acceptedAt); -1 while running. */
  endedAt: number = -1;

  readonly #ctx: StreamContext;
  /** The client's connection and socket (the socket is the I/O handle; state is in the flags). */
  readonly #fc: Connection;
  readonly #client: Socket;
  /** The server's socket once established. */
  #server: Socket | undefined;
  /** The client left before the server side was up, or the stream was killed (CancelToken). */
  aborted = false;
  /** What the connect loop waits for leaves its canceller here (CancelToken). */
  onCancel: (() => void) | undefined;
  /** Client bytes that arrived before the server side was up (made on first need). */
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;
  /**
   * The side's read was shut by its inactivity timeout (HAProxy's CF_SHUTR on
   * CF_READ_TIMEOUT, a channel flag: the socket itself saw no EOF): it is paused for good and
   * its direction half-closed downstream, but the other direction goes on until it ends or
   * times out too. A paused socket delivers nothing (src/net.ts, checked for every adapter by
   * the conformance suite), so a read-shut side is simply never resumed.
   */
  #clientReadShut = false;
  #serverReadShut = false;
  /** The direction toward that side is saturated: its source is paused until it drains. */
  #clientBlocked = false;
  #serverBlocked = false;
  #cliAt: number;
  #srvAt: number;
  #timer: Timer | undefined;
  #ended = false;
  /** Time spent in content inspection before the stream started, ms (part of `%Tw`). */
  readonly #inspectMs: number;

  /**
   * A stream for the accepted `client` socket and its connection (its front stream interface
   * enters EST at once), holding `lease` on the context's backend. `inspected` gives the
   * accept time and the client's last read when content inspection ran before (its wait
   * counts in `%Tw`, its bytes come through {@link start}) and its identity (`%rt`, the id).
   * Nothing runs before {@link start}.
   */
  constructor(
    ctx: StreamContext,
    lease: Lease,
    client: Socket,
    clientConn: Connection,
    inspected?: {
      readonly acceptedAt: number;
      readonly lastReadAt: number;
      readonly identity?: RequestIdentity | undefined;
    },
  ) {
    this.#ctx = ctx;
    this.lease = lease;
    this.#client = client;
    this.#fc = clientConn;
    const now = ctx.clock.now();
    this.acceptedAt = inspected?.acceptedAt ?? now;
    this.#inspectMs = now - this.acceptedAt;
    this.#cliAt = inspected?.lastReadAt ?? now;
    this.#srvAt = now;
    this.front = new StreamInterface("client");
    this.front.attachEstablished(clientConn);
    this.back = new StreamInterface("server");
    const sample = (): SampleContext => this.sampleContext();
    const inherited = inspected?.identity;
    inherited?.follow(sample);
    this.identity = inherited ?? new RequestIdentity(ctx.frontend.settings.uniqueId, this.acceptedAt, sample);
    lease.identity = this.identity;
  }

  /**
   * What the stream's samples read (its `log-format` line, its unique id): the client
   * connection's addresses, TLS and PROXY TLVs, the frontend, the backend, this stream.
   */
  sampleContext(): SampleContext {
    return { ...connectionSampleContext(this.#fc, this.frontend.name, this.backend.name), stream: this.identity };
  }

  /** The frontend the stream was accepted on. */
  get frontend(): Frontend {
    return this.#ctx.frontend;
  }

  /** The backend serving the stream. */
  get backend(): Backend {
    return this.#ctx.backend;
  }

  /** The client's connection (addresses, flags). */
  get clientConn(): Connection {
    return this.#fc;
  }

  /** When the stream's armed timer is due, clock ms (`show sess`'s `exp`); undefined if none is. */
  get expiresAt(): number | undefined {
    return this.#timer?.at;
  }

  /** The server the stream was assigned to or last tried (`<NOSRV>` when undefined). */
  get server(): Server | undefined {
    return this.lease.server;
  }

  /** Two-letter termination state, e.g. `--`, `SC`, `cD`. */
  get termination(): string {
    return this.termCause + this.termPhase;
  }

  /** The client sent its EOF. */
  get #clientEof(): boolean {
    return (this.#fc.flags & CO_FL.SOCK_RD_SH) !== 0;
  }

  /** The server sent its EOF. */
  get #serverEof(): boolean {
    return ((this.back.conn?.flags ?? 0) & CO_FL.SOCK_RD_SH) !== 0;
  }

  /**
   * Starts reading the client and connecting the server side. `head`: client bytes read
   * before (content inspection), forwarded first, as received.
   */
  start(head?: Uint8Array): void {
    this.#client.setHandlers(new ClientHandlers(this));
    if (head !== undefined) {
      this.bytesIn += head.length;
      (this.#pending ??= []).push(head);
      this.#pendingBytes += head.length;
      // Inspection may have paused a full buffer; the request buffer holds more.
      if (this.#pendingBytes < REQ_BUFFER_BYTES && !this.#clientEof) this.#client.resume();
    }
    this.#armTimer();
    void this.#connect();
  }

  async #connect(): Promise<void> {
    const clock = this.#ctx.clock;
    const t0 = clock.now();
    const r = await this.#ctx.backend.connect(this.lease, this.back, this);
    const queueMs = this.lease.queueMs;
    if (typeof r === "string") {
      // If the client left first, its termination (set in clientClosed) stands.
      this.#setTerm(r[0]!, r[1]!);
      if (this.back.hasBeen("QUE") || this.back.hasBeen("ASS")) this.queueTimeMs = queueMs + this.#inspectMs;
      this.#closeClient();
      this.#finishIfDone();
      return;
    }
    this.queueTimeMs = queueMs + this.#inspectMs;
    this.connectMs = clock.now() - t0 - queueMs;
    const bc = this.back.conn!;
    if (this.front.state === "CLO") {
      // The client vanished while the connect completed.
      bc.close(true);
      this.back.setState("CLO");
      this.#finishIfDone();
      return;
    }
    this.#server = r;
    if (this.#ctx.timed) this.#srvAt = clock.now();
    r.setHandlers(new ServerHandlers(this));
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      this.#pendingBytes = 0;
      for (const chunk of pending) this.#toServer(chunk);
    }
    if (this.#clientEof) bc.shutw();
    // The client may have been paused by a full request buffer; unless flushing it just
    // saturated the server (then serverDrained() resumes it), let it send again.
    if (!this.#clientBlocked) this.#client.resume();
    this.#armTimer();
  }

  #toServer(chunk: Uint8Array): void {
    if (!this.#server!.write(chunk) && !this.#clientBlocked) {
      this.#clientBlocked = true;
      this.#client.pause();
      this.#armTimer();
    }
  }

  /** Client bytes: forwarded, or held (bounded) until the server side is established. */
  fromClient(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    if (this.#ctx.timed) {
      const now = this.#ctx.clock.now();
      this.#cliAt = now;
      this.#srvAt = now;
    }
    if (this.#server !== undefined) {
      this.#toServer(chunk);
      return;
    }
    (this.#pending ??= []).push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= REQ_BUFFER_BYTES) this.#client.pause();
  }

  /** Server bytes go to the client; a saturated client pauses the server. */
  fromServer(chunk: Uint8Array): void {
    this.bytesOut += chunk.length;
    if (this.#ctx.timed) {
      const now = this.#ctx.clock.now();
      this.#srvAt = now;
      this.#cliAt = now;
    }
    if (!this.#client.write(chunk) && !this.#serverBlocked) {
      this.#serverBlocked = true;
      this.#server!.pause();
      this.#armTimer();
    }
  }

  /** Client EOF: propagated as a half-close once the server side is up (else `#connect` does it). */
  clientEnded(): void {
    this.#fc.read0();
    if (this.#server !== undefined) this.back.conn!.shutw();
    this.#directionEnded();
  }

  /** Server EOF: propagated to the client as a half-close. */
  serverEnded(): void {
    this.back.conn!.read0();
    this.#fc.shutw();
    this.#directionEnded();
  }

  /** After a direction ended: close a timed-out side that is now done, and re-arm the timers. */
  #directionEnded(): void {
    this.#closeTimedOutSides();
    this.#armTimer();
  }

  /** The client can take more: let the server side read again. */
  clientDrained(): void {
    if (this.#ctx.timed) this.#cliAt = this.#ctx.clock.now();
    if (this.#serverBlocked) {
      this.#serverBlocked = false;
      if (!this.#serverReadShut) this.#server?.resume();
      this.#armTimer();
    }
  }

  /** The server can take more: let the client side read again. */
  serverDrained(): void {
    if (this.#ctx.timed) this.#srvAt = this.#ctx.clock.now();
    if (this.#clientBlocked) {
      this.#clientBlocked = false;
      if (!this.#clientReadShut) this.#client.resume();
      this.#armTimer();
    }
  }

  /**
   * Client socket gone. An error, or a close we did not start before the client's EOF, is a
   * client abort (`C`); the server side is ended too (reset after an error, else closed).
   */
  clientClosed(error?: NetError): void {
    const fc = this.#fc;
    const local = (fc.flags & CO_FL.CTRL_READY) === 0;
    fc.closed(error);
    this.front.setState("CLO");
    if (error !== undefined || (!this.#clientEof && !local)) this.#setTerm("C", this.#phase());
    if (this.#server === undefined) this.#cancel();
    else if (this.back.state !== "CLO") this.back.conn!.close(error !== undefined);
    this.#finishIfDone();
  }

  /** Server socket gone: an error is a server abort (`S`); the client side is closed cleanly. */
  serverClosed(error?: NetError): void {
    if (this.back.state === "EST") this.back.setState("DIS");
    this.back.setState("CLO");
    if (error !== undefined || !this.#serverEof) this.#setTerm("S", this.#phase());
    this.back.conn!.closed(error);
    this.#closeClient();
    this.#finishIfDone();
  }

  /**
   * Closes the client side ourselves (flushing what was forwarded to it; close_notify first
   * on TLS). Once the control layer is closed, its `onClose` is ours, not a client abort.
   */
  #closeClient(): void {
    if ((this.#fc.flags & CO_FL.CTRL_READY) === 0) return;
    this.#fc.close();
  }

  /** Abandons the connect loop (once): it ends with `CC`/`CQ` unless a termination is set. */
  #cancel(): void {
    raiseCancel(this);
  }

  /** HAProxy's phase character when something ends the stream now. */
  #phase(): string {
    if (this.back.state === "QUE") return "Q";
    if (this.#server === undefined) return "C";
    return this.#serverEof ? "L" : "D";
  }

  /** Records the first abnormal termination only (HAProxy keeps the first error). */
  #setTerm(cause: string, phase: string): void {
    if (this.termCause !== "-") return;
    this.termCause = cause;
    this.termPhase = phase;
  }

  /**
   * Applies the inactivity timeouts as HAProxy's process_stream() does per channel: `timeout
   * client` covers reading from the client and writing to it, `timeout server` the same on
   * the server side, `timeout tunnel` replaces both once connected. A read timer runs only
   * while that side may send (not at EOF, not paused by backpressure); a write timer only
   * while bytes wait for that side to drain. Activity in either direction re-arms both, as
   * HAProxy refreshes a side's read timeout when it writes to that side.
   */
  #armTimer(): void {
    if (!this.#ctx.timed) return;
    const clock = this.#ctx.clock;
    clock.clearTimer(this.#timer);
    this.#timer = undefined;
    if (this.#ended) return;
    const be = this.#ctx.backend.settings;
    const established = this.#server !== undefined;
    const tunnel = established ? be.tunnelTimeoutMs : undefined;
    const clientReading = !this.#clientEof && !this.#clientReadShut && !this.#clientBlocked;
    const serverReading = !this.#serverEof && !this.#serverReadShut && !this.#serverBlocked;
    const cliTo = clientReading || this.#serverBlocked
      ? tunnel ?? this.#ctx.frontend.settings.clientTimeoutMs
      : undefined;
    const srvTo = established && (serverReading || this.#clientBlocked) ? tunnel ?? be.serverTimeoutMs : undefined;
    const now = clock.now();
    const next = nextTimeout(now, this.#cliAt, cliTo, this.#srvAt, srvTo);
    if (typeof next === "string") return this.#timedOut(next);
    if (next !== Infinity) this.#timer = clock.setTimer(() => this.#armTimer(), next - now);
  }

  /**
   * A side's timeout struck. A write timeout (bytes waiting for that side to drain) or a
   * timeout before the server side is up ends the stream at once, with resets (HAProxy sets
   * NOLINGER on a write timeout). A read timeout only shuts that side's read and half-closes
   * its direction downstream (FIN), like an EOF would; the stream ends once the other
   * direction is over too, and the first timeout names the termination (`cD`/`sD`).
   */
  #timedOut(side: "c" | "s"): void {
    const server = this.#server;
    const writeTimeout = side === "c" ? this.#serverBlocked : this.#clientBlocked;
    if (server === undefined || writeTimeout) return this.#expire(side);
    this.#setTerm(side, this.#phase());
    if (side === "c") {
      this.#clientReadShut = true;
      this.#client.pause();
      this.back.conn!.shutw();
    } else {
      this.#serverReadShut = true;
      server.pause();
      this.#fc.shutw();
    }
    this.#directionEnded();
  }

  /**
   * A side whose read was shut by a timeout never reports EOF, so the adapter cannot see both
   * of its directions end: close it ourselves once its write side is shut too.
   */
  #closeTimedOutSides(): void {
    if (this.#clientReadShut && (this.#fc.flags & CO_FL.SOCK_WR_SH) !== 0) this.#closeClient();
    const bc = this.back.conn;
    if (
      this.#serverReadShut && bc !== undefined && (bc.flags & (CO_FL.SOCK_WR_SH | CO_FL.CTRL_READY)) === SHUT_BUT_OPEN
    ) {
      bc.close();
    }
  }

  /** Ends the stream at once because the proxy is stopping (HAProxy's `K`: killed by admin). */
  kill(): void {
    this.#expire("K");
  }

  /** Ends the stream at once with `cause` (write timeouts, kill): both sockets are aborted. */
  #expire(cause: "c" | "s" | "K"): void {
    if (this.#ended) return;
    this.#setTerm(cause, this.#phase());
    this.#cancel();
    if (this.front.state !== "CLO") this.#fc.close(true);
    if (this.#server !== undefined && this.back.state !== "CLO") this.back.conn!.close(true);
  }

  /**
   * Ends the stream once both sides are closed: the client's stream interface is CLO, and the
   * server's is CLO or never left INI. Releases the lease (slot and backend counts) before the
   * proxy logs, as HAProxy logs a stream once its server side is released.
   */
  #finishIfDone(): void {
    if (this.#ended || this.front.state !== "CLO") return;
    if (this.back.state !== "CLO" && this.back.state !== "INI") return;
    this.#ended = true;
    this.#ctx.clock.clearTimer(this.#timer);
    this.endedAt = this.#ctx.clock.now();
    this.lease.release(this.bytesIn, this.bytesOut);
    // HAProxy's `stream_update_time_stats()`: a TCP stream's response time is 0.
    const total = this.endedAt - this.acceptedAt;
    countTimes(this.backend.counters.times, this.queueTimeMs, this.connectMs, 0, total);
    const srv = this.lease.server;
    if (srv !== undefined) countTimes(srv.counters.times, this.queueTimeMs, this.connectMs, 0, total);
    // `cli_abrt` / `srv_abrt`: the data-phase error, close or timeout that ended it, once.
    countAbort(dataAbort(this.termCause, this.termPhase), this.backend.counters, srv?.counters);
    this.#ctx.onEnd(this);
  }
}

/** Write side shut on a socket still open: a side that timed out reading is done. */
const SHUT_BUT_OPEN = CO_FL.SOCK_WR_SH | CO_FL.CTRL_READY;
