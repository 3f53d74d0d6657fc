/**
 * `bind ... ssl` and `server ... ssl` keywords of the haproxy.cfg loader, read through an
 * in-memory file system: every keyword, and every error with `file:line:` and HAProxy 2.6's
 * wording (observed with `haproxy -c`, TLS_ACL_OPS.md A and B).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type HaproxyConfigOptions, parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import type { BindConfig, ProxyConfig } from "../../src/config/types.ts";
import { isProxyError } from "../../src/errors.ts";
import { testCerts } from "../_certs.ts";

const certs = testCerts();

/** A file system of `files`; a path ending in `/` listed in `dirs` is a folder. */
function fs(files: Record<string, string>, dirs: Record<string, string[]> = {}): HaproxyConfigOptions {
  const enoent = (p: string) =>
    Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: "ENOENT" });
  return {
    readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw enoent(p);
      return t;
    },
    readDir: (p) => {
      const d = dirs[p.replace(/\/+$/, "")];
      if (d !== undefined) return d;
      if (files[p] === undefined) throw enoent(p);
      return undefined;
    },
  };
}

const FILES = fs({
  "/c/a.pem": certs.a.pem,
  "/c/b.pem": certs.b.pem,
  "/c/wild.pem": certs.wild.pem,
  "/c/a.crt": certs.a.cert,
  "/c/a.crt.key": certs.a.key,
  "/c/nokey.crt": certs.b.cert,
  "/c/ca.pem": certs.ca.cert,
  "/c/client.pem": certs.client.pem,
  "/c/garbage.pem": "not a certificate\n",
  "/c/list.txt": "# comment\n/c/a.pem !*\n/c/b.pem listed.test other.test\n\n/c/wild.pem\n",
  "/d/a.pem": certs.a.pem,
  "/d/b.pem": certs.b.pem,
  "/d/b.pem.key": certs.b.key,
}, { "/d": ["b.pem", "b.pem.key", ".hidden", "x.ocsp", "a.pem"] });

function parse(
  lines: readonly string[],
  options: HaproxyConfigOptions = FILES,
): { cfg: ProxyConfig; warnings: string[] } {
  const warnings: string[] = [];
  const cfg = parseHaproxyConfig(lines.join("\n"), "t.cfg", { ...options, onWarning: (m) => warnings.push(m) });
  return { cfg, warnings };
}

function refuses(lines: readonly string[], line: number, message: string, options: HaproxyConfigOptions = FILES): void {
  assert.throws(() => parseHaproxyConfig(lines.join("\n"), "t.cfg", options), (e: unknown) => {
    assert.ok(isProxyError(e), String(e));
    assert.equal(e.code, "ERR_CONFIG_INVALID");
    assert.equal(e.message, `t.cfg:${line}: ${message}`);
    return true;
  });
}

/** A frontend whose line 2 is `bind` + `opts`, and a plain backend. */
const fe = (opts: string, mode = "tcp"): string[] => [
  "frontend f",
  `  bind 127.0.0.1:8460 ${opts}`,
  `  mode ${mode}`,
  "  default_backend b",
  "backend b",
  `  mode ${mode}`,
  "  server s1 127.0.0.1:1",
];
/** A backend whose line 7 is `server s1 127.0.0.1:1` + `opts`. */
const be = (opts: string, global: string[] = []): string[] => [
  ...(global.length > 0 ? ["global", ...global] : ["global", "  maxconn 100"]),
  "frontend f",
  "  bind 127.0.0.1:8460",
  "  default_backend b",
  "backend b",
  `  server s1 127.0.0.1:1 ${opts}`,
];

const bindOf = (cfg: ProxyConfig): BindConfig => cfg.frontends[0]!.binds[0] as BindConfig;

