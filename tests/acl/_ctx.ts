/**
 * Helpers of the ACL and rule tests: a sample context from raw request bytes (parsed by the
 * HTTP/1.1 parser, as the mux will hand heads over), words split as haproxy.cfg splits them.
 */
import { H1RequestParser } from "../../src/http/parser.ts";
import type { RequestHead } from "../../src/http/head.ts";
import type { SampleContext } from "../../src/acl/sample.ts";
import { splitWords } from "../../src/config/_cfg_tokens.ts";
import { bytes } from "../http/_h1.ts";

/** The head of the one request in `raw` (CRLFs as written). */
export function head(raw: string): RequestHead {
  const p = new H1RequestParser();
  p.push(bytes(raw));
  const ev = p.read();
  if (ev === null || ev.type !== "head") throw new Error(`no request head in ${JSON.stringify(raw)}`);
  return ev.head;
}

/** A request `GET <target> HTTP/1.1` with `headers` (each "Name: value"). */
export function get(target: string, ...headers: string[]): string {
  return `GET ${target} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;
}

/** A context for `raw`: client 127.0.0.1:40000, destination 127.0.0.1:8080, frontend `fe`. */
export function ctx(raw: string, extra: Partial<SampleContext> = {}): SampleContext {
  return {
    request: head(raw),
    src: { address: "127.0.0.1", port: 40000 },
    dst: { address: "127.0.0.1", port: 8080 },
    frontend: "fe",
    ...extra,
  };
}

/** Words of a haproxy.cfg line. */
export function words(line: string): string[] {
  return splitWords(line, undefined);
}
