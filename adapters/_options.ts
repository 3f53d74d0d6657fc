/**
 * The options every adapter's `createNetwork()` takes, their defaults and their validation,
 * so that a value means the same (and is refused the same way) on every runtime.
 *
 * @module
 */

/** Options every adapter's `createNetwork()` accepts. */
export interface NetworkOptions {
  /**
   * Bytes a socket may hold queued for sending before `write()` returns `false`: above this
   * many, the caller should wait for `onDrain`, which comes once the queue is back at or below
   * it. 0 makes every write that cannot go out at once return `false`.
   * @default 65536
   */
  readonly highWaterMarkBytes?: number;
  /**
   * Writes made during one turn of the event loop go out together at its end: one system
   * call per socket and turn, and each peer woken once per turn (see the adapter's `write()`).
   * `false` writes each chunk at once. Node and Bun; Deno's writes are asynchronous already.
   * @default true
   */
  readonly coalesceWrites?: boolean;
}

/** As Node's default `writableHighWaterMark` for sockets. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 65536;

/**
 * `value` (or `fallback` when absent) as an integer of at least `min`.
 * @throws {RangeError} naming the option and the value otherwise.
 */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * The high-water mark of `options`, validated.
 * @throws {RangeError} when it is not an integer >= 0.
 */
export function highWaterMarkBytes(options: NetworkOptions): number {
  return integerOption("highWaterMarkBytes", options.highWaterMarkBytes, DEFAULT_HIGH_WATER_MARK_BYTES, 0);
}
