/**
 * `resolvers` sections, the server DNS options and `server-template` in haproxy.cfg, and the
 * typed configuration's checks (src/config/_cfg_resolvers.ts, _resolve_dns.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { ProxyError } from "../../src/errors.ts";

const BASE = `resolvers dns
  nameserver ns1 127.0.0.1:5353
  nameserver ns2 [::1]:53
  resolve_retries 5
  timeout resolve 2s
  timeout retry 300ms
  hold valid 20s
  hold nx 5s
  hold obsolete 4s
  accepted_payload_size 1232
backend be
`;

const refused = (text: string, re: RegExp) =>
  assert.throws(() => parseHaproxyConfig(text, "h.cfg"), (e: ProxyError) => {
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.match(e.message, re);
    return true;
  });

describe("haproxy.cfg DNS discovery", () => {
  it("reads a resolvers section with HAProxy's keywords and fills the defaults", () => {
    const cfg = parseHaproxyConfig(BASE + "  server s1 app.test:80 resolvers dns\n", "h.cfg");
    const r = resolveConfig(cfg).resolvers[0]!;
    assert.deepEqual(r, {
      name: "dns",
      nameservers: [
        { name: "ns1", address: { transport: "tcp", hostname: "127.0.0.1", port: 5353 } },
        { name: "ns2", address: { transport: "tcp", hostname: "::1", port: 53 } },
      ],
      resolveRetries: 5,
      resolveMs: 2000,
      retryMs: 300,
      hold: { validMs: 20000, nxMs: 5000, timeoutMs: 30000, refusedMs: 30000, otherMs: 30000, obsoleteMs: 4000 },
      acceptedPayloadSize: 1232,
    });
    assert.deepEqual(cfg.backends[0]!.servers[0]!.resolve, { resolvers: "dns", fqdn: "app.test", group: "s1" });
    assert.deepEqual(resolveConfig(cfg).backends[0]!.servers[0]!.resolve, {
      resolvers: "dns",
      fqdn: "app.test",
      prefer: "ipv6",
      ignoreWeight: false,
      initAddr: ["last", "libc", "none"],
      group: "s1",
    });
  });

  it("server-template makes COUNT or first-last servers sharing one resolution; SRV names take no port", () => {
    const cfg = parseHaproxyConfig(
      BASE +
        "  default-server resolvers dns resolve-prefer ipv4 init-addr none\n" +
        "  server-template web 3 app.test:8080 check\n" +
        "  server-template srv 5-6 _http._tcp.svc.test resolve-opts ignore-weight\n",
      "h.cfg",
    );
    const servers = resolveConfig(cfg).backends[0]!.servers;
    assert.deepEqual(servers.map((s) => s.name), ["web1", "web2", "web3", "srv5", "srv6"]);
    assert.deepEqual(servers.map((s) => s.resolve?.group), ["web", "web", "web", "srv", "srv"]);
    assert.deepEqual(servers[0]!.address, { transport: "tcp", hostname: "app.test", port: 8080 });
    assert.deepEqual(servers[3]!.address, { transport: "tcp", hostname: "_http._tcp.svc.test", port: 0 });
    assert.equal(servers[3]!.resolve?.ignoreWeight, true);
    assert.deepEqual(servers[0]!.resolve?.initAddr, ["none"]);
    assert.equal(servers[0]!.resolve?.prefer, "ipv4");
    assert.ok(servers[0]!.check !== undefined);
  });

  it("refuses bad lines naming the file, line and keyword", () => {
    refused(BASE + "  server s1 a.test:80 resolvers nope\n", /resolve\.resolvers: no resolvers section named "nope"/);
    refused(
      "resolvers dns\n  nameserver ns1 dns.example:53\n",
      /h\.cfg:2: 'nameserver' in section 'resolvers dns': 'dns\.example:53' must be an IP/,
    );
    refused(
      "resolvers dns\n  hold forever 1s\n  nameserver a 1.1.1.1:53\n",
      /h\.cfg:2: 'hold'.*'forever' is not one of valid, nx/,
    );
    refused("resolvers dns\n  wibble 1\n", /h\.cfg:2: .*unknown keyword 'wibble' in section 'resolvers dns'/);
    refused(
      "resolvers dns\n  timeout client 1s\n",
      /h\.cfg:2: 'timeout'.*'timeout client' is not 'resolve' or 'retry'/,
    );
    refused("resolvers dns\nbackend be\n", /h\.cfg:1: resolvers 'dns' has no 'nameserver'/);
    refused(BASE + "  server-template web 0 a.test:80 resolvers dns\n", /invalid range '0'/);
    refused(BASE + "  server-template web 2 a.test:80\n", /needs 'resolvers <id>'/);
    refused(
      BASE + "  server s1 a.test:80 resolvers dns init-addr libc,bogus\n",
      /'init-addr' expects last, libc, none or an IP address, got 'bogus'/,
    );
    refused(
      BASE + "  server s1 a.test:80 resolvers dns resolve-prefer ipv5\n",
      /'resolve-prefer' expects 'ipv4' or 'ipv6'/,
    );
    refused(
      BASE.replace("backend be", "resolvers dns\n  nameserver x 1.1.1.1:53\nbackend be"),
      /resolvers 'dns' is already defined at line 1/,
    );
  });

  it("the typed configuration names the key of a bad value", () => {
    const bad = (resolvers: unknown, re: RegExp) =>
      assert.throws(() => resolveConfig({ frontends: [], backends: [], resolvers } as never), re);
    bad([{ name: "d", nameservers: [] }], /resolvers\[0\]\.nameservers: must be a non-empty array/);
    bad(
      [{
        name: "d",
        nameservers: [{ name: "a", address: { transport: "tcp", hostname: "1.1.1.1", port: 53 } }],
        hold: { nxMs: -1 },
      }],
      /resolvers\[0\]\.hold\.nxMs: must be an integer 0\.\./,
    );
    bad(
      [
        { name: "d", nameservers: [{ name: "a", address: { transport: "tcp", hostname: "1.1.1.1", port: 53 } }] },
        { name: "d", nameservers: [{ name: "a", address: { transport: "tcp", hostname: "1.1.1.1", port: 53 } }] },
      ],
      /resolvers\[1\]\.name: duplicate resolvers name "d"/,
    );
  });
});
