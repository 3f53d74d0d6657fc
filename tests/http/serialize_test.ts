/**
 * Heads back to bytes as HAProxy forwards them (`src/http/serialize.ts`), chunked bodies
 * re-framed, header helpers (`src/http/head.ts`), and parse → serialize → parse giving the
 * same message.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytes, requests, responses, text } from "./_h1.ts";
import {
  appendHeader,
  connectionTokens,
  deleteHeader,
  getHeader,
  getHeaders,
  hasConnectionToken,
  hasHeader,
  type HeaderList,
  isVersion11,
  listTokens,
  type RequestHead,
  type ResponseHead,
  setHeader,
} from "../../src/http/head.ts";
import {
  ChunkedEncoder,
  serializeHead,
  serializeRequestHead,
  serializeResponseHead,
} from "../../src/http/serialize.ts";

const head = (raw: string) => requests(raw).messages[0]!.head as RequestHead;

describe("serializeHead", () => {
  it("rebuilds the request line with single spaces and HTTP/1.1 from 1.1 up; HTTP/1.0 is kept", () => {
    assert.equal(text(serializeHead(head("GET\t /p  HTTP/1.1\r\n\r\n"))), "GET /p HTTP/1.1\r\n\r\n");
    assert.equal(text(serializeHead(head("GET / HTTP/2.0\r\n\r\n"))), "GET / HTTP/1.1\r\n\r\n");
    assert.equal(text(serializeHead(head("GET / HTTP/1.2\r\n\r\n"))), "GET / HTTP/1.1\r\n\r\n");
    assert.equal(text(serializeHead(head("GET / HTTP/1.0\r\n\r\n"))), "GET / HTTP/1.0\r\n\r\n");
  });

  it("writes names lowercase, `: `, trimmed and unfolded values, CRLF, in order with repeats", () => {
    const h = head("POST / HTTP/1.1\nHOST: a\nX-MiXeD-CaSe:v\nX-A: 1\nX-Fold: a\r\n  b\nX-A:   3  \n\n");
    assert.equal(
      text(serializeRequestHead(h)),
      "POST / HTTP/1.1\r\nhost: a\r\nx-mixed-case: v\r\nx-a: 1\r\nx-fold: a    b\r\nx-a: 3\r\n\r\n",
    );
  });

  it("lowercases names set by rules too, and appends the connection field asked for", () => {
    const h: RequestHead = { kind: "request", method: "GET", target: "/", version: "HTTP/1.1", headers: [] };
    appendHeader(h.headers, "X-Forwarded-For", "127.0.0.1");
    h.headers.push(["X-Raw", "v"]);
    assert.equal(
      text(serializeHead(h, { connection: "close" })),
      "GET / HTTP/1.1\r\nx-forwarded-for: 127.0.0.1\r\nx-raw: v\r\nconnection: close\r\n\r\n",
    );
  });

  it("reduces TE to `te: trailers` or drops it, case-sensitively (requests only)", () => {
    const te = (v: string) => text(serializeHead(head(`GET / HTTP/1.1\r\nTE: ${v}\r\n\r\n`)));
    assert.equal(te("gzip, trailers"), "GET / HTTP/1.1\r\nte: trailers\r\n\r\n");
    assert.equal(te("trailers"), "GET / HTTP/1.1\r\nte: trailers\r\n\r\n");
    assert.equal(te("TRAILERS"), "GET / HTTP/1.1\r\n\r\n");
    assert.equal(te("trailers;q=1"), "GET / HTTP/1.1\r\n\r\n");
    assert.equal(te("gzip"), "GET / HTTP/1.1\r\n\r\n");
    const rsp = responses("HTTP/1.1 200 OK\r\nTE: gzip\r\nContent-Length: 0\r\n\r\n").messages[0]!.head;
    assert.equal(text(serializeHead(rsp)), "HTTP/1.1 200 OK\r\nte: gzip\r\ncontent-length: 0\r\n\r\n");
  });

  it("writes a status line with its space even without a reason; HTTP/2.0 becomes HTTP/1.1", () => {
    const r = responses("HTTP/2.0 200\r\nContent-Length: 0\r\n\r\n").messages[0]!.head as ResponseHead;
    assert.equal(text(serializeResponseHead(r)), "HTTP/1.1 200 \r\ncontent-length: 0\r\n\r\n");
    r.version = "HTTP/1.0";
    r.reason = "Fine";
    assert.equal(
      text(serializeResponseHead(r, { connection: "keep-alive" })),
      "HTTP/1.0 200 Fine\r\n" +
        "content-length: 0\r\nconnection: keep-alive\r\n\r\n",
    );
  });

  it("keeps every byte of values (obs-text, CTLs other than CR/LF/NUL)", () => {
    const raw = "GET / HTTP/1.1\r\nx: a\x7f\x01\xff\r\n\r\n";
    assert.equal(text(serializeHead(head(raw))), raw);
  });

  it("refuses what would break the message: injection through rules fails loudly", () => {
    const base = (): RequestHead => ({ kind: "request", method: "GET", target: "/", version: "HTTP/1.1", headers: [] });
    const bad = (f: (h: RequestHead) => void) => {
      const h = base();
      f(h);
      assert.throws(() => serializeHead(h), TypeError);
    };
    bad((h) => h.headers.push(["x", "a\r\nx-injected: 1"]));
    bad((h) => h.headers.push(["x", "a\nb"]));
    bad((h) => h.headers.push(["x", "a\x00"]));
    bad((h) => h.headers.push(["x y", "v"]));
    bad((h) => h.headers.push(["", "v"]));
    bad((h) => h.headers.push(["x", "\u0100"]));
    bad((h) => (h.method = "G T"));
    bad((h) => (h.target = "/a b"));
    bad((h) => (h.target = ""));
    const r: ResponseHead = { kind: "response", version: "HTTP/1.1", status: 99, reason: "", headers: [] };
    assert.throws(() => serializeHead(r), TypeError);
    r.status = 200;
    r.reason = "a\r\nb";
    assert.throws(() => serializeHead(r), TypeError);
  });
});

describe("ChunkedEncoder", () => {
  it("re-frames: uppercase hex, no extensions, trailers lowercase", () => {
    const out = requests(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "000a;ext=1\r\n0123456789\n5\r\nhello\r\n0;x\r\nX-Trailer: v\r\n\r\n",
    );
    const m = out.messages[0]!;
    const enc = new ChunkedEncoder();
    const wire = text(enc.chunk(10)) + m.data.slice(0, 10) + text(enc.chunk(5)) + m.data.slice(10) +
      text(enc.end(m.trailers));
    assert.equal(wire, "A\r\n0123456789\r\n5\r\nhello\r\n0\r\nx-trailer: v\r\n\r\n");
    assert.equal(text(new ChunkedEncoder().end()), "0\r\n\r\n");
    assert.throws(() => new ChunkedEncoder().chunk(0), RangeError);
  });

  it("each call returns bytes of its own: changing one leaves the others", () => {
    const enc = new ChunkedEncoder();
    const a = enc.chunk(1), b = enc.chunk(1), c = enc.end();
    a.fill(0x78);
    assert.equal(text(b), "\r\n1\r\n");
    assert.equal(text(c), "\r\n0\r\n\r\n");
  });
});

describe("parse → serialize → parse", () => {
  it("gives the same head and body, whatever the original spelling", () => {
    const raw = "\r\nPOST\thttp://a.com:80/p HTTP/1.1\nHost:a.com\nContent-Length: 5\r\nTransfer-Encoding: ChUnKeD\n" +
      "Connection: keep-alive, x-hop\r\nX-F: 1\r\n 2\r\n\r\n3;e=1\r\nabc\n2\r\nde\r\n0\r\nT: 1\r\n\r\n";
    const first = requests(raw).messages[0]!;
    const enc = new ChunkedEncoder();
    const again = text(serializeHead(first.head)) + text(enc.chunk(5)) + first.data + text(enc.end(first.trailers));
    const second = requests(again).messages[0]!;
    assert.deepEqual(second.head, first.head);
    assert.equal(second.data, first.data);
    assert.deepEqual(second.trailers, first.trailers);
    assert.equal(text(serializeHead(second.head)), text(serializeHead(first.head)));
    assert.equal(
      text(serializeHead(first.head)),
      "POST http://a.com/p HTTP/1.1\r\nhost: a.com\r\ntransfer-encoding: chunked\r\nconnection: x-hop\r\n" +
        "x-f: 1   2\r\n\r\n",
    );
  });
});

describe("head helpers", () => {
  const list = (): HeaderList => [["host", "a"], ["x-a", "1"], ["connection", "Upgrade, x-hop"], ["x-a", "2"]];

  it("get, getAll, has: any case of name", () => {
    assert.equal(getHeader(list(), "X-A"), "1");
    assert.deepEqual(getHeaders(list(), "x-a"), ["1", "2"]);
    assert.equal(hasHeader(list(), "HOST"), true);
    assert.equal(getHeader(list(), "nope"), undefined);
  });

  it("set keeps the first position and removes the others; delete counts; append adds at the end", () => {
    const h = list();
    setHeader(h, "X-A", "3");
    assert.deepEqual(h, [["host", "a"], ["x-a", "3"], ["connection", "Upgrade, x-hop"]]);
    setHeader(h, "X-New", "n");
    assert.deepEqual(h.at(-1), ["x-new", "n"]);
    assert.equal(deleteHeader(h, "HOST"), 1);
    appendHeader(h, "X-A", "4");
    assert.deepEqual(getHeaders(h, "x-a"), ["3", "4"]);
  });

  it("connection tokens, lists, versions", () => {
    assert.deepEqual(connectionTokens(list()), ["upgrade", "x-hop"]);
    assert.equal(hasConnectionToken(list(), "X-HOP"), true);
    assert.deepEqual(listTokens(" a ,, b\t,c "), ["a", "b", "c"]);
    assert.deepEqual(["HTTP/1.1", "HTTP/2.0", "HTTP/1.0", "HTTP/0.9", "HTTP/1.x"].map(isVersion11), [
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("a head from bytes is plain data, JSON-able", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(head("GET / HTTP/1.1\r\nA: b\r\n\r\n"))), {
      kind: "request",
      method: "GET",
      target: "/",
      version: "HTTP/1.1",
      headers: [["a", "b"]],
    });
    assert.ok(bytes("x") instanceof Uint8Array);
  });
});
