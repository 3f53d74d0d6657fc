/**
 * Reads the SNI out of the first TLS record a client sends, before TLS starts: what the
 * adapters need for `strictSni` (a handshake without SNI never reaches an SNI callback) and
 * for the server name "as sent" (Node does not report it on a resumed TLS 1.2 session).
 * As HAProxy's `req.ssl_sni`, only the first record is read (a ClientHello split over several
 * records, which no common client sends, has its SNI only when the first record holds it).
 *
 * @module
 */
import { parseClientHello } from "../src/tls/client_hello.ts";

/** What the first bytes of a connection say. */
export type HelloPeek =
  /** The first record is not complete yet: read more. */
  | { readonly state: "more" }
  /**
   * Decided. `hello` is false when the bytes are not a TLS handshake record (TLS then fails on
   * them by itself); `sni` is the host name as sent, absent when none was sent.
   */
  | { readonly state: "done"; readonly hello: boolean; readonly sni?: string };

const MORE: HelloPeek = { state: "more" };
const NOT_HELLO: HelloPeek = { state: "done", hello: false };
const NO_SNI: HelloPeek = { state: "done", hello: true };
/**
 * Bytes read at most before deciding: a handshake message announcing more than one record
 * plus its header would otherwise be waited for up to its 16 MiB length (the handshake
 * timeout bounds the time, this the memory).
 */
const MAX_PEEK = 5 + 16384 + 256;

/**
 * Looks at `buf`, the bytes received so far (starting with the first), with the core's
 * ClientHello parser (`src/tls/client_hello.ts`, pure and platform-free: one parser for SNI
 * routing and for the adapters).
 */
export function peekClientHello(buf: Uint8Array): HelloPeek {
  // A record longer than TLS allows (RFC 8446 5.1: 2^14 plus expansion) is no ClientHello.
  if (buf.length >= 5 && ((buf[3]! << 8) | buf[4]!) > 16384 + 256) return NOT_HELLO;
  const r = parseClientHello(buf);
  switch (r.status) {
    case "need-more":
      return buf.length > MAX_PEEK ? NO_SNI : MORE;
    case "not-tls":
      return NOT_HELLO;
    case "malformed":
      return NO_SNI;
    case "ok":
      return r.hello.sni === undefined ? NO_SNI : { state: "done", hello: true, sni: r.hello.sni };
  }
}

/**
 * A fatal `unrecognized_name` alert (112) as a plaintext record: what HAProxy's `strict-sni`
 * answers a ClientHello whose name matches no certificate, before any key is agreed.
 */
export const ALERT_UNRECOGNIZED_NAME: Uint8Array = Uint8Array.of(21, 3, 3, 0, 2, 2, 112);
