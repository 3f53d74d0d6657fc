/**
 * What an HTTP transaction shares with the parts it delegates to: its progress flags (its
 * timer reads them to pick the timeouts that apply, its request and response sides update
 * them) and the operations the sides call back ({@link TxnCore}). Internal: not exported from
 * the package.
 *
 * @module
 */
import type { Server } from "../server.ts";
import type { HttpConnectionMode } from "../pool.ts";
import type { HttpReply } from "./error_pages.ts";
import type { HttpPolicy } from "./policy.ts";
import type { RequestPersistence } from "./persist.ts";
import type { TxnRecord } from "./txn_record.ts";
import type { TimerOwner } from "./txn_timer.ts";
import type { OutputOwner } from "./txn_write.ts";

/** Where the two messages of a transaction are, and which side's writes are backed up. */
export class TxnFlags {
  /** The request was read to its end (and forwarded, once connected). */
  reqDone = false;
  /** The final response head was sent to the client (or the proxy's reply was). */
  resHeadSent = false;
  /** The response was sent to its end. */
  resDone = false;
  /** After a 101 or a 2xx to CONNECT: bytes both ways until either side ends. */
  tunnel = false;
  /** The transaction ended (log line out, lease released): later events are ignored. */
  ended = false;
  /** The server's write buffer is full: the client's reads are paused. */
  srvBlocked = false;
  /** The client's write buffer is full: the server's reads are paused. */
  cliBlocked = false;
}

/** What the request and response sides read and call of their transaction (internal to `HttpTxn`). */
export interface TxnCore extends TimerOwner, OutputOwner {
  /** The transaction's record: status, timers, byte counts, cookie status it fills in. */
  readonly txn: TxnRecord;
  /** The transaction's progress. */
  readonly flags: TxnFlags;
  /** What the persistence cookie of the request said (`cookie`), for the response's. */
  persistence(): RequestPersistence<Server> | undefined;
  /** The backend's rules and error pages. */
  bePolicy(): HttpPolicy | undefined;
  /** The server side's connection mode. */
  serverMode(): HttpConnectionMode;
  /** Starts a layer-7 retry when `matched`; false when none was started. */
  retry(matched: boolean | undefined): boolean;
  /** Sends the request again on a new connection to the same server. */
  resend(): void;
  /** Records the first abnormal termination. */
  setTerm(cause: string, phase: string): void;
  /** Closes the server connection. */
  closeServer(abort: boolean): void;
  /** Ends the transaction and resets both connections. */
  abortBoth(): void;
  /** Sends the proxy's reply and ends the transaction. */
  reply(reply: HttpReply | undefined, status: number, close?: boolean): void;
  /** Ends the transaction once both messages are complete. */
  maybeDone(): void;
  /** Writes what was queued for each side. */
  flushOut(): void;
  /** Queues bytes for the client. */
  toClient(bytes: Uint8Array): void;
  /** Forwards what the parser has of the request (body, or a tunnel's bytes). */
  pullRequest(): void;
  /** The request side runs again, as a tunnel's client-to-server direction. */
  tunnelRequest(): void;
  /** Queues bytes for the server (copied for `retry-on` while the first send lasts). */
  toServer(bytes: Uint8Array): void;
  /** Re-arms the inactivity timer. */
  armTimer(): void;
  /** Shuts the write side of the current server connection (a tunnel's client sent its EOF). */
  shutServer(): void;
}