describe("bind ... ssl", () => {
  it("crt FILE (repeatable): certificates in order, SNI names filled from each certificate once resolved", () => {
    const { cfg } = parse(fe("ssl crt /c/a.pem crt /c/b.pem crt /c/wild.pem"));
    const tls = bindOf(cfg).tls!;
    assert.deepEqual(tls.certificates.map((c) => c.cert), [certs.a.cert, certs.b.cert, certs.wild.cert]);
    assert.equal(tls.certificates[0]!.key, certs.a.key);
    const resolved = resolveConfig(cfg).frontends[0]!.binds[0]!.tls!;
    assert.deepEqual(resolved.certificates.map((c) => c.serverNames), [["a.test"], ["b.test"], ["*.wild.test"]]);
  });

  it("crt FILE without a key takes FILE.key, as HAProxy", () => {
    const { cfg } = parse(fe("ssl crt /c/a.crt"));
    assert.equal(bindOf(cfg).tls!.certificates[0]!.key, certs.a.key);
    refuses(
      fe("ssl crt /c/nokey.crt"),
      2,
      "'bind 127.0.0.1:8460' in section 'frontend' : No Private Key found in '/c/nokey.crt.key'.",
    );
  });

  it("crt DIR loads its files in alphabetical order, skipping dotfiles and .key/.issuer/.ocsp/.sctl", () => {
    const { cfg } = parse(fe("ssl crt /d/"));
    assert.deepEqual(bindOf(cfg).tls!.certificates.map((c) => c.cert), [certs.a.cert, certs.b.cert]);
  });

  it("crt-list: SNI filters replace the certificate's names, !* keeps the default out of the index", () => {
    const { cfg } = parse(fe("ssl crt-list /c/list.txt"));
    const list = bindOf(cfg).tls!.certificates;
    assert.deepEqual(list.map((c) => c.serverNames), [[], ["listed.test", "other.test"], undefined]);
    const resolved = resolveConfig(cfg).frontends[0]!.binds[0]!.tls!;
    assert.deepEqual(resolved.certificates[2]!.serverNames, ["*.wild.test"]);
    refuses(
      fe("ssl crt-list /c/none.txt"),
      2,
      "'bind 127.0.0.1:8460' in section 'frontend' : 'crt-list' : cannot open file '/c/none.txt' : No such file or directory",
    );
  });

  it("alpn, ssl-min-ver, verify, ca-file, ca-verify-file, strict-sni, no-tls-tickets, name", () => {
    const { cfg } = parse(
      fe(
        "ssl crt /c/a.pem alpn h2,http/1.1 ssl-min-ver TLSv1.3 verify required ca-file /c/ca.pem strict-sni no-tls-tickets name web",
      ),
    );
    const b = bindOf(cfg);
    const { certificates: _, ...tls } = b.tls!;
    assert.deepEqual(tls, {
      alpnProtocols: ["h2", "http/1.1"],
      minVersion: "TLSv1.3",
      caCerts: [certs.ca.cert],
      requestClientCert: true,
      requireClientCert: true,
      strictSni: true,
    });
    assert.equal(b.name, "web");
    const opt = bindOf(parse(fe("ssl crt /c/a.pem verify optional ca-verify-file /c/ca.pem")).cfg).tls!;
    assert.equal(opt.requestClientCert, true);
    assert.equal(opt.requireClientCert, undefined);
    assert.equal(bindOf(parse(fe("ssl crt /c/a.pem verify none")).cfg).tls!.requestClientCert, undefined);
  });

  it("crt without ssl is accepted and the listener stays plain, as HAProxy", () => {
    assert.equal(bindOf(parse(fe("crt /c/a.pem")).cfg).tls, undefined);
  });

  it("alpn h2 in mode http is dropped with a warning (HTTP/1.1 only)", () => {
    const { cfg, warnings } = parse(fe("ssl crt /c/a.pem alpn h2,http/1.1", "http"));
    assert.deepEqual(bindOf(cfg).tls!.alpnProtocols, ["http/1.1"]);
    assert.match(warnings.join("\n"), /t\.cfg:1: frontend 'f': 'alpn h2' dropped/);
  });

  it("refuses with HAProxy's messages, naming the file and line", () => {
    const w = "'bind 127.0.0.1:8460' in section 'frontend' : ";
    refuses(
      fe("ssl crt /c/none.pem"),
      2,
      `${w}unable to stat SSL certificate from file '/c/none.pem' : No such file or directory.`,
    );
    refuses(fe("ssl crt /c/garbage.pem"), 2, `${w}unable to load certificate from file '/c/garbage.pem'.`);
    refuses(fe("ssl crt"), 2, `${w}'crt' : missing certificate location`);
    refuses(fe("ssl"), 2, "Proxy 'f': no SSL certificate specified for bind '127.0.0.1:8460' (use 'crt').");
    refuses(
      fe("ssl crt /c/a.pem verify required"),
      2,
      "Proxy 'f': verify is enabled but no CA file specified for bind '127.0.0.1:8460'.",
    );
    refuses(
      fe("ssl crt /c/a.pem verify maybe"),
      2,
      `${w}'verify' : unknown verify method 'maybe', only 'none', 'optional', and 'required' are supported`,
    );
    refuses(fe("ssl crt /c/a.pem ssl-min-ver TLSv1.4"), 2, `${w}'TLSv1.4' : unknown ssl/tls version`);
    refuses(fe("ssl crt /c/a.pem alpn"), 2, `${w}'alpn' : missing the comma-delimited ALPN protocol suite`);
    refuses(fe("ssl crt /c/a.pem ca-file"), 2, `${w}'ca-file' : missing CAfile path`);
    refuses(fe("ssl crt /c/a.pem verify optional ca-file /c/no.pem"), 2, `${w}'ca-file' : unable to load /c/no.pem`);
    assert.throws(
      () => parse(fe("ssl crt /c/a.pem ssl-min-ver TLSv1.1")),
      /proxykit accepts TLSv1\.2 and TLSv1\.3 only/,
    );
    assert.throws(() => parse(fe("ssl crt /c/a.pem"), {}), /t\.cfg:2: .*no file reader was given/);
  });

  it("crt-base prefixes relative crt paths", () => {
    const { cfg } = parse(["global", "  crt-base /c", ...fe("ssl crt a.pem")]);
    assert.equal(bindOf(cfg).tls!.certificates[0]!.cert, certs.a.cert);
  });
});

