/**
 * Request smuggling, table-driven: the framing variants of public research (CL.TE, TE.CL,
 * TE.TE obfuscations, Content-Length and chunk-size abuse, field-name whitespace, NUL/CR in
 * values), each refused with its status or parsed with exactly one framing. Every case is also
 * fed in every possible 2-chunk split and one byte at a time, with identical results.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytes, feed, type Outcome, requests, responses, splits } from "./_h1.ts";
import type { H1ErrorReason } from "../../src/http/error.ts";
import type { H1BodyKind } from "../../src/http/events.ts";
import type { HeaderList } from "../../src/http/head.ts";
import { H1RequestParser, H1ResponseParser } from "../../src/http/parser.ts";

/** A refusal, or one message parsed with its framing. */
type Expect =
  | { error: H1ErrorReason; status: number }
  | { body: H1BodyKind; data?: string; headers?: HeaderList; unsafe?: boolean; complete?: boolean; rest?: number };

/** `POST /` with Host and the given field lines (each ending in CRLF), then the body bytes. */
const post = (fields: string, body = "") => `POST / HTTP/1.1\r\nHost: a\r\n${fields}\r\n${body}`;
const te = (value: string, body = "5\r\nhello\r\n0\r\n\r\n") => post(`Transfer-Encoding: ${value}\r\n`, body);
const cl = (value: string, body = "hello") => post(`Content-Length: ${value}\r\n`, body);
const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
const E400 = (reason: H1ErrorReason) => ({ error: reason, status: 400 });
const CHUNKED_HELLO: Expect = {
  body: "chunked",
  data: "hello",
  headers: [["host", "a"], ["transfer-encoding", "chunked"]],
};

