/**
 * fast-check arbitraries of HTTP/1.1 messages for the fuzz tests: mostly well-formed pieces with
 * the framing abuses of public smuggling research mixed in (CL with TE, obfuscated TE, bad chunk
 * sizes and extensions, whitespace before colons, bare CR/LF, NUL), pipelined, mutated by
 * random edits, and cut at random points into chunks.
 *
 * @module
 */
import fc from "fast-check";
import { bytes } from "./_h1.ts";

/** Mostly `good` pieces, sometimes a `bad` one: most inputs get past the start line. */
const pick = (good: string[], bad: string[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 12 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
const eol = fc.oneof(
  { arbitrary: fc.constantFrom("\r\n", "\r\n", "\n"), weight: 40 },
  { arbitrary: fc.constantFrom("\r", "\r\r\n", ""), weight: 1 },
);
const colon = pick([": ", ":", ":\t", ":\r\n "], [" : ", ":\r\n", "\t:"]);
const fieldOf = (names: fc.Arbitrary<string>, values: fc.Arbitrary<string>) =>
  fc.tuple(names, colon, values, eol).map(([n, c, v, e]) => n + c + v + e);
const field = fc.oneof(
  fieldOf(
    pick(["Content-Length", "content-length"], ["Content-Length ", "\tContent-Length", "Content-Length\x00"]),
    pick(["0", "3", "5", "5", "005", "5, 5", " 5 "], ["+5", "-1", "0x5", "", "5,6", "5,", "99999999999999999999"]),
  ),
  fieldOf(
    pick(["Transfer-Encoding", "transfer-encoding"], [" Transfer-Encoding", "Transfer-Encoding ", "Transfer_Encoding"]),
    pick(["chunked", "ChUnKeD", " chunked", "chunked "], [
      "gzip, chunked",
      "chunked, identity",
      "chunked, chunked",
      "xchunked",
      "\x0bchunked",
      "chunked,",
      "",
      "identity",
    ]),
  ),
  fieldOf(fc.constant("Connection"), pick(["close", "keep-alive", "Upgrade", "x-hop, keep-alive"], ["", ","])),
  fieldOf(fc.constant("Host"), pick(["a.com", "A.com:80", "a.com:443"], ["b.com", "a.com, b.com", ""])),
  fieldOf(
    pick(["X-A", "Upgrade", "TE", "Sec-WebSocket-Key", "Sec-WebSocket-Accept", "Set-Cookie"], ["", "X\x00", "X A"]),
    pick(["v", "websocket", "trailers", "gzip, trailers", "v\r\n w", "h2c", "\xe9\x7f"], ["a\x00b", "a\rb"]),
  ),
);

/** A chunk whose size mostly matches its data (hex written in various ways), sometimes not. */
const chunk = fc.tuple(
  pick(["abc", "hello", "0123456789", "abcGET / HTTP/1.1\r\n\r\n"], ["ab"]),
  pick(["%x", "%X", "000%x"], [" %x", "0x%x", "-%x", "10000000000000", "", "%xx", "3"]),
  pick(["", "", ";x", ";x=y", ';x="a b"', " ; x = y"], [";", ";x=", ";\x00", ";x=\x01"]),
  eol,
  eol,
).map(([data, size, ext, e1, e2]) => {
  const hex = data.length.toString(16);
  const sized = size.replace("%x", hex).replace("%X", hex.toUpperCase());
  return sized + ext + e1 + data + e2;
});
const trailer = pick(["", "X-T: 1\r\n", "Content-Length: 3\r\n", "x-t:1\nx-u: 2\n"], ["Bad T: 1\r\n", "X: \x00\r\n"]);
const chunkedBody = fc.tuple(
  fc.array(chunk, { maxLength: 3 }),
  pick(["0", "000", "0;x=1"], ["", "0x0"]),
  eol,
  trailer,
  eol,
)
  .map(([cs, last, e1, t, e2]) => cs.join("") + last + e1 + t + e2);
/** The framing fields and a body that mostly goes with them. */
const framing = fc.oneof(
  fc.constant(["", ""]),
  pick(["", "abc", "hello"], ["GET / HTTP/1.1\r\n\r\n"]).map((b) => [`Content-Length: ${b.length}\r\n`, b]),
  chunkedBody.map((b) => ["Transfer-Encoding: chunked\r\n", b]),
  chunkedBody.map((b) => ["Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b]),
  fc.constantFrom("hello", "0\r\n\r\n").map((b) => ["", b]),
);

const line = (parts: fc.Arbitrary<string>[]) => fc.tuple(...parts).map((p) => p.join(""));
const message = (start: fc.Arbitrary<string>) =>
  fc.tuple(start, eol, fc.array(field, { maxLength: 4 }), framing, eol)
    .map(([l, e1, fs, [f, b], e2]) => l + e1 + fs.join("") + f + e2 + b);
const rare = (good: string[], bad: string[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 30 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });

const request = message(line([
  rare(["", "", "\r\n"], [" ", "\r"]),
  rare(["GET", "POST", "POST", "PUT", "DELETE", "OPTIONS"], ["CONNECT", "HEAD", "get", "G@T", "PRI"]),
  rare([" ", "\t", "  "], [""]),
  rare(["/", "/a?b=c", "http://a.com:80/x", "http://A.COM/"], ["*", "a.com:443", "a.com", "/a b", "/\x80", "/#"]),
  rare([" ", "\t", "  "], [""]),
  rare(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"], ["HTTP/2.0", "http/1.1", "HTTP/1.10", "", "HTTP/1.1 "]),
]));

const response = message(line([
  rare(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"], ["ABCD/1.1", "http/1.1", "HTTP/1.1 "]),
  rare([" ", "\t", "  "], [""]),
  rare(["200", "200", "204", "304", "404", "100", "101"], ["2x0", "20", "1000", "099"]),
  rare([" OK", "", " "], [" Bad\x00"]),
]));

/** Often none, else 1 to 3 edits: a byte inserted, a byte deleted, a slice duplicated. */
const mutated = (gen: fc.Arbitrary<string>) =>
  fc.tuple(
    gen,
    fc.oneof(
      { arbitrary: fc.constant([]), weight: 2 },
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.constantFrom("ins", "del", "dup"),
          fc.oneof(
            fc.constantFrom("\r", "\n", " ", "\t", "\x00", ":", ",", ";", "0", "a", "\xff"),
            fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
          ),
          fc.nat({ max: 40 }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  ).map(([s, edits]) => {
    for (const [at, op, ch, len] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (op === "ins") s = s.slice(0, i) + ch + s.slice(i);
      else if (op === "del") s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
    }
    return s;
  });

/** Requests, pipelined, mutated, with split points (where the bytes are cut into chunks). */
export const requestInput = fc.tuple(
  mutated(fc.array(request, { minLength: 1, maxLength: 3 }).map((r) => r.join(""))),
  fc.array(fc.nat(), { maxLength: 6 }),
);
export const responseInput = fc.tuple(
  mutated(fc.array(response, { minLength: 1, maxLength: 2 }).map((r) => r.join(""))),
  fc.array(fc.nat(), { maxLength: 6 }),
  fc.constantFrom("GET", "HEAD", "CONNECT", "POST"),
  fc.boolean(),
);

export function cut(raw: string, points: number[]): Uint8Array[] {
  const b = bytes(raw);
  const at = [...new Set(points.map((p) => (b.length === 0 ? 0 : p % b.length)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of at) {
    if (p > prev) out.push(b.slice(prev, p)); // separate buffers, so views are told apart
    prev = p;
  }
  out.push(b.slice(prev));
  return out;
}
