/**
 * Differential test of the HTTP decision layer: the same fetch expressions, ACLs and rules
 * run by HAProxy 2.6 (on real sockets) and by proxykit's functions on the same raw requests.
 * Compared: `%[...]` values (HAProxy echoes them with `http-request return ... lf-string`),
 * which ACLs match (HAProxy records them in a variable), local replies byte for byte, and
 * the request head a server receives after the rules (a HAProxy frontend behind echoes it).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { AclSet, matchAcl } from "../../src/acl/acl.ts";
import { parseLogFormat, renderLogFormat } from "../../src/acl/log_format.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import { compileProxyPolicies, decideRequest } from "../../src/http/policy.ts";
import { H1ResponseParser } from "../../src/http/parser.ts";
import { serializeHead } from "../../src/http/serialize.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { freePorts, nativeNetwork, within } from "../_helpers.ts";
import { peer } from "../_peers.ts";
import { ctx as context, words } from "../acl/_ctx.ts";
import { bytes, text } from "../http/_h1.ts";

const { path: HAPROXY, skip } = peer("haproxy");

/** Requests every comparison is made on. */
const REQUESTS: readonly string[] = [
  "GET /a/../b/./c%41?id=x%20y&id=2;z HTTP/1.1\r\nHost: h.test:8080\r\nX-Foo: a, b\r\nX-Foo: c\r\n\r\n",
  "GET http://example.com:80/p?q HTTP/1.1\r\nHost: EXAMPLE.com:80\r\n\r\n",
  "GET /foo HTTP/1.1\r\nHost: example.com:8080\r\nX-N: 12abc\r\nX-Ip: 10.1.2.3:80\r\n\r\n",
  "get /x/api/y HTTP/1.1\r\nHost: example.com.\r\nX-Foo:\r\n\r\n",
  "FOO /v12/abcdefghij?ID=1&id=&x=3 HTTP/1.1\r\nHost: www.example.com\r\nX-F: a.b..c.d\r\n\r\n",
  "POST /x;id=42?a=1 HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\nX-Val: a, b, c\r\n\r\n",
  "GET /api/v1/users.png HTTP/1.0\r\nHost: api.example.com\r\nAccept-Encoding: gzip\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
  "GET http://h.test:8080/abs?x=1 HTTP/1.1\r\nHost: h.test:8080\r\nX-Foo: 1\r\nX-Foo: 2, 3\r\nx-ip: ::1\r\n\r\n",
  "DELETE /items/7?force HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 9.9.9.9\r\nX-Real-IP: 8.8.8.8\r\n\r\n",
];

const FETCHES = [
  "path",
  "url",
  "query",
  "base",
  "pathq",
  "url_param(id)",
  "urlp(id,;)",
  "urlp",
  "method",
  "req.hdr(x-foo)",
  "req.hdr(x-foo,1)",
  "req.hdr(x-foo,-2)",
  "req.fhdr(x-foo)",
  "req.hdr_cnt(x-foo)",
  "req.fhdr_cnt(x-foo)",
  "hdr(host)",
  "req.ver",
  "req.len",
  "src",
  "dst_port",
  "url_ip",
  "url_port",
  "req.hdr()",
  "req.hdr_cnt()",
  "req.hdr_val(x-n)",
  "req.hdr_ip(x-ip)",
  "req.hdr(x-f),field(-2,.,2)",
  "req.hdr(x-f),word(2,.)",
  "req.hdr(host),lower",
  "path,length",
];
const FORMAT = FETCHES.map((f) => `%[${f}]`).join("|") + "|%ci|%fp|%HM|%HP|%HQ|%HV";

