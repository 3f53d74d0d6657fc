/**
 * Proxy mode (`option http_proxy` on a backend; HAProxy dropped the keyword in 2.5, proxykit
 * keeps it): the backend has no server to elect, each request names its destination. This is
 * the third case of HAProxy's 2013 design note: "proxy mode is enabled, and the destination's
 * address is set during the parsing of the HTTP request". The transaction asks
 * {@link ForwardProxy.decide} about the request head, resolves the destination through the
 * network adapter ({@link ForwardProxy.address}), sets it on its server connection
 * (`Connection.setDst`), and the backend's connect loop connects there: no election, no
 * server slot, connect retries on that same destination (`Backend.connect()`).
 *
 * What is done to a request, in order:
 * 1. With `auth`, a missing or wrong `Proxy-Authorization: Basic` gets a 407 with
 *    `Proxy-Authenticate: Basic realm="..."` (HAProxy answers 407 rather than 401 to
 *    `http-request auth` in proxy mode).
 * 2. The target must be `http://host[:port]/...` (absolute-form; port 80 by default) or, for
 *    CONNECT, `host:port`: anything else gets a 400 (HAProxy's `url2sa()` failure).
 * 3. The allow-list (`src/http/proxy_allow.ts`) is checked before resolving and again on the
 *    addresses the name resolved to: a refused destination gets a 403.
 * 4. Forwarded requests: the target becomes origin-form (`/path?query`, `/` when empty), as
 *    HAProxy's `http_process_request()` does in proxy mode; `Host` is set to the target's
 *    authority (RFC 9112 3.2.2: a proxy replaces it with the target's host), and the
 *    hop-by-hop `Proxy-Connection` and `Proxy-Authorization` are removed (they are meant for
 *    the proxy; in reverse-proxy mode HAProxy forwards them, see docs/http.md).
 * 5. CONNECT: once connected, the proxy itself answers {@link CONNECT_ESTABLISHED} and the
 *    connection becomes a tunnel under `timeout tunnel`. HAProxy never terminated CONNECT
 *    (its `http_proxy` only took absolute URIs): the wording is the usual one of forward
 *    proxies (Squid's), with no header.
 *
 * @module
 */
import type { Network, TcpAddress } from "../net.ts";
import { deleteHeader, getHeader, type HeaderField, type RequestHead, setHeader } from "./head.ts";
import { addressAllowed, destinationMayBeAllowed, type DestinationRule } from "./proxy_allow.ts";
import { type ErrorPages, errorReply, type HttpReply } from "./error_pages.ts";
import { isIPv4, isIPv6 } from "../address.ts";
import { basicAuthorized, type BasicAuthSettings, basicChallenge } from "./basic_auth.ts";

/** What the proxy answers a CONNECT once the destination is connected. */
export const CONNECT_ESTABLISHED = "HTTP/1.1 200 Connection established\r\n\r\n";

/** Realm of the proxy authentication when none is configured. */
export const DEFAULT_PROXY_REALM = "proxykit";

/** Basic proxy authentication: the realm announced and the accepted credentials. */
export type ProxyAuthSettings = BasicAuthSettings;

/** A backend's proxy mode, compiled. */
export interface ForwardProxySettings {
  /** The allow-list; empty refuses everything. */
  readonly allow: readonly DestinationRule[];
  /** Basic proxy authentication, or undefined (none asked). */
  readonly auth: ProxyAuthSettings | undefined;
}

/** Where a request goes, as the client named it. */
export interface ProxyDestination {
  /** A lowercase host name, or an IP literal without brackets. */
  readonly host: string;
  /** The port (80 when an `http://` target names none). */
  readonly port: number;
  /** A CONNECT: a tunnel once connected. */
  readonly tunnel: boolean;
}

/** What {@link ForwardProxy.decide} says about a request. */
export type ProxyDecision =
  | { readonly kind: "refuse"; readonly status: 400 | 403 | 407 }
  | { readonly kind: "forward"; readonly destination: ProxyDestination };

const NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/;

