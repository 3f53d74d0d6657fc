/**
 * Cookie-based persistence (the backend keyword `cookie`, configuration.txt 4.2, and the
 * server keyword `cookie <value>`), as pure functions over request and response heads, worded
 * and flagged as HAProxy 2.6's http_ana.c does it:
 *
 * - {@link persistRequest}, on each request routed to the backend (after its `http-request`
 *   rules, before `Backend.connect()`): finds the server the client's cookie designates, the
 *   request cookie flag (3rd character of `%tsc`), and strips what the server must not see
 *   (`prefix` mode's `SERVER~`, the whole cookie with `insert indirect`);
 * - {@link persistResponse}, on each response head from the server: deletes, rewrites or
 *   prefixes the server's own `Set-Cookie`, inserts ours (`insert`), adds
 *   `Cache-control: private` (`nocache`), and gives the response cookie flag (4th character).
 *
 * The HTTP mux sets `lease.direct` to the server found, so that the backend elects it without
 * load balancing (even DOWN with `option persist`), and passes `lease.direct !== undefined`
 * back as `direct` on the response side (a redispatch clears it); {@link requestCookieFlagAfter}
 * turns `V` into `D` when a redispatch moved the stream off that server.
 *
 * @module
 */
import type { ResolvedCookieConfig } from "../config/resolved.ts";
import type { RequestHead, ResponseHead } from "./head.ts";

/**
 * The request cookie flag (configuration.txt 8.5, 3rd character of `%tsc`): `N` no cookie,
 * `I` invalid (no server has that value), `D` its server is DOWN (redispatched, or sent there
 * anyway with `option persist`), `V` valid, `E` expired (`maxidle`), `O` too old (`maxlife`),
 * `U` present but unused (persistence ignored), `-` not applicable (no cookie configured, or a
 * passive one).
 */
export type RequestCookieFlag = "N" | "I" | "D" | "V" | "E" | "O" | "U" | "-";

/**
 * The response cookie flag (4th character of `%tsc`): `N` none, `I` inserted, `U` updated (the
 * date of a valid cookie refreshed), `P` provided by the server and passed as is, `R` rewritten
 * (`rewrite`, `prefix`), `D` deleted, `-` not applicable.
 */
export type ResponseCookieFlag = "N" | "I" | "U" | "P" | "R" | "D" | "-";

/** What persistence needs to know about a server: `Server` implements it. */
export interface PersistServer {
  /** The server's `cookie` value; `undefined`: no cookie designates it. */
  readonly cookie: string | undefined;
  /** Its state: `DOWN` and `MAINT` are not running (HAProxy `SRV_ST_STOPPED`). */
  readonly state: string;
}

/** Options of {@link persistRequest}. */
export interface PersistRequestOptions {
  /** `option persist`: a cookie designating a DOWN server still designates it. @default false */
  readonly persist?: boolean;
  /** Current time, ms since the epoch, for `maxidle`/`maxlife`. @default 0 (dates never expire) */
  readonly nowMs?: number;
  /**
   * Persistence is ignored for this request (`ignore-persist`, or a server already assigned):
   * the cookie is read and stripped but designates nothing, flag `U`. @default false
   */
  readonly ignore?: boolean;
}

/** What {@link persistRequest} found. */
export interface RequestPersistence<S extends PersistServer> {
  /** The server to elect directly (`lease.direct`), or `undefined` for load balancing. */
  readonly server: S | undefined;
  /** The request cookie flag. */
  readonly flag: RequestCookieFlag;
  /** Last-seen date carried by the cookie, epoch seconds (4-second steps), 0 when none. */
  readonly lastDate: number;
  /** First-seen date carried by the cookie, epoch seconds, 0 when none. */
  readonly firstDate: number;
}

