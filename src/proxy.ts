/**
 * A proxy: listeners, frontends and backends built from one {@link ProxyConfig}, running on
 * the {@link Network} it is handed.
 *
 * @example
 * ```ts
 * import { Proxy } from "@proxykit/proxykit";
 * import { network } from "@proxykit/proxykit/node";
 *
 * await using proxy = new Proxy({
 *   frontends: [{ name: "fe", binds: [{ transport: "tcp", hostname: "127.0.0.1", port: 8080 }], defaultBackend: "be" }],
 *   backends: [{ name: "be", balance: { kind: "roundrobin" }, servers: [
 *     { name: "s1", address: { transport: "tcp", hostname: "127.0.0.1", port: 9001 } },
 *     { name: "s2", address: { transport: "tcp", hostname: "127.0.0.1", port: 9002 } },
 *   ] }],
 * }, { network, log: console.log });
 * await proxy.start();
 * ```
 *
 * @module
 */
import type { Address, Network, Socket } from "./net.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ProxyError } from "./errors.ts";
import { Connection } from "./connection.ts";
import { Backend } from "./backend.ts";
import { Frontend } from "./frontend.ts";
import { Stream } from "./stream.ts";
import { formatJsonLog, formatServerState, formatTcpLog, type StreamLogRecord } from "./log.ts";
import { HealthChecker } from "./health.ts";
import type { Server } from "./server.ts";
import type { ProxyConfig } from "./config/types.ts";
import { resolveConfig, type ResolvedProxyConfig } from "./config/defaults.ts";
import { formatAddress } from "./address.ts";
import { checkCapabilities, toBackendSettings, toFrontendSettings } from "./_settings.ts";

/** Options of {@link Proxy} that are not configuration: the environment it runs in. */
export interface ProxyOptions {
  /** The runtime's network (an adapter's `network`). */
  readonly network: Network;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * Receives each log line with its configured target: stream lines of frontends with a log
   * format, server state changes (`stdout`). @default none (nothing is logged)
   */
  readonly log?: (line: string, target: "stdout" | "stderr") => void;
  /** Random source of `balance random`, for reproducible tests. @default Math.random */
  readonly random?: () => number;
}

/** Process-wide counters (HAProxy's `show info`). */
export interface ProxyCounters {
  /** Streams now (`CurrConns`, log `%ac`). */
  current: number;
  /** Streams ever accepted (`CumConns`). */
  total: number;
  /** Connections refused by `maxconn`. */
  denied: number;
}

/** A running (or ready to run) proxy. */
export class Proxy implements AsyncDisposable {
  readonly config: ResolvedProxyConfig;
  readonly frontends: readonly Frontend[];
  readonly backends: readonly Backend[];
  readonly counters: ProxyCounters = { current: 0, total: 0, denied: 0 };
  readonly #net: Network;
  readonly #clock: Clock;
  readonly #log: ((line: string, target: "stdout" | "stderr") => void) | undefined;
  readonly #streams = new Set<Stream>();
  readonly #checkers: HealthChecker[] = [];
  #started = false;

