/**
 * A proxy server: listeners, frontends and backends built from one {@link ProxyConfig},
 * running on the {@link Network} it is handed.
 *
 * @example A round-robin TCP load balancer
 * ```ts
 * import { ProxyServer } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/node";
 *
 * await using proxy = new ProxyServer({
 *   frontends: [{
 *     name: "fe",
 *     binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 0 }],
 *     defaultBackend: "be",
 *   }],
 *   backends: [{
 *     name: "be",
 *     balance: { kind: "roundrobin" },
 *     servers: [
 *       { name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 9001 } },
 *       { name: "s2", address: { transport: "tcp", hostname: "127.0.0.1", port: 9002 } },
 *     ],
 *   }],
 * }, { network, log: (line) => console.log(line) });
 * await proxy.start();
 * console.log(proxy.addresses);
 * ```
 *
 * @module
 */
import { compileConnectionRules, connectionSampleContext } from "./tcp_rules.ts";
import { ClientHandshake, type HandshakeContext, handshakeReason, needsHandshake } from "./accept.ts";
import { parseProxyHeader } from "./proxy_protocol.ts";
import type { Address, Listener, ListenOptions, Network, Socket, TlsServerOptions } from "./net.ts";
import { statsListenOptions } from "./stats_socket.ts";
import { AcceptRate } from "./_accept_rate.ts";
import type { StatsPeers } from "./stats/peers.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ProxyError } from "./errors.ts";
import { Connection } from "./connection.ts";
import { Backend, type BackendCounters } from "./backend.ts";
import { Frontend, type FrontendCounters } from "./frontend.ts";
import { Stream, type StreamContext } from "./stream.ts";
import {
  formatConnectionError,
  formatHttpJsonLog,
  formatHttpLog,
  formatJsonLog,
  formatServerState,
  formatTcpLog,
  type HttpLogRecord,
  recordVariable,
  type ServerStateEvent,
  type StreamLogRecord,
} from "./log.ts";
import { HttpSession, type HttpSessionContext, type ServiceHandler } from "./http_session.ts";
import { serviceReply } from "./stats/serve.ts";
import type { HttpTxn } from "./http_txn.ts";
import { renderLogFormat } from "./acl/log_format.ts";
import type { StreamIdentity } from "./acl/sample.ts";
import { aclSetOf, compileHttpPolicy, compileProxyPolicies, type HttpPolicy } from "./http/policy.ts";
import { DEFAULT_H1_LIMITS } from "./http/limits.ts";
import { createHealthCheckers, type HealthChecker } from "./health.ts";
import type { Server, ServerView } from "./server.ts";
import { createAdmin, type ProxyAdmin } from "./admin.ts";
import type { BindTlsConfig, ProxyConfig } from "./config/types.ts";
import { Discovery } from "./dns/discovery.ts";
import type { NameserverCounters } from "./dns/client.ts";
import { resolversStats } from "./dns/show.ts";
import { resolveBindTls } from "./config/_resolve_tls.ts";
import { resolveConfig, type ResolvedBind, type ResolvedProxyConfig } from "./config/defaults.ts";
import { formatAddress } from "./address.ts";
import { type Handover, type ListenerSlot, listenSlot } from "./handover.ts";
import type { ConnectFailureHook } from "./connect_failure.ts";
import { checkCapabilities, peerInfoUse, toBackendSettings, toFrontendSettings } from "./_settings.ts";
import { compileInspectPolicy, type InspectContext, Inspection, routeAtOnce } from "./inspect.ts";
import { compileContentRules, type ContentRule } from "./inspect_rules.ts";

/** Where a log line goes: the process's standard output or error. */
export type LogTarget = "stdout" | "stderr";

/**
 * What a program can observe of a running proxy beyond its log lines. Every hook is optional
 * and is called synchronously: keep it short, and never throw (an exception is reported, then
 * ignored, so that one bad hook cannot end streams).
 */
export interface ProxyHooks {
  /**
   * A stream ended: its record carries every field of the log line, whether or not its
   * frontend logs. Called after its counters were updated and after its log line.
   */
  readonly onStreamEnd?: (record: StreamLogRecord) => void;
  /** A server changed state, after election and queues were updated (what its state line says). */
  readonly onServerStateChange?: (event: ServerStateEvent) => void;
  /**
   * The typed API's `set-dst`: called for each accepted connection once its `tcp-request
   * connection` rules ran and its PROXY header (if any) was read, with the addresses it has
   * then; an address returned becomes its destination, which transparent servers (`0.0.0.0`)
   * connect to. `undefined` keeps it. Setting this hook sends every connection through the
   * accept steps (a few microseconds each).
   *
   * @example Send each client to a per-tenant port of the address it asked for
   * ```ts
   * import type { ProxyHooks } from "@proxykit/proxykit";
   * const hooks: ProxyHooks = {
   *   setDestination: ({ destination }) =>
   *     destination?.transport === "tcp" ? { ...destination, port: 10_000 + destination.port } : undefined,
   * };
   * ```
   */
  readonly setDestination?: (info: DestinationInfo) => Address | undefined;
  /**
   * A connect attempt to a server failed (refused, reset, timed out): told which server and
   * attempt, before the retry decision; returning `"redispatch"` sends the next attempt to
   * another server instead of the same one (see {@link ConnectFailureHook}). A throw is
   * logged and changes nothing.
   *
   * @example Leave a refusing server at once instead of retrying it
   * ```ts
   * import type { ProxyHooks } from "@proxykit/proxykit";
   * const hooks: ProxyHooks = {
   *   onConnectFailure: (f) => (f.code === "ECONNREFUSED" ? "redispatch" : undefined),
   * };
   * ```
   */
  readonly onConnectFailure?: ConnectFailureHook;
  /**
   * A runtime API command that may change the proxy (`set`, `add`, `del`, `enable`,
   * `disable`, `shutdown`, `commit`, `abort`) ran on a stats socket, allowed at its level:
   * its words and `<<` payload, and where it came from (`runtime-api`: a stats socket;
   * `stats-page`: the stats page's admin form, told as the command that makes the same
   * change). The command line's workers forward it to the other workers, which run it with a
   * `RuntimeApiSession` of their own.
   */
  readonly onAdminCommand?: (command: string, payload?: string, origin?: AdminCommandOrigin) => void;
}

