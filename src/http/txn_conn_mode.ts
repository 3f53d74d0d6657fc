/**
 * The connection management of an HTTP transaction (configuration.txt 4, "HTTP connection
 * modes"; `http-reuse`): the server side's mode, what the `Connection` field of each head it
 * sends says (HAProxy's `h1_update_req_conn_value()` and `h1_update_res_conn_value()`), which
 * idle connections a request may take, and which server connections may be parked after it.
 *
 * @module
 */
import { CO_FL, type Connection } from "../connection.ts";
import type { ReuseHook } from "../backend.ts";
import type { HttpSession } from "../http_session.ts";
import type { HttpConnectionMode, HttpReuse } from "../pool.ts";
import type { Server } from "../server.ts";
import type { H1HeadEvent } from "./events.ts";
import { rawFields } from "./_parsed_head.ts";
import { getHeaders, isVersion11, type RequestHead, type ResponseHead } from "./head.ts";
import type { SerializeOptions } from "./serialize.ts";

/** The three answers of the functions below, shared (read-only): no object per message. */
const SAY_NOTHING: SerializeOptions = Object.freeze({});
const SAY_CLOSE: SerializeOptions = Object.freeze({ connection: "close" });
const SAY_KEEP_ALIVE: SerializeOptions = Object.freeze({ connection: "keep-alive" });

/** The server side's connection mode: the most closing of the frontend's and the backend's. */
export function serverMode(fe: HttpConnectionMode, be: HttpConnectionMode): HttpConnectionMode {
  if (fe === "close" || be === "close") return "close";
  if (fe === "server-close" || be === "server-close") return "server-close";
  return "keep-alive";
}

/**
 * The `Connection` field of the request head sent to a server in `mode`: `keep-alive` for an
 * HTTP/1.0 request on a kept connection, `close` for an HTTP/1.1 one (not an upgrade) on a
 * connection closed after the response.
 */
export function requestHeadOptions(mode: HttpConnectionMode, req: H1HeadEvent<RequestHead>): SerializeOptions {
  const v11 = isVersion11(req.head.version);
  return mode === "keep-alive" ? (v11 ? SAY_NOTHING : SAY_KEEP_ALIVE) : (v11 && !req.upgrade ? SAY_CLOSE : SAY_NOTHING);
}

/**
 * The `Connection` field of a response head sent to the client: `keep-alive` when either
 * message is HTTP/1.0 and the connection is kept, `close` when an HTTP/1.1 response closes
 * it, nothing on a tunnel.
 */
export function responseHeadOptions(
  tunnel: boolean,
  clientKeepAlive: boolean,
  res: ResponseHead,
  req: RequestHead,
): SerializeOptions {
  const v11 = isVersion11(res.version);
  if (tunnel) return SAY_NOTHING;
  if (clientKeepAlive) return !v11 || !isVersion11(req.version) ? SAY_KEEP_ALIVE : SAY_NOTHING;
  return v11 ? SAY_CLOSE : SAY_NOTHING;
}

/**
 * The `Connection` field of a reply of the proxy's own (HTTP/1.1): `close` when the
 * connection closes after it, `keep-alive` to an HTTP/1.0 request otherwise.
 */
export function replyHeadOptions(sayClose: boolean, req: RequestHead): SerializeOptions {
  return sayClose ? SAY_CLOSE : (isVersion11(req.version) ? SAY_NOTHING : SAY_KEEP_ALIVE);
}

/**
 * Idle connections request number `session.requests` may take under `http-reuse reuse`, or
 * undefined: the session's own connection to that server first (HAProxy's session list:
 * private connections, every connection under `http-reuse never`), then the server's pool
 * (not for a session's first request under `safe`, only safe ones under `aggressive`).
 * `onReuse` runs when a connection was taken.
 */
export function reuseHook(session: HttpSession, reuse: HttpReuse, onReuse: () => void): ReuseHook | undefined {
  const first = session.requests === 1;
  const shared = reuse !== "never" && !(first && reuse === "safe");
  const safeOnly = first && reuse === "aggressive";
  if (!shared && !session.hasPrivate) return undefined;
  return (srv, hash) => {
    const c = session.takePrivate(srv, hash) ?? (shared ? srv.pool?.take(safeOnly, srv.served - 1, hash) : undefined);
    if (c !== undefined) onReuse();
    return c;
  };
}

/**
 * The response binds the server connection to its client: `WWW-Authenticate: NTLM` or
 * `Negotiate` (connection-based authentication); the connection becomes the session's own.
 */
export function bindsConnection(res: ResponseHead): boolean {
  // Read from the bytes while the head is as received: reading `headers` would decode them all.
  const values = rawFields(res)?.values("www-authenticate") ?? getHeaders(res.headers, "www-authenticate");
  return values.some((v) => /^(?:NTLM|Negotiate)\b/i.test(v));
}

/**
 * A server connection may go back to `srv`'s pool: open both ways, under the server's
 * `max-reuse`, and still leading to that server (see `Server.leadsTo()`).
 */
export function parkable(bc: Connection, srv: Server): boolean {
  const maxReuse = srv.pool?.settings.maxReuse ?? -1;
  return (bc.flags & (CO_FL.SOCK_RD_SH | CO_FL.SOCK_WR_SH | CO_FL.CTRL_READY)) === CO_FL.CTRL_READY &&
    (maxReuse < 0 || bc.requests < maxReuse) && srv.leadsTo(bc.dst);
}
