/**
 * The real programs the interop and differential tests drive (HAProxy, curl, openssl, nginx,
 * dnsmasq), found on PATH or in /usr/sbin. A missing one fails the test that needs it: skipping is only
 * allowed when the person running the suite opted out explicitly with
 * `PROXYKIT_ALLOW_MISSING_PEERS=1` (README, Tests), so that the comparison against HAProxy
 * can never be skipped by accident.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";

/** The environment variable that lets tests skip when a peer program is missing. */
export const ALLOW_MISSING = "PROXYKIT_ALLOW_MISSING_PEERS";

/** The argument each program answers with its version and exit code 0. */
const VERSION_ARG: Readonly<Record<string, string>> = {
  haproxy: "-v",
  curl: "--version",
  openssl: "version",
  nginx: "-v",
  dnsmasq: "--version",
};

/** Where the program `name` is, or undefined when no candidate answers its version flag. */
function locate(name: string): string | undefined {
  const arg = VERSION_ARG[name] ?? "--version";
  return [name, `/usr/sbin/${name}`, `/usr/bin/${name}`].find((p) => spawnSync(p, [arg]).status === 0);
}

/**
 * The path of peer program `name`, or a skip reason when it is missing and missing peers are
 * allowed (the reason is also printed, loudly).
 * @throws {Error} when the program is missing and `PROXYKIT_ALLOW_MISSING_PEERS=1` is not set.
 */
export function peer(name: "haproxy" | "curl" | "openssl" | "nginx" | "dnsmasq"): { path: string; skip: false } | {
  path: undefined;
  skip: string;
} {
  const path = locate(name);
  if (path !== undefined) return { path, skip: false };
  const why = `${name} is not installed (scripts/peers.sh installs it as root)`;
  if (process.env[ALLOW_MISSING] !== "1") {
    throw new Error(`${why}; set ${ALLOW_MISSING}=1 to skip the tests that need it`);
  }
  console.warn(`SKIP (loud, ${ALLOW_MISSING}=1): ${why}`);
  return { path: undefined, skip: why };
}