describe("server ... ssl", () => {
  const srv = (cfg: ProxyConfig) => cfg.backends[0]!.servers[0]!;

  it("verify required is the default and needs a CA: HAProxy's message", () => {
    refuses(
      be("ssl"),
      7,
      "'server b/s1' : verify is enabled by default but no CA file specified. If you're running on a LAN where " +
        "you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the " +
        "'server' line, or use 'ssl-server-verify none' in the global section to disable server-side " +
        "verifications by default.",
    );
    refuses(be("ssl verify required"), 7, /* same */ refusedMessage());
  });

  it("ssl ca-file, verify none, @system-ca, ssl-server-verify none", () => {
    assert.deepEqual(srv(parse(be("ssl ca-file /c/ca.pem")).cfg).tls, { verify: true, caCerts: [certs.ca.cert] });
    assert.deepEqual(srv(parse(be("ssl verify none")).cfg).tls, { verify: false });
    assert.deepEqual(srv(parse(be("ssl ca-file @system-ca")).cfg).tls, { verify: true, systemCa: true });
    assert.deepEqual(srv(parse(be("ssl", ["  ssl-server-verify none"])).cfg).tls, { verify: false });
  });

  it("sni, verifyhost, alpn, crt, ssl-min-ver", () => {
    const tls = srv(
      parse(
        be(
          "ssl verify required ca-file /c/ca.pem sni req.hdr(host),field(1,:) verifyhost a.test alpn h2,http/1.1 crt /c/client.pem ssl-min-ver TLSv1.3",
        ),
      ).cfg,
    ).tls;
    assert.deepEqual(tls, {
      verify: true,
      caCerts: [certs.ca.cert],
      sni: "req.hdr(host),field(1,:)",
      verifyHost: "a.test",
      alpnProtocols: ["h2", "http/1.1"],
      cert: certs.client.cert,
      key: certs.client.key,
      minVersion: "TLSv1.3",
    });
  });

  it("TLS options without ssl leave the server plain; no-ssl overrides default-server ssl", () => {
    assert.equal(srv(parse(be("verify required")).cfg).tls, undefined);
    const lines = be("no-ssl");
    lines.splice(6, 0, "  default-server ssl verify none");
    assert.equal(srv(parse(lines).cfg).tls, undefined);
    lines[7] = "  server s1 127.0.0.1:1";
    assert.deepEqual(srv(parse(lines).cfg).tls, { verify: false });
  });

  it("check over TLS: automatic with ssl unless port moves it, check-ssl, check-sni", () => {
    const checkOf = (opts: string) => resolveConfig(parse(be(opts)).cfg).backends[0]!.servers[0]!.check!;
    assert.equal(checkOf("ssl verify none check").ssl, true);
    assert.equal(checkOf("ssl verify none check port 81").ssl ?? false, false);
    assert.equal(checkOf("check check-ssl verify none").ssl, true);
    assert.equal(checkOf("check").ssl ?? false, false);
    assert.equal(checkOf("ssl verify none check check-sni c.test").sni, "c.test");
  });

  it("refuses with HAProxy's messages", () => {
    const w = "'server b/s1' : ";
    refuses(be("ssl ca-file /c/no.pem"), 7, `${w}Couldn't open the ca-file '/c/no.pem' (No such file or directory).`);
    refuses(
      be("ssl ca-file /c/garbage.pem"),
      7,
      `${w}Couldn't open the ca-file '/c/garbage.pem' (no certificate or crl found).`,
    );
    refuses(
      be("ssl verify none crt /c/no.pem"),
      7,
      `${w}unable to stat SSL certificate from file '/c/no.pem' : No such file or directory.`,
    );
    refuses(
      be("ssl verify maybe"),
      7,
      `${w}'verify' : unknown verify method 'maybe', only 'none' and 'required' are supported.`,
    );
    refuses(be("ssl verify none sni"), 7, `${w}'sni' : missing sni expression.`);
    refuses(
      be("ssl verify none sni nosuchfetch"),
      7,
      `${w}error detected while parsing sni expression : unknown fetch method 'nosuchfetch'`,
    );
    refuses(be("ssl verify none ssl-min-ver TLSv9"), 7, `${w}'TLSv9' : unknown ssl/tls version`);
    refuses(be("ssl verify none verifyhost"), 7, `${w}'verifyhost' : missing hostname to verify against.`);
    refuses(be("ssl verify none check-sni"), 7, `${w}'check-sni' : missing SNI.`);
    refuses(be("ssl verify none alpn"), 7, `${w}'alpn' : missing the comma-delimited ALPN protocol suite`);
  });
});

