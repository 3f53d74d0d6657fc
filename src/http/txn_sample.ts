/**
 * What the rules, ACLs and `log-format` samples of an HTTP transaction read (HAProxy's sample
 * fetches over a stream): the request, the response once there, the frontend and backend
 * names, the connection's addresses and TLS state, `nbsrv` of any backend, and the request's
 * identity (`%rt`, `%ID`, `unique-id`).
 *
 * @module
 */
import type { SampleContext, StreamIdentity } from "../acl/sample.ts";
import type { HttpSession } from "../http_session.ts";
import type { Server } from "../server.ts";
import type { RequestHead, ResponseHead } from "./head.ts";

/**
 * What the rules and ACLs of a request read. The addresses come from the session, which reads
 * them from the connection once (each is a system call on Node and Bun). They are plain
 * values, not getters: an object literal with getters per request (two closures each) cost a
 * fifth of the keep-alive rate on Node and raised its p99 from 5 to 24 ms (bench/http.ts).
 */
export function sampleContext(
  session: HttpSession,
  request: RequestHead,
  frontend: string,
  backend?: string,
  response?: ResponseHead,
  stream?: StreamIdentity,
): SampleContext {
  const tls = session.conn.tls;
  return {
    request,
    response,
    stream,
    frontend,
    backend,
    src: session.srcEndpoint,
    dst: session.dstEndpoint,
    tls,
    secure: tls !== undefined,
    proxyTlvs: session.conn.proxyTlvs,
    usableServers: (name) => {
      const be = session.ctx.backends.get(name);
      return be === undefined ? undefined : usableServers(be.servers);
    },
  };
}

/** HAProxy's `nbsrv`: usable active servers, else usable backup servers (`be->srv_act`, `srv_bck`). */
function usableServers(servers: readonly Server[]): number {
  let act = 0, bck = 0;
  for (const s of servers) {
    if (!s.usable) continue;
    if (s.backup) bck++;
    else act++;
  }
  return act > 0 ? act : bck;
}
