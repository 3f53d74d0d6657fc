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
 * them from the connection once (each is a system call on Node and Bun), and only when a fetch
 * asks: most configurations never read `dst`, and an idle kept-alive client then holds no copy.
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
    get src() {
      return session.srcEndpoint;
    },
    get dst() {
      return session.dstEndpoint;
    },
    tls,
    secure: tls !== undefined,
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
