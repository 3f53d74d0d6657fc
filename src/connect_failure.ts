/**
 * What a program's `onConnectFailure` hook (`ProxyHooks.onConnectFailure`) is told about each
 * failed connect attempt to a server, and what it may answer: pingora's "on connect failure"
 * phase on HAProxy's connect loop (configuration.txt 4.2 `retries`, `option redispatch`).
 *
 * @module
 */
import type { Address, NetErrorCode } from "./net.ts";

/** One failed connect attempt, as {@link ConnectFailureHook} sees it. */
export interface ConnectFailureInfo {
  /** The backend. */
  readonly backend: string;
  /** The server tried; undefined in proxy mode (the destination came from the request). */
  readonly server: string | undefined;
  /** Where the attempt connected. */
  readonly address: Address | undefined;
  /** Which attempt failed: 1 for the first connect, 2 for the first retry, ... */
  readonly attempt: number;
  /** `timeout connect` struck (rather than an error from the network). */
  readonly timedOut: boolean;
  /** The network's error code when it gave one (`ECONNREFUSED`, ...). */
  readonly code: NetErrorCode | undefined;
  /** No retry follows (`retries` spent, or a final TLS error): the stream ends with `SC`/`sC`. */
  readonly final: boolean;
}

/**
 * Called after each failed connect attempt, before the retry decision. Returning
 * `"redispatch"` sends the next attempt to another server (a new election avoiding this one,
 * as `option redispatch` does), whatever the backend's `option redispatch` says; it changes
 * nothing on a final failure or in proxy mode. Returning nothing keeps HAProxy's rules (the
 * same server after the turn-around delay unless `option redispatch` applies).
 */
export type ConnectFailureHook = (failure: ConnectFailureInfo) => "redispatch" | undefined | void;