/** What {@link persistResponse} needs from the transaction. */
export interface PersistResponseContext {
  /** The server that answers (`lease.server`); its `cookie` is what gets inserted. */
  readonly server: { readonly cookie: string | undefined } | undefined;
  /** The stream still goes to the server its cookie designated (`lease.direct !== undefined`). */
  readonly direct: boolean;
  /** The request's method (`postonly`, cacheability). */
  readonly method: string;
  /** The request's {@link RequestPersistence} (its dates). */
  readonly request: { readonly lastDate: number; readonly firstDate: number } | undefined;
  /** Current time, ms since the epoch (dates of inserted cookies). @default 0 */
  readonly nowMs?: number;
  /** Persistence is ignored for this request: nothing is inserted or changed. @default false */
  readonly ignore?: boolean;
}

/** The separator between the server's value and the application's in `prefix` mode (COOKIE_DELIM). */
const PREFIX_DELIM = "~";
/** The separator before the dates of an inserted cookie (COOKIE_DELIM_DATE). */
const DATE_DELIM = "|";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Future dates beyond this skew make a cookie too old or expired (HAProxy: one day). */
const FUTURE_SKEW_SEC = 86400;

/** Whether the log shows the cookie flags: any of insert, rewrite, prefix, indirect (PR_CK_ANY). */
function logged(c: ResolvedCookieConfig): boolean {
  return c.mode !== "passive" || c.indirect;
}

function isBlank(code: number | undefined): boolean {
  return code === 0x20 || code === 0x09;
}

/** The low 30 bits as 5 base64 characters, most significant first (`s30tob64()`). */
export function s30ToB64(value: number): string {
  let out = "";
  let v = value | 0;
  for (let i = 0; i < 5; i++) {
    out += B64[(v >> 24) & 0x3f];
    v <<= 6;
  }
  return out;
}

/** 5 base64 characters back to 30 bits, -1 on a character outside the alphabet (`b64tos30()`). */
export function b64ToS30(text: string): number {
  if (text.length < 5) return -1;
  let out = 0;
  for (let i = 0; i < 5; i++) {
    const b = B64.indexOf(text[i]!);
    if (b < 0) return -1;
    out = out * 64 + b;
  }
  return out;
}

/** An inserted cookie's date: `(now + 3) >> 2` in base64, a 4-second step rounded up. */
function encodeDate(nowSec: number): string {
  return s30ToB64(Math.floor((nowSec + 3) / 4));
}

/** Where a cookie value ends: the first `;` or `,` outside double quotes (`http_find_cookie_value_end()`). */
function valueEnd(h: string, from: number): number {
  let quoted = false;
  let escaped = false;
  for (let i = from; i < h.length; i++) {
    const c = h[i];
    if (quoted) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ";" || c === ",") return i;
  }
  return h.length;
}

/**
 * Removes a cookie from a header value (`http_del_hdr_value()`): from the delimiter before it
 * (`from`; 0 for the first cookie) to the delimiter before the next one (`next`), keeping one
 * delimiter and a space between the neighbours.
 */
function deleteValue(h: string, from: number, next: number): { text: string } {
  if (from === 0) {
    let n = next < h.length ? next + 1 : next;
    while (n < h.length && isBlank(h.charCodeAt(n))) n++;
    return { text: h.slice(n) };
  }
  let prev = from;
  while (prev > 0 && isBlank(h.charCodeAt(prev - 1))) prev--;
  let kept = "";
  let n = next;
  if (n < h.length) {
    // The delimiter is kept, then a space if there was room for one.
    kept = prev + 1 < n ? `${h[n]} ` : h[n]!;
    n++;
    while (n < h.length && isBlank(h.charCodeAt(n))) n++;
  }
  return { text: h.slice(0, prev) + kept + h.slice(n) };
}

