/**
 * The conformance suite against the Deno and Bun adapters with `nodeTls: true`: every TLS
 * listener served by the runtime's `node:tls` layer running the Node adapter's engine (the
 * route taken anyway by listeners their native TLS cannot serve), so that its sockets keep the
 * whole contract on those runtimes too (pause, half-close, close_notify). Under Node this is
 * the native suite already.
 */
import { it } from "node:test";
import { conformance } from "./conformance.ts";
import { runtime } from "../_helpers.ts";

if (runtime === "deno") {
  conformance("deno (nodeTls)", (await import("../../adapters/deno.ts")).createNetwork({ nodeTls: true }));
} else if (runtime === "bun") {
  conformance("bun (nodeTls)", (await import("../../adapters/bun.ts")).createNetwork({ nodeTls: true }));
} else {
  it("node:tls under Deno and Bun", { skip: "Node's own adapter is node:tls (native_test.ts)" }, () => {});
}