const ACLS = [
  "hdr(host) example.com",
  "hdr_end(host) .com",
  "hdr_dom(host) example.com",
  "hdr_dom(host) 8080",
  "hdr_sub(host) :8080",
  "hdr(host) -i example.com",
  "method GET",
  "method get",
  "method -i get",
  "method -i foo",
  "url_param(id) -m found",
  "url_param(id) -m len 0",
  "req.hdr(x-foo) b",
  'req.fhdr(x-foo) -m str "a, b"',
  "req.hdr(x-foo) -m found",
  "path_dir api",
  "path -i /FOO",
  "path_reg ^/v[0-9]+/",
  "path_len gt 10",
  "path_len lt 5",
  "path_len 4:6",
  "hdr_dom(host) .example.com.",
  "hdr_beg(host) -i EX",
  "req.hdr(x-foo,1) a",
  "hdr_cnt(x-foo) 3",
  "src 127.0.0.0/8",
  "src 10.0.0.0/8 ::1",
  "dst_port 1:65535",
  "req.hdr(x-n) -m int 12",
  "req.hdr(x-ip) -m ip 10.0.0.0/8",
  "hdr_ip(x-ip) 10.0.0.0/8",
  "path_end .png .jpg",
  "path_beg /api",
  "url_beg /api",
  "path,lower /foo",
  "hdr_beg(host),lower www.",
  "base_beg example.com/",
  "url_reg ^[^/:]*://",
  "req.len gt 40",
  "query -m sub id=",
  "req.hdr(x-ip) -m ip ::1",
  "method GET HEAD",
  "req.ver 1.0",
  "url_port 8080",
  "urlp(id) -m found",
  "hdr_cnt(x-foo) ge 2",
  "req.fhdr_cnt(x-foo) le 1",
];

/** Rule scenarios: the lines of a frontend, before `default_backend origin`. */
const SCENARIOS: readonly (readonly string[])[] = [
  [
    "acl api path_beg /api",
    "http-request set-header X-Set %[req.hdr(host)]-%[path]",
    "http-request add-header X-Add %[req.hdr_cnt(x-foo)]",
    "http-request del-header X-Foo",
    "http-request replace-value X-Val ^b$ B",
    "http-request replace-value Accept-Encoding ^gzip$ identity",
    "http-request set-path /prefix%[path] if !api",
    "option forwardfor",
  ],
  [
    "http-request deny if { path_beg /a/ }",
    "http-request deny deny_status 429 if { hdr_dom(host) 8080 }",
    'http-request return status 200 content-type text/plain lf-string "<%[path]>" hdr X-Ret yes if METH_GET',
    "http-request redirect scheme https code 308 if { method OPTIONS }",
    "http-request redirect prefix /pre drop-query if { path_beg /x }",
    "option forwardfor header X-Real-IP if-none",
  ],
  [
    "http-request replace-header Host ^([^:]*)(:.*)?$ \\1",
    "http-request del-header x- -m beg",
    "http-request set-header X-Empty %[req.hdr(nonexist)]",
    "http-request set-header X-Method %[method,lower] if !{ method POST }",
    "http-request set-path /abs%[path] if HTTP_URL_ABS",
    "http-request add-header X-Query %[query] if { query -m found }",
    "option forwardfor except 10.0.0.0/8",
  ],
];

/** Sends one request, returns the raw response (read as its framing says). */
function exchange(port: number, raw: string): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      const parser = new H1ResponseParser();
      parser.expect(raw.split(" ")[0]!);
      let out = "";
      const sock = connect(port, "127.0.0.1", () => sock.write(bytes(raw)));
      sock.on("data", (chunk: Uint8Array) => {
        out += text(chunk);
        parser.push(chunk);
        try {
          for (let ev = parser.read(); ev !== null; ev = parser.read()) {
            if (ev.type === "end") {
              sock.destroy();
              resolve(out);
              return;
            }
          }
        } catch (e) {
          sock.destroy();
          reject(e);
        }
      });
      sock.on("error", reject);
      sock.on("end", () => resolve(out));
    }),
    5000,
    `response to ${JSON.stringify(raw.split("\r\n")[0])}`,
  );
}

const body = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4);

