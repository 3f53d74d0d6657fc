/**
 * `bind` line options (configuration.txt 5.1) into a {@link BindConfig}.
 *
 * @module
 */
import type { Address } from "../net.ts";
import type { Ctx } from "./_cfg_keywords.ts";
import type { BindConfig } from "./tls_types.ts";

/** What the options of one `bind` line set; each address of the line gets them all. */
type BindOptions = { -readonly [K in Exclude<keyof BindConfig, "address">]?: BindConfig[K] };

/** Reads the options after a `bind` line's address list; an unknown one is unsupported. */
export function bindOptions(c: Ctx, words: readonly string[]): BindOptions {
  const o: BindOptions = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    switch (w) {
      case "accept-proxy":
        o.acceptProxy = true;
        break;
      case "name": {
        const v = words[++i];
        if (v === undefined || v === "") c.fail("'name' expects a name");
        o.name = v;
        break;
      }
      default:
        c.unsupported(`bind option '${w}' is not supported`);
    }
  }
  return o;
}

/** The binds of one line: each address with the line's options (a bare address without any). */
export function bindsOf(addresses: readonly Address[], options: BindOptions): (Address | BindConfig)[] {
  // A bind without options stays a plain address, as the typed API writes it.
  if (Object.keys(options).length === 0) return [...addresses];
  return addresses.map((address) => ({ address, ...options }));
}
