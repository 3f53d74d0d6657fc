/**
 * proxykit's version, written from `package.json` (the one place it is set) by
 * `node scripts/build_npm.ts --sync-version` (`npm version` runs it); `deno.json` gets the same
 * value, and tests/version_test.ts fails if the three drift apart.
 *
 * @module
 */

/** The package's version (semver), as published on npm and JSR. */
export const VERSION = "0.1.0";
