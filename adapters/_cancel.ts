/**
 * One way for every adapter to watch what abandons a pending connect: the caller's
 * `AbortSignal` and its `ConnectCancel` slot (`src/net.ts`), either or both.
 *
 * @module
 */
import type { ConnectOptions } from "../src/net.ts";

/**
 * Calls `onAbort` (at most once) when `options.signal` aborts or the owner calls the canceller
 * left in `options.cancel`. Returns the function that stops watching, to call once the connect
 * settled: it removes the listener and clears the slot if it still holds ours.
 */
export function watchCancel(options: ConnectOptions, onAbort: () => void): () => void {
  const { signal, cancel } = options;
  signal?.addEventListener("abort", onAbort, { once: true });
  if (cancel !== undefined) cancel.onCancel = onAbort;
  return () => {
    signal?.removeEventListener("abort", onAbort);
    if (cancel !== undefined && cancel.onCancel === onAbort) cancel.onCancel = undefined;
  };
}
