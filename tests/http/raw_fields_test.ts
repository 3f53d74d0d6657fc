/**
 * Parsed heads keep their fields as the bytes they arrived in until read
 * (`src/http/_parsed_head.ts`): serialized untouched, they give exactly the bytes the decoded
 * strings give, whatever the fields (case, obs-folds, a cleaned `Connection`, `te`, bytes above
 * 0x7F) and however the head was split; reading `headers` decodes them once, and changes made
 * then are what is serialized.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytes, text } from "./_h1.ts";
import { rawFields } from "../../src/http/_parsed_head.ts";
import { H1RequestParser, H1ResponseParser } from "../../src/http/parser.ts";
import { htxSize, type MessageHead, type RequestHead, type ResponseHead, setHeader } from "../../src/http/head.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import type { H1Event } from "../../src/http/events.ts";

const REQUESTS = [
  "GET /a?b=c HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: one\r\n  two\r\n\tthree\r\nX-After: 1\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade, X-Hop\r\nUpgrade: h2c\r\nX-Hop: 1\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nTE: gzip, trailers\r\nX-Te: te\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nTE: gzip\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9 \xff\r\nX-Long: " + "v".repeat(200) + "\r\n\r\n",
  "POST /p HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
  "GET / HTTP/1.1\r\n\r\n",
];
const RESPONSES = [
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 21:00:00 GMT\r\n" +
  'Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\nETag: "x"\r\n\r\nok',
  "HTTP/1.1 404 \r\nX-Fold: a\r\n b\r\nContent-Length: 0\r\n\r\n",
  "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n",
];

/** The heads of `raw` fed in pieces of `step` bytes (0: at once), kept as the parser gave them. */
function heads(kind: "request" | "response", raw: string, step = 0): MessageHead[] {
  const p = kind === "request" ? new H1RequestParser() : new H1ResponseParser();
  const out: MessageHead[] = [];
  const b = bytes(raw);
  const pull = () => {
    for (let ev: H1Event | null; (ev = p.read()) !== null;) {
      if (ev.type === "head") {
        out.push(ev.head);
        if (p instanceof H1ResponseParser) p.expect("GET");
      }
    }
  };
  if (p instanceof H1ResponseParser) p.expect("GET");
  for (let i = 0; i < b.length; i += step || b.length) {
    p.push(b.slice(i, i + (step || b.length)));
    pull();
  }
  return out;
}

/** The head serialized from its raw fields, then from its decoded strings. */
function bothWays(h: MessageHead): [string, string, number, number] {
  assert.ok(rawFields(h) !== undefined, "untouched: still raw");
  const size = htxSize(h);
  const fromRaw = text(serializeHead(h));
  assert.ok(h.headers.length >= 0);
  assert.equal(rawFields(h), undefined, "read: decoded");
  return [fromRaw, text(serializeHead(h)), size, htxSize(h)];
}

describe("raw fields of parsed heads", () => {
  it("serialize to the same bytes and HTX size as their decoded strings", () => {
    for (const r of REQUESTS) {
      const [a, b, sa, sb] = bothWays(heads("request", r)[0]!);
      assert.equal(a, b, JSON.stringify(r));
      assert.equal(sa, sb, JSON.stringify(r));
    }
    for (const r of RESPONSES) {
      const [a, b, sa, sb] = bothWays(heads("response", r)[0]!);
      assert.equal(a, b, JSON.stringify(r));
      assert.equal(sa, sb, JSON.stringify(r));
    }
  });

  it("lowercase names, flatten folds and keep a cleaned Connection, as the strings do", () => {
    const [a] = bothWays(heads("request", REQUESTS[2]!)[0]!);
    assert.equal(
      a,
      "GET / HTTP/1.1\r\nhost: h\r\nconnection: Upgrade,X-Hop\r\nupgrade: h2c\r\nx-hop: 1\r\n\r\n",
    );
    const [f] = bothWays(heads("request", REQUESTS[1]!)[0]!);
    assert.ok(f.includes("\r\nx-folded: one    two  \tthree\r\nx-after: 1\r\n"), JSON.stringify(f));
  });

  it("hold across splits: a split head keeps its copy while the next split head is read", () => {
    const two = REQUESTS[0]! + REQUESTS[5]!;
    const whole = heads("request", two).map((h) => text(serializeHead(h)));
    for (const step of [1, 3, 7, 50]) {
      // Both heads parsed before either is serialized: the first must not see the second's bytes.
      const split = heads("request", two, step);
      assert.deepEqual(split.map((h) => text(serializeHead(h))), whole, `step ${step}`);
    }
  });

  it("decode once read; changes made then are what goes out", () => {
    const h = heads("response", RESPONSES[0]!)[0]!;
    setHeader(h.headers, "server", "proxykit");
    const out = text(serializeHead(h));
    assert.match(out, /\r\nserver: proxykit\r\n/);
    assert.doesNotMatch(out, /nginx/);
    assert.deepEqual(JSON.parse(JSON.stringify(h)).headers[0], ["server", "proxykit"]);
  });

  it("read start lines part by part: case kept, status from its digits", () => {
    const r = heads("request", "get /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.0\r\n\r\n") as RequestHead[];
    assert.deepEqual(r.map((h) => [h.method, h.target, h.version]), [["get", "/x", "HTTP/1.1"], [
      "GET",
      "/y",
      "HTTP/1.0",
    ]]);
    const s = heads("response", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")[0] as ResponseHead;
    assert.deepEqual([s.version, s.status, s.reason], ["HTTP/1.1", 404, "Not Found"]);
  });
});
