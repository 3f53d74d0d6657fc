/**
 * The PROXY protocol options of a `server` or `default-server` line (configuration.txt 5.2):
 * `send-proxy`, `send-proxy-v2`, `send-proxy-v2-ssl`, `send-proxy-v2-ssl-cn`,
 * `proxy-v2-options`, their `no-` forms, and `check-send-proxy`. Read as HAProxy 2.6 does:
 * each keyword sets or clears bits of one set (`srv->pp_opts`), in the order of the line, on
 * top of what `default-server` set.
 *
 * @module
 */
import type { ProxyV2Option, SendProxyConfig } from "./tls_types.ts";
import type { Ctx } from "./_cfg_keywords.ts";

/** Bits of HAProxy's `pp_opts` (include/haproxy/server-t.h `SRV_PP_*`). */
const PP = {
  V1: 1,
  V2: 2,
  SSL: 4,
  SSL_CN: 8,
  SSL_CIPHER: 16,
  AUTHORITY: 32,
  CRC32C: 64,
  UNIQUE_ID: 128,
} as const;

/** What a line does to the bits: those it sets and those it clears, on top of the inherited. */
export interface SendProxyBits {
  /** Bits set by this line (after the clears). */
  readonly set: number;
  /** Bits cleared by this line. */
  readonly clear: number;
}

/** Keywords without a value: the bits each sets (`+`) or clears (`-`). */
const FLAGS: Readonly<Record<string, { readonly set: number; readonly clear: number }>> = {
  "send-proxy": { set: PP.V1, clear: 0 },
  "no-send-proxy": { set: 0, clear: PP.V1 },
  "send-proxy-v2": { set: PP.V2, clear: 0 },
  "no-send-proxy-v2": { set: 0, clear: PP.V2 },
  "send-proxy-v2-ssl": { set: PP.V2 | PP.SSL, clear: 0 },
  "no-send-proxy-v2-ssl": { set: 0, clear: PP.V2 | PP.SSL },
  "send-proxy-v2-ssl-cn": { set: PP.V2 | PP.SSL | PP.SSL_CN, clear: 0 },
  "no-send-proxy-v2-ssl-cn": { set: 0, clear: PP.V2 | PP.SSL | PP.SSL_CN },
};

/** `proxy-v2-options` words and their bits; `cert-cn` and `ssl-cipher` imply `ssl`, as HAProxy. */
const V2_WORDS: Readonly<Record<string, number>> = {
  ssl: PP.SSL,
  "cert-cn": PP.SSL | PP.SSL_CN,
  "ssl-cipher": PP.SSL | PP.SSL_CIPHER,
  "cert-sig": PP.SSL,
  "cert-key": PP.SSL,
  authority: PP.AUTHORITY,
  crc32c: PP.CRC32C,
  "unique-id": PP.UNIQUE_ID,
};

/** Whether `k` is one of the PROXY protocol keywords taking no value (`check-send-proxy` aside). */
export function isSendProxyFlag(k: string): boolean {
  return FLAGS[k] !== undefined;
}

/** Applies the flag keyword `k` to the line's bits so far. */
export function applySendProxyFlag(bits: SendProxyBits | undefined, k: string): SendProxyBits {
  const f = FLAGS[k]!;
  const set = bits?.set ?? 0, clear = bits?.clear ?? 0;
  return { set: (set & ~f.clear) | f.set, clear: (clear & ~f.set) | f.clear };
}

/**
 * `proxy-v2-options <opt>[,<opt>]*`. `cert-sig` and `cert-key` are accepted with a warning:
 * the runtimes do not expose the algorithms of the frontend's certificate, so they add the
 * SSL TLV without those sub-TLVs.
 */
export function applyProxyV2Options(c: Ctx, bits: SendProxyBits | undefined, v: string): SendProxyBits {
  let add = 0;
  for (const w of v.split(",")) {
    const b = V2_WORDS[w];
    if (b === undefined) {
      c.fail(`'proxy-v2-options' : '${w}' : proxy v2 option not implemented (${Object.keys(V2_WORDS).join(", ")})`);
    }
    if (w === "cert-sig" || w === "cert-key") {
      c.warn(`'proxy-v2-options ${w}': not sent, the runtime does not expose the certificate's algorithms`);
    }
    add |= b;
  }
  return { set: (bits?.set ?? 0) | add, clear: (bits?.clear ?? 0) & ~add };
}

/** The bits of a line on top of the inherited ones (`default-server`, then the line). */
export function mergeSendProxyBits(
  base: SendProxyBits | undefined,
  own: SendProxyBits | undefined,
): SendProxyBits | undefined {
  if (own === undefined) return base;
  if (base === undefined) return own;
  return { set: (base.set & ~own.clear) | own.set, clear: (base.clear & ~own.set) | own.clear };
}

/**
 * The server's `sendProxy` from its final bits, or undefined when none is set. As HAProxy's
 * `make_proxy_line()`: version 2 when `send-proxy-v2` (or a `-ssl` form) is set, otherwise
 * version 1, also when only `proxy-v2-options` is given (HAProxy 2.6 then sends a v1 line:
 * observed).
 */
export function sendProxyConfig(bits: SendProxyBits | undefined): SendProxyConfig | undefined {
  const b = bits?.set ?? 0;
  if (b === 0) return undefined;
  if ((b & PP.V2) === 0) return { version: 1 };
  const opts: ProxyV2Option[] = [];
  if (b & PP.SSL) opts.push("ssl");
  if (b & PP.SSL_CN) opts.push("cert-cn");
  if (b & PP.SSL_CIPHER) opts.push("ssl-cipher");
  if (b & PP.AUTHORITY) opts.push("authority");
  if (b & PP.UNIQUE_ID) opts.push("unique-id");
  if (b & PP.CRC32C) opts.push("crc32c");
  return opts.length === 0 ? { version: 2 } : { version: 2, v2Options: opts };
}
