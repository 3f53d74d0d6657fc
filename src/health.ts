/**
 * Health checks: active (TCP connect, or an HTTP request with an expected status) and
 * passive (`observe layer4`: real traffic's connect outcomes), moving servers between UP and
 * DOWN exactly as HAProxy's check.c counts (configuration.txt 5.2 `check`, `rise`, `fall`,
 * `observe`, `on-error`).
 *
 * The health counter runs from 0 to `rise + fall - 1`; the server is UP while it is at least
 * `rise`. A pass adds one and, once UP, jumps to the top; a failure above `rise` takes one
 * off, and at `rise` or below drops to 0 (DOWN). So from fully UP exactly `fall` failures
 * mark it DOWN, and from DOWN exactly `rise` passes mark it UP. A server starts at `rise`:
 * UP, "but will fall down at first failure", as HAProxy's own source says.
 *
 * @module
 */
import type { Clock, Timer } from "./clock.ts";
import type { Network, Socket, TlsClientOptions } from "./net.ts";
import type { ServerTlsConfig } from "./config/tls_types.ts";
import type { ObservedOutcome, Server } from "./server.ts";
import { HttpCheckReader, httpCheckRequest, type HttpCheckSettings } from "./health_http.ts";
import type { Backend } from "./backend.ts";
import { checkProxyHeader } from "./send_proxy.ts";
import type { SendProxyConfig } from "./config/tls_types.ts";

/** `check-send-proxy` on a server without `send-proxy*`: a v1 line, as HAProxy. */
const V1: SendProxyConfig = { version: 1 };
import type { OnError } from "./config/types.ts";
import type { ResolvedBackendConfig, ResolvedCheckConfig, ResolvedHealthCheck } from "./config/defaults.ts";

/** What one health checker needs to know. */
export interface HealthSettings {
  /** Intervals, rise/fall, port override; undefined when the server has no `check`. */
  readonly check: ResolvedCheckConfig | undefined;
  /** The backend's check protocol: TCP connect, or an HTTP request and its expected status. */
  readonly kind: ResolvedHealthCheck;
  /** Backend `timeout connect`, ms. */
  readonly connectTimeoutMs: number | undefined;
  /** Backend `timeout check`, ms. */
  readonly checkTimeoutMs: number | undefined;
  /** `observe layer4|layer7`: real traffic counts too; undefined = off. */
  readonly observe: "layer4" | "layer7" | undefined;
  /** `error-limit`: consecutive observed errors that trigger `onError`. */
  readonly errorLimit: number;
  /** `on-error`: what reaching `errorLimit` does. */
  readonly onError: OnError;
  /** Initial delay of the first check (spreads checks of a backend's servers). */
  readonly startDelayMs: number;
  /**
   * Checks connect over TLS with these options (`check-ssl`, or a `ssl` server checked on its
   * own port): a failed handshake is `Layer6 invalid response`, a TCP check that completes it
   * `Layer6 check passed`. @default undefined (plain)
   */
  readonly tls?: TlsClientOptions | undefined;
}

/** The outcome of one check, worded as HAProxy's logs word it. */
export interface CheckResult {
  /** The check passed. */
  readonly ok: boolean;
  /** `Layer4 check passed`, `Layer4 connection problem`, `Layer7 wrong status`, ... */
  readonly reason: string;
  /** HTTP status for layer 7 checks. */
  readonly code?: number;
  /** Extra information (`Connection refused`, the status text). */
  readonly info?: string;
  /** From the start of the connect to the result, ms (the state line's "check duration"). */
  readonly durationMs: number;
}

/** Counts of one server's checks. */
export interface CheckCounters {
  /** Results applied: checks run, plus the failures `observe layer4` simulates. */
  checks: number;
  /** Results that passed. */
  passed: number;
  /** Results that failed. */
  failed: number;
  /** Times `observe` reached `error-limit` (`failed_hana`). */
  observedFailures: number;
}

/** A server's active health check as a program sees it. */
export interface CheckView {
  /** HAProxy's `check->health`: 0..rise+fall-1, UP at `rise` and above. */
  readonly health: number;
  /** The last result (stats `check_status`), once a check ran. */
  readonly last: CheckResult | undefined;
  /** Counts of its results. */
  readonly counters: Readonly<CheckCounters>;
}

/** Text after `reason: ` in a server state log line. */
export function describeCheck(r: CheckResult): string {
  const code = r.code !== undefined ? `, code: ${r.code}` : "";
  const info = r.info !== undefined ? `, info: "${r.info}"` : "";
  return `${r.reason}${code}${info}, check duration: ${r.durationMs}ms`;
}

/**
 * HAProxy's `analyze_statuses` (check.c): how `observe layer4` and `observe layer7` count each
 * outcome of real traffic (1 = error, 2 = good, 0 = ignored), and its description in the
 * `Detected N consecutive errors, last one was: ...` info.
 */
