/**
 * ClientHellos built for tests: a minimal, valid TLS 1.2-style hello with the SNI and ALPN
 * asked (names kept as given, case included), and helpers to cut it up.
 */
import { concat, enc } from "../_helpers.ts";

const u16 = (n: number): number[] => [n >> 8, n & 0xff];

/** One extension: type, length, body. */
function ext(type: number, body: readonly number[]): number[] {
  return [...u16(type), ...u16(body.length), ...body];
}

/**
 * A ClientHello record offering `sni` (as given) and `alpn`, with `pad` bytes of padding
 * extension, its random field filled with the byte `random`.
 */
export function clientHello(
  options: { sni?: string; alpn?: readonly string[]; pad?: number; random?: number } = {},
): Uint8Array {
  const exts: number[] = [];
  if (options.sni !== undefined) {
    const name = [...enc(options.sni)];
    exts.push(...ext(0, [...u16(name.length + 3), 0, ...u16(name.length), ...name]));
  }
  if (options.alpn !== undefined) {
    const list = options.alpn.flatMap((p) => [p.length, ...enc(p)]);
    exts.push(...ext(16, [...u16(list.length), ...list]));
  }
  exts.push(...ext(10, [0, 2, 0, 29])); // supported_groups: x25519
  if (options.pad !== undefined) exts.push(...ext(21, new Array<number>(options.pad).fill(0)));
  const body = [
    3,
    3,
    ...new Array<number>(32).fill((options.random ?? 7) & 0xff),
    0,
    ...u16(2),
    0xc0,
    0x2f,
    1,
    0,
    ...u16(exts.length),
    ...exts,
  ];
  const hs = [1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body];
  return Uint8Array.from([0x16, 3, 1, ...u16(hs.length), ...hs]);
}

/** `rec` (one record) re-framed as two records, the handshake message split after `k` bytes. */
export function twoRecords(rec: Uint8Array, k: number): Uint8Array {
  const msg = rec.subarray(5);
  const header = (n: number) => Uint8Array.of(0x16, rec[1]!, rec[2]!, n >> 8, n & 0xff);
  return concat([header(k), msg.subarray(0, k), header(msg.length - k), msg.subarray(k)]);
}
