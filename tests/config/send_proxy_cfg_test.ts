/**
 * `server` / `default-server` PROXY protocol options in haproxy.cfg (configuration.txt 5.2):
 * `send-proxy`, `send-proxy-v2`, `send-proxy-v2-ssl`, `send-proxy-v2-ssl-cn`,
 * `proxy-v2-options`, their `no-` forms and `check-send-proxy`, read as HAProxy 2.6 reads
 * them, and `sendProxy` checked by `resolveConfig()`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { ProxyConfig, ServerConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";

function parse(backendLines: readonly string[]): { cfg: ProxyConfig; warnings: string[] } {
  const warnings: string[] = [];
  const text = ["frontend fe", "  bind 127.0.0.1:18080", "  default_backend be", "backend be", ...backendLines].join(
    "\n",
  );
  const cfg = parseHaproxyConfig(text, "pp.cfg", { onWarning: (m) => warnings.push(m) });
  return { cfg, warnings };
}

function servers(...backendLines: string[]): ServerConfig[] {
  return [...parse(backendLines).cfg.backends[0]!.servers];
}

const one = (opts: string): ServerConfig => servers(`  server s 127.0.0.1:1 ${opts}`)[0]!;

describe("haproxy.cfg send-proxy options", () => {
  it("send-proxy is v1, send-proxy-v2 v2; v2 wins when both are set, as make_proxy_line()", () => {
    assert.deepEqual(one("send-proxy").sendProxy, { version: 1 });
    assert.deepEqual(one("send-proxy-v2").sendProxy, { version: 2 });
    assert.deepEqual(one("send-proxy send-proxy-v2").sendProxy, { version: 2 });
    assert.equal(one("check").sendProxy, undefined);
  });

  it("send-proxy-v2-ssl and -ssl-cn add the SSL TLV (and the CN); proxy-v2-options adds the rest", () => {
    assert.deepEqual(one("send-proxy-v2-ssl").sendProxy, { version: 2, v2Options: ["ssl"] });
    assert.deepEqual(one("send-proxy-v2-ssl-cn").sendProxy, { version: 2, v2Options: ["ssl", "cert-cn"] });
    assert.deepEqual(one("send-proxy-v2 proxy-v2-options authority,crc32c,unique-id").sendProxy, {
      version: 2,
      v2Options: ["authority", "unique-id", "crc32c"],
    });
    // cert-cn and ssl-cipher imply ssl (HAProxy's srv_parse_proxy_v2_options()).
    assert.deepEqual(one("send-proxy-v2 proxy-v2-options ssl-cipher").sendProxy, {
      version: 2,
      v2Options: ["ssl", "ssl-cipher"],
    });
  });

  it("proxy-v2-options without send-proxy-v2 sends a v1 line, as HAProxy 2.6 does (observed)", () => {
    assert.deepEqual(one("proxy-v2-options crc32c").sendProxy, { version: 1 });
  });

  it("cert-sig and cert-key are accepted with a warning (the runtimes do not expose them)", () => {
    const { cfg, warnings } = parse(["  server s 127.0.0.1:1 send-proxy-v2 proxy-v2-options cert-sig,cert-key"]);
    assert.deepEqual(cfg.backends[0]!.servers[0]!.sendProxy, { version: 2, v2Options: ["ssl"] });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^pp\.cfg:5: .*cert-sig/);
  });

  it("default-server options are inherited, and the no- forms clear them bit by bit", () => {
    const s = servers(
      "  default-server send-proxy-v2-ssl-cn proxy-v2-options crc32c",
      "  server a 127.0.0.1:1",
      "  server b 127.0.0.1:2 no-send-proxy-v2-ssl-cn",
      "  server c 127.0.0.1:3 no-send-proxy-v2",
      "  server d 127.0.0.1:4 no-send-proxy-v2-ssl-cn no-send-proxy-v2 send-proxy",
    );
    assert.deepEqual(s[0]!.sendProxy, { version: 2, v2Options: ["ssl", "cert-cn", "crc32c"] });
    // crc32c stays: pp_opts non-zero without V2 sends v1, as HAProxy.
    assert.deepEqual(s[1]!.sendProxy, { version: 1 });
    assert.deepEqual(s[2]!.sendProxy, { version: 1 });
    assert.deepEqual(s[3]!.sendProxy, { version: 1 });
    const t = servers(
      "  default-server send-proxy",
      "  server a 127.0.0.1:1 no-send-proxy",
      "  default-server no-send-proxy",
      "  server b 127.0.0.1:2",
      "  server c 127.0.0.1:3 no-send-proxy send-proxy",
    );
    assert.deepEqual(t.map((x) => x.sendProxy), [undefined, undefined, { version: 1 }]);
  });

  it("check-send-proxy goes to the server's check settings, inherited from default-server", () => {
    const s = servers(
      "  default-server check-send-proxy",
      "  server a 127.0.0.1:1 check port 9 send-proxy-v2",
      "  server b 127.0.0.1:2 check",
    );
    assert.deepEqual(s[0]!.check, { port: 9, sendProxy: true });
    assert.equal(s[0]!.sendProxy?.version, 2);
    assert.deepEqual(s[1]!.check, { sendProxy: true });
    assert.deepEqual(one("check").check, {});
  });

  it("an unknown proxy-v2-options word or a missing list is refused with file:line:", () => {
    for (
      const [opts, re] of [["proxy-v2-options foo", /'foo' : proxy v2 option not implemented/], [
        "proxy-v2-options",
        /expects a value/,
      ]] as const
    ) {
      assert.throws(() => parse([`  server s 127.0.0.1:1 send-proxy-v2 ${opts}`]), (e: unknown) => {
        assert.ok(isProxyError(e));
        assert.equal(e.code, "ERR_CONFIG_INVALID");
        assert.ok(e.message.startsWith("pp.cfg:5: "), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  });
});

describe("resolveConfig() sendProxy", () => {
  const base = (sendProxy: unknown) => ({
    frontends: [],
    backends: [{
      name: "be",
      servers: [{ name: "s", address: { transport: "tcp", hostname: "127.0.0.1", port: 1 }, sendProxy }],
    }],
  } as unknown as ProxyConfig);

  it("keeps a valid sendProxy and defaults its options to none", () => {
    const r = resolveConfig(base({ version: 2, v2Options: ["crc32c"] }));
    assert.deepEqual(r.backends[0]!.servers[0]!.sendProxy, { version: 2, v2Options: ["crc32c"] });
    assert.deepEqual(resolveConfig(base({ version: 1 })).backends[0]!.servers[0]!.sendProxy, {
      version: 1,
      v2Options: [],
    });
  });

  it("refuses a bad version or option, naming the key", () => {
    for (
      const [v, key] of [
        [{ version: 3 }, "backends[0].servers[0].sendProxy.version"],
        [{ version: 2, v2Options: ["nope"] }, "backends[0].servers[0].sendProxy.v2Options[0]"],
      ] as const
    ) {
      assert.throws(() => resolveConfig(base(v)), (e: unknown) => {
        assert.ok(isProxyError(e));
        assert.ok(e.message.includes(key), e.message);
        return true;
      });
    }
  });
});
