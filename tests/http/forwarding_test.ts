/**
 * Forwarding fields: `option forwardfor` as HAProxy 2.6 adds `x-forwarded-for` (observed),
 * and proxykit's `Forwarded` (RFC 7239, HAProxy 2.8's format) and `x-forwarded-proto`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  applyForwarding,
  compileForwarded,
  compileForwardedProto,
  compileForwardFor,
  type Forwarding,
  ForwardingError,
  validForwarded,
} from "../../src/http/forwarding.ts";
import type { ForwardedConfig, ForwardForConfig } from "../../src/config/http_types.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { ctx, get } from "../acl/_ctx.ts";
import { text } from "./_h1.ts";

const none: Forwarding = { forwardFor: undefined, forwarded: undefined, forwardedProto: undefined };
const ff = (c: ForwardForConfig): Forwarding => ({ ...none, forwardFor: compileForwardFor(c) });
const fwd = (c: ForwardedConfig): Forwarding => ({ ...none, forwarded: compileForwarded(c) });

/** The fields the origin gets (request line dropped). */
function fields(fe: Forwarding | undefined, be: Forwarding | undefined, raw: string, extra = {}): string {
  const c = ctx(raw, extra);
  applyForwarding(fe, be, c);
  return text(serializeHead(c.request)).split("\r\n").slice(1, -2).join("\n");
}

describe("option forwardfor (HAProxy 2.6, observed)", () => {
  it("appends a new x-forwarded-for line at the end, never merged, earlier ones kept", () => {
    assert.equal(
      fields(ff({}), undefined, get("/", "X-Forwarded-For: 1.2.3.4", "X-Forwarded-For: 5.6.7.8", "X-Last: z")),
      "x-forwarded-for: 1.2.3.4\nx-forwarded-for: 5.6.7.8\nx-last: z\nx-forwarded-for: 127.0.0.1",
    );
  });

  it("if-none adds nothing when the field exists (the client's value passes)", () => {
    assert.equal(
      fields(ff({ ifNone: true }), undefined, get("/", "X-Forwarded-For: 1.2.3.4")),
      "x-forwarded-for: 1.2.3.4",
    );
    assert.equal(fields(ff({ ifNone: true }), undefined, get("/")), "x-forwarded-for: 127.0.0.1");
  });

  it("except: nothing for a source in the network", () => {
    assert.equal(fields(ff({ except: "127.0.0.0/8" }), undefined, get("/")), "");
    assert.equal(fields(ff({ except: "10.0.0.0/8" }), undefined, get("/")), "x-forwarded-for: 127.0.0.1");
    assert.equal(fields(ff({ except: "::1/128" }), undefined, get("/"), { src: { address: "::1", port: 1 } }), "");
  });

  it("header: appended after any client copy", () => {
    assert.equal(
      fields(ff({ header: "X-Real-IP" }), undefined, get("/", "X-Real-IP: 9.9.9.9")),
      "x-real-ip: 9.9.9.9\nx-real-ip: 127.0.0.1",
    );
  });

  it("frontend and backend: backend's name, either's except, if-none only when no side always adds", () => {
    assert.equal(fields(ff({ header: "X-Fe" }), ff({ header: "X-Be" }), get("/")), "x-be: 127.0.0.1");
    assert.equal(fields(ff({ header: "X-Fe" }), none, get("/")), "x-fe: 127.0.0.1");
    assert.equal(fields(ff({}), ff({ except: "127.0.0.1" }), get("/")), "");
    const existing = get("/", "X-Forwarded-For: 1.1.1.1");
    assert.equal(
      fields(ff({ ifNone: true }), ff({}), existing),
      "x-forwarded-for: 1.1.1.1\nx-forwarded-for: 127.0.0.1",
    );
    assert.equal(fields(ff({ ifNone: true }), ff({ ifNone: true }), existing), "x-forwarded-for: 1.1.1.1");
  });

  it("addresses: dotted IPv4 (IPv4-mapped clients included), inet_ntop IPv6; nothing without a client address", () => {
    assert.equal(
      fields(ff({}), undefined, get("/"), { src: { address: "::ffff:10.1.2.3", port: 1 } }),
      "x-forwarded-for: 10.1.2.3",
    );
    assert.equal(
      fields(ff({}), undefined, get("/"), { src: { address: "2001:DB8:0:0:0:0:0:1", port: 1 } }),
      "x-forwarded-for: 2001:db8::1",
    );
    assert.equal(fields(ff({}), undefined, get("/"), { src: undefined }), "");
  });

  it("refuses what HAProxy refuses, with its messages", () => {
    assert.throws(() => compileForwardFor({ except: "foo" }), {
      message: "'option forwardfor except' expects <address>[/mask] as argument.",
    });
    assert.throws(() => compileForwardFor({ header: "a b" }), (e: unknown) => e instanceof ForwardingError);
  });
});