describe("differential: fetches, ACLs and rules against HAProxy 2.6", { skip }, () => {
  let haproxy: Child | undefined;
  let cfgFile: { path: string; remove(): void } | undefined;
  let ports: number[] = [];
  const frontendLines = (i: number) => [...SCENARIOS[i]!];

  before(async () => {
    ports = await freePorts(await nativeNetwork(), 3 + SCENARIOS.length);
    const [echo, acl, origin, ...rules] = ports as [number, number, number, ...number[]];
    const lines = [
      "defaults",
      "  mode http",
      "  timeout connect 2s",
      "  timeout client 5s",
      "  timeout server 5s",
      "frontend echo",
      `  bind 127.0.0.1:${echo}`,
      `  http-request return status 200 content-type text/plain lf-string "${FORMAT}"`,
      "frontend acls",
      `  bind 127.0.0.1:${acl}`,
      ...ACLS.flatMap((
        a,
        i,
      ) => [`  acl a${i} ${a}`, `  http-request set-var-fmt(txn.r) "%[var(txn.r)]${i},"  if a${i}`]),
      '  http-request return status 200 content-type text/plain lf-string "%[var(txn.r)]"',
      "frontend origin",
      `  bind 127.0.0.1:${origin}`,
      '  http-request return status 200 content-type text/plain lf-string "%[method] %[url] %[req.ver]|%[req.hdrs]"',
      ...SCENARIOS.flatMap((
        s,
        i,
      ) => [
        `frontend rules${i}`,
        `  bind 127.0.0.1:${rules[i]}`,
        ...s.map((l) => `  ${l}`),
        "  default_backend origin",
      ]),
      "backend origin",
      `  server o 127.0.0.1:${origin}`,
    ];
    cfgFile = tempFile("acl.cfg", lines);
    haproxy = startProgram(HAPROXY!, ["-db", "-f", cfgFile.path]);
    for (let i = 0;; i++) {
      try {
        await exchange(ports[0]!, "GET / HTTP/1.1\r\n\r\n");
        break;
      } catch (e) {
        if (i > 100) throw new Error(`HAProxy did not start: ${haproxy.stderr()} (${e})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(() => {
    haproxy?.child.kill("SIGKILL");
    cfgFile?.remove();
  });

  /** Our context for `raw` as HAProxy's frontend on `port` sees it. */
  const ctx = (raw: string, port: number) => context(raw, { dst: { address: "127.0.0.1", port }, frontend: "echo" });

  it("%[fetch] values and log-format variables", async () => {
    const fmt = parseLogFormat(FORMAT);
    for (const raw of REQUESTS) {
      const theirs = body(await exchange(ports[0]!, raw));
      const ours = renderLogFormat(fmt, ctx(raw, ports[0]!));
      const names = [...FETCHES, "%ci", "%fp", "%HM", "%HP", "%HQ", "%HV"];
      const t = theirs.split("|"), o = ours.split("|");
      names.forEach((n, i) => assert.equal(o[i], t[i], `${n} of ${JSON.stringify(raw.split("\r\n")[0])}`));
    }
  });

  it("which ACLs match", async () => {
    const set = new AclSet();
    ACLS.forEach((a, i) => set.add(`a${i}`, words(a)));
    for (const raw of REQUESTS) {
      const theirs = body(await exchange(ports[1]!, raw));
      const c = ctx(raw, ports[1]!);
      const ours = ACLS.map((_, i) => (matchAcl(set.get(`a${i}`)!, c) ? `${i},` : "")).join("");
      const show = (s: string) => s.split(",").filter((x) => x !== "").map((i) => ACLS[Number(i)]).join(" | ");
      assert.equal(
        ours,
        theirs,
        `${JSON.stringify(raw.split("\r\n")[0])}\n ours: ${show(ours)}\n HAProxy: ${show(theirs)}`,
      );
    }
  });

  for (let s = 0; s < SCENARIOS.length; s++) {
    it(`rules scenario ${s}: local replies byte for byte, forwarded heads as the server gets them`, async () => {
      const policies = compileProxyPolicies(resolveConfig(parseHaproxyConfig(
        [
          "defaults",
          "  mode http",
          "frontend fe",
          "  bind 127.0.0.1:1",
          ...frontendLines(s).map((l) => `  ${l}`),
          "  default_backend origin",
          "backend origin",
          "  server o 127.0.0.1:2",
        ].join("\n"),
        "scenario.cfg",
      )));
      for (const raw of REQUESTS) {
        const theirs = await exchange(ports[3 + s]!, raw);
        const c = ctx(raw, ports[3 + s]!);
        const d = decideRequest(policies.frontends.get("fe")!, policies.backends, c);
        const line = JSON.stringify(raw.split("\r\n")[0]);
        if (d.kind === "reply") {
          const r = d.reply!;
          // The mux closes after a reply the message or an HTTP/1.0 request without keep-alive asks to.
          const close = r.close || c.request.version === "HTTP/1.0";
          const ours = text(serializeHead(r.head, close ? { connection: "close" } : {})) + text(r.body);
          assert.equal(ours, theirs, `reply to ${line}`);
          continue;
        }
        const [reqLine, hdrs] = body(theirs).split("|");
        const h = c.request;
        const version = h.version.slice(5);
        assert.equal(`${h.method} ${h.target} ${version}`, reqLine, `request line of ${line}`);
        const fields = text(serializeHead(h)).split("\r\n").slice(1).join("%0D%0A");
        assert.equal(fields, hdrs, `fields of ${line}`);
      }
    });
  }
});
