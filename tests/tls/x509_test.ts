import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pemBlocks, splitPem } from "../../src/tls/pem.ts";
import { formatDn, parsePemCertificate, sniNames, X509Error } from "../../src/tls/x509.ts";
import { testCerts } from "../_certs.ts";

const certs = testCerts();

describe("splitPem()", () => {
  it("splits certificate, key and chain in any order, ignoring text between blocks", () => {
    const text = `Bag Attributes\n${certs.a.key}junk\n${certs.a.cert}${certs.ca.cert}`;
    const p = splitPem(text);
    assert.equal(p.certificates.length, 2);
    assert.equal(p.key, certs.a.key);
    assert.equal(p.chain, certs.a.cert + certs.ca.cert);
  });

  it("a file without a key, or without a certificate", () => {
    assert.equal(splitPem(certs.a.cert).key, undefined);
    assert.deepEqual(splitPem("nothing here").certificates, []);
    assert.deepEqual(pemBlocks("-----BEGIN X-----\nAA\n-----END Y-----\n"), []);
  });
});

describe("parsePemCertificate()", () => {
  it("reads subject, issuer, SAN DNS names and notAfter", () => {
    const c = parsePemCertificate(certs.client.cert);
    assert.equal(formatDn(c.subject), "/C=FR/O=Acme/CN=client1");
    assert.equal(formatDn(c.issuer), "/CN=Test Root CA");
    assert.deepEqual(c.dnsNames, []);
    assert.ok(c.notAfter > Date.now());
    assert.ok(parsePemCertificate(certs.expired.cert).notAfter < Date.now());
  });

  it("indexes every SAN dNSName and every CN, lower-cased (HAProxy's SNI index)", () => {
    assert.deepEqual(sniNames(parsePemCertificate(certs.a.cert)), ["a.test"]);
    assert.deepEqual(sniNames(parsePemCertificate(certs.wild.cert)), ["*.wild.test"]);
    assert.deepEqual(
      sniNames({
        subject: [{ name: "CN", value: "Ignored-CN.test" }],
        issuer: [],
        dnsNames: ["SAN.test", "alt.test"],
        notAfter: 0,
      }),
      ["san.test", "alt.test", "ignored-cn.test"],
    );
  });

  it("refuses what is not a certificate", () => {
    assert.throws(() => parsePemCertificate("no pem"), X509Error);
    assert.throws(
      () => parsePemCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
      X509Error,
    );
  });
});
