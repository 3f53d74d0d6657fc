/**
 * How long a socket the owner has closed may stay open in the background, reading and
 * discarding, until the peer closes its side too. Closing the descriptor while the peer still
 * sends (a TLS peer answering close_notify, session tickets still in flight) makes the kernel
 * reset the connection, and the reset makes the peer's kernel drop bytes it had received but
 * not yet read: the end of the stream. As Linux's `tcp_fin_timeout` for an orphaned socket.
 *
 * @module
 */

/** Milliseconds; then the socket is destroyed regardless. */
export const CLOSE_LINGER_MS = 60_000;

/** Starts `fn` after {@link CLOSE_LINGER_MS} without keeping the process alive for it. */
export function lingerTimer(fn: () => void): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, CLOSE_LINGER_MS);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