/** Where an admin command came from: a stats socket, or the stats page's admin form. */
export type AdminCommandOrigin = "runtime-api" | "stats-page";

/** What {@link ProxyHooks.setDestination} is told about a connection. */
export interface DestinationInfo {
  /** The frontend that accepted it. */
  readonly frontend: string;
  /** The client's address (the PROXY header's, when one was read). */
  readonly source: Address | undefined;
  /** Where the client connected (the PROXY header's, or what a `set-dst` rule set). */
  readonly destination: Address | undefined;
}

/** Options of {@link ProxyServer} that are not configuration: the environment it runs in. */
export interface ProxyServerOptions {
  /** The runtime's network: an adapter's `network` (`@proxykit/proxykit/node`, `/deno`, `/bun`). */
  readonly network: Network;
  /**
   * Time and timers; tests pass a `FakeClock` from `@proxykit/proxykit/testing`.
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * Receives each log line with its target: stream lines of frontends that log (to their
   * `log` target), server state changes and `backend NAME has no server available!`
   * (`stdout`), as HAProxy words them, and what a hook threw (`stderr`).
   * @default undefined (nothing is logged)
   */
  readonly log?: (line: string, target: LogTarget) => void;
  /** Observers of streams and servers. @default {} */
  readonly hooks?: ProxyHooks;
  /**
   * Uniform random source in [0, 1) of `balance random`, for reproducible tests.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * The counters of other processes serving the same configuration (the command line's
   * workers), merged into this proxy's stats (`show stat`, the stats page, the exporter).
   * @default undefined (this process's counters only)
   */
  readonly statsPeers?: StatsPeers;
  /**
   * Every listener shares its port with other processes' (`SO_REUSEPORT`, needs the adapter's
   * `reusePort`): the command line's `--workers` runs one proxy per process on the same ports.
   * @default false
   */
  readonly reusePort?: boolean;
  /**
   * Runs the health checks. A worker that is not the one checking sets `false` and receives
   * the server states from the one that checks (the command line's `--workers`).
   * @default true
   */
  readonly healthChecks?: boolean;
  /**
   * Answers the runtime API's `show sess [<id>|all]` on this proxy's stats sockets instead of
   * listing this proxy's streams alone: the command line's worker 1 gathers every worker's.
   * `RuntimeApiSession.executeAsync()` uses it too; `execute()` is not affected.
   * @default undefined (this proxy's streams)
   */
  readonly showSess?: (arg: string | undefined) => Promise<string>;
}

/** Options of {@link ProxyServer.stop}. */
export interface StopOptions {
  /**
   * How long streams in progress may go on finishing, ms, before the ones left are killed
   * (logged with `K`). 0 kills them at once.
   * @default 0
   */
  readonly graceMs?: number;
}

/** Options of {@link ProxyServer.start}. */
export interface StartOptions {
  /**
   * Listeners offered by the proxy being replaced (a reload): a bind on the same address with
   * the same settings takes its listener over instead of binding again.
   */
  readonly handover?: Handover;
}

/** Process-wide counters (HAProxy's `show info`). */
export interface ProxyCounters {
  /** Streams now (`CurrConns`, log `%ac`). */
  current: number;
  /** Streams ever accepted (`CumConns`). */
  total: number;
  /** Connections refused by `maxconn` (global or frontend). */
  denied: number;
}

/** A frontend as a program sees it: its name, where it listens, its counters. */
export interface FrontendView {
  /** `frontend <name>`. */
  readonly name: string;
  /** Bound addresses, in `binds` order (real ports when 0 was asked), once started. */
  readonly addresses: readonly Address[];
  /** Its counters, live. */
  readonly counters: Readonly<FrontendCounters>;
}

/** A backend as a program sees it: its name, counters and servers. */
export interface BackendView {
  /** `backend <name>`. */
  readonly name: string;
  /** Its counters, live. */
  readonly counters: Readonly<BackendCounters>;
  /** Whole seconds since it last lost or regained a usable server, or since it started (`lastchg`). */
  readonly lastChange: number;
  /** Whole seconds it had no usable server, the current spell included (`downtime`). */
  readonly downtime: number;
  /** Servers in declaration order. */
  readonly servers: readonly ServerView[];
  /** The server called `name`, if any. */
  server(name: string): ServerView | undefined;
}

/** What the proxy's own tests reach beyond the public API. */
export interface Internals {
  /** The run-time frontends, in configuration order. */
  readonly frontends: readonly Frontend[];
  /** The run-time backends, in configuration order. */
  readonly backends: readonly Backend[];
  /** The streams in progress. */
  readonly streams: ReadonlySet<Stream>;
  /** The health checkers of every checked server. */
  readonly checkers: readonly HealthChecker[];
  /** The HTTP client connections in progress. */
  readonly sessions: ReadonlySet<HttpSession>;
  /** The proxy's clock. */
  readonly clock: Clock;
  /** The TLS settings a bind uses now: its configuration's, or what `setBindTls()` set since. */
  readonly bindTls: (bind: ResolvedBind) => TlsServerOptions | undefined;
  /**
   * Runs an accepted `socket` of `frontend` as an accepted connection past its connection
   * stage, `head` being client bytes read before (they are forwarded first).
   */
  readonly startSession: (frontend: Frontend, socket: Socket, head?: Uint8Array) => void;
  /** Other processes' counters, merged into the stats. */
  readonly statsPeers: StatsPeers | undefined;
  /** This process's nameserver counters, by `resolvers` section then nameserver (`show resolvers`). */
  readonly resolvers: ReadonlyMap<string, ReadonlyMap<string, NameserverCounters>>;
}

const INTERNALS = new WeakMap<ProxyServer, Internals>();

/**
 * The run-time objects behind a proxy's public views (its frontends, backends, streams and
 * health checkers), for proxykit's own tests. Not part of the public API.
 */
