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
import type { Network, Socket } from "./net.ts";
import type { Server } from "./server.ts";
import type { Backend } from "./backend.ts";
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
  /** `observe layer4`: real traffic's connect outcomes count too; undefined = off. */
  readonly observe: "layer4" | undefined;
  /** `error-limit`: consecutive observed errors that trigger `onError`. */
  readonly errorLimit: number;
  /** `on-error`: what reaching `errorLimit` does. */
  readonly onError: OnError;
  /** Initial delay of the first check (spreads checks of a backend's servers). */
  readonly startDelayMs: number;
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
  /** Times `observe layer4` reached `error-limit` (`failed_hana`). */
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
    if (s.state === "DOWN") s.setState(s.settings.weight === 0 ? "DRAIN" : "UP", describeCheck(r));
  }

  #setDown(r: CheckResult): void {
    const s = this.server;
    if (s.state === "UP" || s.state === "DRAIN") s.setState("DOWN", describeCheck(r));
  }

  /**
   * Passive monitoring (`observe layer4`): a connect outcome of real traffic. After
   * `error-limit` consecutive failures, applies `on-error` (HAProxy `__health_adjust()`).
   */
  observe(ok: boolean): void {
    if (this.settings.observe !== "layer4" || this.settings.check === undefined) return;
    if (ok) {
      this.consecutiveErrors = 0;
      return;
    }
    if (++this.consecutiveErrors < this.settings.errorLimit) return;
    this.consecutiveErrors = 0;
    this.counters.observedFailures++;
    const failure: CheckResult = {
      ok: false,
      reason: "Health analyze",
      info: "Detected enough consecutive errors, check it please",
      durationMs: 0,
    };
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
    let socket: Socket;
    try {
      socket = await this.#net.connect({ address, signal: ac.signal });
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (ac.signal.aborted) return { ok: false, reason: "Layer4 timeout", durationMs: elapsed() };
      return { ok: false, reason: "Layer4 connection problem", info: ERROR_INFO[code] ?? code, durationMs: elapsed() };
    } finally {
      this.#clock.clearTimer(timer);
    }
    const kind = this.settings.kind;
    if (kind.kind === "tcp") {
      socket.abort();
      return { ok: true, reason: "Layer4 check passed", durationMs: elapsed() };
    }
    const readTo = checkTo ?? Math.max(0, c.interMs - elapsed());
    return await this.#httpCheck(socket, kind, readTo, elapsed);
  }

  #httpCheck(
    socket: Socket,
    kind: Extract<ResolvedHealthCheck, { kind: "http" }>,
    timeoutMs: number,
    elapsed: () => number,
  ): Promise<CheckResult> {
    return new Promise((resolve) => {
      let text = "";
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
      const decoder = new TextDecoder();
      const evaluate = (final: boolean) => {
        const eol = text.indexOf("\r\n");
        if (eol < 0 && !final) return;
        const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(eol < 0 ? text : text.slice(0, eol));
        if (!m) return finish({ ok: false, reason: "Layer7 invalid response", durationMs: elapsed() });
        const code = Number(m[1]);
        const expected = kind.expectStatus;
        const ok = expected === undefined ? code >= 200 && code < 400 : expected.includes(code);
        finish({
          ok,
          reason: ok ? "Layer7 check passed" : "Layer7 wrong status",
          code,
          ...(m[2] ? { info: m[2] } : {}),
          durationMs: elapsed(),
        });
      };
      socket.setHandlers({
        onData(chunk) {
          text += decoder.decode(chunk, { stream: true });
          evaluate(false);
        },
        onEnd() {
          if (text.length === 0) {
            finish({ ok: false, reason: "Layer7 invalid response", info: "empty response", durationMs: elapsed() });
          } else evaluate(true);
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
      socket.write(new TextEncoder().encode(`${kind.method} ${kind.uri} ${kind.version}\r\n\r\n`));
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
  const byServer = new Map<Server, HealthChecker>();
  let pos = 0;
  for (const [i, srv] of backend.servers.entries()) {
    const sc = config.servers[i]!;
    if (sc.check === undefined) continue;
    const hc = new HealthChecker(
      srv,
      {
        check: sc.check,
        kind: config.healthCheck,
        connectTimeoutMs: config.timeouts.connectMs,
        checkTimeoutMs: config.timeouts.checkMs,
        observe: sc.observe,
        errorLimit: sc.errorLimit,
        onError: sc.onError,
        startDelayMs: Math.floor((pos++ * sc.check.interMs) / checked),
      },
      net,
      clock,
    );
    srv.check = hc;
    byServer.set(srv, hc);
  }
  if (byServer.size > 0) backend.observeL4 = (srv, ok) => byServer.get(srv)?.observe(ok);
  return [...byServer.values()];
}
