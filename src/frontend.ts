/**
 * A frontend: its listeners, its limits and counters, and the backend it feeds.
 *
 * @module
 */
import type { Address, Listener } from "./net.ts";
import { type Clock, systemClock } from "./clock.ts";
import { countIn, countOut, type HttpCounts, newHttpCounts, newStreamCounts, type StreamCounts } from "./_counters.ts";
import type { Backend } from "./backend.ts";
import type { LogFormat } from "./acl/log_format.ts";
import type { UniqueIdSettings } from "./http/unique_id.ts";
import type { ResolvedBind } from "./config/resolved.ts";

/** Counters of one frontend (HAProxy stats names in parentheses). */
export interface FrontendCounters extends StreamCounts {
  /**
   * Connections aborted on accept because the frontend's or the process's `maxconn` was
   * reached (like `dreq`; HAProxy would leave them in the kernel's backlog instead), and
   * requests a `tcp-request content reject` refused in `mode http` (`dreq`).
   */
  denied: number;
  /** HTTP requests and responses by status class (`mode http`). */
  readonly http: HttpCounts;
  /** Requests answered by the proxy itself: stats page, `monitor-uri`, services (`intercepted`). */
  intercepted: number;
}

/** Frontend settings with defaults applied. */
export interface FrontendSettings {
  /** `frontend <name>`. */
  readonly name: string;
  /** `bind` lines (address and options), in order. */
  readonly binds: readonly ResolvedBind[];
  /** `timeout client`, ms; undefined = infinite. */
  readonly clientTimeoutMs: number | undefined;
  /** `maxconn` of the frontend, 0 = unlimited. */
  readonly maxconn: number;
  /** `rate-limit sessions`: new sessions per second, 0 = unlimited. @default 0 */
  readonly rateLimitSessions?: number;
  /** Format and target of this frontend's stream log lines; undefined = no log lines. */
  readonly log:
    | {
      readonly format: "tcplog" | "json" | "httplog";
      readonly target: "stdout" | "stderr";
      /** `log-format`, compiled: replaces `format`. */
      readonly logFormat?: LogFormat | undefined;
    }
    | undefined;
  /** `mode`: `http` frontends run an HTTP session per connection. */
  readonly mode: "tcp" | "http";
  /** `unique-id-format` (compiled) and `unique-id-header`. @default undefined (no request ids) */
  readonly uniqueId?: UniqueIdSettings | undefined;
}

/** A frontend at run time. */
export class Frontend {
  /** `frontend <name>`. */
  readonly name: string;
  /** What it was built from. */
  readonly settings: FrontendSettings;
  /** Its `default_backend`, which serves every stream it accepts. */
  readonly backend: Backend;
  /** Its counters, also what `ProxyServer.frontends` shows. */
  readonly counters: FrontendCounters;
  /** Bound listeners, in `binds` order, once the proxy started. */
  readonly listeners: Listener[] = [];

  /**
   * A frontend feeding `backend`; nothing is bound until the proxy starts. `clock` times its
   * rates (`rate`, `req_rate`); the system clock when omitted.
   */
  constructor(settings: FrontendSettings, backend: Backend, clock: Clock = systemClock) {
    this.counters = { ...newStreamCounts(clock), denied: 0, http: newHttpCounts(clock), intercepted: 0 };
    this.name = settings.name;
    this.settings = settings;
    this.backend = backend;
  }

  /** Bound addresses, in `binds` order. */
  get addresses(): Address[] {
    return this.listeners.map((l) => l.address);
  }

  /** Whether one more stream fits under `maxconn`. */
  get accepting(): boolean {
    const m = this.settings.maxconn;
    return m === 0 || this.counters.current < m;
  }

  /** Accounts a stream entering. */
  enter(): void {
    countIn(this.counters);
  }

  /** Accounts a stream leaving. */
  leave(bytesIn: number, bytesOut: number): void {
    countOut(this.counters, bytesIn, bytesOut);
  }
}
