/**
 * Values of `haproxy.cfg` keywords (counts, times, addresses, argument counts), each refused
 * with the keyword's `file:line:` through {@link Ctx.fail}.
 *
 * @module
 */
import { parseAddress } from "../address.ts";
import { isProxyError } from "../errors.ts";
import type { Address } from "../net.ts";
import { parseInteger, parseTime } from "./_cfg_tokens.ts";
import { MAX_TIMEOUT_MS } from "./defaults.ts";
import type { Ctx } from "./_cfg_keywords.ts";

/** Refuses a keyword with fewer than `min` or more than `max` arguments; `usage` says what it takes. */
export function exactArgs(c: Ctx, args: readonly string[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) c.fail(`expects ${usage}`);
}

/** An integer in `min..max`; `what` starts the error message (the option's name). */
export function int(c: Ctx, what: string, text: string | undefined, min: number, max: number): number {
  const v = parseInteger(text ?? "", min, max);
  return typeof v === "string" ? c.fail(`${what}${v}`) : v;
}

/** A time (`us`, `ms`, `s`, `m`, `h`, `d`; ms by default), at least `min` ms. */
export function time(c: Ctx, what: string, text: string | undefined, min: number): number {
  const v = parseTime(text ?? "", MAX_TIMEOUT_MS);
  if (typeof v === "string") return c.fail(`${what}${v}`);
  if (v < min) c.fail(`${what}must be at least ${min} ms, got '${text}'`);
  return v;
}

/**
 * A `server` address (configuration.txt 5.2 `<address>`): as {@link address}, plus the
 * transparent forms, `0.0.0.0`, `::` or `*` with no port (the client's destination, its port
 * kept) or a port, and a port offset `+N` / `-N` on any address (`mapPorts`).
 */
export function serverAddress(c: Ctx, text: string): { address: Address; mapPorts?: number } {
  const t = text.startsWith("*") ? `0.0.0.0${text.slice(1)}` : text;
  if (t === "0.0.0.0" || t === "::" || t === "[::]") {
    return { address: { transport: "tcp", hostname: t === "0.0.0.0" ? t : "::", port: 0 } };
  }
  const m = /^(.*):([+-])(\d{1,5})$/.exec(t);
  if (m === null) return { address: address(c, t) };
  const n = Number(m[3]) * (m[2] === "-" ? -1 : 1);
  if (Math.abs(n) > 65535) c.fail(`invalid port offset '${m[2]}${m[3]}'`);
  const a = address(c, `${m[1]}:1`);
  return { address: { ...a, port: 0 } as Address, mapPorts: n };
}

/** A `bind` or `server` address, port 0 refused as HAProxy does. */
export function address(c: Ctx, text: string): Address {
  try {
    // Port 0 is refused as HAProxy does ("invalid port '0'"), for bind lines too.
    return parseAddress(text, { allowPortZero: false });
  } catch (e) {
    if (isProxyError(e)) c.fail(e.message);
    throw e;
  }
}