function refusedMessage(): string {
  return "'server b/s1' : verify is enabled by default but no CA file specified. If you're running on a LAN where " +
    "you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the " +
    "'server' line, or use 'ssl-server-verify none' in the global section to disable server-side " +
    "verifications by default.";
}

describe("resolveConfig() TLS checks (typed API)", () => {
  const base = (tls: unknown, server: unknown = {}): ProxyConfig => ({
    frontends: [{
      name: "f",
      binds: [
        {
          address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
          ...(tls === undefined ? {} : { tls }),
        } as BindConfig,
      ],
      defaultBackend: "b",
    }],
    backends: [{
      name: "b",
      servers: [{ name: "s", address: { transport: "tcp", hostname: "127.0.0.1", port: 1 }, ...server as object }],
    }],
  });
  const invalid = (config: ProxyConfig, re: RegExp) =>
    assert.throws(
      () => resolveConfig(config),
      (e: unknown) => isProxyError(e) && e.code === "ERR_CONFIG_INVALID" && re.test(e.message),
    );

  it("server tls: verify defaults to true and needs caCerts or systemCa", () => {
    invalid(
      base(undefined, { tls: {} }),
      /^backends\[0\]\.servers\[0\]\.tls: verify is enabled by default but no CA file specified/,
    );
    assert.equal(
      resolveConfig(base(undefined, { tls: { verify: false } })).backends[0]!.servers[0]!.tls!.verify,
      false,
    );
    invalid(
      base(undefined, { tls: { verify: false, sni: "nope(" } }),
      /\.tls\.sni: error detected while parsing sni expression/,
    );
    invalid(base(undefined, { tls: { verify: false, cert: certs.client.cert } }), /cert and key go together/);
  });

  it("bind tls: a client certificate request needs caCerts; certificates must parse", () => {
    const cert = { cert: certs.a.cert, key: certs.a.key };
    invalid(
      base({ certificates: [cert], requestClientCert: true }),
      /binds\[0\]\.tls: verify is enabled but no CA file specified/,
    );
    invalid(base({ certificates: [] }), /binds\[0\]\.tls\.certificates: must hold at least one certificate/);
    invalid(
      base({ certificates: [{ cert: "x", key: certs.a.key }] }),
      /certificates\[0\]\.cert: must be a PEM certificate chain/,
    );
    const ok = resolveConfig(
      base({
        certificates: [cert, { ...cert, serverNames: ["X.Test"] }],
        requireClientCert: true,
        caCerts: [certs.ca.cert],
      }),
    );
    const tls = ok.frontends[0]!.binds[0]!.tls!;
    assert.deepEqual(tls.certificates.map((c) => c.serverNames), [["a.test"], ["x.test"]]);
    assert.equal(tls.requestClientCert, true);
  });
});