const ANALYZE: Readonly<
  Record<Exclude<ObservedOutcome, number> | "http-ok" | "http-status", {
    desc: string;
    layer4: 0 | 1 | 2;
    layer7: 0 | 1 | 2;
  }>
> = {
  "conn-ok": { desc: "L4 successful connection", layer4: 2, layer7: 0 },
  "conn-error": { desc: "L4 unsuccessful connection", layer4: 1, layer7: 1 },
  "http-ok": { desc: "Correct http response", layer4: 0, layer7: 2 },
  "http-status": { desc: "Wrong http response", layer4: 0, layer7: 1 },
  "invalid-headers": { desc: "Invalid http response (headers)", layer4: 0, layer7: 1 },
  "invalid-response": { desc: "Invalid http response", layer4: 0, layer7: 1 },
  "read-error": { desc: "Read error (http)", layer4: 0, layer7: 1 },
  "read-timeout": { desc: "Read timeout (http)", layer4: 0, layer7: 1 },
  "broken-pipe": { desc: "Close from server (http)", layer4: 0, layer7: 1 },
};

/** An HTTP status as `observe layer7` sees it (http_ana.c): 100-499, 501 and 505 are good. */
function statusOutcome(status: number): "http-ok" | "http-status" {
  return status >= 100 && (status < 500 || status === 501 || status === 505) ? "http-ok" : "http-status";
}

const ERROR_INFO: Readonly<Record<string, string>> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
};

/**
 * Runs one server's checks and counts its health. Observers of the server see every state
 * change through `Backend.onServerStateChange`, with {@link describeCheck} as the reason.
 */
export class HealthChecker implements CheckView {
  /** The server it checks and moves between UP and DOWN. */
  readonly server: Server;
  /** What it was built from. */
  readonly settings: HealthSettings;
  /** HAProxy's `check->health`. */
  health: number;
  /** Consecutive errors seen by `observe layer4`. */
  consecutiveErrors = 0;
  /** Counts of its results. */
  readonly counters: CheckCounters = { checks: 0, passed: 0, failed: 0, observedFailures: 0 };
  /** The last result (stats `check_status`). */
  last: CheckResult | undefined;
  readonly #net: Network;
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #running = false;
  #forceFast = false;

  /**
   * A stopped checker of `server`; checks connect through `net` and are timed by `clock`. Its
   * health starts at `rise`: UP, one failure from DOWN, as HAProxy starts a checked server.
   */
  constructor(server: Server, settings: HealthSettings, net: Network, clock: Clock) {
    this.server = server;
    this.settings = settings;
    this.#net = net;
    this.#clock = clock;
    this.health = settings.check?.rise ?? 1;
  }