describe("Forwarded (RFC 7239, HAProxy 2.8's format)", () => {
  it("defaults to proto and for; parameters in HAProxy's order; IPv6 and ports quoted", () => {
    assert.equal(fields(fwd({}), undefined, get("/")), "forwarded: proto=http;for=127.0.0.1");
    assert.equal(fields(fwd({}), undefined, get("/"), { secure: true }), "forwarded: proto=https;for=127.0.0.1");
    assert.equal(
      fields(fwd({ host: true, by: true, forPort: true }), undefined, get("/", "Host: h.test:8080")),
      'host: h.test:8080\nforwarded: host="h.test:8080";by=127.0.0.1;for="127.0.0.1:40000"',
    );
    assert.equal(
      fields(fwd({ for: true, byPort: true }), undefined, get("/"), { src: { address: "::1", port: 5 } }),
      'forwarded: by="127.0.0.1:8080";for="[::1]"',
    );
    assert.equal(fields(fwd({ for: true }), undefined, get("/"), { src: undefined }), "forwarded: for=unknown");
  });

  it("client-supplied Forwarded fields are replaced unless append; append extends a valid chain only", () => {
    const raw = get("/", "Forwarded: for=1.2.3.4", "X: y");
    assert.equal(fields(fwd({}), undefined, raw), "x: y\nforwarded: proto=http;for=127.0.0.1");
    assert.equal(
      fields(fwd({ append: true }), undefined, raw),
      "forwarded: for=1.2.3.4, proto=http;for=127.0.0.1\nx: y",
    );
    assert.equal(
      fields(fwd({ append: true }), undefined, get("/", "Forwarded: secret=1")),
      "forwarded: secret=1\nforwarded: proto=http;for=127.0.0.1",
    );
  });

  it("the backend's option wins over the frontend's", () => {
    assert.equal(fields(fwd({ proto: true }), fwd({ for: true }), get("/")), "forwarded: for=127.0.0.1");
  });

  it("validates RFC 7239 lists as HAProxy does before extending them", () => {
    for (const v of ["for=1.2.3.4", 'for="[::1]:80";proto=https, for=5.6.7.8', 'For=x;By=y;Host="h";Proto=http']) {
      assert.equal(validForwarded(v), true, v);
    }
    for (const v of ["", "for", "for=1;for=2", "secret=1", 'for="unterminated', "for=a b"]) {
      assert.equal(validForwarded(v), false, v);
    }
  });
});

describe("x-forwarded-proto", () => {
  it("set from the client connection, replacing a client-supplied one unless if-none", () => {
    const proto = (c: object): Forwarding => ({ ...none, forwardedProto: compileForwardedProto(c) });
    assert.equal(fields(proto({}), undefined, get("/", "X-Forwarded-Proto: https")), "x-forwarded-proto: http");
    assert.equal(fields(proto({}), undefined, get("/"), { secure: true }), "x-forwarded-proto: https");
    assert.equal(
      fields(proto({ ifNone: true }), undefined, get("/", "X-Forwarded-Proto: https")),
      "x-forwarded-proto: https",
    );
    assert.equal(fields(proto({ header: "X-Scheme" }), undefined, get("/")), "x-scheme: http");
  });

  it("off unless configured: nothing is added or removed", () => {
    assert.equal(
      fields(none, none, get("/", "X-Forwarded-Proto: https", "Forwarded: for=x")),
      "x-forwarded-proto: https\nforwarded: for=x",
    );
  });
});
