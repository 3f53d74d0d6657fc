/**
 * What the TLS conformance cases share: a TLS listener that records what it accepts and every
 * handshake failure it reports, with waits on both.
 */
import type { Address, Listener, ListenOptions, NetError, Network, Socket, TlsServerOptions } from "../../src/net.ts";
import { deferred, enc, Recorder, tcp, within } from "../_helpers.ts";
import { testCerts } from "../_certs.ts";
import { WAIT_MS } from "./_conformance_kit.ts";

/** Items that arrive one by one, waited for in order. */
export class Queue<T> {
  readonly items: T[] = [];
  #taken = 0;
  #wake = deferred<void>();

  push(item: T): void {
    this.items.push(item);
    this.#wake.resolve();
  }

  /** The next item not taken yet, waiting for it within {@link WAIT_MS}. */
  async next(what: string): Promise<T> {
    while (this.items.length <= this.#taken) {
      await within(this.#wake.promise, WAIT_MS, what);
      this.#wake = deferred<void>();
    }
    return this.items[this.#taken++]!;
  }
}

/** A TLS listener and what it reported. */
export interface TlsServer {
  readonly listener: Listener;
  readonly port: number;
  /** Sockets handed to `onAccept`, handshake done. */
  readonly accepted: Queue<Socket>;
  /** `onHandshakeError` calls. */
  readonly failures: Queue<{ error: NetError; remote: Address | undefined }>;
  close(): Promise<void>;
}

/**
 * Listens with `tls` on 127.0.0.1. Each accepted socket is greeted with `hello\n` and closed
 * (so that `openssl s_client` exits), unless `keepOpen`: then it echoes.
 */
export async function serveTls(
  net: Network,
  tls: TlsServerOptions,
  options: { keepOpen?: boolean; extra?: Partial<ListenOptions> } = {},
): Promise<TlsServer> {
  const accepted = new Queue<Socket>();
  const failures = new Queue<{ error: NetError; remote: Address | undefined }>();
  const listener = await net.listen({
    address: tcp("127.0.0.1", 0),
    tls,
    onAccept: (s) => {
      accepted.push(s);
      const r = new Recorder();
      if (options.keepOpen === true) r.onDataHook = (c) => s.write(c.slice());
      s.setHandlers(r);
      if (options.keepOpen !== true) {
        s.write(enc("hello\n"));
        s.close();
      }
    },
    onHandshakeError: (error, remote) => failures.push({ error, remote }),
    ...options.extra,
  });
  const port = listener.address.transport === "tcp" ? listener.address.port : 0;
  return {
    listener,
    port,
    accepted,
    failures,
    async close() {
      for (const s of accepted.items) s.abort();
      await listener.close();
    },
  };
}

/** The test certificates as listener certificates, with the names each answers. */
export function certs() {
  const c = testCerts();
  return {
    ca: c.ca.cert,
    caPath: c.ca.file,
    a: { cert: c.a.cert, key: c.a.key, serverNames: ["a.test"] },
    b: { cert: c.b.cert, key: c.b.key, serverNames: ["b.test"] },
    wild: { cert: c.wild.cert, key: c.wild.key, serverNames: ["*.wild.test"] },
    files: c,
  };
}
