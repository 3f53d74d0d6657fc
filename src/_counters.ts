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