/** `fe(opts)` after a `global` section of `g` (the bind line is then `g.length + 3`). */
const feG = (opts: string, g: string[]): string[] => [...(g.length > 0 ? ["global", ...g] : []), ...fe(opts)];
const BIND = "'bind 127.0.0.1:8460' in section 'frontend' : ";
const LENIENT = "'bind' in section 'frontend f': ";

describe("ssl-max-ver", () => {
  it("on bind and server lines, with ssl-min-ver; the typed configuration keeps both", () => {
    const { cfg } = parse(fe("ssl crt /c/a.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2"));
    assert.equal(bindOf(cfg).tls!.maxVersion, "TLSv1.2");
    assert.equal(bindOf(cfg).tls!.minVersion, "TLSv1.2");
    assert.equal(resolveConfig(cfg).frontends[0]!.binds[0]!.tls!.maxVersion, "TLSv1.2");
    const srv = parse(be("ssl verify none ssl-max-ver TLSv1.2")).cfg;
    assert.equal(srv.backends[0]!.servers[0]!.tls?.maxVersion, "TLSv1.2");
    assert.equal(resolveConfig(srv).backends[0]!.servers[0]!.tls?.maxVersion, "TLSv1.2");
  });

  it("global ssl-default-bind-options / ssl-default-server-options give the versions lines leave unset", () => {
    const g = [
      "  ssl-default-bind-options no-sslv3 ssl-max-ver TLSv1.2",
      "  ssl-default-server-options ssl-min-ver TLSv1.3",
    ];
    assert.equal(bindOf(parse(feG("ssl crt /c/a.pem", g)).cfg).tls!.maxVersion, "TLSv1.2");
    // The line's own version wins.
    assert.equal(bindOf(parse(feG("ssl crt /c/a.pem ssl-max-ver TLSv1.3", g)).cfg).tls!.maxVersion, "TLSv1.3");
    assert.equal(parse(be("ssl verify none", g)).cfg.backends[0]!.servers[0]!.tls?.minVersion, "TLSv1.3");
    // A plain bind takes nothing from them.
    assert.equal("tls" in parse(feG("", g)).cfg.frontends[0]!.binds[0]!, false);
  });

  it("max below min is an error naming the keys, the bind or server, and the file", () => {
    const disabled = "all SSL/TLS versions are disabled for";
    const range = "('ssl-min-ver TLSv1.3' is above 'ssl-max-ver TLSv1.2').";
    refuses(
      fe("ssl crt /c/a.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"),
      2,
      `Proxy 'f': ${disabled} bind '127.0.0.1:8460' ${range}`,
    );
    refuses(
      be("ssl verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"),
      7,
      `Proxy 'b': ${disabled} 'server b/s1' ${range}`,
    );
    // The global default minimum against the line's maximum.
    refuses(
      feG("ssl crt /c/a.pem ssl-max-ver TLSv1.2", ["  ssl-default-bind-options ssl-min-ver TLSv1.3"]),
      4,
      `Proxy 'f': ${disabled} bind '127.0.0.1:8460' ${range}`,
    );
    refuses(
      ["global", "  ssl-default-bind-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"],
      2,
      "'ssl-default-bind-options' in section 'global': 'ssl-min-ver TLSv1.3' is above 'ssl-max-ver TLSv1.2': " +
        "all SSL/TLS versions are disabled",
    );
    const typed = parse(fe("ssl crt /c/a.pem")).cfg;
    const bind = {
      address: bindOf(typed).address,
      tls: { certificates: [{ cert: certs.a.cert, key: certs.a.key }], minVersion: "TLSv1.3", maxVersion: "TLSv1.2" },
    };
    assert.throws(
      () => resolveConfig({ ...typed, frontends: [{ ...typed.frontends[0]!, binds: [bind as BindConfig] }] }),
      /binds\[0\]\.tls: all SSL\/TLS versions are disabled \(minVersion TLSv1\.3 is above maxVersion TLSv1\.2\)/,
    );
  });

  it("an unknown version is HAProxy's error; an old one is unsupported", () => {
    refuses(fe("ssl crt /c/a.pem ssl-max-ver TLSv9"), 2, `${BIND}'TLSv9' : unknown ssl/tls version`);
    refuses(
      fe("ssl crt /c/a.pem ssl-max-ver TLSv1.1"),
      2,
      `${LENIENT}${BIND}'ssl-max-ver TLSv1.1': proxykit accepts TLSv1.2 and TLSv1.3 only`,
    );
  });
});