/** One `NAME=VALUE` of a header value, positions in the (possibly rewritten) text. */
interface CookieSpan {
  /** Where the name starts. */
  attBeg: number;
  /** Where the name ends (spaces before `=` excluded). */
  attEnd: number;
  /** Where `=` is, or where the cookie ends without one. */
  equal: number;
  /** Where the value starts. */
  valBeg: number;
  /** Where the value ends (trailing spaces excluded). */
  valEnd: number;
  /** The delimiter after the cookie, or the end of the text. */
  next: number;
}

/** Scans the cookie starting after `prev` (`first`: at `prev` itself). `delims`: what ends a name. */
function scanCookie(h: string, prev: number, first: boolean, delims: string): CookieSpan {
  let attBeg = first ? prev : prev + 1;
  while (attBeg < h.length && isBlank(h.charCodeAt(attBeg))) attBeg++;
  let equal = attBeg;
  let attEnd = attBeg;
  while (equal < h.length) {
    const c = h[equal]!;
    if (c === "=" || delims.includes(c)) break;
    equal++;
    if (!isBlank(c.charCodeAt(0))) attEnd = equal;
  }
  if (equal < h.length && h[equal] === "=") {
    let valBeg = equal + 1;
    while (valBeg < h.length && isBlank(h.charCodeAt(valBeg))) valBeg++;
    const next = valueEnd(h, valBeg);
    let valEnd = next;
    while (valEnd > valBeg && isBlank(h.charCodeAt(valEnd - 1))) valEnd--;
    return { attBeg, attEnd, equal, valBeg, valEnd, next };
  }
  return { attBeg, attEnd, equal, valBeg: equal, valEnd: equal, next: equal };
}

/**
 * Strips blanks around a cookie's `=` (HAProxy rewrites `NAME = VALUE` as `NAME=VALUE`),
 * returning the new text and shifting the span.
 */
function tightenEqual(h: string, s: CookieSpan): string {
  if (s.attEnd === s.equal && s.valBeg === s.equal + 1) return h;
  const text = h.slice(0, s.attEnd) + "=" + h.slice(s.valBeg);
  const shift = s.attEnd + 1 - s.valBeg;
  s.equal = s.attEnd;
  s.valBeg += shift;
  s.valEnd += shift;
  s.next += shift;
  return text;
}

/** Whether a server is running (not `SRV_ST_STOPPED`). */
function running(s: PersistServer): boolean {
  return s.state !== "DOWN" && s.state !== "MAINT";
}

/**
 * Reads the persistence cookie of a request (http_ana.c `http_manage_client_side_cookies()`)
 * and rewrites its `cookie` fields in place.
 *
 * Each `cookie` field is scanned as `NAME=VALUE` pairs separated by `;` or `,` (quotes kept,
 * `$` attributes skipped, blanks around `=` removed as HAProxy does). For our cookie, the
 * server part of the value is what precedes `~` (`prefix` mode) or `|` (the dates of an
 * inserted cookie). A `maxlife` or `maxidle` date that is too old, or more than a day ahead,
 * makes the cookie ignored (`O`, `E`). Otherwise the first server, in declaration order, whose
 * `cookie` value equals it is designated if it is running, or with `options.persist`
 * (`V`, or `D` for a DOWN one); a DOWN server without `option persist` gives `D` and the search
 * goes on (another server may share the value); nothing found gives `I`. An empty server part
 * designates nothing. A second occurrence of our cookie after a match finds nothing (`U`), as
 * in HAProxy.
 *
 * Stripping: in `prefix` mode, `SERVER~` is removed from the value (the application gets its own
 * cookie back); with `insert indirect` the whole cookie (and the `$` attributes after it) is
 * removed, and a field left empty is deleted.
 */
