/**
 * Stream counts kept the same way by the proxy, frontends, backends and servers.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { FreqCounter } from "./_rates.ts";

/** Streams now, the most at once, ever; bytes of the streams that ended. */
export interface StreamCounts {
  /** Streams now (HAProxy `scur`). */
  current: number;
  /** Highest `current` seen (`smax`). */
  max: number;
  /** Streams ever counted (`stot`). */
  total: number;
  /** Bytes client → server of ended streams (`bin`). */
  bytesIn: number;
  /** Bytes server → client of ended streams (`bout`). */
  bytesOut: number;
  /** Streams counted in per second: `current` over the last second (`rate`) and `max` (`rate_max`). */
  readonly rate: FreqCounter;
}

/**
 * HTTP mode's counts (zero in `mode tcp`): requests, and responses by status class, as
 * HAProxy's stats `req_tot`, `hrsp_1xx`... `hrsp_5xx`, `hrsp_other`. A response the proxy
 * produced (a deny, a 503) counts as any other.
 */
export interface HttpCounts {
  /** HTTP requests (`req_tot`; refused ones included on a frontend). */
  requests: number;
  /** Responses by status class: index 0 for 1xx... 4 for 5xx, 5 for any other (`hrsp_*`). */
  readonly responses: [number, number, number, number, number, number];
  /**
   * Requests per second (`req_rate`, `req_rate_max`): a frontend's counts each request as its
   * head arrives (as HAProxy's), with the same clock as the rest; backends and servers leave it
   * at 0 (HAProxy shows no request rate for them).
   */
  readonly rate: FreqCounter;
}

/** Fresh zeroed HTTP counts, their rate read on `clock`. */
export function newHttpCounts(clock: Clock): HttpCounts {
  return { requests: 0, responses: [0, 0, 0, 0, 0, 0], rate: new FreqCounter(clock) };
}

/** Counts one request and, when one was sent (`status` > 0), its response's class. */
export function countHttp(c: HttpCounts, status: number): void {
  c.requests++;
  if (status <= 0) return;
  const cls = Math.floor(status / 100);
  const i = cls >= 1 && cls <= 5 ? cls - 1 : 5;
  c.responses[i] = c.responses[i]! + 1;
}

/** Fresh zeroed counts, their rate read on `clock`. */
export function newStreamCounts(clock: Clock): StreamCounts {
  return { current: 0, max: 0, total: 0, bytesIn: 0, bytesOut: 0, rate: new FreqCounter(clock) };
}

/** Counts one stream in at `now` (clock ms; read from the rate's clock when not given). */
export function countIn(c: StreamCounts, now?: number): void {
  c.current++;
  c.total++;
  c.rate.add(1, now);
  if (c.current > c.max) c.max = c.current;
}

/** Counts one stream out, adding its bytes. */
export function countOut(c: StreamCounts, bytesIn: number, bytesOut: number): void {
  c.current--;
  c.bytesIn += bytesIn;
  c.bytesOut += bytesOut;
}

/**
 * HAProxy's `TIME_STATS_SAMPLES`: the time averages run over the last 1024 streams (a
 * sliding-window average, `swrate_add()`, src/freq_ctr.c).
 */
export const TIME_SAMPLES = 1024;

/**
 * Times of the streams that reached a server, ms, as HAProxy's stats `qtime`, `ctime`,
 * `rtime`, `ttime` (averages over the last {@link TIME_SAMPLES}) and `qtime_max`...
 * `ttime_max`. Until 1024 streams were counted, the average is the plain mean of them all.
 */
export interface TimeCounts {
  /** Streams counted (grows to {@link TIME_SAMPLES}, then the window slides). */
  samples: number;
  /** Average time in queues (`qtime`, log `%Tw`). */
  queueMs: number;
  /** Average connect time (`ctime`, `%Tc`). */
  connectMs: number;
  /** Average response time (`rtime`, `%Tr`; 0 in `mode tcp`, as HAProxy). */
  responseMs: number;
  /** Average total time (`ttime`, `%Tt` / `%Ta`). */
  totalMs: number;
  /** Longest time in queues (`qtime_max`). */
  queueMaxMs: number;
  /** Longest connect time (`ctime_max`). */
  connectMaxMs: number;
  /** Longest response time (`rtime_max`). */
  responseMaxMs: number;
  /** Longest total time (`ttime_max`). */
  totalMaxMs: number;
}

/** Fresh zeroed time counts. */
export function newTimeCounts(): TimeCounts {
  return {
    samples: 0,
    queueMs: 0,
    connectMs: 0,
    responseMs: 0,
    totalMs: 0,
    queueMaxMs: 0,
    connectMaxMs: 0,
    responseMaxMs: 0,
    totalMaxMs: 0,
  };
}

/**
 * Counts one stream's times (HAProxy's `stream_update_time_stats()`): nothing when it never
 * connected (`connectMs` < 0) or, in HTTP, never got a response head (`responseMs` < 0). A
 * TCP stream passes `responseMs` 0. Each average moves by (value - average) / window, which
 * is `swrate_add()` with a window growing from 1 to {@link TIME_SAMPLES}.
 */
export function countTimes(
  c: TimeCounts,
  queueMs: number,
  connectMs: number,
  responseMs: number,
  totalMs: number,
): void {
  if (connectMs < 0 || responseMs < 0) return;
  const q = Math.max(queueMs, 0);
  if (c.samples < TIME_SAMPLES) c.samples++;
  const n = c.samples;
  c.queueMs += (q - c.queueMs) / n;
  c.connectMs += (connectMs - c.connectMs) / n;
  c.responseMs += (responseMs - c.responseMs) / n;
  c.totalMs += (totalMs - c.totalMs) / n;
  if (q > c.queueMaxMs) c.queueMaxMs = q;
  if (connectMs > c.connectMaxMs) c.connectMaxMs = connectMs;
  if (responseMs > c.responseMaxMs) c.responseMaxMs = responseMs;
  if (totalMs > c.totalMaxMs) c.totalMaxMs = totalMs;
}

/**
 * Data transfers aborted by either side, as HAProxy's `cli_abrt` and `srv_abrt` (backends and
 * servers; HAProxy 2.6 counts them on frontends too but its stats leave them empty there).
 */
export interface AbortCounts {
  /** Transfers the client aborted: closed, reset or timed out (`cli_abrt`). */
  clientAborts: number;
  /** Transfers the server aborted: closed, reset or timed out (`srv_abrt`). */
  serverAborts: number;
}

/** Which side aborted a data transfer, if one did. */
export type AbortSide = "client" | "server";

/**
 * The side a data-phase termination (configuration.txt 8.5) charges, as process_stream()
 * counts what no analyser handled (src/stream.c): `C`/`c` (client error, close or timeout)
 * the client, `S`/`s` the server, once the transfer had started (phase `D` or `L`). Earlier
 * phases (`R`, `Q`, `C`, `H`) count elsewhere (failed connections, responses) or, in HTTP,
 * only where the analysers count them (src/http_txn.ts).
 */
export function dataAbort(cause: string, phase: string): AbortSide | undefined {
  if (phase !== "D" && phase !== "L") return undefined;
  if (cause === "C" || cause === "c") return "client";
  if (cause === "S" || cause === "s") return "server";
  return undefined;
}

/** Counts one abort by `side` on each of `counts` (the backend and, when assigned, the server). */
export function countAbort(side: AbortSide | undefined, ...counts: (AbortCounts | undefined)[]): void {
  if (side === undefined) return;
  for (const c of counts) {
    if (c === undefined) continue;
    if (side === "client") c.clientAborts++;
    else c.serverAborts++;
  }
}
