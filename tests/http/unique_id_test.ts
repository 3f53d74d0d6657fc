/**
 * Request ids: `unique-id-format`, `unique-id-header`, `%ID`, the `unique-id` and `uuid`
 * fetches, `%{+X}o`, `%Ts`, `%rt`, `%pid`, as HAProxy 2.6 renders and sends them (observed:
 * the field is appended after the `http-request` rules and before `x-forwarded-for`, a
 * backend's keywords are ignored, the id is cut at 127 chars, `%ID` is `-` without a format).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, srvAddr } from "../_proxy_harness.ts";
import { enc } from "../_helpers.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { resolveConfig } from "../../src/config/defaults.ts";
import { isProxyError } from "../../src/errors.ts";
import { parseLogFormat, renderLogFormat } from "../../src/acl/log_format.ts";
import { nextRequestCounter, processId, RequestIdentity, UNIQUE_ID_MAX } from "../../src/http/unique_id.ts";
import { Origin } from "./_origin.ts";
import { httpConfig } from "./_httplog.ts";
import { ctx, get } from "../acl/_ctx.ts";

type Fe = Partial<ProxyConfig["frontends"][number]>;

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function setup(fe: Fe): Promise<{ h: Harness; origin: Origin }> {
  const h = new Harness();
  const origin = await new Origin().listen(h.net, srvAddr(1));
  await h.start(httpConfig({}, fe));
  return { h, origin };
}

/** The fields of `head` named `name`, in order. */
function fields(head: string, name: string): string[] {
  return head.split("\r\n").filter((l) => l.toLowerCase().startsWith(`${name}:`)).map((l) =>
    l.slice(name.length + 1).trim()
  );
}

describe("log-format: %{+X}o, %Ts, %rt, %pid, %ID", () => {
  const render = (fmt: string, extra = {}) => renderLogFormat(parseLogFormat(fmt), ctx(get("/"), extra));
  const stream = (id?: string) => ({ acceptedAt: 0x4f7b0a69 * 1000 + 5, counter: 3, uniqueId: () => id });

  it("HAProxy's example: 7F000001:8296_7F00001E:1F90_4F7B0A69_0003:<pid>", () => {
    const out = render("%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid", {
      src: { address: "127.0.0.1", port: 0x8296 },
      dst: { address: "127.0.0.30", port: 8080 },
      stream: stream(),
    });
    const pid = processId().toString(16).toUpperCase().padStart(4, "0");
    assert.equal(out, `7F000001:8296_7F00001E:1F90_4F7B0A69_0003:${pid}`);
  });

  it("%{-X}o turns hex off again; %{+X} on one variable; IPv6 as 32 digits", () => {
    const s = { src: { address: "::1", port: 10 }, stream: stream() };
    assert.equal(render("%{+X}o%rt %{-X}o%rt %{+X}cp %cp", s), "0003 3 000A 10");
    assert.equal(render("%{+X}ci", s), "00000000000000000000000000000001");
    assert.equal(render("%{+Q,+X}o%rt", s), '"0003"');
  });

  it('%ID: the id, `-` without unique-id-format, `""` quoted', () => {
    assert.equal(render("%ID|%{+Q}ID", { stream: stream("abc") }), 'abc|"abc"');
    assert.equal(render("%ID|%{+Q}ID", { stream: stream(undefined) }), '-|""');
    assert.equal(render("%ID"), "-");
  });

  it("unique-id and uuid fetches", () => {
    assert.equal(render("%[unique-id]", { stream: stream("abc") }), "abc");
    assert.equal(render("<%[unique-id]>"), "<>");
    assert.match(render("%[uuid]"), UUID);
    assert.match(render("%[uuid(4)]"), UUID);
    assert.notEqual(render("%[uuid]"), render("%[uuid]"));
  });

  it("refuses options it does not know", () => {
    assert.throws(() => parseLogFormat("%{+E}o%ci"), /option '\+E' is not supported/);
  });
});

describe("RequestIdentity", () => {
  it("renders once, cuts at 127 chars, counts from the process's counter, and a format reading itself finds nothing", () => {
    const before = nextRequestCounter();
    let renders = 0;
    const fmt = parseLogFormat("%[uuid]-" + "A".repeat(200));
    const id = new RequestIdentity({ format: fmt }, 0, () => {
      renders++;
      return ctx(get("/"));
    });
    assert.equal(id.counter, before + 1);
    const v = id.uniqueId()!;
    assert.equal(v.length, UNIQUE_ID_MAX);
    assert.equal(id.uniqueId(), v);
    assert.equal(renders, 1);
    const self: RequestIdentity = new RequestIdentity(
      { format: parseLogFormat("x%ID%[unique-id]") },
      0,
      () => ctx(get("/"), { stream: self }),
    );
    assert.equal(self.uniqueId(), "x-");
    assert.equal(new RequestIdentity(undefined, 0, () => ctx(get("/"))).uniqueId(), undefined);
  });
});