/** The host and port of an authority (`host`, `host:port`, `[v6]:port`), or undefined. */
function splitAuthority(authority: string, defaultPort: number | undefined): [string, number] | undefined {
  const at = authority.lastIndexOf("@");
  const a = authority.slice(at + 1);
  let host: string, port: string | undefined;
  if (a.startsWith("[")) {
    const close = a.indexOf("]");
    if (close < 0) return undefined;
    host = a.slice(1, close);
    const rest = a.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return undefined;
    port = rest === "" ? undefined : rest.slice(1);
    if (!isIPv6(host)) return undefined;
  } else {
    const colon = a.lastIndexOf(":");
    host = colon < 0 ? a : a.slice(0, colon);
    port = colon < 0 ? undefined : a.slice(colon + 1);
    host = host.toLowerCase();
    if (!isIPv4(host) && !NAME.test(host)) return undefined;
  }
  if (port === undefined || port === "") {
    if (defaultPort === undefined) return undefined;
    return [host, defaultPort];
  }
  const n = /^\d{1,5}$/.test(port) ? Number(port) : 0;
  return n >= 1 && n <= 65535 ? [host, n] : undefined;
}

/** The run-time side of a backend's proxy mode. */
export class ForwardProxy {
  /** The compiled settings. */
  readonly settings: ForwardProxySettings;
  readonly #net: Network;

  /** Proxy mode of one backend; `net` resolves destination names. */
  constructor(settings: ForwardProxySettings, net: Network) {
    this.settings = settings;
    this.#net = net;
  }

  /**
   * Decides on a request head (steps 1 to 4 of the module documentation before resolving);
   * for a request going on, the head is rewritten in place for the destination.
   */
  decide(head: RequestHead): ProxyDecision {
    if (!this.#authorized(head)) return { kind: "refuse", status: 407 };
    const tunnel = head.method === "CONNECT";
    let hp: [string, number] | undefined;
    let path = "";
    if (tunnel) hp = splitAuthority(head.target, undefined);
    else if (head.target.slice(0, 7).toLowerCase() === "http://") {
      const rest = head.target.slice(7);
      let end = rest.search(/[/?]/);
      if (end < 0) end = rest.length;
      hp = splitAuthority(rest.slice(0, end), 80);
      path = rest.slice(end);
    }
    if (hp === undefined) return { kind: "refuse", status: 400 };
    const [host, port] = hp;
    if (!destinationMayBeAllowed(this.settings.allow, host, port)) return { kind: "refuse", status: 403 };
    deleteHeader(head.headers, "proxy-authorization");
    if (!tunnel) {
      deleteHeader(head.headers, "proxy-connection");
      head.target = path === "" ? "/" : path.startsWith("?") ? `/${path}` : path;
      const h = host.includes(":") ? `[${host}]` : host;
      setHeader(head.headers, "host", port === 80 ? h : `${h}:${port}`);
    }
    return { kind: "forward", destination: { host, port, tunnel } };
  }

  /**
   * Resolves the destination through the network adapter and keeps the first address the
   * allow-list accepts: `"unresolved"` when the name has no address (or the resolver
   * failed), `"denied"` when none of its addresses is allowed.
   */
  async address(dest: ProxyDestination): Promise<TcpAddress | "denied" | "unresolved"> {
    let found: string[];
    try {
      found = await this.#net.resolve(dest.host);
    } catch {
      return "unresolved";
    }
    const ok = found.find((a) => addressAllowed(this.settings.allow, dest.host, a, dest.port));
    return ok === undefined ? "denied" : { transport: "tcp", hostname: ok, port: dest.port };
  }

  /**
   * The reply for a refusal: the error page of `status` (the backend's, then the frontend's,
   * then HAProxy's), with `Proxy-Authenticate` added to a 407.
   */
  reply(status: number, ...pages: readonly (ErrorPages | undefined)[]): HttpReply | undefined {
    const r = errorReply(status, ...pages);
    const auth = this.settings.auth;
    if (r === undefined || status !== 407 || auth === undefined) return r;
    const challenge: HeaderField = ["proxy-authenticate", basicChallenge(auth)];
    return { ...r, head: { ...r.head, headers: [...r.head.headers, challenge] } };
  }

  #authorized(head: RequestHead): boolean {
    const auth = this.settings.auth;
    return auth === undefined || basicAuthorized(getHeader(head.headers, "proxy-authorization"), auth);
  }
}