export function persistRequest<S extends PersistServer>(
  cookie: ResolvedCookieConfig | undefined,
  servers: readonly S[],
  request: RequestHead,
  options: PersistRequestOptions = {},
): RequestPersistence<S> {
  if (cookie === undefined) return { server: undefined, flag: "-", lastDate: 0, firstDate: 0 };
  const nowSec = Math.floor((options.nowMs ?? 0) / 1000);
  const insertIndirect = cookie.mode === "insert" && cookie.indirect;
  let flag: Exclude<RequestCookieFlag, "-"> = "N";
  let found: S | undefined;
  let assigned = options.ignore === true;
  let lastDate = 0;
  let firstDate = 0;
  const headers = request.headers;
  for (let f = 0; f < headers.length; f++) {
    if (headers[f]![0] !== "cookie") continue;
    let h = headers[f]![1];
    let delFrom = -1;
    let preserve = false;
    let first = true;
    for (let prev = 0; prev < h.length;) {
      const s = scanCookie(h, prev, first, ",;");
      first = false;
      if (h[s.attBeg] === "$") {
        prev = s.next;
        continue;
      }
      if (s.equal === s.next) {
        // Not a NAME=VALUE: kept, and a cookie marked for deletion before it goes now.
        preserve = true;
        if (delFrom >= 0) {
          const d = deleteValue(h, delFrom, prev);
          s.next += d.text.length - h.length;
          h = d.text;
          delFrom = -1;
        }
        prev = s.next;
        continue;
      }
      h = tightenEqual(h, s);
      if (s.attEnd - s.attBeg === cookie.name.length && h.startsWith(cookie.name, s.attBeg)) {
        let delim = s.valEnd;
        if (cookie.mode === "prefix") {
          const t = h.indexOf(PREFIX_DELIM, s.valBeg);
          delim = t < 0 || t >= s.valEnd ? s.valEnd : t;
        } else {
          const bar = h.indexOf(DATE_DELIM, s.valBeg);
          if (bar >= 0 && bar < s.valEnd) {
            delim = bar;
            if (s.valEnd - (bar + 1) >= 5) {
              const v = b64ToS30(h.slice(bar + 1, bar + 6));
              if (v > 0) lastDate = v * 4;
            }
            const bar2 = h.indexOf(DATE_DELIM, bar + 1);
            if (bar2 >= 0 && bar2 < s.valEnd && s.valEnd - bar2 > 5) {
              const v = b64ToS30(h.slice(bar2 + 1, bar2 + 6));
              if (v > 0) firstDate = v * 4;
            }
          }
        }
        if (firstDate !== 0 && cookie.maxLifeSec > 0 && tooFar(nowSec, firstDate, cookie.maxLifeSec)) {
          flag = "O";
          delim = s.valBeg;
          firstDate = lastDate = 0;
        } else if (lastDate !== 0 && cookie.maxIdleSec > 0 && tooFar(nowSec, lastDate, cookie.maxIdleSec)) {
          flag = "E";
          delim = s.valBeg;
          firstDate = lastDate = 0;
        }
        let srv: S | undefined;
        if (delim !== s.valBeg && !assigned) {
          const id = h.slice(s.valBeg, delim);
          for (const cand of servers) {
            if (cand.cookie !== id) continue;
            if (running(cand) || options.persist === true) {
              flag = running(cand) ? "V" : "D";
              srv = cand;
              found = cand;
              assigned = true;
              break;
            }
            flag = "D";
          }
        }
        if (srv === undefined && flag !== "D" && flag !== "E" && flag !== "O") flag = assigned ? "U" : "I";
        if (cookie.mode === "prefix" && delim !== s.valEnd) {
          // The application gets its own cookie back.
          h = h.slice(0, s.valBeg) + h.slice(delim + 1);
          s.next -= delim + 1 - s.valBeg;
          delFrom = -1;
          preserve = true;
        } else if (delFrom < 0 && insertIndirect) delFrom = prev;
      } else {
        preserve = true;
        if (delFrom >= 0) {
          const d = deleteValue(h, delFrom, prev);
          s.next += d.text.length - h.length;
          h = d.text;
          delFrom = -1;
        }
      }
      prev = s.next;
    }
    if (delFrom >= 0) h = preserve ? h.slice(0, delFrom) : "";
    if (h === "") {
      headers.splice(f, 1);
      f--;
    } else headers[f]![1] = h;
  }
  return { server: found, flag: logged(cookie) ? flag : "-", lastDate, firstDate };
}