const REQUESTS: [string, string, Expect][] = [
  // baselines
  ["Content-Length", cl("5"), { body: "length", data: "hello", headers: [["host", "a"], ["content-length", "5"]] }],
  ["chunked", te("chunked"), CHUNKED_HELLO],
  ["no length: no body, the rest is the next message", post("", "hello"), { body: "none", rest: 5 }],
  // CL.TE and TE.CL: chunked wins, Content-Length is removed, the connection must close
  ["CL then TE", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nX"), {
    body: "chunked",
    data: "",
    headers: [["host", "a"], ["transfer-encoding", "chunked"]],
    unsafe: true,
    rest: 1,
  }],
  [
    "TE then CL",
    post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "5c\r\n" + "G".repeat(0x5c) + "\r\n0\r\n\r\n"),
    {
      body: "chunked",
      data: "G".repeat(0x5c),
      unsafe: true,
    },
  ],
  ["TE with CL 0", post("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "5\r\nhello\r\n0\r\n\r\n"), {
    ...CHUNKED_HELLO,
    unsafe: true,
  }],
  ["TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", {
    body: "chunked",
    data: "hello",
    unsafe: true,
  }],
  // TE.TE obfuscations
  ["TE: xchunked", te("xchunked"), E400("bad-transfer-encoding")],
  ["TE: leading space", te(" chunked"), CHUNKED_HELLO],
  ["TE: leading tab", post("Transfer-Encoding:\tchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), CHUNKED_HELLO],
  ["TE: trailing tab and spaces", te("chunked \t "), CHUNKED_HELLO],
  ["TE: mixed case, forwarded lowercase", te("ChUnKeD"), CHUNKED_HELLO],
  ["TE: chunked, identity", te("chunked, identity"), E400("bad-transfer-encoding")],
  ["TE: identity, chunked", te("identity, chunked"), { error: "unsupported-transfer-encoding", status: 501 }],
  ["TE: gzip, chunked", te("gzip, chunked"), { error: "unsupported-transfer-encoding", status: 501 }],
  ["TE: identity", te("identity"), E400("bad-transfer-encoding")],
  ["TE: gzip", te("gzip"), E400("bad-transfer-encoding")],
  ["TE: chunked,", te("chunked,"), E400("bad-transfer-encoding")],
  ["TE: ,chunked", te(",chunked"), E400("bad-transfer-encoding")],
  ["TE: chunked,,chunked", te("chunked,,chunked"), E400("bad-transfer-encoding")],
  ["TE: chunked, chunked", te("chunked, chunked"), E400("bad-transfer-encoding")],
  ["TE: empty", te(""), E400("bad-transfer-encoding")],
  ["TE: quoted", te('"chunked"'), E400("bad-transfer-encoding")],
  ["TE: chunked;q=1", te("chunked;q=1"), E400("bad-transfer-encoding")],
  ["TE: \\x0bchunked", post("Transfer-Encoding:\x0bchunked\r\n", "0\r\n\r\n"), E400("bad-transfer-encoding")],
  ["TE: \\x0cchunked", te("\x0cchunked"), E400("bad-transfer-encoding")],
  ["TE: chunked\\x0b", te("chunked\x0b"), E400("bad-transfer-encoding")],
  ["TE: chunk\\x00ed", te("chunk\x00ed"), E400("bad-header-value")],
  ["TE: CR inside", te("chu\rnked"), E400("bad-line-end")],
  [
    "TE twice",
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
    E400(
      "bad-transfer-encoding",
    ),
  ],
  [
    "TE chunked then identity",
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"),
    E400(
      "bad-transfer-encoding",
    ),
  ],
  ["TE gzip then chunked", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), {
    error: "unsupported-transfer-encoding",
    status: 501,
  }],
  ["TE obs-folded value", post("Transfer-Encoding:\r\n chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), CHUNKED_HELLO],
  [
    "TE obs-folded after chunked",
    post("Transfer-Encoding: chunked\r\n , identity\r\n", "0\r\n\r\n"),
    E400(
      "bad-transfer-encoding",
    ),
  ],
  ["TE space before colon", post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), E400("bad-header-name")],
  ["TE tab before colon", post("Transfer-Encoding\t: chunked\r\n", "0\r\n\r\n"), E400("bad-header-name")],
  ["TE NUL in name", post("Transfer-Encoding\x00: chunked\r\n", "0\r\n\r\n"), E400("bad-header-name")],
  ["TE name without colon", post("Transfer-Encoding chunked\r\n", "0\r\n\r\n"), E400("bad-header-name")],
  [
    "TE first line after a tab",
    "POST / HTTP/1.1\r\n\tTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    E400(
      "bad-header-name",
    ),
  ],
  ["TE line after a space: an obs-fold of the previous field", post(" Transfer-Encoding: chunked\r\n"), {
    body: "none",
    headers: [["host", "a   Transfer-Encoding: chunked"]],
  }],
  ["Transfer_Encoding is another field", post("Transfer_Encoding: chunked\r\n", ""), {
    body: "none",
    headers: [["host", "a"], ["transfer_encoding", "chunked"]],
  }],
  // Content-Length abuse
  ["CL twice, equal", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), {
    body: "length",
    data: "hello",
    headers: [["host", "a"], ["content-length", "5"]],
  }],
  ["CL twice, different", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), E400("bad-content-length")],
  ["CL: 5, 5", cl("5, 5"), { body: "length", data: "hello", headers: [["host", "a"], ["content-length", "5"]] }],
  ["CL: 5,6", cl("5,6"), E400("bad-content-length")],
  ["CL: 5,", cl("5,"), E400("bad-content-length")],
  ["CL: ,5", cl(",5"), E400("bad-content-length")],
  ["CL: +5", cl("+5"), E400("bad-content-length")],
  ["CL: -1", cl("-1"), E400("bad-content-length")],
  ["CL: 0x5", cl("0x5"), E400("bad-content-length")],
  ["CL: 5a", cl("5a"), E400("bad-content-length")],
  ["CL: 5 5", cl("5 5"), E400("bad-content-length")],
  ["CL: 5.0", cl("5.0"), E400("bad-content-length")],
  ["CL: 1e1", cl("1e1"), E400("bad-content-length")],
  ["CL: empty", cl(""), E400("bad-content-length")],
  ["CL: fullwidth digit", cl("\xef\xbc\x95"), E400("bad-content-length")],
  ["CL: 005 (kept as sent, as 2.6)", cl("005"), {
    body: "length",
    data: "hello",
    headers: [["host", "a"], ["content-length", "005"]],
  }],
  ["CL: ' 5 '", cl(" 5 "), { body: "length", data: "hello", headers: [["host", "a"], ["content-length", "5"]] }],
  ["CL: obs-folded", post("Content-Length:\r\n 5\r\n", "hello"), { body: "length", data: "hello" }],
  ["CL: NUL", cl("5\x00"), E400("bad-header-value")],
  ["CL: space before colon", post("Content-Length : 5\r\n", "hello"), E400("bad-header-name")],
  ["CL: 20 digits overflow", cl("99999999999999999999"), E400("bad-content-length")],
  ["CL: 2^63-1 (beyond 2^53)", cl("9223372036854775807"), { error: "body-too-large", status: 413 }],
  ["CL: 2^53-1", cl("9007199254740991"), { body: "length", data: "hello", complete: false }],
  ["CL on an HTTP/1.0 GET", "GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", {
    error: "body-not-allowed",
    status: 413,
  }],
  ["CL 0 on an HTTP/1.0 GET", "GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n", { body: "length", data: "" }],
  ["chunked HTTP/1.0 DELETE", "DELETE / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {
    error: "body-not-allowed",
    status: 413,
  }],
  // chunk-size abuse
  ["size: leading zeros", chunked("00005\r\nhello\r\n0\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["size: 17 digits, leading zeros", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n"), {
    body: "chunked",
    data: "hello",
  }],
  ["size: uppercase hex", chunked("A\r\n0123456789\r\n0\r\n\r\n"), { body: "chunked", data: "0123456789" }],
  ["size: 2^52-1 accepted", chunked("fffffffffffff\r\nhello"), { body: "chunked", data: "hello", complete: false }],
  ["size: 2^52 overflow", chunked("10000000000000\r\nhello"), E400("bad-chunk-size")],
  ["size: 64-bit overflow", chunked("ffffffffffffffff1\r\nhello"), E400("bad-chunk-size")],
  ["size: leading space", chunked(" 5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: leading tab", chunked("\t5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: trailing junk", chunked("5x\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: 0x5", chunked("0x5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: -5", chunked("-5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: +5", chunked("+5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: empty", chunked("\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: '5 5'", chunked("5 5\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["size: trailing space (HAProxy accepts)", chunked("5 \r\nhello\r\n0\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["size: NUL after", chunked("5\x00\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-size")],
  ["bare LF chunk lines (HAProxy accepts)", chunked("5\nhello\n0\n\n"), { body: "chunked", data: "hello" }],
  ["bare CR after size", chunked("5\rhello\r\n0\r\n\r\n"), E400("bad-line-end")],
  ["LF LF after size", chunked("5\n\nhello\r\n0\r\n\r\n"), E400("bad-chunk-end")],
  ["data longer than its size", chunked("5\r\nhelloX\r\n0\r\n\r\n"), E400("bad-chunk-end")],
  ["data shorter than its size", chunked("3\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-end")],
  ["CR CR LF after data", chunked("5\r\nhello\r\r\n0\r\n\r\n"), E400("bad-chunk-end")],
  // chunk extensions: RFC 9112 7.1.1, dropped when re-framed
  ["ext: name=token", chunked("5;foo=bar\r\nhello\r\n0\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["ext: BWS around ; and =", chunked("5 ; foo = bar ;baz\r\nhello\r\n0\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["ext: name only", chunked("5;foo\r\nhello\r\n0;x\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["ext: quoted value", chunked('5;foo="b a\\"r"\r\nhello\r\n0\r\n\r\n'), { body: "chunked", data: "hello" }],
  ["ext: empty value", chunked("5;foo=\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: no name", chunked("5;=bar\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: empty", chunked("5;\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: NUL", chunked("5;foo=bar\x00\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: CTL in name", chunked("5;f\x01o\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: @ in token value", chunked("5;foo=b@r\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  ["ext: bare LF ends it (HAProxy)", chunked("5;foo=bar\nhello\r\n0\r\n\r\n"), { body: "chunked", data: "hello" }],
  ["ext: CR inside", chunked("5;foo=b\rar\r\nhello\r\n0\r\n\r\n"), E400("bad-line-end")],
  ["ext: LF in a quoted value", chunked('5;foo="a\nb"\r\nhello\r\n0\r\n\r\n'), E400("bad-chunk-extension")],
  ["ext: unterminated quote", chunked('5;foo="bar\r\nhello\r\n0\r\n\r\n'), E400("bad-chunk-extension")],
  ["ext: high byte in a token", chunked("5;f\xe9=1\r\nhello\r\n0\r\n\r\n"), E400("bad-chunk-extension")],
  // trailers
  ["trailers forwarded lowercase", chunked("5\r\nhello\r\n0\r\nX-T: 1\r\nContent-Length: 50\r\n\r\n"), {
    body: "chunked",
    data: "hello",
  }],
  ["trailer with a bad name", chunked("0\r\nX T: 1\r\n\r\n"), E400("bad-header-name")],
  ["trailer with NUL", chunked("0\r\nX-T: a\x00\r\n\r\n"), E400("bad-header-value")],
  // field names and values
  ["name: 'X : v'", post("X : v\r\n"), E400("bad-header-name")],
  ["name: 'X\\t: v'", post("X\t: v\r\n"), E400("bad-header-name")],
  ["name: first line '\\tX: v'", "GET / HTTP/1.1\r\n\tX: v\r\n\r\n", E400("bad-header-name")],
  ["name: first line ' X: v'", "GET / HTTP/1.1\r\n X: v\r\n\r\n", E400("bad-header-name")],
  ["name: empty", post(": v\r\n"), E400("bad-header-name")],
  ["name: '@'", post("X@: v\r\n"), E400("bad-header-name")],
  ["name: '('", post("X(: v\r\n"), E400("bad-header-name")],
  ["name: high byte", post("X\xe9: v\r\n"), E400("bad-header-name")],
  ["name: \\x01", post("X\x01: v\r\n"), E400("bad-header-name")],
  ["name: no colon", post("X v\r\n"), E400("bad-header-name")],
  ["value: NUL", post("X: a\x00b\r\n"), E400("bad-header-value")],
  ["value: lone CR", post("X: a\rb\r\n"), E400("bad-line-end")],
  ["value: DEL, \\x01, obs-text kept (as HAProxy)", post("X: a\x7f\x01\xc3\xa9\r\n"), {
    body: "none",
    headers: [["host", "a"], ["x", "a\x7f\x01\xc3\xa9"]],
  }],
  ["value: trimmed", post("X:    v  w   \t\r\n"), { body: "none", headers: [["host", "a"], ["x", "v  w"]] }],
  ["value: obs-fold flattened (as HAProxy)", post("X: a\r\n  b\r\n\tc\r\n"), {
    body: "none",
    headers: [["host", "a"], ["x", "a    b  \tc"]],
  }],
  ["value: obs-fold with bare LF", post("X: a\n b\n"), { body: "none", headers: [["host", "a"], ["x", "a  b"]] }],
  ["value: obs-fold of an empty value", post("X:\r\n b\r\n"), { body: "none", headers: [["host", "a"], ["x", "b"]] }],
  ["line ends: bare LF everywhere", "POST / HTTP/1.1\nHost: a\nContent-Length: 2\n\nhi", {
    body: "length",
    data: "hi",
  }],
  ["line end: CR without LF after the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", E400("bad-line-end")],
  ["line end: CR without LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\rX", E400("bad-line-end")],
  // request line
  ["target: SP inside", "GET /a b HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["target: #", "GET /a#b HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["target: DEL", "GET /a\x7fb HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["target: 0x80 (2.6 fast-path bug: refused as upstream now)", "GET /a\x80b HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["target: 0xa0", "GET /a\xa0bc HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["method: G@T", "G@T / HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  ["version: lowercase", "GET / http/1.1\r\n\r\n", E400("bad-start-line")],
  ["version: HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", E400("bad-start-line")],
  ["version: HTTP/11", "GET / HTTP/11\r\n\r\n", E400("bad-start-line")],
  ["version: trailing space", "GET / HTTP/1.1 \r\n\r\n", E400("bad-start-line")],
  ["version: none (HTTP/0.9)", "GET /\r\n\r\n", E400("bad-start-line")],
  ["leading empty lines skipped", "\r\n\n\r\nGET / HTTP/1.1\r\n\r\n", { body: "none" }],
  ["leading space", " GET / HTTP/1.1\r\n\r\n", E400("bad-start-line")],
  // Host
  ["Host twice, equal: merged", "GET / HTTP/1.1\r\nHost: a.com\r\nHost: A.COM\r\n\r\n", {
    body: "none",
    headers: [["host", "a.com"]],
  }],
  ["Host twice, different", "GET / HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\n\r\n", E400("bad-host")],
  ["absolute target vs Host", "GET http://b.com/ HTTP/1.1\r\nHost: a.com\r\n\r\n", E400("bad-host")],
];

function check(name: string, raw: string, want: Expect, out: Outcome): void {
  if ("error" in want) {
    assert.equal(out.error?.reason, want.error, `${name}: ${JSON.stringify(out)}`);
    assert.equal(out.error?.status, want.status, name);
    assert.equal(out.error?.termination, "PR--", name);
    return;
  }
  assert.equal(out.error, undefined, `${name}: ${JSON.stringify(out.error)}`);
  const m = out.messages[0];
  assert.ok(m, `${name}: no message`);
  assert.equal(m.body, want.body, name);
  if (want.data !== undefined) assert.equal(m.data, want.data, name);
  if (want.headers) assert.deepEqual(m.head.headers, want.headers, name);
  assert.equal(m.unsafeFraming, want.unsafe ?? false, name);
  assert.equal(m.complete, want.complete ?? true, name);
  if (want.rest !== undefined) assert.equal(out.rest, want.rest, name);
  assert.equal(out.messages.length, 1, `${name}: ${raw.length - out.rest} bytes made one message`);
  // one framing only, and it is what the head says
  const names = m.head.headers.map(([n]) => n);
  if (m.body === "chunked") {
    assert.ok(!names.includes("content-length"), name);
    assert.deepEqual(m.head.headers.filter(([n]) => n === "transfer-encoding"), [["transfer-encoding", "chunked"]]);
  } else assert.ok(!names.includes("transfer-encoding"), name);
}

describe("smuggling: requests", () => {
  for (const [name, raw, want] of REQUESTS) {
    it(name, () => {
      const whole = requests(raw);
      check(name, raw, want, whole);
      for (const parts of splits(bytes(raw))) {
        const out = feed(new H1RequestParser(), parts);
        assert.deepEqual(out, whole, `${name}: split ${parts.map((p) => p.length).join("+")}`);
      }
    });
  }
});

const RESPONSES: [string, string, string, Expect][] = [
  [
    "CL and TE: chunked, CL removed",
    "GET",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    {
      body: "chunked",
      data: "hello",
      unsafe: true,
    },
  ],
  ["TE: gzip", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", {
    error: "bad-transfer-encoding",
    status: 502,
  }],
  ["TE: gzip, chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", {
    error: "bad-transfer-encoding",
    status: 502,
  }],
  ["TE: chunked, gzip", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", {
    error: "bad-transfer-encoding",
    status: 502,
  }],
  ["TE twice", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {
    error: "bad-transfer-encoding",
    status: 502,
  }],
  ["CL differing", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", {
    error: "bad-content-length",
    status: 502,
  }],
  ["CL: abc", "GET", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", { error: "bad-content-length", status: 502 }],
  ["bad chunk size", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", {
    error: "bad-chunk-size",
    status: 502,
  }],
  ["space before colon", "GET", "HTTP/1.1 200 OK\r\nX : y\r\n\r\n", { error: "bad-header-name", status: 502 }],
  ["status 2x0", "GET", "HTTP/1.1 2x0 OK\r\n\r\n", { error: "bad-start-line", status: 502 }],
  ["status 20", "GET", "HTTP/1.1 20 OK\r\n\r\n", { error: "bad-status", status: 502 }],
  ["status 099", "GET", "HTTP/1.1 099 OK\r\n\r\n", { error: "bad-status", status: 502 }],
  ["status 1000", "GET", "HTTP/1.1 1000 OK\r\n\r\n", { error: "bad-status", status: 502 }],
  ["version lowercase", "GET", "http/1.1 200 OK\r\n\r\n", { error: "bad-start-line", status: 502 }],
  ["junk instead of a status line", "GET", "hello\r\n\r\n", { error: "bad-start-line", status: 502 }],
  ["HEAD: CL kept, no body", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", {
    body: "none",
    headers: [["content-length", "5"]],
  }],
  ["204: CL dropped, no body", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", {
    body: "none",
    headers: [],
  }],
  ["304: CL kept, no body", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", {
    body: "none",
    headers: [["content-length", "5"]],
  }],
  ["no length: until close", "GET", "HTTP/1.1 200 OK\r\n\r\nabc", { body: "close", data: "abc" }],
  [
    "CONNECT 200: tunnel, framing fields dropped",
    "CONNECT",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n\x16\x03\x01",
    {
      body: "tunnel",
      data: "\x16\x03\x01",
      headers: [],
    },
  ],
  ["101 without an upgrade asked", "GET", "HTTP/1.1 101 Switching\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n", {
    error: "bad-upgrade",
    status: 502,
  }],
];

describe("smuggling: responses", () => {
  for (const [name, method, raw, want] of RESPONSES) {
    it(name, () => {
      const whole = responses(raw, method);
      if ("error" in want) {
        assert.equal(whole.error?.reason, want.error, `${name}: ${JSON.stringify(whole)}`);
        assert.equal(whole.error?.status, 502, name);
        assert.equal(whole.error?.termination, whole.error?.phase === "head" ? "PH--" : "PD--", name);
      } else {
        assert.equal(whole.error, undefined, `${name}: ${JSON.stringify(whole.error)}`);
        const m = whole.messages[0]!;
        assert.equal(m.body, want.body, name);
        if (want.data !== undefined) assert.equal(m.data, want.data, name);
        if (want.headers) assert.deepEqual(m.head.headers, want.headers, name);
        assert.equal(m.unsafeFraming, want.unsafe ?? false, name);
      }
      for (const parts of splits(bytes(raw))) {
        const out = feed(new H1ResponseParser(), parts, { end: true, expect: [[method, false]] });
        assert.deepEqual(out, whole, `${name}: split ${parts.map((p) => p.length).join("+")}`);
      }
    });
  }
});