  get #rise(): number {
    return this.settings.check?.rise ?? 1;
  }
  get #top(): number {
    const c = this.settings.check;
    return c === undefined ? 1 : c.rise + c.fall - 1;
  }

  /**
   * Starts active checks when the server has `check`. A server in maintenance is not checked:
   * its turn comes back every `inter` until it leaves maintenance.
   */
  start(): void {
    if (this.settings.check === undefined || this.#running) return;
    this.#running = true;
    this.#schedule(this.settings.startDelayMs);
  }

  /** Stops active checks. */
  stop(): void {
    this.#running = false;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Interval to the next check: inter when fully UP, downinter when DOWN, else fastinter. */
  nextIntervalMs(): number {
    const c = this.settings.check!;
    if (this.#forceFast) return c.fastinterMs;
    if (this.health >= this.#top) return c.interMs;
    if (this.health === 0) return c.downinterMs;
    return c.fastinterMs;
  }

  #schedule(ms: number): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = this.#clock.setTimer(() => void this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (!this.#running) return;
    if (this.server.state === "MAINT") {
      // Checks are stopped in maintenance; look again later.
      this.#schedule(this.settings.check!.interMs);
      return;
    }
    const r = await this.runOnce();
    if (!this.#running) return;
    this.#forceFast = false;
    this.report(r);
    this.#schedule(this.nextIntervalMs());
  }

  /** Applies one result to the health counter, changing the server state at the edges. */
  report(r: CheckResult): void {
    this.last = r;
    this.counters.checks++;
    const rise = this.#rise;
    if (r.ok) {
      this.counters.passed++;
      if (this.health < this.#top) {
        this.health++;
        if (this.health === rise) this.#setUp(r);
      }
      if (this.health >= rise) this.health = this.#top;
    } else {
      this.counters.failed++;
      if (this.health > rise) {
        this.health--;
      } else {
        if (this.health === rise) this.#setDown(r);
        this.health = 0;
      }
    }
  }

  #setUp(r: CheckResult): void {
    const s = this.server;
    if (s.state === "DOWN") s.setState(s.upState, describeCheck(r));
  }

  #setDown(r: CheckResult): void {
    const s = this.server;
    if (s.state === "UP" || s.state === "DRAIN") s.setState("DOWN", describeCheck(r));
  }

  /**
   * Passive monitoring (`observe layer4|layer7`, HAProxy `__health_adjust()`): one outcome of
   * real traffic, counted as HAProxy's `analyze_statuses` says for the observed layer (a good
   * one resets the count, an ignored one changes nothing). After `error-limit` consecutive
   * errors, applies `on-error`, the failure worded `Detected N consecutive errors, last one
   * was: <what>`.
   */
  observe(outcome: ObservedOutcome): void {
    const layer = this.settings.observe;
    if (layer === undefined || this.settings.check === undefined) return;
    const a = ANALYZE[typeof outcome === "number" ? statusOutcome(outcome) : outcome];
    const verdict = a[layer];
    if (verdict === 0) return;
    if (verdict === 2) {
      this.consecutiveErrors = 0;
      return;
    }
    if (++this.consecutiveErrors < this.settings.errorLimit) return;
    const failure: CheckResult = {
      ok: false,
      reason: "Health analyze",
      info: `Detected ${this.consecutiveErrors} consecutive errors, last one was: ${a.desc}`,
      durationMs: 0,
    };
    this.consecutiveErrors = 0;
    this.counters.observedFailures++;
    const rise = this.#rise;
    switch (this.settings.onError) {
      case "fastinter":
        break;
      case "sudden-death":
        if (this.health > rise) this.health = rise + 1;
        this.report(failure);
        break;
      case "mark-down":
        this.health = rise;
        this.report(failure);
        break;
      default:
        this.report(failure);
    }
    // Every on-error mode forces the next check at fastinter.
    this.#forceFast = true;
    if (this.#running) this.#schedule(this.settings.check.fastinterMs);
  }

  /**
   * Runs one check now. Timeouts as HAProxy: with `timeout check`, the connect gets
   * min(timeout connect, inter) and the response `timeout check`; without it, `inter` bounds
   * the whole check.
   */
  async runOnce(): Promise<CheckResult> {
    const c = this.settings.check!;
    const t0 = this.#clock.now();
    const checkTo = this.settings.checkTimeoutMs;
    const connectTo = checkTo !== undefined
      ? Math.min(this.settings.connectTimeoutMs ?? c.interMs, c.interMs)
      : c.interMs;
    const addr = this.server.address;
    const address = c.port !== undefined && addr.transport === "tcp" ? { ...addr, port: c.port } : addr;
    const elapsed = () => this.#clock.now() - t0;
    const ac = new AbortController();
    const timer = this.#clock.setTimer(() => ac.abort(), connectTo);
    // configuration.txt 5.2 `send-proxy`, `check-send-proxy`: checks carry the server's PROXY
    // header unless they go to another port, where `check-send-proxy` is needed (v1 without
    // `send-proxy-v2`). v2 is the constant LOCAL header, written before anything (TLS
    // included); v1 names this connection's own addresses, known once connected.
    const own = this.server.settings.sendProxy;
    const pp = c.sendProxy === true ? own ?? V1 : c.port === undefined ? own : undefined;
    let socket: Socket;
    const tls = this.settings.tls;
    try {
      socket = await this.#net.connect(
        {
          address,
          signal: ac.signal,
          ...(tls === undefined ? {} : { tls }),
          // A v1 header over TLS must precede the handshake: without the connection's own
          // addresses yet, it says UNKNOWN (as HAProxy's for a non-INET connection).
          ...(pp !== undefined && (pp.version === 2 || tls !== undefined)
            ? { preamble: checkProxyHeader(pp, undefined) }
            : {}),
        },
      );
      if (pp?.version === 1 && tls === undefined) socket.write(checkProxyHeader(pp, socket));
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (ac.signal.aborted) return { ok: false, reason: "Layer4 timeout", durationMs: elapsed() };
      if (code === "ETLS" || code === "ETLSVERIFY") {
        return { ok: false, reason: "Layer6 invalid response", info: "SSL handshake failure", durationMs: elapsed() };
      }
      return { ok: false, reason: "Layer4 connection problem", info: ERROR_INFO[code] ?? code, durationMs: elapsed() };
    } finally {
      this.#clock.clearTimer(timer);
    }
    const kind = this.settings.kind;
    if (kind.kind === "tcp") {
      // The header must reach the server: close after it rather than reset.
      if (pp !== undefined) socket.close();
      else socket.abort();
      return {
        ok: true,
        reason: tls === undefined ? "Layer4 check passed" : "Layer6 check passed",
        durationMs: elapsed(),
      };
    }
    const readTo = checkTo ?? Math.max(0, c.interMs - elapsed());
    return await this.#httpCheck(socket, kind, readTo, elapsed);
  }

  /**
   * Sends the check request and judges the response as it comes (`health_http.ts`); `timeoutMs`
   * bounds the wait (`Layer7 timeout`).
   */
  #httpCheck(socket: Socket, kind: HttpCheckSettings, timeoutMs: number, elapsed: () => number): Promise<CheckResult> {
    return new Promise((resolve) => {
      const reader = new HttpCheckReader(kind);
      let done = false;
      const finish = (r: CheckResult) => {
        if (done) return;
        done = true;
        this.#clock.clearTimer(timer);
        socket.abort();
        resolve(r);
      };
      const timer = this.#clock.setTimer(
        () => finish({ ok: false, reason: "Layer7 timeout", durationMs: elapsed() }),
        timeoutMs,
      );
      const verdict = (v: ReturnType<HttpCheckReader["end"]> | undefined) => {
        if (v !== undefined) finish({ ...v, durationMs: elapsed() });
      };
      socket.setHandlers({
        onData(chunk) {
          verdict(reader.push(chunk));
        },
        onEnd() {
          verdict(reader.end());
        },
        onDrain() {},
        onClose(err) {
          finish({
            ok: false,
            reason: "Layer4 connection problem",
            info: err?.code ?? "closed",
            durationMs: elapsed(),
          });
        },
      });
      socket.write(new TextEncoder().encode(httpCheckRequest(kind)));
    });
  }
}

