/**
 * `ssl-max-ver` (bind, server, `ssl-default-bind-options`, `ssl-default-server-options`) and
 * the per-line `[sslbindconf]` of a `crt-list` in the haproxy.cfg loader, through an in-memory
 * file system: what each sets, and each error with the key and the file named.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type HaproxyConfigOptions, parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { BindConfig, ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { testCerts } from "../_certs.ts";

const certs = testCerts();

function files(extra: Record<string, string> = {}): HaproxyConfigOptions {
  const all: Record<string, string> = {
    "/c/a.pem": certs.a.pem,
    "/c/b.pem": certs.b.pem,
    "/c/wild.pem": certs.wild.pem,
    "/c/ca.pem": certs.ca.cert,
    ...extra,
  };
  return {
    readFile: (p) => {
      const t = all[p];
      if (t === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return t;
    },
  };
}

function parse(lines: readonly string[], options = files()): { cfg: ProxyConfig; warnings: string[] } {
  const warnings: string[] = [];
  const cfg = parseHaproxyConfig(lines.join("\n"), "t.cfg", { ...options, onWarning: (m) => warnings.push(m) });
  return { cfg, warnings };
}

function refuses(lines: readonly string[], line: number, message: string | RegExp, options = files()): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "t.cfg", options), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    if (typeof message === "string") assert.equal(e.message, `t.cfg:${line}: ${message}`);
    else assert.match(e.message, message);
    return true;
  });
}

/** A frontend whose line `1 + global.length + 2` is `bind` + `opts`. */
const fe = (opts: string, global: string[] = []): string[] => [
  ...(global.length > 0 ? ["global", ...global] : []),
  "frontend f",
  `  bind 127.0.0.1:8460 ${opts}`,
  "  default_backend b",
  "backend b",
  "  server s1 127.0.0.1:1",
];
const be = (opts: string, global: string[] = []): string[] => [
  ...(global.length > 0 ? ["global", ...global] : []),
  "frontend f",
  "  bind 127.0.0.1:8460",
  "  default_backend b",
  "backend b",
  `  server s1 127.0.0.1:1 ${opts}`,
];
const bindOf = (cfg: ProxyConfig): BindConfig => cfg.frontends[0]!.binds[0] as BindConfig;

describe("ssl-max-ver", () => {
  it("on bind and server lines, with ssl-min-ver; the typed configuration keeps both", () => {
    const { cfg } = parse(fe("ssl crt /c/a.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2"));
    assert.equal(bindOf(cfg).tls!.maxVersion, "TLSv1.2");
    assert.equal(bindOf(cfg).tls!.minVersion, "TLSv1.2");
    const resolved = resolveConfig(cfg);
    assert.equal(resolved.frontends[0]!.binds[0]!.tls!.maxVersion, "TLSv1.2");
    const srv = parse(be("ssl verify none ssl-max-ver TLSv1.2")).cfg.backends[0]!.servers[0]!;
    assert.equal(srv.tls?.maxVersion, "TLSv1.2");
    assert.equal(
      resolveConfig(parse(be("ssl verify none ssl-max-ver TLSv1.2")).cfg).backends[0]!.servers[0]!.tls
        ?.maxVersion,
      "TLSv1.2",
    );
  });

  it("global ssl-default-bind-options / ssl-default-server-options give the versions lines leave unset", () => {
    const g = [
      "  ssl-default-bind-options no-sslv3 ssl-max-ver TLSv1.2",
      "  ssl-default-server-options ssl-min-ver TLSv1.3",
    ];
    const { cfg } = parse(fe("ssl crt /c/a.pem", g));
    assert.equal(bindOf(cfg).tls!.maxVersion, "TLSv1.2");
    // The line's own version wins.
    assert.equal(bindOf(parse(fe("ssl crt /c/a.pem ssl-max-ver TLSv1.3", g)).cfg).tls!.maxVersion, "TLSv1.3");
    const srv = parse(be("ssl verify none", g)).cfg.backends[0]!.servers[0]!;
    assert.equal(srv.tls?.minVersion, "TLSv1.3");
    // A plain bind takes nothing from them.
    assert.equal("tls" in parse(fe("", g)).cfg.frontends[0]!.binds[0]!, false);
  });

  it("max below min is an error naming the keys, the bind or server, and the file", () => {
    refuses(
      fe("ssl crt /c/a.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"),
      2,
      "Proxy 'f': all SSL/TLS versions are disabled for bind '127.0.0.1:8460' ('ssl-min-ver TLSv1.3' is above " +
        "'ssl-max-ver TLSv1.2').",
    );
    refuses(
      be("ssl verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"),
      5,
      "Proxy 'b': all SSL/TLS versions are disabled for 'server b/s1' ('ssl-min-ver TLSv1.3' is above " +
        "'ssl-max-ver TLSv1.2').",
    );
    // The global default minimum against the line's maximum.
    refuses(
      fe("ssl crt /c/a.pem ssl-max-ver TLSv1.2", ["  ssl-default-bind-options ssl-min-ver TLSv1.3"]),
      4,
      /all SSL\/TLS versions are disabled/,
    );
    refuses(
      ["global", "  ssl-default-bind-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"],
      2,
      /ssl-default-bind-options.*'ssl-min-ver TLSv1\.3' is above 'ssl-max-ver TLSv1\.2'/,
    );
    assert.throws(
      () =>
        resolveConfig({
          ...parse(fe("ssl crt /c/a.pem")).cfg,
          frontends: [{
            name: "f",
            binds: [{
              address: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
              tls: {
                certificates: [{ cert: certs.a.cert, key: certs.a.key }],
                minVersion: "TLSv1.3",
                maxVersion: "TLSv1.2",
              },
            }],
            defaultBackend: "b",
          }],
        }),
      /binds\[0\]\.tls: all SSL\/TLS versions are disabled/,
    );
  });

  it("an unknown version is HAProxy's error; an old one is unsupported (a warning when lenient)", () => {
    refuses(
      fe("ssl crt /c/a.pem ssl-max-ver TLSv9"),
      2,
      "'bind 127.0.0.1:8460' in section 'frontend' : 'TLSv9' : unknown ssl/tls version",
    );
    refuses(
      fe("ssl crt /c/a.pem ssl-max-ver TLSv1.1"),
      2,
      /'ssl-max-ver TLSv1\.1': proxykit accepts TLSv1\.2 and TLSv1\.3 only/,
    );
  });
});

