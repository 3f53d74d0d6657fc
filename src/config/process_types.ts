/**
 * Process-wide settings of a `haproxy.cfg` `global` section that the proxy itself does not
 * run but its host program does (the `proxykit` command line): how long a stop may take, how
 * many workers, and the server-state file (configuration.txt 3.1 and 4.2).
 *
 * @module
 */

/** A backend whose servers' state is loaded from a file at start (`load-server-state-from-file`). */
export interface ServerStateSource {
  /** `backend <name>`. */
  readonly backend: string;
  /** The file: `server-state-file` (global) or the backend's `server-state-file-name` (local). */
  readonly file: string;
}

/** What the `global` section sets for the process that runs the proxy. */
export interface ProcessConfig {
  /**
   * `hard-stop-after <time>`, ms: how long a stop (or the old proxy of a reload) lets streams
   * in progress finish before it kills the rest (logged with `K`). HAProxy's default is
   * infinite; the command line's is {@link DEFAULT_HARD_STOP_AFTER_MS}.
   */
  readonly hardStopAfterMs?: number;
  /** `nbthread <n>`: worker processes for the command line (`--workers` wins). */
  readonly nbthread?: number;
  /** `server-state-file <file>` with `server-state-base` applied: where the state is saved. */
  readonly serverStateFile?: string;
  /** Backends loading their servers' state at start, and from which file. */
  readonly serverStates?: readonly ServerStateSource[];
}

/**
 * The command line's `hard-stop-after` when the configuration sets none: 25 s, under the 30 s
 * that orchestrators wait between SIGTERM and SIGKILL (Kubernetes' default
 * `terminationGracePeriodSeconds`, Docker's `stop` waits 10 s: set it lower there), leaving
 * time for the killed streams' log lines and the exit.
 */
export const DEFAULT_HARD_STOP_AFTER_MS = 25_000;