  /**
   * Validates the configuration and builds the frontends and backends; nothing is bound yet.
   * @throws {ProxyError} `ERR_CONFIG_INVALID` naming the key, or `ERR_CAPABILITY_MISSING`
   * when the configuration needs something the network adapter cannot do.
   */
  constructor(config: ProxyConfig, options: ProxyOptions) {
    this.config = resolveConfig(config);
    this.#net = options.network;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    checkCapabilities(this.config, this.#net);
    this.backends = this.config.backends.map((b) =>
      new Backend(toBackendSettings(b), this.#net, this.#clock, options.random)
    );
    this.frontends = this.config.frontends.map((f) => {
      const be = this.backends.find((b) => b.name === f.defaultBackend)!;
      return new Frontend(toFrontendSettings(f), be);
    });
    for (const [bi, be] of this.backends.entries()) {
      const cfg = this.config.backends[bi]!;
      const checked = cfg.servers.filter((s) => s.check !== undefined).length;
      let pos = 0;
      const byServer = new Map<Server, HealthChecker>();
      for (const [si, srv] of be.servers.entries()) {
        const sc = cfg.servers[si]!;
        srv.onStateChange((s, _from, reason) => this.#stateChanged(be, s, reason));
        if (sc.check === undefined) continue;
        const hc = new HealthChecker(
          srv,
          {
            check: sc.check,
            kind: cfg.healthCheck,
            connectTimeoutMs: cfg.timeouts.connectMs,
            checkTimeoutMs: cfg.timeouts.checkMs,
            observe: sc.observe,
            errorLimit: sc.errorLimit,
            onError: sc.onError,
            // Spread the first checks of a backend over one interval, as HAProxy does.
            startDelayMs: Math.floor((pos++ * sc.check.interMs) / checked),
          },
          this.#net,
          this.#clock,
        );
        byServer.set(srv, hc);
        this.#checkers.push(hc);
      }
      if (byServer.size > 0) be.observeL4 = (srv, ok) => byServer.get(srv)?.observe(ok);
    }
  }

  /** Health checkers of every server with `check`. */
  get checkers(): readonly HealthChecker[] {
    return this.#checkers;
  }

  #stateChanged(be: Backend, srv: Server, reason = ""): void {
    let active = 0;
    let backup = 0;
    for (const s of be.servers) if (s.usable) s.backup ? backup++ : active++;
    const line = formatServerState({
      backend: be.name,
      server: srv.name,
      isBackup: srv.backup,
      state: srv.state,
      reason,
      active,
      backup,
      sessions: srv.counters.current,
      requeued: srv.requeued,
      queued: srv.queue.length,
    });
    this.#log?.(line, "stdout");
    if (active + backup === 0 && srv.state !== "UP") {
      this.#log?.(`backend ${be.name} has no server available!`, "stdout");
    }
  }

  /** Every bound address, in frontend and bind order (real ports when 0 was asked). */
  get addresses(): Address[] {
    return this.frontends.flatMap((f) => f.listeners.map((l) => l.address));
  }

  /** Streams in progress. */
  get streams(): ReadonlySet<Stream> {
    return this.#streams;
  }

  /**
   * Binds every frontend's addresses. On failure, closes what was bound and throws.
   * @throws {ProxyError} `ERR_LISTEN` naming the frontend, the address and the reason.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      for (const fe of this.frontends) {
        for (const address of fe.settings.binds) {
          try {
            fe.listeners.push(await this.#net.listen({ address, onAccept: (s) => this.#accept(fe, s) }));
          } catch (e) {
            const code = (e as { code?: string }).code ?? "error";
            throw new ProxyError(
              "ERR_LISTEN",
              `frontend '${fe.name}': cannot bind ${formatAddress(address)}: ${code} (${(e as Error).message})`,
              { cause: e },
            );
          }
        }
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    for (const hc of this.#checkers) hc.start();
  }

  /**
   * Stops accepting, then ends the streams in progress: at once (`graceMs` 0, the default),
   * or after letting them finish for up to `graceMs`.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    for (const hc of this.#checkers) hc.stop();
    await Promise.all(this.frontends.flatMap((f) => f.listeners.splice(0).map((l) => l.close())));
    const grace = options.graceMs ?? 0;
    if (grace > 0 && this.#streams.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimer(resolve, grace);
        this.#onIdle = () => {
          this.#clock.clearTimer(timer);
          resolve();
        };
      });
      this.#onIdle = undefined;
    }
    for (const s of this.#streams) s.kill();
  }

  #onIdle: (() => void) | undefined;

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #accept(fe: Frontend, socket: Socket): void {
    const max = this.config.maxconn;
    if ((max > 0 && this.counters.current >= max) || !fe.accepting) {
      this.counters.denied++;
      fe.counters.denied++;
      socket.abort();
      return;
    }
    this.counters.current++;
    this.counters.total++;
    fe.enter();
    fe.backend.enter();
    const conn = Connection.accepted(this.#net, socket);
    const stream = new Stream(
      { clock: this.#clock, frontend: fe, backend: fe.backend, onEnd: (s) => this.#end(fe, s) },
      socket,
      conn,
    );
    this.#streams.add(stream);
    stream.start();
  }

  /**
   * A stream ended: counters, then its log line. As HAProxy logs a TCP stream once its server
   * side is released, `%bc/%sc` no longer count it while `%ac/%fc` still do (checked against
   * HAProxy 2.6 by the differential test).
   */
  #end(fe: Frontend, s: Stream): void {
    this.#streams.delete(s);
    fe.backend.leave(s, s.bytesIn, s.bytesOut);
    const record: StreamLogRecord = {
      client: s.clientConn.src,
      acceptedAt: s.acceptedAt,
      frontend: fe.name,
      backend: fe.backend.name,
      server: s.server?.name,
      queueMs: s.queueTimeMs,
      connectMs: s.connectMs,
      totalMs: s.endedAt - s.acceptedAt,
      bytesToClient: s.bytesOut,
      bytesFromClient: s.bytesIn,
      termination: s.termination,
      processConns: this.counters.current,
      frontendConns: fe.counters.current,
      backendConns: fe.backend.counters.current,
      serverConns: s.server?.counters.current ?? 0,
      retries: s.retries,
      redispatched: s.redispatched,
      serverQueue: s.serverQueuePos,
      backendQueue: s.backendQueuePos,
    };
    this.counters.current--;
    fe.leave(s.bytesIn, s.bytesOut);
    const log = fe.settings.log;
    if (log !== undefined && this.#log !== undefined) {
      this.#log(log.format === "json" ? formatJsonLog(record) : formatTcpLog(record), log.target);
    }
    if (this.#streams.size === 0) this.#onIdle?.();
  }
}