export function internalsOf(proxy: ProxyServer): Internals {
  return INTERNALS.get(proxy)!;
}

/**
 * A proxy server: what one `haproxy.cfg` describes, running on one network adapter. Build it
 * (the configuration is checked then), {@link start} it, {@link stop} it (or `await using`).
 * Each accepted connection becomes a stream that elects a server of the frontend's backend,
 * connects with HAProxy's retries, redispatch and queues, forwards bytes both ways, and ends
 * with one log line and one `onStreamEnd` record.
 *
 * @example A server that refuses every connect, seen through the `onStreamEnd` hook
 * ```ts
 * import { ProxyServer, type StreamLogRecord } from "@proxykit/proxykit";
 * import { FakeClock, MemoryNetwork } from "@proxykit/proxykit/testing";
 *
 * const clock = new FakeClock();
 * const network = new MemoryNetwork({ clock });
 * const ended: StreamLogRecord[] = [];
 * const proxy = new ProxyServer({
 *   frontends: [{ name: "fe", binds: [{ transport: "tcp", hostname: "10.0.0.1", port: 80 }], defaultBackend: "be" }],
 *   backends: [{
 *     name: "be",
 *     retries: 2,
 *     timeouts: { connectMs: 500 },
 *     // Nothing listens at 10.1.0.1:8000 on this network: every connect is refused.
 *     servers: [{ name: "s1", address: { transport: "tcp", hostname: "10.1.0.1", port: 8000 } }],
 *   }],
 * }, { network, clock, hooks: { onStreamEnd: (record) => ended.push(record) } });
 * await proxy.start();
 * await network.connect({ address: { transport: "tcp", hostname: "10.0.0.1", port: 80 } });
 * await clock.advance(1000); // two retries, each after min(timeout connect, 1 s)
 * ended[0]?.termination; // "SC"
 * ended[0]?.retries; // 2
 * await proxy.stop();
 * ```
 */
export class ProxyServer implements AsyncDisposable {
  /** The configuration with every default applied. */
  readonly config: ResolvedProxyConfig;
  /** Frontends in configuration order. */
  readonly frontends: readonly FrontendView[];
  /** Backends in configuration order. */
  readonly backends: readonly BackendView[];
  /** Process-wide counters. */
  readonly counters: ProxyCounters = { current: 0, total: 0, denied: 0 };
  readonly #frontends: readonly Frontend[];
  readonly #backends: readonly Backend[];
  readonly #net: Network;
  readonly #clock: Clock;
  readonly #log: ((line: string, target: LogTarget) => void) | undefined;
  readonly #hooks: ProxyHooks;
  readonly #showSess: ((arg: string | undefined) => Promise<string>) | undefined;
  /** `rate-limit sessions` of the frontends that have one. */
  readonly #acceptRates = new Map<Frontend, AcceptRate>();
  readonly #streams = new Set<Stream>();
  /** HTTP client connections in progress (their transactions log one line each). */
  readonly #sessions = new Set<HttpSession>();
  /** Connections still in their handshakes (rules, PROXY header, deferred TLS). */
  readonly #handshaking = new Set<ClientHandshake>();
  /** The handshake settings of each bind that needs them. */
  readonly #handshakes: ReadonlyMap<ResolvedBind, HandshakeContext>;
  /** Rules or formats read the client's TLS details: listeners must be able to tell them. */
  readonly #readsPeerInfo: boolean;
  readonly #httpContexts: ReadonlyMap<Frontend, HttpSessionContext>;
  readonly #checkers: HealthChecker[] = [];
  /** One stream context per frontend and backend, shared by their streams (made on first use). */
  readonly #contexts = new Map<Frontend, Map<Backend, StreamContext>>();
  /** Content inspection of the `mode tcp` frontends with content rules or `use_backend`. */
  readonly #inspect: ReadonlyMap<Frontend, InspectContext>;
  /** Connections under content inspection (no stream yet). */
  readonly #inspections = new Set<Inspection>();
  /** The HTTP backends and their compiled settings, when there are any. */
  #httpBackends: Pick<HttpSessionContext, "backendPolicies" | "backends"> | undefined;
  /** HTTP session contexts of `mode tcp` frontends upgraded to an HTTP backend, by frontend and backend. */
  readonly #upgrades = new Map<string, HttpSessionContext>();
  /** DNS service discovery (`resolvers` sections), when a server resolves a name. */
  readonly #dns: Discovery | undefined;
  #started = false;
  /** The stats sockets' listeners (the runtime API), once started. */
  readonly #statsListeners: Listener[] = [];
  /** The TLS settings of binds changed by `setBindTls()` since the start. */
  readonly #bindTls = new Map<ResolvedBind, TlsServerOptions>();
  /** The admin API, made on first use. */
  #admin: ProxyAdmin | undefined;
  /** When start() was first called, ms since the Unix epoch (the stats' uptime). */
  #startedAt = Date.now();
  /** The listeners this proxy owns, and their frontend (none: a stats socket): what a reload hands over. */
  readonly #slots = new Map<ListenerSlot, Frontend | undefined>();
  readonly #reusePort: boolean;
  readonly #runChecks: boolean;
  /** Resolvers waiting for the last stream to end (stop()). */
  #idle: (() => void)[] = [];

