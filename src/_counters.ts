/**
 * Stream counts kept the same way by the proxy, frontends, backends and servers.
 *
 * @module
 */

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
}

/** Fresh zeroed HTTP counts. */
export function newHttpCounts(): HttpCounts {
  return { requests: 0, responses: [0, 0, 0, 0, 0, 0] };
}

/** Counts one request and, when one was sent (`status` > 0), its response's class. */
export function countHttp(c: HttpCounts, status: number): void {
  c.requests++;
  if (status <= 0) return;
  const cls = Math.floor(status / 100);
  const i = cls >= 1 && cls <= 5 ? cls - 1 : 5;
  c.responses[i] = c.responses[i]! + 1;
}

/** Fresh zeroed counts. */
export function newStreamCounts(): StreamCounts {
  return { current: 0, max: 0, total: 0, bytesIn: 0, bytesOut: 0 };
}

/** Counts one stream in. */
export function countIn(c: StreamCounts): void {
  c.current++;
  c.total++;
  if (c.current > c.max) c.max = c.current;
}

/** Counts one stream out, adding its bytes. */
export function countOut(c: StreamCounts, bytesIn: number, bytesOut: number): void {
  c.current--;
  c.bytesIn += bytesIn;
  c.bytesOut += bytesOut;
}