describe("crt-list [sslbindconf]", () => {
  const list = (text: string) => files({ "/c/list.txt": text });

  it("alpn, ssl-min-ver, ssl-max-ver, verify, ca-file on a line become that certificate's options; filters follow", () => {
    const { cfg } = parse(
      fe("ssl crt-list /c/list.txt alpn h2,http/1.1"),
      list(
        "/c/a.pem\n" +
          "/c/b.pem [alpn h2 ssl-min-ver TLSv1.3] b.test other.test\n" +
          "/c/wild.pem [ssl-max-ver TLSv1.2 verify required ca-file /c/ca.pem]\n" +
          "/c/a.pem [verify none alpn http/1.1] !*\n",
      ),
    );
    const tls = bindOf(cfg).tls!;
    assert.deepEqual(tls.alpnProtocols, ["h2", "http/1.1"]);
    const [a, b, wild, noVerify] = tls.certificates;
    assert.equal(a!.options, undefined);
    assert.deepEqual(b!.options, { alpnProtocols: ["h2"], minVersion: "TLSv1.3" });
    assert.deepEqual(b!.serverNames, ["b.test", "other.test"]);
    assert.deepEqual(wild!.options, {
      caCerts: [certs.ca.cert],
      maxVersion: "TLSv1.2",
      requestClientCert: true,
      requireClientCert: true,
    });
    assert.equal(wild!.serverNames, undefined);
    assert.deepEqual(noVerify!.options, {
      alpnProtocols: ["http/1.1"],
      requestClientCert: false,
      requireClientCert: false,
    });
    assert.deepEqual(noVerify!.serverNames, []);
    // The typed configuration keeps them.
    const resolved = resolveConfig(cfg).frontends[0]!.binds[0]!.tls!;
    assert.deepEqual(resolved.certificates[1]!.options, b!.options);
    assert.deepEqual(resolved.certificates[1]!.serverNames, ["b.test", "other.test"]);
  });

  it("brackets may touch words; [] sets nothing", () => {
    const { cfg } = parse(fe("ssl crt-list /c/list.txt"), list("/c/a.pem [alpn h2]a.test\n/c/b.pem []\n"));
    const [a, b] = bindOf(cfg).tls!.certificates;
    assert.deepEqual(a!.options, { alpnProtocols: ["h2"] });
    assert.deepEqual(a!.serverNames, ["a.test"]);
    assert.equal(b!.options, undefined);
  });

  it("an unknown keyword is an error naming the crt-list file and line; a known unsupported one is refused", () => {
    const who = "'bind 127.0.0.1:8460' in section 'frontend' : 'crt-list' : ";
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `${who}parsing [/c/list.txt:3]: unknown ssl keyword bogus`,
      list("# c\n/c/a.pem\n/c/b.pem [alpn h2 bogus 1]\n"),
    );
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `${who}parsing [/c/list.txt:1]: missing ']'`,
      list("/c/a.pem [alpn h2\n"),
    );
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `${who}parsing [/c/list.txt:1]: file must start with a cert`,
      list("[alpn h2] /c/a.pem\n"),
    );
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `'bind' in section 'frontend f': ${who}parsing [/c/list.txt:1]: ssl keyword 'ciphers' is not supported`,
      list("/c/a.pem [ciphers HIGH]\n"),
    );
    // A value missing inside the brackets.
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `${who}parsing [/c/list.txt:1]: 'alpn' : missing the comma-delimited ALPN protocol suite`,
      list("/c/a.pem [alpn] a.test\n"),
    );
    // Lenient: the unsupported keyword is a warning, the line loads.
    const { cfg, warnings } = parse(
      fe("ssl crt-list /c/list.txt"),
      { ...list("/c/a.pem [ciphers HIGH alpn h2]\n"), lenient: true } as HaproxyConfigOptions,
    );
    assert.deepEqual(bindOf(cfg).tls!.certificates[0]!.options, { alpnProtocols: ["h2"] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /list\.txt:1.*ciphers/);
  });

  it("a line's version range and verify are checked against the bind line's", () => {
    refuses(
      fe("ssl crt-list /c/list.txt ssl-min-ver TLSv1.3"),
      2,
      /all SSL\/TLS versions are disabled for bind '127\.0\.0\.1:8460' \(crt-list entry '\/c\/b\.pem'\)/,
      list("/c/a.pem\n/c/b.pem [ssl-max-ver TLSv1.2]\n"),
    );
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      /verify is enabled but no CA file specified for bind '127\.0\.0\.1:8460' \(crt-list entry '\/c\/b\.pem'\)/,
      list("/c/a.pem\n/c/b.pem [verify optional]\n"),
    );
    // The bind line's CA serves a line's verify.
    const { cfg } = parse(
      fe("ssl crt-list /c/list.txt ca-file /c/ca.pem"),
      list("/c/a.pem\n/c/b.pem [verify optional]\n"),
    );
    assert.deepEqual(bindOf(cfg).tls!.certificates[1]!.options, { requestClientCert: true, requireClientCert: false });
  });
});
