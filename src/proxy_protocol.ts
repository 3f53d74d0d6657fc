/**
 * PROXY protocol (interim: v1 only, replaced by the full module).
 *
 * @module
 */
import type { ProxyParse } from "./accept.ts";

/** Parses a v1 header at the start of `buf`. */
export function parseProxyHeader(buf: Uint8Array): ProxyParse {
  const n = Math.min(buf.length, 108);
  let end = -1;
  for (let i = 0; i + 1 < n; i++) if (buf[i] === 13 && buf[i + 1] === 10) end = end < 0 ? i : end;
  const start = String.fromCharCode(...buf.subarray(0, Math.min(6, buf.length)));
  if (!"PROXY ".startsWith(start)) {
    return { state: "error", reason: "Received something which does not look like a PROXY protocol header" };
  }
  if (end < 0) {
    return n >= 108 ? { state: "error", reason: "Received an invalid PROXY protocol header" } : { state: "incomplete" };
  }
  const line = String.fromCharCode(...buf.subarray(0, end)).split(" ");
  if (line[1] === "UNKNOWN") return { state: "done", length: end + 2, header: { command: "local" } };
  const [, fam, sa, da, sp, dp] = line;
  if ((fam !== "TCP4" && fam !== "TCP6") || line.length !== 6) {
    return { state: "error", reason: "Received an invalid PROXY protocol header" };
  }
  return {
    state: "done",
    length: end + 2,
    header: {
      command: "proxy",
      src: { transport: "tcp", hostname: sa!, port: Number(sp) },
      dst: { transport: "tcp", hostname: da!, port: Number(dp) },
    },
  };
}
