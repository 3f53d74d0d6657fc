/**
 * TLS on top of the in-memory network, for deterministic tests of what the core does with
 * TLS (options it passes, failures it handles, what it logs): a TLS connect records its
 * options and succeeds or fails as {@link FakeTlsNetwork.verdict} says, without any
 * cryptography; a TLS listener hands over sockets whose `tls` is {@link FakeTlsNetwork.acceptInfo}.
 */
import type {
  ConnectOptions,
  Listener,
  ListenOptions,
  NetCapabilities,
  NetError,
  Network,
  Socket,
  TlsClientOptions,
  TlsInfo,
  TlsServerOptions,
} from "../src/net.ts";
import type { MemoryNetwork } from "../adapters/memory.ts";
import { netError } from "../adapters/_errors.ts";

/** A socket seen through a proxy whose `tls` is `info`. */
export function withTls(socket: Socket, info: TlsInfo): Socket {
  return new Proxy(socket, {
    get(target, prop) {
      if (prop === "tls") return info;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A verification failure as Node reports a certificate not valid for the name asked. */
export function nameMismatch(name: string): NetError {
  const cause = Object.assign(new Error(`Hostname/IP does not match certificate's altnames: ${name}`), {
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
  });
  return netError("ETLSVERIFY", `connect: ${cause.message}`, cause);
}

/** A verification failure as Node reports an untrusted certificate. */
export function untrusted(): NetError {
  const cause = Object.assign(new Error("unable to verify the first certificate"), {
    code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  });
  return netError("ETLSVERIFY", `connect: ${cause.message}`, cause);
}

/** The in-memory network with fake TLS on both sides. */
export class FakeTlsNetwork implements Network {
  readonly name = "fake-tls";
  readonly capabilities: NetCapabilities;
  /** The TLS options of every TLS connect, in order. */
  readonly connects: TlsClientOptions[] = [];
  /** The options of every listen. */
  readonly listens: ListenOptions[] = [];
  /** What `setTls` of a TLS listener received, in order. */
  readonly reloads: TlsServerOptions[] = [];
  /** What a TLS connect with these options ends with: undefined connects. */
  verdict: (o: TlsClientOptions) => NetError | undefined = () => undefined;
  /** The `tls` of sockets accepted on TLS listeners. */
  acceptInfo: TlsInfo = { alpnProtocol: null, protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" };
  readonly #inner: MemoryNetwork;

  constructor(inner: MemoryNetwork) {
    this.#inner = inner;
    this.capabilities = {
      ...inner.capabilities,
      tlsClient: true,
      tlsServer: true,
      tlsSniMultiCert: true,
      tlsServerClientAuth: true,
      tlsPeerInfo: true,
      tlsClientNoVerify: true,
      tlsReload: true,
      notes: {},
    };
  }

  listen(options: ListenOptions): Promise<Listener> {
    this.listens.push(options);
    if (options.tls === undefined) return this.#inner.listen(options);
    const onAccept = options.onAccept;
    return this.#inner.listen({ address: options.address, onAccept: (s) => onAccept(withTls(s, this.acceptInfo)) })
      .then((l) =>
        new Proxy(l, {
          get: (target, prop) => {
            if (prop === "setTls") return (o: TlsServerOptions) => this.reloads.push(o);
            const v = Reflect.get(target, prop, target);
            return typeof v === "function" ? v.bind(target) : v;
          },
        })
      );
  }

  async connect(options: ConnectOptions): Promise<Socket> {
    const tls = options.tls;
    if (tls === undefined) return this.#inner.connect(options);
    this.connects.push(tls);
    const { tls: _, ...plain } = options;
    const socket = await this.#inner.connect(plain);
    const failure = this.verdict(tls);
    if (failure !== undefined) {
      socket.abort();
      throw failure;
    }
    return withTls(socket, {
      alpnProtocol: tls.alpnProtocols?.[0] ?? null,
      ...(tls.serverName !== undefined ? { serverName: tls.serverName } : {}),
    });
  }

  resolve(hostname: string): Promise<string[]> {
    return this.#inner.resolve(hostname);
  }
}