describe("crt-list [sslbindconf]", () => {
  const list = (text: string) =>
    fs({
      "/c/a.pem": certs.a.pem,
      "/c/b.pem": certs.b.pem,
      "/c/wild.pem": certs.wild.pem,
      "/c/ca.pem": certs.ca.cert,
      "/c/list.txt": text,
    });
  const at = (n: number) => `${BIND}'crt-list' : parsing [/c/list.txt:${n}]: `;

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
    const line = fe("ssl crt-list /c/list.txt");
    refuses(line, 2, `${at(3)}unknown ssl keyword bogus`, list("# c\n/c/a.pem\n/c/b.pem [alpn h2 bogus 1]\n"));
    refuses(line, 2, `${at(1)}missing ']'`, list("/c/a.pem [alpn h2\n"));
    refuses(line, 2, `${at(1)}file must start with a cert`, list("[alpn h2] /c/a.pem\n"));
    refuses(line, 2, `${LENIENT}${at(1)}ssl keyword 'ciphers' is not supported`, list("/c/a.pem [ciphers HIGH]\n"));
    // A value missing inside the brackets.
    refuses(
      line,
      2,
      `${at(1)}'alpn' : missing the comma-delimited ALPN protocol suite`,
      list("/c/a.pem [alpn] a.test\n"),
    );
    // Lenient: the unsupported keyword is a warning, the line loads.
    const { cfg, warnings } = parse(line, { ...list("/c/a.pem [ciphers HIGH alpn h2]\n"), lenient: true });
    assert.deepEqual(bindOf(cfg).tls!.certificates[0]!.options, { alpnProtocols: ["h2"] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /list\.txt:1.*ciphers/);
  });

  it("a line's version range and verify are checked against the bind line's", () => {
    const entry = "bind '127.0.0.1:8460' (crt-list entry '/c/b.pem')";
    refuses(
      fe("ssl crt-list /c/list.txt ssl-min-ver TLSv1.3"),
      2,
      `Proxy 'f': all SSL/TLS versions are disabled for ${entry} ('ssl-min-ver TLSv1.3' is above 'ssl-max-ver TLSv1.2').`,
      list("/c/a.pem\n/c/b.pem [ssl-max-ver TLSv1.2]\n"),
    );
    refuses(
      fe("ssl crt-list /c/list.txt"),
      2,
      `Proxy 'f': verify is enabled but no CA file specified for ${entry}.`,
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