describe("unique-id-format and unique-id-header through a ProxyServer", () => {
  it("the origin gets the id after the rules and before x-forwarded-for; the log's %ID is the same", async () => {
    const { h, origin } = await setup({
      uniqueIdFormat: "%ci:%cp_%rt",
      uniqueIdHeader: "X-Unique-ID",
      forwardFor: {},
      httpRequest: [
        { action: "set-header", name: "X-Early", value: "%[unique-id]" },
        { action: "set-header", name: "X-Unique-ID", value: "rule" },
      ],
      log: { target: "stdout", format: "httplog", logFormat: "id=%ID rt=%rt" },
    } as Fe);
    const { socket, rec } = await h.client();
    socket.write(enc(GET("/a", "X-Unique-ID: client\r\n") + GET("/b")));
    await h.until(() => origin.requests.length === 2 && h.lines.length === 2);
    const [a, b] = origin.requests;
    const idA = fields(a!.head, "x-unique-id");
    assert.equal(idA[0], "rule");
    assert.match(idA[1]!, /^127\.0\.0\.1:\d+_\d+$|^[0-9a-f.:]+:\d+_\d+$/);
    assert.deepEqual(fields(a!.head, "x-early"), [idA[1]]);
    const names = a!.head.split("\r\n").slice(1).map((l) => l.split(":")[0]!.toLowerCase()).filter((n) => n !== "");
    assert.deepEqual(names.slice(-3), ["x-unique-id", "x-unique-id", "x-forwarded-for"]);
    const idB = fields(b!.head, "x-unique-id");
    assert.deepEqual(idB.length, 2);
    assert.notEqual(idB[1], idA[1]);
    const rtA = Number(idA[1]!.split("_")[1]), rtB = Number(idB[1]!.split("_")[1]);
    assert.equal(rtB, rtA + 1);
    assert.deepEqual(h.lines, [`id=${idA[1]} rt=${rtA}`, `id=${idB[1]} rt=${rtB}`]);
    void rec;
    await h.proxy.stop();
  });

  it("%[uuid]: a fresh UUID v4 per request, in the header and the log", async () => {
    const { h, origin } = await setup({
      uniqueIdFormat: "%[uuid]",
      uniqueIdHeader: "x-request-id",
      log: { target: "stdout", format: "httplog", logFormat: "%ID" },
    } as Fe);
    const { socket } = await h.client();
    socket.write(enc(GET("/a") + GET("/b")));
    await h.until(() => origin.requests.length === 2 && h.lines.length === 2);
    const ids = origin.requests.map((r) => r.headers.get("x-request-id")!);
    for (const id of ids) assert.match(id, UUID);
    assert.notEqual(ids[0], ids[1]);
    assert.deepEqual(h.lines, ids);
    await h.proxy.stop();
  });

  it("a request denied by a rule still logs an id; a request the parser refused logs `-`", async () => {
    const { h, origin } = await setup({
      uniqueIdFormat: "id-%rt",
      uniqueIdHeader: "x-id",
      httpRequest: [{ action: "deny", condition: "if { path /deny }" }],
      log: { target: "stdout", format: "httplog", logFormat: "%ST %ID" },
    } as Fe);
    const c1 = await h.client();
    c1.socket.write(enc(GET("/deny")));
    await h.until(() => h.lines.length === 1);
    assert.match(h.lines[0]!, /^403 id-\d+$/);
    const c2 = await h.client();
    c2.socket.write(enc("GET /\x01 HTTP/1.1\r\n\r\n"));
    await h.until(() => h.lines.length === 2);
    assert.equal(h.lines[1], "400 -");
    assert.equal(origin.requests.length, 0);
    await h.proxy.stop();
  });
});

describe("haproxy.cfg: unique-id-format, unique-id-header", () => {
  const parse = (...lines: string[]) => {
    const warnings: string[] = [];
    const cfg = parseHaproxyConfig(
      ["defaults", "  mode http", ...lines].join("\n"),
      "t.cfg",
      { onWarning: (m) => warnings.push(m) },
    );
    return { cfg, warnings };
  };

  it("defaults pass to frontends and listens; a backend's are ignored with a warning", () => {
    const { cfg, warnings } = parse(
      "  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid",
      "  unique-id-header X-Unique-ID",
      "frontend fe",
      "  bind 127.0.0.1:8080",
      "  default_backend be",
      "backend be",
      "  unique-id-format foo",
      "  server s1 127.0.0.1:8000",
    );
    const fe = cfg.frontends[0]!;
    assert.equal(fe.uniqueIdFormat, "%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid");
    assert.equal(fe.uniqueIdHeader, "X-Unique-ID");
    assert.equal(resolveConfig(cfg).frontends[0]!.uniqueIdHeader, "x-unique-id");
    assert.ok(warnings.some((w) => w.includes("t.cfg:9") && w.includes("unique-id-format")), warnings.join("\n"));
  });

  it("errors name the key and the file", () => {
    for (
      const [line, re] of [
        ["  unique-id-format %[nosuch]", /t\.cfg:3.*unique-id-format.*unknown fetch method 'nosuch'/],
        ["  unique-id-format a b", /t\.cfg:3.*unique-id-format.*escape spaces/],
        ["  unique-id-format %ST", /t\.cfg:3.*unique-id-format.*no such format variable 'ST'/],
        ["  unique-id-header", /t\.cfg:3.*unique-id-header/],
        ["  unique-id-header a:b", /t\.cfg:3.*unique-id-header.*not a header name/],
      ] as const
    ) {
      assert.throws(() => parse(line), (e: unknown) => isProxyError(e) && re.test(e.message));
    }
  });

  it("resolveConfig refuses a bad uniqueIdFormat or uniqueIdHeader, naming the key", () => {
    const base = httpConfig();
    const with_ = (f: Fe) => ({ ...base, frontends: [{ ...base.frontends[0]!, ...f }] }) as ProxyConfig;
    assert.throws(() => resolveConfig(with_({ uniqueIdFormat: "%[nosuch]" })), /frontends\[0\]\.uniqueIdFormat/);
    assert.throws(() => resolveConfig(with_({ uniqueIdHeader: "a b" })), /frontends\[0\]\.uniqueIdHeader/);
  });
});
