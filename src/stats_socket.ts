/**
 * The stats socket listener (configuration.txt 3.1 `stats socket`, management.txt 9.3): each
 * accepted connection is one runtime API session. Without `prompt`, the first line is
 * answered and the connection closes, so `echo "show info" | socat stdio /run/proxykit.sock`
 * works as with HAProxy; in prompt mode each answer is followed by `> ` and the connection
 * stays until `quit` or the client closes.
 *
 * @module
 */
import type { ListenOptions, Socket } from "./net.ts";
import type { ProxyServer } from "./proxy.ts";
import type { ResolvedStatsSocket } from "./config/stats_socket.ts";
import { type RuntimeApiLevel, RuntimeApiSession } from "./runtime_api.ts";

/** Most payload lines read after `<<` (a certificate chain is a few hundred): more ends the session. */
export const MAX_PAYLOAD_LINES = 100_000;

/** Longest command line read (HAProxy's buffer size, `tune.bufsize`): a longer one ends the session. */
export const MAX_LINE_BYTES = 16384;

/**
 * Serves one connection to a stats socket of `level` on `proxy` (`onChange`, `showSess`: see
 * {@link RuntimeApiSession}).
 */
export function serveRuntimeApi(
  socket: Socket,
  proxy: ProxyServer,
  level: RuntimeApiLevel,
  onChange?: (command: string, payload?: string) => void,
  showSess?: (arg: string | undefined) => Promise<string>,
): void {
  const session = new RuntimeApiSession(proxy, level, onChange, showSess);
  /**
   * With `showSess` a line's answer may wait (`show sess` asks the other workers): lines and
   * the end of input are then handled in order, each after the previous answer was written.
   */
  let queue = Promise.resolve();
  const inOrder = (fn: () => void | Promise<void>): void => {
    if (showSess === undefined) return void fn();
    queue = queue.then(fn).catch(() => {
      done = true;
      socket.close();
    });
  };
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  let done = false;
  /** A line that ended with `<<`, waiting for its payload (the lines up to an empty one). */
  let withPayload: { line: string; lines: string[] } | undefined;
  const take = (raw: string): void => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (withPayload !== undefined) {
      if (line !== "") return void withPayload.lines.push(line);
      const { line: cmd, lines } = withPayload;
      withPayload = undefined;
      return answer(cmd, lines.join("\n") + "\n");
    }
    const m = /^(.*?)\s*<<$/.exec(line);
    if (m !== null) withPayload = { line: m[1]!, lines: [] };
    else answer(line);
  };
  // A line read in non-interactive mode is the last one; a line that turns prompt mode off
  // (read in interactive mode) leaves room for one more, as HAProxy does.
  const answer = (line: string, payload?: string): void =>
    inOrder(async () => {
      if (done) return;
      const wasInteractive = session.interactive;
      reply(
        wasInteractive,
        showSess === undefined ? session.execute(line, payload) : await session.executeAsync(line, payload),
      );
    });
  const reply = (wasInteractive: boolean, out: string): void => {
    if (done) return;
    if (out !== "") socket.write(encoder.encode(out));
    if (session.closed || (!wasInteractive && !session.interactive)) {
      done = true;
      socket.close();
    } else if (session.interactive) socket.write(encoder.encode("> "));
  };
  socket.setHandlers({
    onData(chunk) {
      if (done) return;
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while (!done && (nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        take(line);
      }
      if (!done && (pending.length > MAX_LINE_BYTES || (withPayload?.lines.length ?? 0) > MAX_PAYLOAD_LINES)) {
        done = true;
        socket.close();
      }
    },
    onEnd() {
      // A last line without its newline is still a command (`printf 'show info' | socat`).
      if (!done && pending !== "") take(pending);
      if (!done && withPayload !== undefined) take("");
      inOrder(() => {
        if (!done) {
          done = true;
          socket.close();
        }
      });
    },
    onDrain() {},
    onClose() {
      done = true;
    },
  });
}

/**
 * How the stats socket `s` of `proxy` listens: each connection served by the runtime API at
 * the socket's level (`onChange`, `showSess`: see {@link RuntimeApiSession}). The proxy binds it (or takes
 * it over on a reload) like a frontend's bind.
 */
export function statsListenOptions(
  proxy: ProxyServer,
  s: ResolvedStatsSocket,
  onChange?: (command: string, payload?: string) => void,
  showSess?: (arg: string | undefined) => Promise<string>,
): ListenOptions {
  return { address: s.address, onAccept: (sock) => serveRuntimeApi(sock, proxy, s.level, onChange, showSess) };
}