  /**
   * Checks the configuration and builds the frontends, backends and health checkers; nothing
   * is bound yet.
   * @throws {ProxyError} `ERR_CONFIG_INVALID` naming the key, or `ERR_CAPABILITY_MISSING` when the configuration needs something the network adapter
   * cannot do.
   */
  constructor(config: ProxyConfig, options: ProxyServerOptions) {
    this.config = resolveConfig(config);
    this.#net = options.network;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    this.#hooks = options.hooks ?? {};
    this.#showSess = options.showSess;
    checkCapabilities(this.config, this.#net);
    this.#reusePort = options.reusePort ?? false;
    this.#runChecks = options.healthChecks ?? true;
    if (this.#reusePort && !this.#net.capabilities.reusePort) {
      throw new ProxyError(
        "ERR_CAPABILITY_MISSING",
        `reusePort: the ${this.#net.name} adapter lacks it: ${
          this.#net.capabilities.notes.reusePort ?? "not supported"
        }`,
      );
    }
    this.#backends = this.config.backends.map((b) => {
      const be = new Backend(toBackendSettings(b), this.#net, this.#clock, options.random);
      be.onServerStateChange(this.#serverStateChanged);
      if (this.#hooks.onConnectFailure !== undefined) be.onConnectFailure = this.#connectFailureHook;
      this.#checkers.push(...createHealthCheckers(be, b, this.#net, this.#clock));
      return be;
    });
    this.#dns = this.config.resolvers.length === 0 ? undefined : new Discovery(this.config.resolvers, this.#backends, {
      net: this.#net,
      clock: this.#clock,
      log: (line) => this.#log?.(line, "stdout"),
    });
    this.#frontends = this.config.frontends.map((f) => {
      const be = this.#backends.find((b) => b.name === f.defaultBackend)!;
      return new Frontend(toFrontendSettings(f), be, this.#clock);
    });
    this.#inspect = this.#buildInspectContexts();
    this.#httpContexts = this.#buildHttpContexts();
    this.#handshakes = this.#buildHandshakes();
    for (const fe of this.#frontends) {
      const rate = fe.settings.rateLimitSessions ?? 0;
      if (rate > 0) this.#acceptRates.set(fe, new AcceptRate(rate, this.#clock));
    }
    this.#readsPeerInfo = peerInfoUse(this.config) !== undefined;
    this.frontends = this.#frontends;
    this.backends = this.#backends;
    INTERNALS.set(this, {
      frontends: this.#frontends,
      backends: this.#backends,
      streams: this.#streams,
      checkers: this.#checkers,
      sessions: this.#sessions,
      clock: this.#clock,
      bindTls: (bind) => this.#bindTls.get(bind) ?? bind.tls,
      startSession: (fe, socket, head) => this.#admitted(fe, socket, head),
      statsPeers: options.statsPeers,
      resolvers: this.#dns?.counters ?? new Map(),
    });
  }

  /** Every bound address, in frontend and bind order (real ports when 0 was asked). */
  get addresses(): Address[] {
    return this.#frontends.flatMap((f) => f.addresses);
  }

  /**
   * Binds every frontend's addresses and starts the health checks. On failure, closes what
   * was bound and throws. Calling it again does nothing. With `options.handover` (a reload),
   * a listener offered there on a bind's address is taken over instead of bound again.
   * @throws {ProxyError} `ERR_LISTEN` naming the frontend, the address and the reason.
   */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = Date.now();
    const handover = options.handover;
    const taken: ListenerSlot[] = [];
    const bound: { fe: Frontend | undefined; slot: ListenerSlot; options: ListenOptions }[] = [];
    /** Takes the listener offered for `lo`, or binds it; `what` names it in the error. */
    const acquire = async (fe: Frontend | undefined, lo: ListenOptions, what: string): Promise<void> => {
      const inherited = handover?.take(lo);
      if (inherited !== undefined) {
        taken.push(inherited);
        bound.push({ fe, slot: inherited, options: lo });
        return;
      }
      await handover?.closeClashing(lo);
      try {
        bound.push({ fe, slot: await listenSlot(this.#net, lo), options: lo });
      } catch (e) {
        const code = (e as { code?: string }).code ?? "error";
        throw new ProxyError(
          "ERR_LISTEN",
          `${what}: cannot bind ${formatAddress(lo.address)}: ${code} (${(e as Error).message})`,
          { cause: e },
        );
      }
    };
    try {
      await this.#dns?.start();
      for (const fe of this.#frontends) {
        for (const bind of fe.settings.binds) await acquire(fe, this.#listenOptions(fe, bind), `frontend '${fe.name}'`);
      }
      const hook = this.#hooks.onAdminCommand;
      const onChange = hook &&
        ((command: string, payload?: string) => this.#call(() => hook(command, payload, "runtime-api"), 0));
      for (const s of this.config.statsSockets) {
        await acquire(undefined, statsListenOptions(this, s, onChange, this.#showSess), "stats socket");
      }
    } catch (e) {
      handover?.cancel(taken);
      await Promise.all(bound.filter((b) => !taken.includes(b.slot)).map((b) => b.slot.listener.close()));
      await this.stop();
      throw e;
    }
    // Every bind is ready: only now do the inherited listeners feed this proxy.
    for (const b of bound) {
      if (taken.includes(b.slot)) handover!.adopt(b.slot, b.options);
      (b.fe?.listeners ?? this.#statsListeners).push(b.slot.listener);
      this.#slots.set(b.slot, b.fe);
    }
    handover?.commit(taken);
    if (this.#runChecks) { for (const hc of this.#checkers) hc.start(); }
  }

  /**
   * Offers this proxy's listeners to the proxy replacing it (a reload: `reloadProxy()`).
   * Each one goes on feeding this proxy until the successor commits, then this proxy forgets
   * it (its `addresses` lose it, and `stop()` no longer closes it).
   */
  offerListeners(handover: Handover): void {
    for (const [slot, fe] of this.#slots) {
      handover.offer(slot, () => {
        this.#slots.delete(slot);
        const listeners = fe?.listeners ?? this.#statsListeners;
        const i = listeners.indexOf(slot.listener);
        if (i >= 0) listeners.splice(i, 1);
      });
    }
  }

  /** Where the stats sockets listen (real ports when 0 was asked), once started. */
  get statsAddresses(): Address[] {
    return this.#statsListeners.map((l) => l.address);
  }

  /**
   * Stops the health checks, closes the listeners and ends the streams in progress: lets them
   * finish for up to `graceMs`, then kills the rest (logged with `K`). Resolves once every
   * stream has ended, its counters are updated and its log line and `onStreamEnd` hook are
   * out. A stopped proxy is not started again: build a new one.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.#dns?.stop();
    for (const hc of this.#checkers) hc.stop();
    this.#slots.clear();
    await Promise.all(this.#frontends.flatMap((f) => f.listeners.splice(0).map((l) => l.close())));
    await Promise.all(this.#statsListeners.splice(0).map((l) => l.close()));
    const grace = options.graceMs ?? 0;
    // `rate-limit sessions`: those still waiting finish with the others, or never start.
    for (const r of this.#acceptRates.values()) r.close(grace > 0);
    // Idle HTTP connections close now; busy ones after their response (`connection: close`).
    for (const s of this.#sessions) s.drain();
    if (grace > 0 && this.#busy > 0) {
      let timer: ReturnType<Clock["setTimer"]> | undefined;
      await Promise.race([
        this.#whenIdle(),
        new Promise<void>((resolve) => (timer = this.#clock.setTimer(resolve, grace))),
      ]);
      this.#clock.clearTimer(timer);
    }
    for (const h of this.#handshaking) h.kill();
    for (const s of this.#streams) s.kill();
    for (const s of this.#sessions) s.kill();
    for (const i of this.#inspections) i.kill();
    await this.#whenIdle();
    for (const be of this.#backends) for (const srv of be.servers) srv.pool?.clear();
  }

  /**
   * Replaces the TLS settings (certificates, CAs, ALPN...) of a running TLS bind, for the
   * handshakes that start from now on; established connections keep theirs (HAProxy's
   * `set ssl cert` + `commit ssl cert`, management.txt 9.3, which the runtime API wires).
   * `bind` is the bind's `name`, else its 1-based position in the frontend. Certificates
   * without `serverNames` answer the names they carry, as at load time.
   * @throws {ProxyError} `ERR_CONFIG_INVALID` for an unknown frontend or bind, a plain bind,
   *   or invalid settings (naming the key); `ERR_CAPABILITY_MISSING` when the adapter cannot
   *   change a listener's certificates (`tlsReload`). The old settings then stay.
   */
  setBindTls(frontend: string, bind: string, tls: BindTlsConfig): void {
    const fe = this.#frontends.find((f) => f.name === frontend);
    const i = fe?.settings.binds.findIndex((b) => b.name === bind) ?? -1;
    const where = `frontend '${frontend}' bind '${bind}'`;
    if (fe === undefined || i < 0) throw new ProxyError("ERR_CONFIG_INVALID", `${where}: no such bind`);
    if (fe.settings.binds[i]!.tls === undefined) throw new ProxyError("ERR_CONFIG_INVALID", `${where}: not a TLS bind`);
    const caps = this.#net.capabilities;
    if (!caps.tlsReload) {
      throw new ProxyError(
        "ERR_CAPABILITY_MISSING",
        `${where}: needs 'tlsReload', which the ${this.#net.name} adapter lacks: ${
          caps.notes.tlsReload ?? "not supported"
        }`,
      );
    }
    const resolved = resolveBindTls(tls, `${where}.tls`);
    const listener = fe.listeners[i];
    if (listener?.setTls === undefined) throw new ProxyError("ERR_CONFIG_INVALID", `${where}: not listening`);
    listener.setTls(resolved);
    this.#bindTls.set(fe.settings.binds[i]!, resolved);
  }

  /**
   * The typed admin API: what HAProxy's runtime API changes while the proxy runs (server
   * states, weights, addresses, limits, checks, servers added and deleted, certificates).
   */
  get admin(): ProxyAdmin {
    return this.#admin ??= createAdmin({
      config: this.config,
      backends: this.#backends,
      checkers: this.#checkers,
      net: this.#net,
      clock: this.#clock,
      streamsOn: (srv, kill) => this.#streamsOn(srv, kill),
      setBindTls: (fe, bind, tls) => this.setBindTls(fe, bind, tls),
      resolvers: (section) => resolversStats(this, section),
    });
  }

  /** The streams and HTTP transactions on `srv` now (`shutdown sessions server` kills them). */
  #streamsOn(srv: Server, kill: boolean): number {
    const on = [
      ...[...this.#streams].filter((s) => s.lease.server === srv),
      ...[...this.#sessions].filter((s) => s.txn?.lease?.server === srv),
    ];
    if (kill) { for (const s of on) s.kill(); }
    return on.length;
  }

  /** `await using proxy = new ProxyServer(...)`: the same as {@link stop} without grace. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Streams, HTTP sessions and connections in their handshakes. */
  get #busy(): number {
    return this.#streams.size + this.#sessions.size + this.#handshaking.size + this.#inspections.size;
  }

  /** Resolves once no stream is in progress. */
  #whenIdle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A server changed state: its HAProxy state line, and `backend NAME has no server available!`. */
  readonly #serverStateChanged = (e: ServerStateEvent): void => {
    this.#log?.(formatServerState(e), "stdout");
    if (e.activeServers + e.backupServers === 0 && e.to !== "UP") {
      this.#log?.(`backend ${e.backend} has no server available!`, "stdout");
    }
    this.#call(this.#hooks.onServerStateChange, e);
  };

  /**
   * How a bind listens: plain, TLS (the handshake done before `onAccept`), or TLS deferred
   * until the PROXY header is read (`accept-proxy`, or an `expect-proxy` rule: the header
   * comes before the ClientHello). A failed handshake never becomes a stream and logs
   * HAProxy's error line where the frontend logs (configuration.txt 8.2.5).
   */
  #listenOptions(fe: Frontend, bind: ResolvedBind): ListenOptions {
    const hs = this.#handshakes.get(bind);
    const accept = hs === undefined ? (s: Socket) => this.#accept(fe, s) : (s: Socket) => this.#accept(fe, s, hs);
    // `rate-limit sessions`: the connections beyond the rate wait their turn (src/_accept_rate.ts).
    const limit = this.#acceptRates.get(fe);
    const onAccept = limit === undefined ? accept : (s: Socket) => limit.offer(s, accept);
    const shared = this.#reusePort ? { reusePort: true } : {};
    if (bind.tls === undefined) return { address: bind.address, onAccept, ...shared };
    return {
      ...shared,
      address: bind.address,
      onAccept,
      tls: this.#readsPeerInfo ? { ...bind.tls, peerInfo: true } : bind.tls,
      ...(hs?.deferredTls === true ? { tlsDeferred: true } : {}),
      onHandshakeError: (error, remote) => {
        const log = fe.settings.log;
        if (log === undefined || this.#log === undefined) return;
        this.#log(
          formatConnectionError(remote, this.#clock.now(), fe.name, bind.name, handshakeReason(bind, error)),
          log.target,
        );
      },
    };
  }

  #accept(fe: Frontend, socket: Socket, hs?: HandshakeContext): void {
    const max = this.config.maxconn;
    if ((max > 0 && this.counters.current >= max) || !fe.accepting) {
      this.counters.denied++;
      fe.counters.denied++;
      socket.abort();
      return;
    }
    this.#admitted(fe, socket, undefined, hs);
  }

  /**
   * A connection counted in: its connection object, its handshakes when its bind has some
   * (`hs`: rules, PROXY header, deferred TLS), then its session (`head`: bytes read before).
   */
  #admitted(fe: Frontend, socket: Socket, head: Uint8Array | undefined, hs?: HandshakeContext): void {
    this.counters.current++;
    this.counters.total++;
    const conn = Connection.accepted(this.#net, socket);
    // The client's address is read from the socket on first use; what logs it at the end
    // reads it now, while the socket is open (Node and Bun cannot once it is destroyed).
    if (fe.settings.log !== undefined || this.#hooks.onStreamEnd !== undefined) void conn.src;
    if (hs === undefined) return this.#startSession(fe, socket, conn, head);
    const h = new ClientHandshake(hs, socket, conn, (s, c, read) => {
      this.#handshaking.delete(h);
      this.#startSession(fe, s, c, read);
    }, (rejected) => {
      this.#handshaking.delete(h);
      this.counters.current--;
      if (rejected) {
        this.counters.denied++;
        fe.counters.denied++;
      }
      this.#idleCheck();
    });
    this.#handshaking.add(h);
    h.start();
  }

  /**
   * Runs an accepted connection once its connection stage is over: an HTTP session, content
   * inspection, or a stream on the default backend (the fast path, no buffering). `head`:
   * client bytes already read, forwarded first.
   */
  #startSession(fe: Frontend, socket: Socket, conn: Connection, head: Uint8Array | undefined): void {
    fe.enter();
    const http = this.#httpContexts.get(fe);
    if (http !== undefined) {
      const session = new HttpSession(http, socket, conn);
      this.#sessions.add(session);
      session.start(head);
      return;
    }
    const inspect = this.#inspect.get(fe);
    if (inspect === undefined) return this.#startStream(fe, fe.backend, socket, conn, head, undefined);
    if (inspect.policy.rules.length === 0) {
      return this.#startRouted(fe, routeAtOnce(inspect.policy, fe, conn, head), socket, conn, head, undefined);
    }
    const inspection = new Inspection(inspect, socket, conn);
    this.#inspections.add(inspection);
    inspection.start(head);
  }

  /** Starts what serves `backend`: a stream, or an HTTP session for an HTTP backend. */
  #startRouted(
    fe: Frontend,
    backend: string,
    socket: Socket,
    conn: Connection,
    head: Uint8Array | undefined,
    inspected: Inspection | undefined,
  ): void {
    if (this.#httpBackends?.backends.has(backend) === true) {
      const session = new HttpSession(this.#upgrade(fe, backend), socket, conn);
      this.#sessions.add(session);
      session.start(head);
      return;
    }
    this.#startStream(fe, this.#backendNamed(backend), socket, conn, head, inspected);
  }

  #startStream(
    fe: Frontend,
    be: Backend,
    socket: Socket,
    conn: Connection,
    head: Uint8Array | undefined,
    inspected: Inspection | undefined,
  ): void {
    const stream = new Stream(this.#streamContext(fe, be), be.admit(conn), socket, conn, inspected);
    this.#streams.add(stream);
    stream.start(head);
  }

  /** The backend of that name (the configuration was checked: it exists). */
  #backendNamed(name: string): Backend {
    return this.#backends.find((b) => b.name === name)!;
  }

  /** The context of the streams of `fe` served by `be`, made on first use. */
  #streamContext(fe: Frontend, be: Backend): StreamContext {
    let byBackend = this.#contexts.get(fe);
    if (byBackend === undefined) this.#contexts.set(fe, byBackend = new Map());
    let ctx = byBackend.get(be);
    if (ctx === undefined) {
      const b = be.settings;
      const timed = fe.settings.clientTimeoutMs !== undefined || b.serverTimeoutMs !== undefined ||
        b.tunnelTimeoutMs !== undefined;
      byBackend.set(be, ctx = { clock: this.#clock, timed, frontend: fe, backend: be, onEnd: this.#end });
    }
    return ctx;
  }

  /**
   * The content inspection of each `mode tcp` frontend with `tcp-request content` rules or
   * `use_backend` rules; others keep the direct path.
   */
  #buildInspectContexts(): Map<Frontend, InspectContext> {
    const out = new Map<Frontend, InspectContext>();
    for (const [i, f] of this.config.frontends.entries()) {
      if (f.mode !== "tcp" || (f.tcpRequest.content.length === 0 && (f.http?.useBackends.length ?? 0) === 0)) continue;
      out.set(this.#frontends[i]!, {
        clock: this.#clock,
        frontend: this.#frontends[i]!,
        policy: compileInspectPolicy(f),
        onRoute: this.#routed,
        onEnd: this.#inspectionEnd,
      });
    }
    return out;
  }

  /** Inspection chose a backend: the stream starts there with the buffered bytes. */
  readonly #routed = (i: Inspection, backend: string, head: Uint8Array | undefined): void => {
    this.#inspections.delete(i);
    this.#startRouted(i.frontend, backend, i.socket, i.conn, head, i);
  };

  /**
   * A connection ended during inspection: counters (a `reject` counts in `dreq`, as HAProxy's
   * `tcp_inspect_request()`), log line (`%b` is the frontend), hook.
   */
  readonly #inspectionEnd = (i: Inspection): void => {
    this.#inspections.delete(i);
    const fe = i.frontend;
    if (i.termination === "PR") fe.counters.denied++;
    const log = this.#log !== undefined ? fe.settings.log : undefined;
    const hook = this.#hooks.onStreamEnd;
    const record = log !== undefined || hook !== undefined ? i.logRecord(this.counters.current) : undefined;
    this.counters.current--;
    fe.leave(i.bytesIn, 0);
    if (record !== undefined) this.#emit(record, log, hook, i.conn, fe.name, i.identity);
    this.#idleCheck();
  };

  /**
   * A stream ended (its lease already released): counters, then its log line and hook. As
   * HAProxy logs a TCP stream once its server side is released, `%bc/%sc` no longer count it
   * while `%ac/%fc` still do (checked against HAProxy 2.6 by the differential test).
   */
  readonly #end = (s: Stream): void => {
    this.#streams.delete(s);
    const fe = s.frontend;
    const log = this.#log !== undefined ? fe.settings.log : undefined;
    const hook = this.#hooks.onStreamEnd;
    // The record (twenty fields) is built only for someone who reads it, before the counters
    // move: `%ac/%fc` still count this stream.
    const record = log !== undefined || hook !== undefined ? this.#record(s) : undefined;
    this.counters.current--;
    fe.leave(s.bytesIn, s.bytesOut);
    if (record !== undefined) this.#emit(record, log, hook, s.clientConn, s.backend.name, s.identity);
    this.#idleCheck();
  };

  /**
   * A TCP stream's log line (when its frontend logs) and `onStreamEnd` hook; `identity` gives
   * `log-format` its `%rt` and `%ID`.
   */
  #emit(
    record: StreamLogRecord,
    log: Frontend["settings"]["log"],
    hook: ProxyHooks["onStreamEnd"],
    conn: Connection,
    backend: string,
    identity: StreamIdentity,
  ): void {
    if (log !== undefined) {
      const line = log.logFormat !== undefined
        ? renderLogFormat(
          log.logFormat,
          { ...connectionSampleContext(conn, record.frontend, backend), stream: identity },
          (n) => recordVariable(n, record),
        )
        : log.format === "json"
        ? formatJsonLog(record)
        : formatTcpLog(record);
      this.#log?.(line, log.target);
    }
    this.#call(hook, record);
  }

  #idleCheck(): void {
    if (this.#busy === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  }

  /** The handshake settings of the binds that have some (rules, `accept-proxy`). */
  #buildHandshakes(): Map<ResolvedBind, HandshakeContext> {
    const out = new Map<ResolvedBind, HandshakeContext>();
    this.config.frontends.forEach((f, i) => {
      // Checked by resolveConfig (its rules and ACLs): compiling cannot fail here.
      const rules = f.tcpRequest.connection.length === 0
        ? []
        : compileConnectionRules(f.tcpRequest.connection, aclSetOf(f.http?.acls ?? []));
      const fe = this.#frontends[i]!;
      for (const bind of f.binds) {
        const hook = this.#hooks.setDestination !== undefined;
        if (!needsHandshake(bind, rules) && !hook) continue;
        out.set(bind, {
          frontend: f.name,
          bind,
          deferredTls: bind.tls !== undefined && (bind.acceptProxy || rules.some((r) => r.action === "expect-proxy")),
          rules,
          timeoutMs: f.clientTimeoutMs,
          net: this.#net,
          clock: this.#clock,
          log: this.#log === undefined || fe.settings.log === undefined
            ? undefined
            : ((target) => (line: string) => this.#log?.(line, target))(fe.settings.log.target),
          parseHeader: parseProxyHeader,
          setDestination: hook ? this.#destinationHook : undefined,
        });
      }
    });
    return out;
  }

  /**
   * What the sessions of each `mode http` frontend share: the compiled rules of the frontend
   * and of every HTTP backend (a section without HTTP settings gets empty ones), and the
   * backends `use_backend` may name.
   */
  #buildHttpContexts(): Map<Frontend, HttpSessionContext> {
    const out = new Map<Frontend, HttpSessionContext>();
    const modes = [...this.config.frontends, ...this.config.backends].map((x) => x.mode);
    if (!modes.includes("http")) return out;
    const compiled = compileProxyPolicies(this.config);
    const backendPolicies = new Map<string, HttpPolicy>();
    const backends = new Map<string, Backend>();
    for (const [i, b] of this.config.backends.entries()) {
      if (b.mode !== "http") continue;
      backendPolicies.set(b.name, compiled.backends.get(b.name) ?? compileHttpPolicy({ name: b.name }));
      backends.set(b.name, this.#backends[i]!);
    }
    this.#httpBackends = { backendPolicies, backends };
    for (const [i, f] of this.config.frontends.entries()) {
      const fe = this.#frontends[i]!;
      if (f.mode === "tcp") {
        // A `mode tcp` frontend whose streams all go to an HTTP backend upgrades each at once.
        if (!this.#inspect.has(fe) && backends.has(f.defaultBackend!)) {
          out.set(fe, this.#upgrade(fe, f.defaultBackend!));
        }
        continue;
      }
      const policy = compiled.frontends.get(f.name) ??
        compileHttpPolicy({
          name: f.name,
          ...(f.defaultBackend !== undefined ? { defaultBackend: f.defaultBackend } : {}),
        });
      const content = f.tcpRequest.content.length === 0
        ? undefined
        : compileContentRules(f.tcpRequest.content, policy.acls);
      out.set(fe, this.#httpContext(fe, policy, content));
    }
    return out;
  }

  /**
   * The HTTP session context of `fe` with its compiled `policy` and `tcp-request content`
   * rules (`content`, run on each request).
   */
  #httpContext(fe: Frontend, policy: HttpPolicy, content?: readonly ContentRule[]): HttpSessionContext {
    const f = this.config.frontends[this.#frontends.indexOf(fe)]!;
    return {
      clock: this.#clock,
      frontend: fe,
      policy,
      backendPolicies: this.#httpBackends!.backendPolicies,
      backends: this.#httpBackends!.backends,
      limits: DEFAULT_H1_LIMITS,
      requestTimeoutMs: f.httpRequestTimeoutMs,
      keepAliveTimeoutMs: f.httpKeepAliveTimeoutMs,
      mode: f.httpConnectionMode,
      bufferRequest: f.httpBufferRequest,
      ...(content !== undefined ? { contentRules: content } : {}),
      onTxnEnd: this.#txnEnd,
      onEnd: this.#sessionEnd,
      service: this.#service,
    };
  }

  /**
   * The context of the HTTP sessions a `mode tcp` frontend upgrades its streams to when they
   * go to the HTTP backend `backend` (HAProxy's TCP-to-HTTP upgrade, configuration.txt 4
   * "mode"): no frontend rules, every request to that backend, whose rules apply.
   */
  #upgrade(fe: Frontend, backend: string): HttpSessionContext {
    const key = `${fe.name}\0${backend}`;
    let ctx = this.#upgrades.get(key);
    if (ctx === undefined) {
      ctx = this.#httpContext(fe, compileHttpPolicy({ name: fe.name, defaultBackend: backend }));
      this.#upgrades.set(key, ctx);
    }
    return ctx;
  }

  /** The stats page and `use-service prometheus-exporter`, from this proxy's counters. */
  readonly #service: ServiceHandler = (d, target, req) => {
    // A change the stats page's admin form makes reaches `onAdminCommand` as the runtime API's command.
    const hook = this.#hooks.onAdminCommand;
    const onChange = hook && ((command: string) => this.#call(() => hook(command, undefined, "stats-page"), 0));
    return serviceReply(
      this,
      d,
      target,
      { startedAt: this.#startedAt },
      req && { ...req, ...(onChange && { onChange }) },
    );
  };

  /** One HTTP transaction over: its log line and hook (the connection's counters move at its end). */
  readonly #txnEnd = (t: HttpTxn): void => {
    const fe = t.session.frontend;
    const log = this.#log !== undefined && !t.monitor ? fe.settings.log : undefined;
    const hook = this.#hooks.onStreamEnd;
    if (log === undefined && hook === undefined) return;
    const r = this.#httpRecord(t);
    if (log !== undefined) {
      const line = log.logFormat !== undefined
        ? renderLogFormat(log.logFormat, t.sampleContext(), (n) => recordVariable(n, r, r))
        : log.format === "json"
        ? formatHttpJsonLog(r)
        : log.format === "httplog"
        ? formatHttpLog(r)
        : formatTcpLog(r);
      this.#log?.(line, log.target);
    }
    this.#call(hook, r);
  };

  /** An HTTP client connection over. */
  readonly #sessionEnd = (s: HttpSession): void => {
    this.#sessions.delete(s);
    this.counters.current--;
    s.frontend.leave(s.bytesIn, s.bytesOut);
    this.#idleCheck();
  };

  #httpRecord(t: HttpTxn): HttpLogRecord {
    const fe = t.session.frontend;
    const lease = t.lease;
    const srv = lease?.server;
    return {
      client: t.session.conn.src,
      acceptedAt: t.startAt,
      frontend: fe.name,
      backend: t.backendName,
      server: srv?.name ?? t.applet,
      queueMs: t.queueMs,
      connectMs: t.connectMs,
      totalMs: t.endedAt - t.startAt,
      bytesToClient: t.bytesOut,
      bytesFromClient: t.bytesIn,
      termination: t.termination,
      processConns: this.counters.current,
      frontendConns: fe.counters.current,
      backendConns: t.backend?.counters.current ?? 0,
      serverConns: srv?.counters.current ?? 0,
      retries: lease?.retries ?? 0,
      redispatched: lease?.redispatched ?? false,
      serverQueue: lease?.serverQueuePos ?? 0,
      backendQueue: lease?.backendQueuePos ?? 0,
      requestMs: t.requestLine === undefined ? -1 : t.headAt - t.startAt,
      responseMs: t.responseMs,
      activeMs: t.endedAt - t.startAt,
      status: t.status,
      requestLine: t.requestLine,
      cookieStatus: t.cookieStatus,
      tls: t.session.conn.tls,
    };
  }

  /** The log record of stream `s`, which just ended. */
  #record(s: Stream): StreamLogRecord {
    const fe = s.frontend;
    const lease = s.lease;
    return {
      client: s.clientConn.src,
      acceptedAt: s.acceptedAt,
      frontend: fe.name,
      backend: s.backend.name,
      server: lease.server?.name,
      queueMs: s.queueTimeMs,
      connectMs: s.connectMs,
      totalMs: s.endedAt - s.acceptedAt,
      bytesToClient: s.bytesOut,
      bytesFromClient: s.bytesIn,
      termination: s.termination,
      processConns: this.counters.current,
      frontendConns: fe.counters.current,
      backendConns: s.backend.counters.current,
      serverConns: lease.server?.counters.current ?? 0,
      retries: lease.retries,
      redispatched: lease.redispatched,
      serverQueue: lease.serverQueuePos,
      backendQueue: lease.backendQueuePos,
      tls: s.clientConn.tls,
    };
  }

  /** `hooks.setDestination`, a throw logged like another hook's (the destination then stays). */
  readonly #destinationHook = (info: DestinationInfo): Address | undefined =>
    this.#call(this.#hooks.setDestination, info);

  /** `hooks.onConnectFailure`, a throw logged like another hook's (HAProxy's rules then apply). */
  readonly #connectFailureHook: ConnectFailureHook = (failure) => this.#call(this.#hooks.onConnectFailure, failure);

  /** Runs a user hook and returns its answer; what it throws is logged on stderr (answer undefined). */
  #call<T, R>(hook: ((v: T) => R) | undefined, v: T): R | undefined {
    if (hook === undefined) return undefined;
    try {
      return hook(v);
    } catch (e) {
      this.#log?.(`proxykit: a hook threw: ${e instanceof Error ? e.message : String(e)}`, "stderr");
      return undefined;
    }
  }
}
