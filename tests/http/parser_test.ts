/**
 * The HTTP/1.1 parsers (`src/http/parser.ts`) as a caller drives them: pipelining, body views,
 * heads across chunks, limits and their statuses, EOF, CONNECT and upgrades, responses to
 * HEAD and interim responses, keep-alive, and the target checks of HAProxy 2.6.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytes, feed, requests, responses, text } from "./_h1.ts";
import { H1Error } from "../../src/http/error.ts";
import type { H1Event } from "../../src/http/events.ts";
import { H1RequestParser, H1ResponseParser } from "../../src/http/parser.ts";
import { DEFAULT_MAX_HEAD_BYTES, resolveH1Limits } from "../../src/http/limits.ts";

const GET = (path = "/", fields = "") => `GET ${path} HTTP/1.1\r\nHost: a\r\n${fields}\r\n`;

function events(p: H1RequestParser | H1ResponseParser): H1Event[] {
  const out: H1Event[] = [];
  for (let ev; (ev = p.read()) !== null;) out.push(ev);
  return out;
}

function refused(raw: string | Uint8Array[], limits = {}): H1Error {
  const p = new H1RequestParser(limits);
  for (const c of typeof raw === "string" ? [bytes(raw)] : raw) p.push(c);
  try {
    events(p);
  } catch (e) {
    assert.ok(e instanceof H1Error);
    return e;
  }
  assert.fail("not refused");
}

describe("H1RequestParser: pipelining and views", () => {
  it("three pipelined requests in one chunk come out in order, bodies as views of the chunk", () => {
    const chunk = bytes(
      "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" +
        "POST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n1;x=y\r\nf\r\n0\r\n\r\n" +
        "GET /3 HTTP/1.1\r\n\r\n",
    );
    const p = new H1RequestParser();
    p.push(chunk);
    const evs = events(p);
    const heads = evs.map((e) => e.type === "head" && e.head.kind === "request" && e.head.target).filter(Boolean);
    assert.deepEqual(heads, ["/1", "/2", "/3"]);
    const bodies = evs.filter((e) => e.type === "body");
    assert.deepEqual(bodies.map((e) => e.type === "body" && text(e.data)), ["abc", "de", "f"]);
    for (const e of bodies) assert.ok(e.type === "body" && e.data.buffer === chunk.buffer, "a view, not a copy");
    assert.equal(evs.filter((e) => e.type === "end").length, 3);
    assert.equal(p.buffered, 0);
    assert.equal(p.state, "idle");
  });

  it("read() parses no further than the event asked for: the next request stays queued", () => {
    const p = new H1RequestParser();
    p.push(bytes(GET("/a") + GET("/b")));
    assert.equal(p.read()?.type, "head");
    assert.equal(p.read()?.type, "end");
    assert.equal(p.buffered, GET("/b").length);
    assert.equal(p.read()?.type, "head");
  });

  it("a body spanning chunks comes out as one view per chunk, each of its own chunk", () => {
    const parts = [bytes(GET("/", "Content-Length: 10\r\n") + "01"), bytes("2345"), bytes("6789GET")];
    const seen: ArrayBufferLike[] = [];
    const out = feed(new H1RequestParser(), parts, {
      onEvent: (ev) => {
        if (ev.type === "body") seen.push(ev.data.buffer);
      },
    });
    assert.equal(out.messages[0]!.data, "0123456789");
    assert.deepEqual(seen, parts.map((c) => c.buffer));
    assert.equal(out.rest, 3, "GET is kept for the next request");
  });

  it("a whole chunk of body is handed out as the chunk itself", () => {
    const p = new H1RequestParser();
    p.push(bytes(GET("/", "Content-Length: 4\r\n")));
    const body = bytes("wxyz");
    assert.equal(p.read()?.type, "head");
    p.push(body);
    const ev = p.read();
    assert.ok(ev?.type === "body" && ev.data === body);
  });

  it("a head split at every byte gives the same head; its bytes are copied only while partial", () => {
    const head = GET("/x", "X-A: 1\r\nContent-Length: 2\r\n");
    const raw = bytes(head + "hi");
    const whole = feed(new H1RequestParser(), [raw]);
    for (let i = 1; i < head.length; i++) {
      const p = new H1RequestParser();
      p.push(raw.subarray(0, i));
      assert.equal(p.read(), null);
      assert.equal(p.buffered, i);
      assert.equal(p.state, "head");
      const out = feed(p, [raw.subarray(i)]);
      assert.deepEqual(out.messages, whole.messages);
    }
  });
});

describe("H1RequestParser: limits", () => {
  it("defaults are HAProxy's: 15360-byte heads, 100 fields", () => {
    const l = resolveH1Limits();
    assert.equal(l.maxHeadBytes, 16384 - 1024);
    assert.equal(l.maxHeaders, 100);
    const line = "GET / HTTP/1.1\r\n";
    const pad = (n: number) => `X: ${"a".repeat(n - 5)}\r\n`; // a field line of n bytes
    const fits = line + pad(DEFAULT_MAX_HEAD_BYTES - line.length - 2) + "\r\n";
    assert.equal(fits.length, DEFAULT_MAX_HEAD_BYTES);
    assert.equal(requests(fits).messages.length, 1);
    const over = line + pad(DEFAULT_MAX_HEAD_BYTES - line.length - 1) + "\r\n";
    assert.deepEqual([refused(over).status, refused(over).reason], [431, "head-too-large"]);
  });

  it("a request line over maxRequestLineBytes is 414, at once or split", () => {
    const limits = { maxRequestLineBytes: 20 };
    assert.equal(requests("GET /0123456789ab HTTP/1.1\r\n\r\n").error, undefined);
    const ok = new H1RequestParser(limits);
    ok.push(bytes("GET /012345 HTTP/1.1\r\n\r\n")); // 20 bytes
    assert.equal(events(ok).length, 2);
    const e = refused("GET /0123456 HTTP/1.1\r\n\r\n", limits); // 21
    assert.deepEqual([e.status, e.reason, e.termination], [414, "request-line-too-long", "PR--"]);
    const split = refused([bytes("GET /0123"), bytes("4567"), bytes(" HTTP/1.1\r\n\r\n")], limits);
    assert.deepEqual([split.status, split.reason], [414, "request-line-too-long"]);
  });

  it("a head too large is 414 while in the request line, 431 after it (HAProxy 3.1)", () => {
    const limits = { maxHeadBytes: 64 };
    assert.equal(refused(`GET /${"a".repeat(80)}`, limits).status, 414);
    assert.equal(refused(`GET / HTTP/1.1\r\nX: ${"a".repeat(80)}`, limits).status, 431);
    assert.equal(refused([bytes("GET / HTTP/1.1\r\nX: "), bytes("a".repeat(80))], limits).status, 431);
    assert.equal(refused("\r\n".repeat(40), limits).status, 414, "empty lines before it count");
  });

  it("the 101st field is 431; a Connection left empty, a repeated CL or Host do not count", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("");
    assert.equal(requests(`GET / HTTP/1.1\r\n${fields(100)}\r\n`).error, undefined);
    const e = refused(`GET / HTTP/1.1\r\n${fields(101)}\r\n`);
    assert.deepEqual([e.status, e.reason], [431, "too-many-headers"]);
    const extra = "Connection: close\r\nHost: a\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n";
    assert.equal(requests(`GET / HTTP/1.1\r\n${fields(98)}${extra}\r\n`).error, undefined);
  });

  it("maxBodyBytes: 413 for a Content-Length over it, and for chunks adding up over it", () => {
    const limits = { maxBodyBytes: 4 };
    const cl = refused(GET("/", "Content-Length: 5\r\n"), limits);
    assert.deepEqual([cl.status, cl.reason, cl.phase], [413, "body-too-large", "head"]);
    const ch = refused(GET("/", "Transfer-Encoding: chunked\r\n") + "3\r\nabc\r\n2\r\n", limits);
    assert.deepEqual([ch.status, ch.reason, ch.phase], [413, "body-too-large", "body"]);
    const rsp = new H1ResponseParser(limits);
    rsp.expect("GET");
    rsp.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
    assert.throws(() => rsp.read(), (e: H1Error) => e.status === 502 && e.reason === "body-too-large");
    const head = new H1ResponseParser(limits);
    head.expect("HEAD");
    head.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"));
    assert.ok(head.read()?.type === "head", "no body to a HEAD: no limit to apply");
  });

  it("a chunk-size line over maxChunkLineBytes is 400", () => {
    const e = refused(GET("/", "Transfer-Encoding: chunked\r\n") + `5;x=${"y".repeat(40)}\r\n`, {
      maxChunkLineBytes: 32,
    });
    assert.deepEqual([e.status, e.reason, e.phase], [400, "chunk-line-too-long", "body"]);
  });

  it("limits are checked when the parser is built", () => {
    assert.throws(() => new H1RequestParser({ maxHeaders: 0 }), RangeError);
    assert.throws(() => new H1RequestParser({ maxHeadBytes: 1.5 }), /maxHeadBytes/);
    assert.doesNotThrow(() => new H1RequestParser({ maxBodyBytes: Infinity }));
  });
});

describe("H1RequestParser: EOF and failure", () => {
  it("EOF between requests is no error; in a head CR--, in a body CD--", () => {
    assert.equal(feed(new H1RequestParser(), [bytes(GET())], { end: true }).error, undefined);
    assert.equal(feed(new H1RequestParser(), [bytes("\r\n")], { end: true }).error, undefined);
    const head = feed(new H1RequestParser(), [bytes("GET / HT")], { end: true }).error;
    assert.deepEqual([head?.reason, head?.status, head?.termination], ["truncated", 400, "CR--"]);
    const body = feed(new H1RequestParser(), [bytes(GET("/", "Content-Length: 9\r\n") + "abc")], { end: true });
    assert.equal(body.messages[0]!.data, "abc");
    assert.deepEqual([body.error?.termination, body.error?.phase], ["CD--", "body"]);
  });

  it("a failed parser throws the same error again and ignores new chunks", () => {
    const p = new H1RequestParser();
    p.push(bytes("GET /a b HTTP/1.1\r\n\r\n"));
    let first: unknown;
    assert.throws(() => p.read(), (e) => (first = e) instanceof H1Error);
    p.push(bytes(GET()));
    assert.throws(() => p.read(), (e) => e === first);
    assert.equal(p.state, "error");
    assert.equal(p.buffered, 0);
  });

  it("errors carry the stream offset of the offending byte", () => {
    const e = refused(GET() + GET("/", "X : y\r\n"));
    assert.equal(e.offset, GET().length + "GET / HTTP/1.1\r\nHost: a\r\nX".length);
  });

  it("drain() hands back what is left, a partial head included", () => {
    const p = new H1RequestParser();
    p.push(bytes(GET()));
    p.push(bytes("GET /nex"));
    assert.equal(p.read()?.type, "head");
    assert.equal(p.read()?.type, "end");
    assert.equal(p.read(), null);
    assert.deepEqual(p.drain().map(text), ["GET /nex"]);
    assert.equal(p.buffered, 0);
    assert.equal(p.state, "idle");
  });
});

describe("H1RequestParser: CONNECT and upgrades", () => {
  it("CONNECT pauses after its head; tunnel() hands out the rest raw until EOF", () => {
    const p = new H1RequestParser();
    const chunk = bytes(
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 5\r\n\r\n\x16\x03",
    );
    p.push(chunk);
    const head = p.read();
    assert.ok(head?.type === "head");
    assert.equal(head.body, "none");
    assert.deepEqual(head.head.headers, [["host", "example.com"]], "CL dropped, Host loses the default port");
    assert.equal(p.read()?.type, "end");
    assert.equal(p.read(), null);
    assert.equal(p.state, "paused");
    p.tunnel();
    const data = p.read();
    assert.ok(data?.type === "body" && text(data.data) === "\x16\x03" && data.data.buffer === chunk.buffer);
    p.push(bytes("more"));
    assert.ok(p.read()?.type === "body");
    assert.equal(p.read(), null);
    p.end();
    assert.equal(p.read()?.type, "end");
    assert.equal(p.state, "done");
  });

  it("resume() after a refused CONNECT parses the next request", () => {
    const p = new H1RequestParser();
    p.push(bytes("CONNECT a.com:8443 HTTP/1.1\r\n\r\n" + GET("/next")));
    assert.deepEqual(events(p).map((e) => e.type), ["head", "end"]);
    assert.throws(() => new H1RequestParser().tunnel(), TypeError);
    p.resume();
    const next = p.read();
    assert.ok(next?.type === "head" && next.head.target === "/next");
  });

  it("CONNECT targets: host:port only, matching Host", () => {
    assert.equal(refused("CONNECT example.com HTTP/1.1\r\n\r\n").reason, "bad-target");
    assert.equal(refused("CONNECT / HTTP/1.1\r\n\r\n").reason, "bad-target");
    assert.equal(refused("CONNECT http://a.com:80 HTTP/1.1\r\n\r\n").reason, "bad-target");
    assert.equal(refused("CONNECT a.com:443 HTTP/1.1\r\nHost: b.com:443\r\n\r\n").reason, "bad-host");
    assert.equal(refused("CONNECT a.com:8443 HTTP/1.1\r\nHost: a.com\r\n\r\n").reason, "bad-host");
    assert.equal(requests("CONNECT a.com:443 HTTP/1.1\r\nHost: a.com\r\n\r\n").error, undefined);
  });

  it("a WebSocket upgrade needs its key; the request pauses and a 101 makes both sides tunnels", () => {
    const ws = "Connection: Upgrade\r\nUpgrade: websocket\r\n";
    assert.equal(refused(GET("/", ws)).reason, "bad-upgrade");
    const req = new H1RequestParser();
    req.push(bytes(GET("/", ws + "Sec-WebSocket-Key: k\r\n") + "frames"));
    const head = req.read();
    assert.ok(head?.type === "head" && head.upgrade);
    assert.equal(req.read()?.type, "end");
    assert.equal(req.state, "paused");
    const rsp = new H1ResponseParser();
    rsp.expect(head);
    rsp.push(bytes(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Accept: a\r\n\r\nserver-frames",
    ));
    const r = rsp.read();
    assert.ok(r?.type === "head" && r.body === "tunnel" && !r.keepAlive);
    assert.ok(rsp.read()?.type === "body");
    req.tunnel();
    const d = req.read();
    assert.ok(d?.type === "body" && text(d.data) === "frames");
  });

  it("a 101 needs Connection: upgrade in the response too", () => {
    const out = responses("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "GET", {
      expect: [["GET", true]],
    });
    assert.equal(out.error?.reason, "bad-upgrade");
  });
});

describe("H1RequestParser: targets, versions, connection tokens (as HAProxy 2.6)", () => {
  const target = (raw: string) => requests(raw).messages[0]?.head;

  it("absolute-form is kept, an explicit default or empty port removed, Host then set to the target's host", () => {
    // http_scheme_based_normalize(): observed on 2.6 (req.hdr(host) is example.com after it).
    const h = target("GET http://example.com:80/p?q=1 HTTP/1.1\r\nHost: EXAMPLE.com:80\r\n\r\n");
    assert.ok(h?.kind === "request");
    assert.equal(h.target, "http://example.com/p?q=1");
    assert.deepEqual(h.headers, [["host", "example.com"]]);
    // Without a port in the target, Host is left alone (port included).
    const kept = target("GET http://example.com/p HTTP/1.1\r\nHost: example.com:80\r\n\r\n");
    assert.deepEqual(kept?.headers, [["host", "example.com:80"]]);
    assert.equal(
      target("GET https://u:p@a.com:443 HTTP/1.1\r\n\r\n")?.kind === "request" &&
        (target("GET https://u:p@a.com:443 HTTP/1.1\r\n\r\n") as { target: string }).target,
      "https://u:p@a.com",
    );
    assert.equal((target("GET http://a.com:/ HTTP/1.1\r\n\r\n") as { target: string }).target, "http://a.com/");
    assert.equal(
      (target("GET http://a.com:8080/ HTTP/1.1\r\n\r\n") as { target: string }).target,
      "http://a.com:8080/",
    );
    assert.equal((target("GET ftp://a.com:21/ HTTP/1.1\r\n\r\n") as { target: string }).target, "ftp://a.com:21/");
    assert.equal((target("GET http://a.com::80/x HTTP/1.1\r\n\r\n") as { target: string }).target, "http://a.com/x");
  });

  it("absolute-form authority and Host must match, case and default port aside", () => {
    assert.equal(requests("GET http://EXAMPLE.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n").error, undefined);
    assert.equal(requests("GET http://example.com/ HTTP/1.1\r\nHost: example.com:80\r\n\r\n").error, undefined);
    assert.equal(requests("GET https://example.com:443/ HTTP/1.1\r\nHost: example.com\r\n\r\n").error, undefined);
    assert.equal(refused("GET http://example.com:8080/ HTTP/1.1\r\nHost: example.com\r\n\r\n").reason, "bad-host");
    assert.equal(refused("GET http://other.com/p HTTP/1.1\r\nHost: example.com\r\n\r\n").reason, "bad-host");
    assert.equal(requests("GET http://other.com/p HTTP/1.1\r\n\r\n").error, undefined, "no Host: accepted");
  });

  it("a target with neither / nor a scheme is an authority compared with Host (2.6)", () => {
    assert.equal(refused("GET admin HTTP/1.1\r\nHost: example.com\r\n\r\n").reason, "bad-host");
    assert.equal(requests("GET admin HTTP/1.1\r\nHost: admin\r\n\r\n").error, undefined);
    assert.equal(refused("GET example.com:80 HTTP/1.1\r\nHost: example.com\r\n\r\n").reason, "bad-host");
    assert.equal(requests("OPTIONS * HTTP/1.1\r\n\r\n").error, undefined);
    assert.equal(requests("GET * HTTP/1.1\r\n\r\n").error, undefined);
    assert.equal(refused("GET *x HTTP/1.1\r\n\r\n").reason, "bad-target");
  });

  it("methods are tokens of any case, kept; SP or HTAB runs separate the parts", () => {
    const h = target("get\t\t/  HTTP/1.1\r\n\r\n");
    assert.ok(h?.kind === "request");
    assert.deepEqual([h.method, h.target, h.version], ["get", "/", "HTTP/1.1"]);
    assert.equal((target(`${"M".repeat(100)} / HTTP/1.1\r\n\r\n`) as { method: string }).method.length, 100);
  });

  it("keep-alive: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive; tokens removed from Connection", () => {
    const ka = (raw: string) => requests(raw).messages[0]!;
    assert.equal(ka("GET / HTTP/1.1\r\n\r\n").keepAlive, true);
    assert.equal(ka("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keepAlive, false);
    assert.equal(ka("GET / HTTP/1.0\r\n\r\n").keepAlive, false);
    const m = ka("GET / HTTP/1.0\r\nConnection: keep-alive, X-Foo, Upgrade\r\n\r\n");
    assert.equal(m.keepAlive, true);
    assert.deepEqual(m.head.headers, [["connection", "X-Foo,Upgrade"]]);
    assert.deepEqual(ka("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").head.headers, []);
    assert.deepEqual(ka("GET / HTTP/1.1\r\nConnection:\r\nConnection: ,\r\n\r\n").head.headers, [], "empty: dropped");
    assert.deepEqual(ka("GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n").head.headers, [[
      "connection",
      "Upgrade, HTTP2-Settings",
    ]]);
  });

  it("HTTP/2.0 and HTTP/1.2 request lines are accepted (forwarded as HTTP/1.1)", () => {
    assert.equal(requests("GET / HTTP/2.0\r\n\r\n").messages[0]?.keepAlive, true);
    assert.equal(requests("GET / HTTP/1.2\r\n\r\n").error, undefined);
  });
});

describe("H1ResponseParser", () => {
  it("answers the requests it is told of, in order; waits without one", () => {
    const p = new H1ResponseParser();
    p.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n"));
    assert.equal(p.read(), null, "no request sent yet");
    p.expect("GET");
    p.expect("HEAD");
    assert.equal(p.pending, 2);
    const evs = events(p);
    assert.deepEqual(evs.map((e) => e.type), ["head", "body", "end", "head", "end"]);
    assert.equal(p.pending, 0);
  });

  it("interim 100 and 103 come before the final response to the same request", () => {
    const out = responses(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\nContent-Length: 3\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    assert.deepEqual(out.messages.map((m) => [m.head.kind === "response" && m.head.status, m.interim, m.data]), [
      [100, true, ""],
      [103, true, ""],
      [200, false, "ok"],
    ]);
    assert.deepEqual(out.messages[1]!.head.headers, [["link", "</a>"]], "no length on a 1xx");
  });

  it("a response read until close ends at EOF, and the parser is done", () => {
    const p = new H1ResponseParser();
    p.expect("GET");
    p.push(bytes("HTTP/1.0 200 OK\r\n\r\nabc"));
    const evs = events(p);
    assert.ok(evs[0]?.type === "head" && evs[0].body === "close" && !evs[0].keepAlive);
    p.end();
    assert.equal(p.read()?.type, "end");
    assert.equal(p.state, "done");
  });

  it("EOF: before the response 502 SH--, in its body 502 SD--, with no request pending nothing", () => {
    const none = feed(new H1ResponseParser(), [], { end: true, expect: [["GET", false]] }).error;
    assert.deepEqual([none?.status, none?.termination, none?.reason], [502, "SH--", "truncated"]);
    const mid = responses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab").error;
    assert.deepEqual([mid?.status, mid?.termination], [502, "SD--"]);
    assert.equal(feed(new H1ResponseParser(), [], { end: true }).error, undefined);
  });

  it("a bad response body is 502 PD--", () => {
    const e = responses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX").error;
    assert.deepEqual([e?.status, e?.termination, e?.phase], [502, "PD--", "body"]);
  });

  it("status lines: reason optional, any 4 version letters (as h1_process_res_vsn())", () => {
    const out = responses("ABCD/1.1 200\r\nContent-Length: 0\r\n\r\n");
    assert.equal(out.error, undefined);
    const h = out.messages[0]!.head;
    assert.ok(h.kind === "response");
    assert.deepEqual([h.version, h.status, h.reason], ["ABCD/1.1", 200, ""]);
  });
});