/** A date older than `max` seconds, or more than a day ahead (signed 32-bit differences, as HAProxy). */
function tooFar(nowSec: number, date: number, max: number): boolean {
  return ((nowSec - date) | 0) > max || ((date - nowSec) | 0) > FUTURE_SKEW_SEC;
}

/**
 * The request cookie flag once the connect is done: `V` becomes `D` when a redispatch moved the
 * stream off the server its cookie designated (`lease.directLost`), as HAProxy's
 * `assign_server_and_queue()` does.
 */
export function requestCookieFlagAfter(flag: RequestCookieFlag, directLost: boolean): RequestCookieFlag {
  return flag === "V" && directLost ? "D" : flag;
}

/** Statuses a cache may store by default (RFC 7231 6.1; http_ana.c, HAProxy 2.6). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);
/** Methods whose responses may be cached (RFC 7231 4.2.1 safe methods). */
const CACHEABLE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * Whether a response may be stored by a cache, as HAProxy 2.6 decides it for `nocache` (observed
 * on 2.6.12, http_ana.c `http_check_response_for_cacheability()`): a safe method (GET, HEAD,
 * OPTIONS, TRACE) and a status cacheable by default (RFC 7231 6.1); `pragma: no-cache` forbids;
 * each `cache-control` value (comma-separated, any case) `private`, `no-cache`, `no-store`,
 * `max-age=0` or `s-maxage=0` forbids and `public` allows; and the response must carry freshness
 * information (`max-age`, `s-maxage`, `expires`) or a validator (`etag`, `last-modified`).
 */
export function responseCacheable(method: string, response: ResponseHead): boolean {
  if (response.status < 200) return false;
  let cacheable = CACHEABLE_METHODS.has(method) && CACHEABLE_STATUS.has(response.status);
  let fresh = false;
  let validator = false;
  let pragmaSeen = false;
  for (const [name, value] of response.headers) {
    if (name === "pragma" && !pragmaSeen) {
      pragmaSeen = true;
      if (value.toLowerCase() === "no-cache") return false;
    } else if (name === "cache-control") {
      for (const part of value.split(",")) {
        const v = part.trim().toLowerCase();
        if (v === "public") cacheable = true;
        else if (v === "private" || v === "no-cache" || v === "no-store" || v === "max-age=0" || v === "s-maxage=0") {
          cacheable = false;
        } else if (v.startsWith('no-cache="set-cookie')) continue;
        else if (v.startsWith("s-maxage") || v.startsWith("max-age")) fresh = true;
      }
    } else if (name === "expires") fresh = true;
    else if (name === "etag" || name === "last-modified") validator = true;
  }
  return cacheable && (fresh || validator);
}

/**
 * Applies persistence to a response head in place (http_ana.c
 * `http_manage_server_side_cookies()` and `http_process_res_common()`), 1xx responses but 101
 * excepted, and returns the response cookie flag.
 *
 * The server's own `set-cookie` of our name is found (`P`), then, unless `preserve`: deleted in
 * `insert` mode, or on a direct stream with `indirect` (`D`); its value replaced by the
 * server's cookie in `rewrite` mode, or prefixed with `SERVER~` in `prefix` mode (`R`).
 *
 * In `insert` mode, `set-cookie: NAME=VALUE; path=/` (with `; domain=`, `; HttpOnly`,
 * `; Secure` and the `attr` values) is appended when the stream did not come with a valid
 * cookie for this server, or its dates need refreshing (`maxidle`: once the last-seen date is
 * past; `maxlife`: the first-seen date is added or removed), only for POST with `postonly`,
 * and not when the server set its own with `preserve`. A server without a cookie value gets
 * the cookie removed (`NAME=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`). The flag is `U`
 * for a refresh on a direct stream, else `I`. With `nocache`, a cacheable response
 * ({@link responseCacheable}) also gets `cache-control: private`.
 */