/**
 * Creates the health checkers of `backend`'s servers that have `check` (`config` is the
 * backend's resolved configuration, servers in the same order), and routes the backend's
 * `observe layer4` outcomes to them. The first checks of a backend are spread over one
 * interval, as HAProxy does. The checkers are returned stopped.
 */
export function createHealthCheckers(
  backend: Backend,
  config: ResolvedBackendConfig,
  net: Network,
  clock: Clock,
): HealthChecker[] {
  const checked = config.servers.filter((s) => s.check !== undefined).length;
  const out: HealthChecker[] = [];
  let pos = 0;
  for (const [i, srv] of backend.servers.entries()) {
    const sc = config.servers[i]!;
    if (sc.check === undefined) continue;
    out.push(
      createHealthChecker(backend, config, sc, srv, net, clock, Math.floor((pos++ * sc.check.interMs) / checked)),
    );
  }
  return out;
}

/**
 * The health checker of one server of `backend` configured by `sc` (`check` set), stopped,
 * first check after `startDelayMs`; routes its `observe` outcomes. Also what `add server ...
 * check` uses at run time.
 */
export function createHealthChecker(
  backend: Backend,
  config: ResolvedBackendConfig,
  sc: ResolvedBackendConfig["servers"][number],
  srv: Server,
  net: Network,
  clock: Clock,
  startDelayMs = 0,
): HealthChecker {
  const check = sc.check!;
  const hc = new HealthChecker(
    srv,
    {
      check,
      kind: config.healthCheck,
      connectTimeoutMs: config.timeouts.connectMs,
      checkTimeoutMs: config.timeouts.checkMs,
      observe: sc.observe,
      errorLimit: sc.errorLimit,
      onError: sc.onError,
      startDelayMs,
      tls: check.ssl === true ? checkTls(sc.tls, check.sni) : undefined,
    },
    net,
    clock,
  );
  srv.check = hc;
  if (hc.settings.observe !== undefined) srv.observer = (o) => hc.observe(o);
  backend.observeL4 = (s, ok) => s.observe(ok ? "conn-ok" : "conn-error");
  return hc;
}

/**
 * The TLS options of a server's checks: the server's own settings (CA, `verify`, client
 * certificate) with `check-sni` as the SNI; the server's `sni` expression is not used, as in
 * HAProxy. `check-ssl` on a server without `ssl` has no settings to borrow: its checks do not
 * verify the certificate.
 */
function checkTls(tls: ServerTlsConfig | undefined, sni: string | undefined): TlsClientOptions {
  const o: { -readonly [K in keyof TlsClientOptions]: TlsClientOptions[K] } = { verify: tls?.verify ?? false };
  if (tls?.caCerts !== undefined) o.caCerts = tls.caCerts;
  if (tls?.cert !== undefined && tls.key !== undefined) {
    o.cert = tls.cert;
    o.key = tls.key;
  }
  if (tls?.minVersion !== undefined) o.minVersion = tls.minVersion;
  if (tls?.maxVersion !== undefined) o.maxVersion = tls.maxVersion;
  if (sni !== undefined) o.serverName = sni;
  else if (tls?.verifyHost !== undefined) o.verifyName = tls.verifyHost;
  return o;
}
