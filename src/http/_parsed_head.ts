/**
 * The heads the parsers produce: a {@link RequestHead} or {@link ResponseHead} whose header
 * fields stay the bytes they arrived in ({@link RawFields}) until something reads `headers`.
 * A head forwarded unchanged (no rule, no capture, no fetch read its fields: the common case of
 * a proxied response) is then serialized by copying those bytes, names lowercased, and never
 * decoded: decoding every field to two strings and encoding them back was a fifth of the core's
 * time per proxied request on Bun (bench/http_core.ts). Reading `headers` decodes them once;
 * from then on the head is the list, which rules may change as they like, and is serialized
 * from it. Until then the head keeps the buffer it completed in alive (a read chunk, or the copy
 * of a head split across reads), for as long as the head lives: its transaction, not the idle
 * connection after it.
 *
 * @module
 */
import type { RawFields } from "./_field_list.ts";
import type { HeaderList, RequestHead, ResponseHead } from "./head.ts";

/** What both parsed heads share: the fields, raw until read. */
abstract class ParsedHead {
  /** The fields as received while nothing read {@link headers}; undefined from then on. */
  #raw: RawFields | undefined;
  #headers: HeaderList | undefined;

  constructor(raw: RawFields) {
    this.#raw = raw;
  }

  /** The fields, decoded on first read; the head's own list from then on. */
  get headers(): HeaderList {
    if (this.#headers === undefined) {
      this.#headers = this.#raw!.decode();
      this.#raw = undefined;
    }
    return this.#headers;
  }

  set headers(list: HeaderList) {
    this.#headers = list;
    this.#raw = undefined;
  }

  /** The fields as received, or undefined once `headers` was read (they may have changed). */
  get raw(): RawFields | undefined {
    return this.#raw;
  }
}

/** A request head from the request parser. */
export class ParsedRequestHead extends ParsedHead implements RequestHead {
  /** See {@link RequestHead.kind}. */
  readonly kind = "request" as const;
  /** See {@link RequestHead.method}. */
  method: string;
  /** See {@link RequestHead.target}. */
  target: string;
  /** See {@link RequestHead.version}. */
  version: string;

  /** A head of these start-line parts and fields. */
  constructor(method: string, target: string, version: string, raw: RawFields) {
    super(raw);
    this.method = method;
    this.target = target;
    this.version = version;
  }

  /** The head as plain data (`JSON.stringify()` skips getters): `headers` decoded. */
  toJSON(): RequestHead {
    return { kind: this.kind, method: this.method, target: this.target, version: this.version, headers: this.headers };
  }
}

/** A response head from the response parser. */
export class ParsedResponseHead extends ParsedHead implements ResponseHead {
  /** See {@link ResponseHead.kind}. */
  readonly kind = "response" as const;
  /** See {@link ResponseHead.version}. */
  version: string;
  /** See {@link ResponseHead.status}. */
  status: number;
  /** See {@link ResponseHead.reason}. */
  reason: string;

  /** A head of these status-line parts and fields. */
  constructor(version: string, status: number, reason: string, raw: RawFields) {
    super(raw);
    this.version = version;
    this.status = status;
    this.reason = reason;
  }

  /** The head as plain data (`JSON.stringify()` skips getters): `headers` decoded. */
  toJSON(): ResponseHead {
    return { kind: this.kind, version: this.version, status: this.status, reason: this.reason, headers: this.headers };
  }
}

/**
 * The fields of `head` as received, when it is a parsed head whose `headers` nothing read yet
 * (so nothing changed them); undefined otherwise.
 */
export function rawFields(head: RequestHead | ResponseHead): RawFields | undefined {
  return head instanceof ParsedHead ? head.raw : undefined;
}
