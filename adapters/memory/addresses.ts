/**
 * Listeners and addresses of the in-memory network: addresses are map keys, validated and
 * stripped of IPv6 brackets first.
 *
 * @module
 */
import type { Address, Listener, ListenOptions, Socket } from "../../src/net.ts";

/** A bound in-memory listener. */
export class MemoryListener implements Listener {
  readonly address: Address;
  readonly onAccept: (socket: Socket) => void;
  readonly reusePort: boolean;
  #unbind: ((l: MemoryListener) => void) | undefined;
  constructor(address: Address, options: ListenOptions, unbind: (l: MemoryListener) => void) {
    this.address = address;
    this.onAccept = options.onAccept;
    this.reusePort = options.reusePort ?? false;
    this.#unbind = unbind;
  }
  close(): Promise<void> {
    this.#unbind?.(this);
    this.#unbind = undefined;
    return Promise.resolve();
  }
}

/** What a faulty destination does to a connect. */
export type Fault = "ECONNREFUSED" | "EHOSTUNREACH" | "ENETUNREACH" | "blackhole";

/** An IPv6 literal (the only hostnames with a colon). */
export const isV6 = (hostname: string): boolean => hostname.includes(":");
/** The map key of a normalized address. */
export const keyOf = (a: Address): string => (a.transport === "tcp" ? `tcp ${a.hostname} ${a.port}` : `unix ${a.path}`);

/** Validates an address and copies it, without IPv6 brackets. */
export function normalize(a: Address): Address {
  if (a.transport === "unix") {
    if (typeof a.path !== "string" || a.path === "") {
      throw new TypeError(`memory network: bad unix path ${JSON.stringify(a.path)}`);
    }
    return { transport: "unix", path: a.path };
  }
  if (a.transport !== "tcp") throw new TypeError(`memory network: unknown transport ${JSON.stringify(a)}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new RangeError(`memory network: port must be 0..65535, got ${a.port}`);
  }
  const hostname = a.hostname.startsWith("[") && a.hostname.endsWith("]") ? a.hostname.slice(1, -1) : a.hostname;
  return { transport: "tcp", hostname, port: a.port };
}

/** The map key of an address given by the caller. */
export const keyFor = (a: Address): string => keyOf(normalize(a));

/** Two listeners on one port collide on the same host, or when one is a wildcard covering the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a === "::" || b === "::" || (a === "0.0.0.0" && !isV6(b)) || (b === "0.0.0.0" && !isV6(a));
}

/** Checks a connect latency in milliseconds; `name` says where it came from in the error. */
export function latencyMs(name: string, ms: number): number {
  if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`${name} must be >= 0, got ${ms}`);
  return ms;
}
