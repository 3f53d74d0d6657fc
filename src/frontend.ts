/**
 * A frontend: its listeners, its limits and counters, and the backend it feeds.
 *
 * @module
 */
import type { Address, Listener } from "./net.ts";
import { countIn, countOut, newStreamCounts, type StreamCounts } from "./_counters.ts";
import type { Backend } from "./backend.ts";

/** Counters of one frontend (HAProxy stats names in parentheses). */
export interface FrontendCounters extends StreamCounts {
  /** Connections refused because `maxconn` was reached (`dreq`-like). */
  denied: number;
}

/** Frontend settings with defaults applied. */
export interface FrontendSettings {
  readonly name: string;
  readonly binds: readonly Address[];
  readonly clientTimeoutMs: number | undefined;
  /** 0 = unlimited. */
  readonly maxconn: number;
  /** Format and target of this frontend's stream log lines; undefined = no log lines. */
  readonly log: { readonly format: "tcplog" | "json"; readonly target: "stdout" | "stderr" } | undefined;
}

/** A frontend at run time. */
export class Frontend {
  readonly name: string;
  readonly settings: FrontendSettings;
  readonly backend: Backend;
  readonly counters: FrontendCounters = { ...newStreamCounts(), denied: 0 };
  /** Bound listeners, in `binds` order, once the proxy started. */
  readonly listeners: Listener[] = [];

  constructor(settings: FrontendSettings, backend: Backend) {
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
