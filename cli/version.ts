/**
 * The version `proxykit --version` prints: keep it equal to `version` in deno.json and
 * package.json.
 *
 * @module
 */

/** The package version. */
export const VERSION = "0.1.0";
