/**
 * The responses the proxy produces itself: HAProxy 2.6's default messages, byte for byte (the
 * mux writes them raw, capitalised; streams write them through HTX, lowercased), and
 * `errorfile` replacements with HAProxy's validation messages.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  defaultErrorMessage,
  ERROR_STATUSES,
  ErrorFileError,
  ErrorPages,
  errorReply,
  parseErrorFile,
} from "../../src/http/error_pages.ts";
import { reasonPhrase } from "../../src/http/reason.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { text } from "./_h1.ts";

const html = (status: string, sentence: string) => `<html><body><h1>${status}</h1>\n${sentence}\n</body></html>\n`;

describe("default error messages (http_err_msgs[])", () => {
  /** [status, status line reason, Content-length, sentence], as HAProxy 2.6 sent them. */
  const rows: [number, string, number, string][] = [
    [400, "Bad request", 90, "Your browser sent an invalid request."],
    [403, "Forbidden", 93, "Request forbidden by administrative rules."],
    [408, "Request Time-out", 110, "Your browser didn't send a complete request in time."],
    [413, "Payload Too Large", 106, "The request entity exceeds the maximum allowed."],
    [422, "Unprocessable Content", 116, "The server cannot process the contained instructions."],
    [429, "Too Many Requests", 117, "You have sent too many requests in a given amount of time."],
    [500, "Internal Server Error", 97, "An internal server error occurred."],
    [501, "Not Implemented", 136, ".The server does not support the functionality required to fulfill the request."],
    [502, "Bad Gateway", 107, "The server returned an invalid or incomplete response."],
    [503, "Service Unavailable", 107, "No server is available to handle this request."],
    [504, "Gateway Time-out", 92, "The server didn't respond in time."],
  ];
  for (const [status, reason, length, sentence] of rows) {
    it(`${status}: raw (mux) and through HTX (stream)`, () => {
      const body = html(`${status} ${reason}`, sentence);
      assert.equal(body.length, length);
      const close = status === 400 || status === 408;
      assert.equal(
        defaultErrorMessage(status),
        `HTTP/1.1 ${status} ${reason}\r\nContent-length: ${length}\r\nCache-Control: no-cache\r\n` +
          (close ? "Connection: close\r\n" : "") + `Content-Type: text/html\r\n\r\n${body}`,
      );
      const r = new ErrorPages().reply(status)!;
      assert.equal(r.close, close);
      assert.equal(
        text(serializeHead(r.head, close ? { connection: "close" } : {})) + text(r.body),
        `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n` +
          (close ? "connection: close\r\n" : "") + `\r\n${body}`,
      );
    });
  }

  it("covers the statuses HAProxy 2.6 has messages for (errorfile, deny_status)", () => {
    assert.deepEqual(ERROR_STATUSES, [
      200,
      400,
      401,
      403,
      404,
      405,
      407,
      408,
      410,
      413,
      421,
      422,
      425,
      429,
      500,
      501,
      502,
      503,
      504,
    ]);
    assert.throws(() => defaultErrorMessage(418), RangeError);
  });

  it("each reply is a fresh copy", () => {
    const pages = new ErrorPages();
    pages.reply(503)!.head.headers.push(["x", "y"]);
    assert.equal(pages.reply(503)!.head.headers.length, 3);
  });
});

describe("errorfile", () => {
  const file = (s: string) => ({ status: 503, content: s, name: "/etc/e.http" });

  it("replaces the stream-level reply; the mux keeps the default message", () => {
    const pages = new ErrorPages([
      file("HTTP/1.1 503 Oops\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nbody"),
    ]);
    const r = pages.reply(503)!;
    assert.equal(r.close, true);
    assert.equal(
      text(serializeHead(r.head)) + text(r.body),
      "HTTP/1.1 503 Oops\r\ncontent-type: text/plain\r\n\r\nbody",
    );
    assert.equal(text(pages.raw(503)!), defaultErrorMessage(503));
    assert.equal(pages.reply(403)!.status, 403);
  });

  it("an empty file sends nothing, in both writers", () => {
    const pages = new ErrorPages([{ status: 408, content: "", name: "/dev/null" }]);
    assert.equal(pages.reply(408), undefined);
    assert.equal(pages.raw(408), undefined);
  });

  it("the backend's replacement wins, then the frontend's, then the default", () => {
    const be = new ErrorPages([file("HTTP/1.1 503 BE\r\n\r\n")]);
    const fe = new ErrorPages([file("HTTP/1.1 503 FE\r\n\r\n"), {
      status: 403,
      content: "HTTP/1.1 403 FE\r\n\r\n",
      name: "f",
    }]);
    assert.equal(errorReply(503, be, fe)?.head.reason, "BE");
    assert.equal(errorReply(403, be, fe)?.head.reason, "FE");
    assert.equal(errorReply(500, be, fe)?.head.reason, "Internal Server Error");
    assert.equal(errorReply(503, undefined, fe)?.head.reason, "FE");
  });

  /** [content, HAProxy's message after `errorfile : `]. */
  const invalid: [string, string][] = [
    ["garbage", "'/etc/e.http': unable to parse headers (error offset: 0)"],
    ["HTTP/1.1 503 Oops\r\n", "'/etc/e.http': unable to parse headers (error offset: -2)"],
    [
      "HTTP/1.1 503 Oops\r\nContent-Length: 10\r\n\r\nbody",
      "'/etc/e.http': payload size does not match the announced content-length (4 != 10)",
    ],
    [
      "HTTP/1.1 503 Oops\r\nContent-Length: 2\r\n\r\nbody",
      "'/etc/e.http': payload size does not match the announced content-length (4 != 2)",
    ],
    [
      "HTTP/1.1 503 Oops\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
      "'/etc/e.http': chunk-encoded payload not supported",
    ],
  ];
  for (const [content, message] of invalid) {
    it(`refused: ${JSON.stringify(content.slice(0, 30))}`, () => {
      assert.throws(
        () => new ErrorPages([file(content)]),
        (e: unknown) => e instanceof ErrorFileError && e.message === message,
      );
    });
  }

  it("accepted: a body without Content-Length, another status, bare LFs", () => {
    assert.equal(text(parseErrorFile("HTTP/1.1 503 Oops\r\nContent-Type: text/plain\r\n\r\nbody", "f")!.body), "body");
    assert.equal(parseErrorFile("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", "f")!.status, 200);
    assert.equal(text(parseErrorFile("HTTP/1.1 503 Oops\nContent-Length: 4\n\nbody", "f")!.body), "body");
    assert.throws(() => new ErrorPages([{ status: 299, content: "x", name: "f" }]), {
      message: "status code '299' not handled.",
    });
  });
});

describe("reason phrases of HAProxy's own replies (http_get_reason())", () => {
  it("differ from RFC 9110 where HAProxy 2.6 does", () => {
    const rows: [number, string][] = [
      [200, "OK"],
      [302, "Moved Temporarily"],
      [408, "Request Time-out"],
      [413, "Request Entity Too Large"],
      [418, "I'm a teapot"],
      [425, "Too Early"],
      [499, "client has closed connection"],
      [502, "Bad Gateway or Proxy Error"],
      [504, "Gateway Time-out"],
      [299, "Success"],
      [399, "Redirection"],
      [498, "Client Error"],
      [599, "Server Error"],
    ];
    for (const [status, reason] of rows) assert.equal(reasonPhrase(status), reason, String(status));
  });
});
