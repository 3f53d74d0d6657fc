/**
 * The replies rules send instead of forwarding: `http-request return` (`http_reply_to_htx()`,
 * src/http_ana.c) and `http-request redirect` (`http_apply_redirect_rule()`), as HAProxy
 * 2.6 writes them (field names lowercase, fields in its order).
 *
 * @module
 */
import { renderLogFormat } from "../../acl/log_format.ts";
import { splitValues, targetPath } from "../../acl/_http.ts";
import type { SampleContext } from "../../acl/sample.ts";
import type { HttpReply } from "../error_pages.ts";
import type { HeaderList } from "../head.ts";
import { reasonPhrase } from "../reason.ts";
import type { RedirectAction, ReturnAction } from "./compile.ts";

/** Reason phrases of redirects (`http_apply_redirect_rule()`'s own status lines). */
const REDIRECT_REASONS: Readonly<Record<number, string>> = {
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
};

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function reply(status: number, reason: string, headers: HeaderList, body: string): HttpReply {
  return {
    status,
    head: { kind: "response", version: "HTTP/1.1", status, reason, headers },
    body: latin1(body),
    close: false,
  };
}

/**
 * `http-request return`: the `hdr` fields (an empty value drops one), `content-length` (none
 * for 204), `content-type` when the body is not empty, then the body.
 */
export function returnReply(a: ReturnAction, ctx: SampleContext): HttpReply {
  const headers: HeaderList = [];
  for (const [name, fmt] of a.headers) {
    const v = renderLogFormat(fmt, ctx);
    if (v !== "") headers.push([name, v]);
  }
  const body = a.body === undefined ? "" : typeof a.body === "string" ? a.body : renderLogFormat(a.body, ctx);
  if (a.status !== 204) headers.push(["content-length", String(body.length)]);
  if (a.contentType !== undefined && body !== "") headers.push(["content-type", a.contentType]);
  return reply(a.status, reasonPhrase(a.status), headers, body);
}

/**
 * `http-request redirect`: the location is the value (`location`); the prefix then the
 * request's path and query (`prefix`; a prefix of just `/` adds nothing); or the scheme,
 * `://`, the first `Host` value and the path and query (`scheme`). A request without a path
 * uses `/`. `drop-query` cuts the query, `append-slash` then ends the location with `/`. The
 * reply has `content-length: 0`, `location`, and `cache-control: no-cache` for 302, 303 and
 * 307 only.
 */
export function redirectReply(a: RedirectAction, ctx: SampleContext): HttpReply {
  let location = renderLogFormat(a.value, ctx);
  if (a.type !== "location") {
    let path = targetPath(ctx.request.target) ?? "/";
    if (a.dropQuery) {
      const q = path.indexOf("?");
      if (q >= 0) path = path.slice(0, q);
    }
    if (a.type === "prefix") location = (location === "/" ? "" : location) + path;
    else {
      const host = ctx.request.headers.find(([n]) => n === "host");
      location = `${location}://${host === undefined ? "" : splitValues(host[1])[0]}${path}`;
    }
    if (a.appendSlash && location !== "" && !location.endsWith("/")) location += "/";
  }
  const headers: HeaderList = [["content-length", "0"], ["location", location]];
  if (a.code === 302 || a.code === 303 || a.code === 307) headers.push(["cache-control", "no-cache"]);
  return reply(a.code, REDIRECT_REASONS[a.code]!, headers, "");
}