export function persistResponse(
  cookie: ResolvedCookieConfig | undefined,
  response: ResponseHead,
  ctx: PersistResponseContext,
): ResponseCookieFlag {
  if (cookie === undefined) return "-";
  const show = (f: Exclude<ResponseCookieFlag, "-">): ResponseCookieFlag => logged(cookie) ? f : "-";
  if (response.status < 200 && response.status !== 101) return show("N");
  let flag: Exclude<ResponseCookieFlag, "-"> = "N";
  const srv = ctx.server;
  const ignore = ctx.ignore === true;
  const headers = response.headers;
  for (let f = 0; f < headers.length; f++) {
    const [name, value] = headers[f]!;
    if (name !== "set-cookie" && name !== "set-cookie2") continue;
    // Set-Cookie carries one cookie (commas may appear in Expires): only its NAME=VALUE counts.
    const s = scanCookie(value, 0, true, name === "set-cookie2" ? ";," : ";");
    if (s.equal === s.valEnd) continue;
    let h = tightenEqual(value, s);
    headers[f]![1] = h;
    if (ignore || s.attEnd - s.attBeg !== cookie.name.length || !h.startsWith(cookie.name, s.attBeg)) continue;
    flag = "P";
    if (cookie.preserve) continue;
    if ((srv !== undefined && cookie.mode === "insert") || (ctx.direct && cookie.indirect)) {
      headers.splice(f, 1);
      f--;
      flag = "D";
    } else if (srv?.cookie !== undefined && cookie.mode === "rewrite") {
      h = h.slice(0, s.valBeg) + srv.cookie + h.slice(s.valEnd);
      headers[f]![1] = h;
      flag = "R";
    } else if (srv?.cookie !== undefined && cookie.mode === "prefix") {
      h = h.slice(0, s.valBeg) + srv.cookie + PREFIX_DELIM + h.slice(s.valBeg);
      headers[f]![1] = h;
      flag = "R";
    }
  }
  if (srv === undefined || cookie.mode !== "insert" || ignore) return show(flag);
  if (flag === "P" && cookie.preserve) return show(flag);
  const nowSec = Math.floor((ctx.nowMs ?? 0) / 1000);
  const last = ctx.request?.lastDate ?? 0;
  const firstSeen = ctx.request?.firstDate ?? 0;
  const refresh = !ctx.direct ||
    ((cookie.maxIdleSec > 0 || last !== 0) && (last === 0 || last - nowSec < 0)) ||
    (cookie.maxLifeSec > 0 && firstSeen === 0) ||
    (cookie.maxLifeSec === 0 && firstSeen !== 0);
  if (!refresh || (cookie.postonly && ctx.method !== "POST")) return show(flag);
  let text: string;
  if (srv.cookie === undefined) text = `${cookie.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  else {
    text = `${cookie.name}=${srv.cookie}`;
    if (cookie.maxIdleSec > 0 || cookie.maxLifeSec > 0) {
      text += DATE_DELIM + encodeDate(nowSec);
      if (cookie.maxLifeSec > 0) {
        text += DATE_DELIM + (firstSeen !== 0 ? s30ToB64(Math.floor(firstSeen / 4)) : encodeDate(nowSec));
      }
    }
    text += "; path=/";
  }
  for (const d of cookie.domains) text += `; domain=${d}`;
  if (cookie.httponly) text += "; HttpOnly";
  if (cookie.secure) text += "; Secure";
  for (const a of cookie.attrs) text += `; ${a}`;
  headers.push(["set-cookie", text]);
  flag = srv.cookie !== undefined && ctx.direct ? "U" : "I";
  if (cookie.nocache && responseCacheable(ctx.method, response)) headers.push(["cache-control", "private"]);
  return show(flag);
}
