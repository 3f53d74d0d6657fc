/**
 * HTTP health checks (`option httpchk`, `http-check send`, `http-check expect`,
 * configuration.txt 4.2): the request a check sends and how its response is judged, worded as
 * HAProxy's tcpcheck.c words it. `health.ts` does the I/O.
 *
 * @module
 */
import type { ResolvedHealthCheck, ResolvedHttpExpect } from "./config/resolved.ts";
import { H1ResponseParser } from "./http/parser.ts";
import type { ResponseHead } from "./http/head.ts";

/** The HTTP check settings (the `http` variant of {@link ResolvedHealthCheck}). */
export type HttpCheckSettings = Extract<ResolvedHealthCheck, { kind: "http" }>;

/** A check's outcome before its duration is known. */
export interface HttpCheckVerdict {
  /** The check passed. */
  readonly ok: boolean;
  /** `Layer7 check passed`, `Layer7 wrong status`, `Layer7 invalid response`. */
  readonly reason: string;
  /** The response status, for the outcomes HAProxy prints it with (passed, wrong status). */
  readonly code?: number;
  /** The reason phrase of a wrong status, or what a body match found. */
  readonly info?: string;
}

/**
 * How much of a body a `string` expectation looks into: HAProxy stops waiting once its check
 * buffer (`tune.bufsize`, 16384 bytes) is full.
 */
export const CHECK_BODY_MAX = 16384;

/** What passes when no `http-check expect` is given: a 2xx or 3xx status, as HAProxy. */
const DEFAULT_EXPECT: ResolvedHttpExpect = {
  kind: "status",
  codes: Array.from({ length: 200 }, (_, i) => 200 + i),
  negate: false,
};

/** Bytes as a string of one char per byte (what `string` expectations compare). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** The expectation in force: `expect`, else `expectStatus`, else 2xx/3xx. */
export function effectiveExpect(kind: HttpCheckSettings): ResolvedHttpExpect {
  if (kind.expect !== undefined) return kind.expect;
  if (kind.expectStatus !== undefined) return { kind: "status", codes: kind.expectStatus, negate: false };
  return DEFAULT_EXPECT;
}

/**
 * The request a check sends: the request line, the `http-check send hdr` fields in order, then
 * `connection: close` (unless a `connection` field was given) and `content-length: 0`, as
 * HAProxy 2.2+ builds its check requests (tcpcheck.c `tcpcheck_eval_send()`, names lowercase
 * as its H1 mux writes them).
 */
export function httpCheckRequest(kind: HttpCheckSettings): string {
  let text = `${kind.method} ${kind.uri} ${kind.version}\r\n`;
  let connection = false;
  for (const [name, value] of kind.headers) {
    if (name.toLowerCase() === "connection") connection = true;
    text += `${name.toLowerCase()}: ${value}\r\n`;
  }
  if (!connection) text += "connection: close\r\n";
  return `${text}content-length: 0\r\n\r\n`;
}

/**
 * Reads a check's response as it arrives and judges it (tcpcheck.c
 * `tcpcheck_eval_expect_http()`): `status` and `rstatus` decide on the status line (a miss is
 * `Layer7 wrong status` with the reason phrase); `string` looks for its text in the body (a
 * miss, once the body ended or {@link CHECK_BODY_MAX} bytes came, is `Layer7 invalid
 * response`, info `HTTP content check did not match`); `negate` inverts the match. A response
 * that does not parse, or no response, is `Layer7 invalid response`.
 */
export class HttpCheckReader {
  readonly #expect: ResolvedHttpExpect;
  readonly #parser = new H1ResponseParser();
  #head: ResponseHead | undefined;
  #body = "";

  /** A reader for the response to `kind`'s request. */
  constructor(kind: HttpCheckSettings) {
    this.#expect = effectiveExpect(kind);
    this.#parser.expect(kind.method);
  }

  /** Feeds response bytes; returns the verdict once it is known, `undefined` to wait for more. */
  push(chunk: Uint8Array): HttpCheckVerdict | undefined {
    this.#parser.push(chunk);
    return this.#advance(false);
  }

  /** The server closed its side: the verdict with what came. */
  end(): HttpCheckVerdict {
    this.#parser.end();
    return this.#advance(true) ?? this.#conclude();
  }

  #advance(eof: boolean): HttpCheckVerdict | undefined {
    try {
      for (let ev = this.#parser.read(); ev !== null; ev = this.#parser.read()) {
        if (ev.type === "head") {
          if (ev.interim) continue;
          this.#head = ev.head;
          if (this.#expect.kind !== "string") return this.#judgeStatus(ev.head);
        } else if (ev.type === "body") {
          if (this.#body.length < CHECK_BODY_MAX) this.#body += latin1(ev.data);
          const found = this.#bodyMatch(false);
          if (found !== undefined) return found;
        } else if (ev.type === "end") return this.#conclude();
      }
    } catch {
      return { ok: false, reason: "Layer7 invalid response" };
    }
    return eof ? this.#conclude() : undefined;
  }

  /** The verdict with everything received: the body match, or no response at all. */
  #conclude(): HttpCheckVerdict {
    const head = this.#head;
    if (head === undefined) return { ok: false, reason: "Layer7 invalid response" };
    if (this.#expect.kind !== "string") return this.#judgeStatus(head);
    return this.#bodyMatch(true)!;
  }

  #judgeStatus(head: ResponseHead): HttpCheckVerdict {
    const e = this.#expect;
    const match = e.kind === "status"
      ? e.codes.includes(head.status)
      : e.kind === "rstatus" && new RegExp(e.pattern).test(String(head.status));
    if (match !== e.negate) return { ok: true, reason: "Layer7 check passed", code: head.status };
    return {
      ok: false,
      reason: "Layer7 wrong status",
      code: head.status,
      ...(head.reason !== "" ? { info: head.reason } : {}),
    };
  }

  /** A `string` expectation: decided when found, or when `final` (or the body is too long). */
  #bodyMatch(final: boolean): HttpCheckVerdict | undefined {
    const e = this.#expect as Extract<ResolvedHttpExpect, { kind: "string" }>;
    const body = this.#body.length > CHECK_BODY_MAX ? this.#body.slice(0, CHECK_BODY_MAX) : this.#body;
    const match = body.includes(e.text);
    if (!match && !final && this.#body.length < CHECK_BODY_MAX) return undefined;
    if (body === "") {
      return {
        ok: false,
        reason: "Layer7 invalid response",
        info: "HTTP content check could not find a response body",
      };
    }
    if (match !== e.negate) return { ok: true, reason: "Layer7 check passed", code: this.#head!.status };
    const info = e.negate ? "HTTP check matched unwanted content" : "HTTP content check did not match";
    return { ok: false, reason: "Layer7 invalid response", info };
  }
}
