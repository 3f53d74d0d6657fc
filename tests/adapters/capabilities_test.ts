/**
 * The capabilities as the core reads them when a configuration is loaded: every TLS setting of
 * issue 9 is accepted on the runtime running the tests (the gaps of Deno's and Bun's native TLS
 * are closed through their `node:tls` layer), and a setting an adapter lacks is refused when
 * the `ProxyServer` is built, with a message naming the runtime and the setting.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyServer } from "../../src/proxy.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { NetCapabilities, Network } from "../../src/net.ts";
import { nativeNetwork, runtime, tcp } from "../_helpers.ts";
import { certs } from "./_tls_kit.ts";

const net = await nativeNetwork();

/** A frontend with one TLS bind using every listener setting, and a TLS server. */
function config(): ProxyConfig {
  const c = certs();
  return {
    frontends: [{
      name: "fe",
      binds: [{
        address: tcp("127.0.0.1", 0),
        acceptProxy: true,
        tls: {
          certificates: [c.a, c.b, c.wild],
          requestClientCert: true,
          requireClientCert: true,
          caCerts: [c.ca],
          strictSni: true,
          minVersion: "TLSv1.3",
          alpnProtocols: ["http/1.1"],
        },
      }],
      defaultBackend: "be",
    }],
    backends: [{
      name: "be",
      servers: [{ name: "s1", address: tcp("127.0.0.1", 9), tls: { verify: false } }],
    }],
  } as unknown as ProxyConfig;
}

/** `net` with `cap` missing, for the reason given. */
function without(cap: keyof NetCapabilities, why: string): Network {
  const capabilities = { ...net.capabilities, [cap]: false, notes: { ...net.capabilities.notes, [cap]: why } };
  return { ...net, capabilities } as Network;
}

describe(`capabilities (${runtime})`, () => {
  it("accepts several certificates, client certificates, strict-sni, ssl-min-ver, accept-proxy ssl, verify none", () => {
    const caps = net.capabilities;
    for (
      const cap of [
        "tlsServer",
        "tlsSniMultiCert",
        "tlsServerClientAuth",
        "tlsServerUpgrade",
        "tlsClientNoVerify",
      ] as const
    ) {
      assert.equal(caps[cap], true, `${net.name}: ${cap}: ${caps.notes[cap] ?? ""}`);
    }
    assert.doesNotThrow(() => new ProxyServer(config(), { network: net, log: () => {} }));
  });

  it("refuses, when loaded, a setting the adapter lacks, naming the runtime and the setting", () => {
    for (
      const [cap, setting] of [
        ["tlsSniMultiCert", /several crt/],
        ["tlsServerClientAuth", /verify/],
        ["tlsServerUpgrade", /accept-proxy ssl/],
        ["tlsClientNoVerify", /verify none/],
      ] as const
    ) {
      assert.throws(
        () => new ProxyServer(config(), { network: without(cap, "the reason"), log: () => {} }),
        (e: Error) => {
          assert.equal((e as { code?: string }).code, "ERR_CAPABILITY_MISSING");
          assert.match(e.message, setting);
          assert.match(e.message, new RegExp(`'${cap}', which the ${net.name} adapter lacks: the reason`));
          return true;
        },
      );
    }
  });

  it("refuses reading the client's TLS details (ssl_fc_sni, %sslv...) where the adapter cannot tell them", () => {
    const base = config();
    const fe = {
      ...base.frontends[0]!,
      log: { target: "stdout", format: "tcplog", logFormat: "%ci %[ssl_fc_sni] %sslv" },
    };
    const cfg = { ...base, frontends: [fe] } as ProxyConfig;
    assert.throws(
      () => new ProxyServer(cfg, { network: without("tlsPeerInfo", "no SNI on native sockets"), log: () => {} }),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, "ERR_CAPABILITY_MISSING");
        assert.match(e.message, /'ssl_fc_sni' on a TLS bind: needs 'tlsPeerInfo', which the \w+ adapter lacks: no SNI/);
        return true;
      },
    );
    // ALPN and "TLS or not" every adapter tells: accepted.
    const alpn = { ...fe, log: { target: "stdout", format: "tcplog", logFormat: "%[ssl_fc] %[ssl_fc_alpn]" } };
    assert.doesNotThrow(() =>
      new ProxyServer({ ...base, frontends: [alpn] } as ProxyConfig, {
        network: without("tlsPeerInfo", "no SNI"),
        log: () => {},
      })
    );
  });
});
