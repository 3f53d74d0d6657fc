/**
 * Request-target checks against `Host`, as HAProxy 2.6 does them once a request head is parsed
 * (`h1_headers_to_hdr_list()` with `h1_validate_connect_authority()` and
 * `h1_validate_mismatch_authority()`, src/h1.c), and the default-port normalization of an
 * absolute target (`http_scheme_based_normalize()`, src/http_htx.c).
 *
 * @module
 */
import type { H1ErrorReason } from "./error.ts";
import type { RequestHead } from "./head.ts";

/** `http_parse_scheme()` (src/http.c): ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") "://", or "". */
function schemeOf(t: string): string {
  const c0 = t.charCodeAt(0) | 0x20;
  if (!(c0 >= 0x61 && c0 <= 0x7a)) return "";
  let i = 1;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const lower = c | 0x20;
    if (!(lower >= 0x61 && lower <= 0x7a || c >= 0x30 && c <= 0x39 || c === 0x2b || c === 0x2d || c === 0x2e)) break;
  }
  return t.startsWith("://", i) ? t.slice(0, i + 3) : "";
}

/** `http_get_host_port()` (src/http.c): the digits after the last `:`, or `undefined` (none or empty). */
function portOf(host: string): string | undefined {
  let i = host.length;
  while (i > 0 && host.charCodeAt(i - 1) >= 0x30 && host.charCodeAt(i - 1) <= 0x39) i--;
  if (i === host.length || i < 2 || host.charCodeAt(i - 1) !== 0x3a) return undefined;
  return host.slice(i);
}

/** `http_is_default_port()` (src/http.c): 80 for http, 443 for https, either without a scheme. */
function isDefaultPort(scheme: string, port: string | undefined): boolean {
  if (port === undefined) return true;
  const s = scheme.toLowerCase();
  if (s === "") return port === "80" || port === "443";
  return port === "80" && s === "http://" || port === "443" && s === "https://";
}

const withoutPort = (h: string, port: string | undefined) => port === undefined ? h : h.slice(0, -port.length - 1);
const eqi = (a: string, b: string) => a.length === b.length && a.toLowerCase() === b.toLowerCase();

/**
 * Checks the target of `req` against its `Host` value (field `hostField`, -1 without one) and
 * normalizes it. Returns the reason to refuse the request with, or `undefined`:
 * - `*` is accepted for any method but CONNECT (HAProxy 2.6 accepts `GET *`; 3.0 only OPTIONS);
 *   other targets starting with `*` are refused (no such form, RFC 9112 3.2);
 * - origin-form (`/...`) needs no check; CONNECT refuses it (RFC 9112 3.2.3);
 * - CONNECT needs `host:port` with no scheme; a `Host` must name the same host, with the same
 *   port or none when the port is a default one, and loses a default port when it has one;
 * - absolute-form (a scheme): a `Host` must equal the authority (userinfo dropped), ignoring
 *   case and a default port on either side; then an explicit default or empty port is removed
 *   from the target (`http://h:80/p` → `http://h/p`) and, when it was, every `Host` value is
 *   replaced by the target's host (`Host: H:80` becomes `h`, as HAProxy 2.6 was observed to
 *   do); a target without a port leaves `Host` as is;
 * - anything else is taken as an authority (as 2.6 does; 3.0 refuses it outside CONNECT) and
 *   must equal `Host` ignoring case, when there is one.
 */
export function checkTarget(req: RequestHead, hostField: number): H1ErrorReason | undefined {
  const t = req.target;
  const connect = req.method === "CONNECT";
  if (t.charCodeAt(0) === 0x2a) return t.length === 1 && !connect ? undefined : "bad-target";
  if (t.charCodeAt(0) === 0x2f) return connect ? "bad-target" : undefined;
  // Only now: reading `headers` decodes a parsed head's fields (_parsed_head.ts).
  const hostEntry = hostField >= 0 ? req.headers[hostField] : undefined;
  const host = hostEntry?.[1];
  const scheme = schemeOf(t);
  let slash = t.indexOf("/", scheme.length);
  if (slash < 0) slash = t.length;
  const start = t.lastIndexOf("@", slash - 1) + 1 || scheme.length; // userinfo dropped
  const authority = t.slice(Math.max(start, scheme.length), slash);
  if (connect) {
    const port = portOf(authority);
    if (scheme !== "" || port === undefined) return "bad-target";
    if (hostEntry === undefined || host === undefined) return undefined;
    const hostPort = portOf(host);
    const hostName = withoutPort(host, hostPort), uriHost = withoutPort(authority, port);
    if (hostPort !== undefined) {
      if (!eqi(hostName, uriHost) || hostPort !== port) return "bad-host";
      if (isDefaultPort("", port)) hostEntry[1] = hostName;
    } else if (!isDefaultPort("", port) || !eqi(host, uriHost)) return "bad-host";
    return undefined;
  }
  if (host !== undefined && !eqi(authority, host)) {
    if (scheme === "") return "bad-host";
    const uriPort = portOf(authority), hostPort = portOf(host);
    if (uriPort === undefined && hostPort === undefined) return "bad-host";
    if (!isDefaultPort(scheme, uriPort) || !isDefaultPort(scheme, hostPort)) return "bad-host";
    if (!eqi(withoutPort(authority, uriPort), withoutPort(host, hostPort))) return "bad-host";
  }
  if (scheme !== "") {
    // Until nothing changes (`http://h::80/` → `http://h:/` → `http://h/`), so that the
    // target forwarded is normalized already when the next hop reads it.
    let n = t, end = slash, prev;
    do {
      prev = n;
      n = normalizeDefaultPort(prev, scheme, end);
      end -= prev.length - n.length;
    } while (n !== prev);
    if (n !== t) {
      const authEnd = n.indexOf("/", scheme.length);
      const auth = n.slice(scheme.length, authEnd < 0 ? n.length : authEnd);
      const uriHost = auth.slice(auth.lastIndexOf("@") + 1);
      for (const f of req.headers) if (f[0] === "host") f[1] = uriHost;
    }
    req.target = n;
  }
  return undefined;
}

/**
 * `http://h:80/p` → `http://h/p`, `https://h:443` → `https://h`, `http://h:/` → `http://h/`;
 * `authorityEnd` is where the authority ends in `t`.
 */
function normalizeDefaultPort(t: string, scheme: string, authorityEnd: number): string {
  const s = scheme.toLowerCase();
  if (s !== "http://" && s !== "https://") return t;
  let i = authorityEnd;
  while (i > scheme.length && t.charCodeAt(i - 1) >= 0x30 && t.charCodeAt(i - 1) <= 0x39) i--;
  if (t.charCodeAt(i - 1) !== 0x3a || i - 1 <= scheme.length) return t;
  const port = t.slice(i, authorityEnd);
  if (port !== "" && !isDefaultPort(scheme, port)) return t;
  return t.slice(0, i - 1) + t.slice(authorityEnd);
}
