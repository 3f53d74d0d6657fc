/**
 * What the conformance case groups share: a connected pair of sockets with recorders on both
 * ends (plain or TLS), and skips that name the missing capability and its reason.
 */
import type { Address, Listener, Network, Socket } from "../../src/net.ts";
import { deferred, fixture, portOf, Recorder, tcp, within } from "../_helpers.ts";

/** Bound on every wait for an event that must come. */
export const WAIT_MS = 10_000;

/** Two connected sockets of one adapter, with their recorders. */
export interface Pair {
  listener: Listener;
  client: Socket;
  server: Socket;
  c: Recorder;
  s: Recorder;
  /** Aborts both sockets and closes the listener. */
  done(): Promise<void>;
}

/** Options of {@link pair}. */
export interface PairOptions {
  /** Listen here instead of 127.0.0.1 port 0. */
  readonly address?: Address;
  /** Leave the server socket without handlers. */
  readonly attachServer?: boolean;
  /** TLS with the `localhost` fixture certificate, verified against the fixture CA. */
  readonly tls?: boolean;
  /** The recorders to attach (default: plain {@link Recorder}s). */
  readonly recorders?: readonly [client: Recorder, server: Recorder];
}

/** Listens, connects, and attaches recorders on both ends. */
export async function pair(net: Network, options: PairOptions = {}): Promise<Pair> {
  const address = options.address ?? tcp("127.0.0.1", 0);
  const accepted = deferred<Socket>();
  const listener = await net.listen({
    address,
    onAccept: (s) => accepted.resolve(s),
    ...(options.tls === true
      ? { tls: { certificates: [{ cert: fixture("localhost.pem"), key: fixture("localhost.key") }] } }
      : {}),
  });
  const target: Address = address.transport === "tcp" ? tcp(address.hostname, portOf(listener.address)) : address;
  const client = await within(
    net.connect({
      address: target,
      ...(options.tls === true ? { tls: { serverName: "localhost", caCerts: [fixture("ca.pem")] } } : {}),
    }),
    WAIT_MS,
    "connect",
  );
  const server = await within(accepted.promise, WAIT_MS, "accept");
  const [c, s] = options.recorders ?? [new Recorder(), new Recorder()];
  client.setHandlers(c);
  if (options.attachServer ?? true) server.setHandlers(s);
  return {
    listener,
    client,
    server,
    c,
    s,
    async done() {
      client.abort();
      server.abort();
      await listener.close();
    },
  };
}

/** `false` when `net` has every capability named, else the reason (printed) to skip. */
export function skipUnless(net: Network, ...caps: (keyof Network["capabilities"])[]): string | false {
  for (const cap of caps) {
    if (net.capabilities[cap]) continue;
    const why = `${net.name} lacks ${String(cap)}: ${net.capabilities.notes[cap] ?? "no reason given"}`;
    console.warn(`SKIP (capability) ${why}`);
    return why;
  }
  return false;
}
