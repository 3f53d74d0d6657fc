/**
 * Name resolution of the three runtime adapters: the system resolver through `node:dns`
 * `lookup()` (`getaddrinfo`, so `/etc/hosts` and `localhost` work as for any program), which
 * Node, Deno (its Node compatibility layer) and Bun all provide with the same results and
 * error codes (`ENOTFOUND`). `Deno.resolveDns` was not used: it asks DNS servers only and
 * never reads `/etc/hosts`.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import type { NetError } from "../src/net.ts";
import { netError, toNetError } from "./_errors.ts";
import { ipLiteral } from "./_resolve_literal.ts";

/** Resolver error codes that mean "this name has no address". */
const NOT_FOUND = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME", "EAI_NODATA", "EAI_AGAIN", "ESERVFAIL"]);

/**
 * `Network.resolve()` of the runtime adapters: an IP literal as is, a name through the system
 * resolver, every address it has (IPv4 and IPv6, in the resolver's order).
 */
export async function systemResolve(hostname: string): Promise<string[]> {
  const literal = ipLiteral(hostname);
  if (literal !== undefined) return [literal];
  let found: { address: string }[];
  try {
    found = await lookup(hostname, { all: true, verbatim: true });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NOT_FOUND.has(code)) {
      throw netError("ENOTFOUND", `resolve ${hostname}: ${(e as Error).message}`, e);
    }
    throw toNetError(e, `resolve ${hostname}`) satisfies NetError;
  }
  if (found.length === 0) throw netError("ENOTFOUND", `resolve ${hostname}: no address`);
  return found.map((a) => a.address);
}
