import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate, parseSampleExpr } from "../../src/acl/expr.ts";
import { type SampleContext, toStr } from "../../src/acl/sample.ts";
import type { TlsInfo } from "../../src/net.ts";
import type { RequestHead } from "../../src/http/head.ts";

const REQ = { kind: "request", method: "GET", target: "/", version: "HTTP/1.1", headers: [] } as unknown as RequestHead;
const value = (expr: string, tls: TlsInfo | undefined): string | undefined => {
  const ctx: SampleContext = { request: REQ, tls };
  const s = evaluate(parseSampleExpr(expr).expr, ctx);
  return s === undefined ? undefined : toStr(s);
};

const TLS: TlsInfo = {
  alpnProtocol: "http/1.1",
  serverName: "UPPER.Test",
  protocol: "TLSv1.2",
  cipher: "ECDHE-RSA-AES128-GCM-SHA256",
  resumed: true,
  authorized: false,
  verifyError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  peerCommonName: "client1",
  peerSubject: "/C=FR/O=Acme/OU=a/OU=b/CN=client1",
  peerIssuer: "/CN=Test Root CA",
};

describe("TLS sample fetches", () => {
  it("read the client connection's handshake; the SNI keeps its case", () => {
    assert.equal(value("ssl_fc", TLS), "1");
    assert.equal(value("ssl_fc_sni", TLS), "UPPER.Test");
    assert.equal(value("ssl_fc_protocol", TLS), "TLSv1.2");
    assert.equal(value("ssl_fc_alpn", TLS), "http/1.1");
    assert.equal(value("ssl_fc_cipher", TLS), "ECDHE-RSA-AES128-GCM-SHA256");
    assert.equal(value("ssl_fc_is_resumed", TLS), "1");
    assert.equal(value("ssl_fc_has_crt", TLS), "1");
    assert.equal(value("ssl_c_used", TLS), "1");
    assert.equal(value("ssl_c_verify", TLS), "21");
  });

  it("ssl_c_s_dn / ssl_c_i_dn: whole name, an entry (first by default, occurrence from either end), rfc2253", () => {
    assert.equal(value("ssl_c_s_dn", TLS), "/C=FR/O=Acme/OU=a/OU=b/CN=client1");
    assert.equal(value("ssl_c_s_dn(CN)", TLS), "client1");
    assert.equal(value("ssl_c_s_dn(OU)", TLS), "a");
    assert.equal(value("ssl_c_s_dn(OU,2)", TLS), "b");
    assert.equal(value("ssl_c_s_dn(OU,-1)", TLS), "b");
    assert.equal(value("ssl_c_s_dn(L)", TLS), undefined);
    assert.equal(value("ssl_c_s_dn(,0,rfc2253)", TLS), "CN=client1,OU=b,OU=a,O=Acme,C=FR");
    assert.equal(value("ssl_c_i_dn", TLS), "/CN=Test Root CA");
  });

  it("find nothing on a plain connection (ssl_fc is 0) or for what the runtime does not expose", () => {
    assert.equal(value("ssl_fc", undefined), "0");
    assert.equal(value("ssl_fc_sni", undefined), undefined);
    assert.equal(value("ssl_c_s_dn", undefined), undefined);
    const bare: TlsInfo = { alpnProtocol: null };
    assert.equal(value("ssl_fc_alpn", bare), undefined);
    assert.equal(value("ssl_fc_sni", bare), undefined);
    assert.equal(value("ssl_c_used", bare), "0");
    assert.equal(value("ssl_c_verify", bare), "0");
  });
});
