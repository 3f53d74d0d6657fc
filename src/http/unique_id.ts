/**
 * Request ids (configuration.txt 4.2 `unique-id-format`, `unique-id-header`): each HTTP
 * request's id, and each TCP stream's, is rendered from the frontend's log-format string
 * once, the first time `%ID`, the `unique-id` fetch, the header or a `send-proxy-v2` server's
 * UNIQUE_ID TLV asks for it, and for HTTP at the latest once the request rules ran (HAProxy's
 * `stream_generate_unique_id()`, called by `http_process_request()`, `smp_fetch_uniqueid()`
 * and `make_proxy_line_v2()`).
 *
 * Invariants, as HAProxy 2.6 does it (checked against it):
 * - The id is at most {@link UNIQUE_ID_MAX} chars (HAProxy's `UNIQUEID_LEN` with its NUL).
 * - `unique-id-header` appends a field after the frontend's and backend's `http-request`
 *   rules, before `option forwardfor`'s; a field of that name the client sent is kept.
 * - Backends ignore both keywords: the frontend's format and header apply.
 * - `%rt` counts the streams of the process from 0, HTTP requests and TCP streams alike, in
 *   one counter (HAProxy's `global.req_count`, taken by `stream_new()`): a TCP stream takes
 *   its number when accepted, an HTTP request when its head is parsed.
 *
 * @module
 */
import { type LogFormat, renderLogFormat } from "../acl/log_format.ts";
import type { SampleContext, StreamIdentity } from "../acl/sample.ts";
import { appendHeader } from "./head.ts";

/** Longest id, in chars: HAProxy's `UNIQUEID_LEN` (128) less its NUL; longer ones are cut. */
export const UNIQUE_ID_MAX = 127;

/** A frontend's `unique-id-format`, compiled, and its `unique-id-header` (lowercase). */
export interface UniqueIdSettings {
  /** `unique-id-format`, parsed. */
  readonly format: LogFormat;
  /** `unique-id-header`, lowercase. @default undefined (the id is not sent) */
  readonly header?: string | undefined;
}

/** HAProxy's `global.req_count`: streams of this process so far (`%rt` is its value before each). */
let requestCount = 0;

/** The next `%rt` of this process. */
export function nextRequestCounter(): number {
  return requestCount++;
}

/**
 * `%pid`: the process's id. Node, Bun and Deno 2 all expose `globalThis.process.pid` (the one
 * host value the core reads, with no runtime API named); elsewhere 0.
 */
export function processId(): number {
  const p = (globalThis as { process?: { pid?: unknown } }).process;
  return typeof p?.pid === "number" ? p.pid : 0;
}

/**
 * The identity of one stream (an HTTP request, or a TCP stream from its accept): `%Ts`, `%rt`
 * and the id, rendered on first use.
 */
export class RequestIdentity implements StreamIdentity {
  /** `%Ts`: when the request started, ms since the Unix epoch. */
  readonly acceptedAt: number;
  /** `%rt`. */
  readonly counter: number;
  readonly #settings: UniqueIdSettings | undefined;
  #context: () => SampleContext;
  #id: string | undefined;
  /** Rendering now: a format that reads `%ID` or `unique-id` itself finds nothing, not a loop. */
  #busy = false;

  /**
   * The identity of a request started at `acceptedAt` (ms since the epoch); `context` is what
   * the format is rendered from, read when the id is first asked for.
   */
  constructor(settings: UniqueIdSettings | undefined, acceptedAt: number, context: () => SampleContext) {
    this.#settings = settings;
    this.acceptedAt = acceptedAt;
    this.counter = nextRequestCounter();
    this.#context = context;
  }

  /** `unique-id-header`, lowercase, if the frontend has a format. */
  get header(): string | undefined {
    return this.#settings?.header;
  }

  /**
   * The stream moved on (a TCP connection's content inspection handed it to its stream): an
   * id not rendered yet is rendered from `context` (the chosen backend's `%b`).
   */
  follow(context: () => SampleContext): void {
    this.#context = context;
  }

  /** The id: rendered at the first call and kept; undefined without `unique-id-format`. */
  uniqueId(): string | undefined {
    if (this.#id !== undefined || this.#settings === undefined || this.#busy) return this.#id;
    this.#busy = true;
    try {
      this.#id = renderLogFormat(this.#settings.format, this.#context()).slice(0, UNIQUE_ID_MAX);
    } finally {
      this.#busy = false;
    }
    return this.#id;
  }
}

/**
 * Once the request rules ran (`http_process_request()`): makes the id if the frontend has a
 * format, and appends it as `unique-id-header` when set.
 */
export function addUniqueIdHeader(ctx: SampleContext): void {
  const s = ctx.stream;
  const id = s?.uniqueId();
  if (id !== undefined && s?.header !== undefined) appendHeader(ctx.request.headers, s.header, id);
}
