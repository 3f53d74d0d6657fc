/**
 * Samples: what a fetch extracts from a request (configuration.txt 7.3), and the context it
 * extracts it from. Sample types and their conversions follow HAProxy's `sample_casts[][]`
 * (src/sample.c) for the types proxykit has: boolean, integer, IP address, string and method.
 *
 * @module
 */
import type { RequestHead, ResponseHead } from "../http/head.ts";
import type { TlsInfo } from "../net.ts";
import { formatIp, parseIp } from "./_ip.ts";
import type { ClientHelloResult } from "../tls/client_hello.ts";
import type { ProxyTlvs } from "../proxy_protocol.ts";

/** One end of a connection: an IP literal as the network adapter reports it, and a port. */
export interface Endpoint {
  /** IPv4 or IPv6 literal (an IPv4-mapped IPv6 address counts as IPv4, as HAProxy sees it). */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * What samples are fetched from, per request: built by the HTTP mux once a request head is
 * parsed (and completed with the response head for `http-response` rules). Nothing here is
 * read from a socket: a test builds it from a parsed head and two addresses.
 */
export interface SampleContext {
  /** The request head (after the rules already applied, which may have changed it). */
  readonly request: RequestHead;
  /** The response head, for `http-response` rules and `status`, `res.hdr`... @default undefined */
  readonly response?: ResponseHead | undefined;
  /** The client's address (`src`, `src_port`). @default undefined: those fetches find nothing */
  readonly src?: Endpoint | undefined;
  /** The address the client connected to (`dst`, `dst_port`). @default undefined */
  readonly dst?: Endpoint | undefined;
  /** The client connection is TLS (`ssl_fc`; `proto=https` in `Forwarded`). @default false */
  readonly secure?: boolean | undefined;
  /**
   * What the client connection's TLS handshake negotiated (the `ssl_fc_*` and `ssl_c_*`
   * fetches); its presence also makes `ssl_fc` true. @default undefined (plain)
   */
  readonly tls?: TlsInfo | undefined;
  /**
   * The TLVs of the PROXY v2 header the client connection carried (`accept-proxy`): the
   * `fc_pp_authority` and `fc_pp_unique_id` fetches. @default undefined: they find nothing
   */
  readonly proxyTlvs?: ProxyTlvs | undefined;
  /**
   * Request body bytes already received and not forwarded (`req.len` adds them to the head's
   * size). @default 0
   */
  readonly bodyBytes?: number | undefined;
  /** The frontend's name (`fe_name`). @default undefined */
  readonly frontend?: string | undefined;
  /** The backend's name once one is chosen (`be_name`). @default undefined */
  readonly backend?: string | undefined;
  /**
   * The usable servers of the backend named (`nbsrv`): the active ones that may take a
   * stream, or the backup ones when no active one can; `undefined` for an unknown backend.
   * @default undefined: `nbsrv` finds nothing
   */
  readonly usableServers?: ((backend: string) => number | undefined) | undefined;
  /**
   * The request bytes buffered by TCP content inspection (`req.len`, `req.payload`,
   * `req.ssl_*`). @default undefined: those fetches find nothing (`req.len` reads the HTTP
   * request instead)
   */
  readonly payload?: RequestPayload | undefined;
  /**
   * The stream the request belongs to (`%Ts`, `%rt`, `%ID`, the `unique-id` fetch).
   * @default undefined: `%ID` renders `-`, `unique-id` finds nothing
   */
  readonly stream?: StreamIdentity | undefined;
}

/**
 * What identifies one stream (an HTTP request, or a TCP stream): its accept time, its number in the process
 * and its unique id (configuration.txt 4.2 `unique-id-format`), made once, when first asked.
 */
export interface StreamIdentity {
  /** `%Ts`: when the request started, ms since the Unix epoch. */
  readonly acceptedAt: number;
  /** `%rt`: HAProxy's `uniq_id`, the number of streams of the process before this one. */
  readonly counter: number;
  /** `unique-id-header`: the request field the id is sent in, lowercase. @default undefined (none) */
  readonly header?: string | undefined;
  /** The unique id (rendered at the first call, then kept), or undefined without `unique-id-format`. */
  uniqueId(): string | undefined;
}

/** The bytes a TCP client sent so far, as layer 6 fetches read them (configuration.txt 7.3.5). */
export interface RequestPayload {
  /** What was received, in order, not yet forwarded. */
  readonly bytes: Uint8Array;
  /**
   * No more bytes will be waited for (inspect-delay over, buffer full, client shut, or no
   * inspect-delay): a fetch that finds nothing now never will (HAProxy's `SMP_OPT_FINAL`).
   */
  readonly final: boolean;
  /** `bytes` read as a ClientHello (parsed once, on first use). */
  readonly clientHello: ClientHelloResult;
}

/**
 * A sample: `bool`, `int` (HAProxy's signed 64-bit integer, a safe JS integer here), `ip`
 * (4 or 16 bytes, network order), `str` (one char per byte) or `meth` (an HTTP method, which
 * ACLs match with their own rules).
 */
export type Sample =
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "ip"; readonly value: Uint8Array }
  | { readonly type: "str"; readonly value: string }
  | { readonly type: "meth"; readonly value: string };

