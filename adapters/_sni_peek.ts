/**
 * Reads the SNI out of the first TLS record a client sends, before TLS starts: what the
 * adapters need for `strictSni` (a handshake without SNI never reaches an SNI callback) and
 * for the server name "as sent" (Node does not report it on a resumed TLS 1.2 session).
 * Minimal on purpose: the first record only (a ClientHello split over several records, which
 * no common client sends, reads as one without SNI). RFC 8446 §4.1.2 and RFC 6066 §3 give the
 * layout.
 *
 * @module
 */

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
/** Largest TLSPlaintext fragment (RFC 8446 §5.1). */
const MAX_RECORD = 16384;

/** Looks at `buf`, the bytes received so far (starting with the first). */
export function peekClientHello(buf: Uint8Array): HelloPeek {
  if (buf.length < 5) return buf.length > 0 && buf[0] !== 22 ? NOT_HELLO : MORE;
  if (buf[0] !== 22 || buf[1] !== 3) return NOT_HELLO;
  const len = (buf[3]! << 8) | buf[4]!;
  if (len > MAX_RECORD + 256) return NOT_HELLO;
  if (buf.length < 5 + len) return MORE;
  const sni = serverName(buf.subarray(5, 5 + len));
  return sni === undefined ? NO_SNI : { state: "done", hello: true, sni };
}

/** The host name of the server_name extension of the ClientHello in `h`, if any. */
function serverName(h: Uint8Array): string | undefined {
  if (h[0] !== 1) return undefined;
  // msg type (1) + length (3) + legacy_version (2) + random (32)
  let o = 38;
  const u8 = (): number => (o < h.length ? h[o++]! : -1);
  const u16 = (): number => {
    if (o + 2 > h.length) return -1;
    const v = (h[o]! << 8) | h[o + 1]!;
    o += 2;
    return v;
  };
  const sessionId = u8();
  if (sessionId < 0) return undefined;
  o += sessionId;
  const suites = u16();
  if (suites < 0) return undefined;
  o += suites;
  const compression = u8();
  if (compression < 0) return undefined;
  o += compression;
  const extLen = u16();
  if (extLen < 0) return undefined;
  const end = Math.min(h.length, o + extLen);
  while (o + 4 <= end) {
    const type = u16();
    const len = u16();
    if (type !== 0) {
      o += len;
      continue;
    }
    // server_name_list: length (2), then entries of type (1), length (2), name.
    const listEnd = Math.min(end, o + 2 + u16());
    while (o + 3 <= listEnd) {
      const nameType = u8();
      const nameLen = u16();
      if (nameType === 0 && o + nameLen <= listEnd) {
        let name = "";
        for (let i = o; i < o + nameLen; i++) name += String.fromCharCode(h[i]!);
        return name;
      }
      o += nameLen;
    }
    return undefined;
  }
  return undefined;
}

/**
 * A fatal `unrecognized_name` alert (112) as a plaintext record: what HAProxy's `strict-sni`
 * answers a ClientHello whose name matches no certificate, before any key is agreed.
 */
export const ALERT_UNRECOGNIZED_NAME: Uint8Array = Uint8Array.of(21, 3, 3, 0, 2, 2, 112);
