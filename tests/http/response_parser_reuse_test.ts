import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "../../src/connection.ts";
import { responseParserOf } from "../../src/http/txn_response.ts";
import { resolveH1Limits } from "../../src/http/limits.ts";

const enc = (s: string) => new TextEncoder().encode(s);
/** Limits as a frontend holds them: resolved once (a parser made with them keeps that object). */
const LIMITS = resolveH1Limits({ maxHeaders: 50 });

/** Reads `rp` until it has nothing more to hand out; the event types. */
function drain(rp: ReturnType<typeof responseParserOf>): string[] {
  const types: string[] = [];
  for (let ev = rp.read(); ev != null; ev = rp.read()) types.push(ev.type);
  return types;
}

describe("the response parser a server connection keeps (conn.mux)", () => {
  it("serves the next transaction once its response ended cleanly", () => {
    const conn = new Connection();
    const rp = responseParserOf(conn, LIMITS);
    rp.expect("GET");
    rp.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
    assert.deepEqual(drain(rp), ["head", "body", "end"]);
    assert.equal(responseParserOf(conn, LIMITS), rp);
  });

  it("is replaced while a response is expected, bytes are buffered, after EOF or with other limits", () => {
    const cases: [string, (rp: ReturnType<typeof responseParserOf>) => void, object?][] = [
      ["a response still expected", (rp) => rp.expect("GET")],
      ["bytes after the response", (rp) => {
        rp.expect("GET");
        rp.push(enc("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200"));
        drain(rp);
      }],
      ["EOF", (rp) => rp.end()],
      ["other limits", () => {}, resolveH1Limits({ maxHeaders: 10 })],
    ];
    for (const [what, dirty, limits] of cases) {
      const conn = new Connection();
      const rp = responseParserOf(conn, LIMITS);
      dirty(rp);
      const next = responseParserOf(conn, limits ?? LIMITS);
      assert.notEqual(next, rp, what);
      assert.equal(conn.mux, next, what);
    }
  });

  it("is forgotten when the connection is cleared for another destination", () => {
    const conn = new Connection();
    responseParserOf(conn, LIMITS);
    conn.clear();
    assert.equal(conn.mux, undefined);
  });
});