/** The type of a sample. */
export type SampleType = Sample["type"];

/** A string sample. */
export const str = (value: string): Sample => ({ type: "str", value });
/** An integer sample. */
export const int = (value: number): Sample => ({ type: "int", value });
/** A boolean sample. */
export const bool = (value: boolean): Sample => ({ type: "bool", value });

/**
 * Which conversions HAProxy accepts when a configuration is loaded (`-m` on a fetch of
 * another type, a converter's input): everything but a boolean to an address and a method to
 * a number, boolean or address. Whether a given value converts is decided when it is fetched.
 */
export function canCast(from: SampleType, to: SampleType): boolean {
  if (from === "bool") return to !== "ip" && to !== "meth";
  if (from === "meth") return to === "str" || to === "meth";
  return true;
}

/**
 * HAProxy's `read_int64()`: an optional sign and the digits that follow, up to the first other
 * char (`"12abc"` is 12, `"abc"` is 0).
 */
export function readInt(s: string): number {
  const m = /^([+-]?)([0-9]*)/.exec(s)!;
  const v = m[2] === "" ? 0 : Number(m[2]);
  return m[1] === "-" ? -v : v;
}

/** A sample as a string (`c_int2str`, `c_ip2str`, `c_meth2str`; a boolean is `0` or `1`). */
export function toStr(s: Sample): string {
  switch (s.type) {
    case "str":
    case "meth":
      return s.value;
    case "int":
      return String(s.value);
    case "bool":
      return s.value ? "1" : "0";
    case "ip":
      return formatIp(s.value);
  }
}

/**
 * A sample as an integer, or `undefined` when it does not convert: an empty string, an IPv6
 * address, a method (`c_str2int`, `c_ip2int`).
 */
export function toInt(s: Sample): number | undefined {
  switch (s.type) {
    case "int":
      return s.value;
    case "bool":
      return s.value ? 1 : 0;
    case "str":
      return s.value === "" ? undefined : readInt(s.value);
    case "ip":
      return s.value.length === 4
        ? ((s.value[0]! << 24) >>> 0) + (s.value[1]! << 16) + (s.value[2]! << 8) + s.value[3]!
        : undefined;
    case "meth":
      return undefined;
  }
}

/** A sample as an address (`c_str2addr`: a strict IPv4 or IPv6 literal; `c_int2ip`), or `undefined`. */
export function toIp(s: Sample): Uint8Array | undefined {
  switch (s.type) {
    case "ip":
      return s.value;
    case "str":
      return parseIp(s.value);
    case "int":
      return Uint8Array.of((s.value >>> 24) & 0xff, (s.value >>> 16) & 0xff, (s.value >>> 8) & 0xff, s.value & 0xff);
    default:
      return undefined;
  }
}
