/**
 * Differential test of TLS against HAProxy 2.6: the same haproxy.cfg run by HAProxy and by
 * proxykit (`examples/proxy.ts --config`), TLS origins on this runtime's adapter, compared on
 * what the client gets and on the log lines: an untrusted server certificate in TCP mode
 * (retried, `SC`, 0 bytes), a certificate not matching `sni` in HTTP mode (503 `SC--` at
 * once, retries shown at 3), a TLS listener's `~` after the frontend name, and the error line
 * of a failed handshake (TLS_ACL_OPS.md A and B).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Network } from "../../src/net.ts";
import { type Child, startProgram, startProxy, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { echoRecorder, enc, freePorts, nativeNetwork, portOf, Recorder, tcp, until, within } from "../_helpers.ts";
import { testCerts } from "../_certs.ts";
import { run, servedCn } from "../_tls_peers.ts";

const { path: HAPROXY, skip } = peer("haproxy");
const openssl = peer("openssl");
const curl = peer("curl");
const net: Network = await nativeNetwork();
const certs = testCerts();

/**
 * Whether this runtime's adapter reports failed handshakes to `onHandshakeError` (the error
 * line needs it): probed once with a plaintext client on a TLS listener.
 */
async function reportsHandshakeErrors(): Promise<boolean> {
  let reported = false;
  const l = await net.listen({
    address: tcp("127.0.0.1", 0),
    tls: { certificates: [{ cert: certs.a.cert, key: certs.a.key }] },
    onAccept: (s) => s.close(),
    onHandshakeError: () => (reported = true),
  });
  try {
    const s = await net.connect({ address: tcp("127.0.0.1", portOf(l.address)) });
    s.setHandlers(new Recorder());
    s.write(enc("GET / HTTP/1.0\r\n\r\n"));
    await until(() => reported, 2000, "onHandshakeError").catch(() => {});
    s.close();
  } finally {
    await l.close();
  }
  return reported;
}
const HANDSHAKE_ERRORS = await reportsHandshakeErrors();

/** A TLS origin answering each connection with one HTTP response (or echoing, for TCP). */
async function tlsOrigin(c: { cert: string; key: string }, http: boolean): Promise<number> {
  const l = await net.listen({
    address: tcp("127.0.0.1", 0),
    tls: { certificates: [{ cert: c.cert, key: c.key }] },
    onAccept: (s) => {
      if (!http) return s.setHandlers(echoRecorder(s));
      let seen = "";
      s.setHandlers({
        onData(chunk) {
          seen += new TextDecoder().decode(chunk);
          if (seen.includes("\r\n\r\n")) s.write(enc("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
        },
        onEnd: () => s.close(),
        onDrain() {},
        onClose() {},
      });
    },
  });
  after(() => l.close());
  return portOf(l.address);
}

interface Outcome {
  tcpBadCaBytes: number;
  tcpBadCaLog: string;
  wrongSniStatus: string;
  wrongSniLog: string;
  terminationCn: string | undefined;
  terminationLog: string;
  handshakeLog: string | undefined;
}

async function runEngine(engine: "haproxy" | "proxykit"): Promise<Outcome> {
  const rogue = await tlsOrigin(certs.rogue, false);
  const good = await tlsOrigin(certs.a, true);
  const echo = await net.listen({ address: tcp("127.0.0.1", 0), onAccept: (s) => s.setHandlers(echoRecorder(s)) });
  after(() => echo.close());
  const [pTcp, pHttp, pTls, pReady] = (await freePorts(net, 4)) as [number, number, number, number];
  const cfg = tempFile("tls.cfg", []);
  const dir = cfg.path.slice(0, cfg.path.lastIndexOf("/"));
  writeFileSync(join(dir, "ca.pem"), certs.ca.cert);
  writeFileSync(join(dir, "a.pem"), certs.a.pem);
  writeFileSync(
    cfg.path,
    [
      "global",
      "    log stdout format raw local0",
      "defaults",
      "    log global",
      "    retries 3",
      "    timeout connect 200ms",
      "    timeout client 5s",
      "    timeout server 5s",
      "frontend tcp_badca",
      "    mode tcp",
      "    option tcplog",
      `    bind 127.0.0.1:${pTcp}`,
      "    default_backend be_badca",
      "backend be_badca",
      "    mode tcp",
      `    server s 127.0.0.1:${rogue} ssl ca-file ${dir}/ca.pem sni str(a.test)`,
      "frontend http_fe",
      "    mode http",
      "    option httplog",
      `    bind 127.0.0.1:${pHttp}`,
      "    default_backend be_wrongsni",
      "backend be_wrongsni",
      "    mode http",
      `    server s1 127.0.0.1:${good} ssl ca-file ${dir}/ca.pem sni str(wrong.test)`,
      "frontend tls_fe",
      "    mode tcp",
      "    option tcplog",
      `    bind 127.0.0.1:${pTls} ssl crt ${dir}/a.pem`,
      "    default_backend be_echo",
      "backend be_echo",
      "    mode tcp",
      `    server e 127.0.0.1:${portOf(echo.address)}`,
      // Bound last, probed for readiness: a probe on a TLS port would log a handshake error.
      "listen ready",
      "    mode tcp",
      `    bind 127.0.0.1:${pReady}`,
      `    server e 127.0.0.1:${portOf(echo.address)}`,
      "",
    ].join("\n"),
  );
  const child: Child = engine === "haproxy"
    ? startProgram(HAPROXY!, ["-db", "-f", cfg.path])
    : startProxy(["--config", cfg.path]);
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const probe = await net.connect({ address: tcp("127.0.0.1", pReady) });
        probe.setHandlers(new Recorder());
        probe.abort();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`${engine} is not listening (stderr: ${child.stderr()})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const lineOf = async (re: RegExp) => (await child.line(re, 20_000)).input!;

    // TCP: untrusted server certificate.
    const c = await net.connect({ address: tcp("127.0.0.1", pTcp) });
    const rec = new Recorder();
    c.setHandlers(rec);
    c.write(enc("hello"));
    c.shutdownWrite();
    await within(rec.closed.promise, 10_000, `${engine}: tcp_badca close`);
    const tcpBadCaLog = await lineOf(/ tcp_badca be_badca\//);

    // HTTP: certificate not matching `sni`.
    const r = await run(curl.path!, [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://127.0.0.1:${pHttp}/wrongsni/`,
    ]);
    const wrongSniLog = await lineOf(/ http_fe be_wrongsni\//);

    // Termination: the certificate served, the `~`.
    const cn = await servedCn(openssl.path!, pTls, "a.test");
    const terminationLog = await lineOf(/ tls_fe~ be_echo\//);

    // A client that is no TLS client.
    let handshakeLog: string | undefined;
    if (HANDSHAKE_ERRORS || engine === "haproxy") {
      const g = await net.connect({ address: tcp("127.0.0.1", pTls) });
      g.setHandlers(new Recorder());
      g.write(enc("GET / HTTP/1.0\r\n\r\n"));
      handshakeLog = await lineOf(/ tls_fe\/1: /);
      g.close();
    }
    return {
      tcpBadCaBytes: rec.bytes,
      tcpBadCaLog,
      wrongSniStatus: r.stdout,
      wrongSniLog,
      terminationCn: cn,
      terminationLog,
      handshakeLog,
    };
  } finally {
    child.child.kill("SIGTERM");
    await within(child.exited, 10_000, `${engine} exit`).catch(() => child.child.kill("SIGKILL"));
    cfg.remove();
  }
}

/** The fields compared: timers and counters that race are left out. */
const tcpFields = (l: string) => {
  const m = /^\S+ \[[^\]]+\] (\S+) (\S+) \S+ (\d+) (\S\S) \d+\/\d+\/\d+\/\d+\/(\+?\d+) /.exec(l);
  assert.ok(m, `not a tcplog line: ${l}`);
  return { fe: m[1], target: m[2], bytes: m[3], term: m[4], retries: m[5] };
};
const httpFields = (l: string) => {
  const m = /^\S+ \[[^\]]+\] (\S+) (\S+) \S+ (\d+) \d+ - - (\S{4}) \d+\/\d+\/\d+\/\d+\/(\+?\d+) \S+ "(.*)"$/.exec(l);
  assert.ok(m, `not an httplog line: ${l}`);
  return { fe: m[1], target: m[2], status: m[3], term: m[4], retries: m[5], request: m[6] };
};

describe("TLS: proxykit against HAProxy 2.6", { skip: skip || openssl.skip || curl.skip }, () => {
  it("origination failures, termination log lines and the handshake error line match", async () => {
    const h = await runEngine("haproxy");
    const p = await runEngine("proxykit");
    assert.equal(p.tcpBadCaBytes, h.tcpBadCaBytes);
    assert.deepEqual(tcpFields(p.tcpBadCaLog), tcpFields(h.tcpBadCaLog));
    assert.deepEqual(tcpFields(h.tcpBadCaLog), {
      fe: "tcp_badca",
      target: "be_badca/s",
      bytes: "0",
      term: "SC",
      retries: "3",
    });
    assert.equal(p.wrongSniStatus, h.wrongSniStatus);
    assert.equal(h.wrongSniStatus, "503");
    assert.deepEqual(httpFields(p.wrongSniLog), httpFields(h.wrongSniLog));
    assert.equal(p.terminationCn, h.terminationCn);
    assert.deepEqual(tcpFields(p.terminationLog), tcpFields(h.terminationLog));
    const strip = (l: string | undefined) => l?.replace(/^\S+ \[[^\]]+\] /, "");
    if (HANDSHAKE_ERRORS) assert.equal(strip(p.handshakeLog), strip(h.handshakeLog));
    else console.warn(`NOTE (${net.name}): the adapter does not report failed handshakes yet; error line not compared`);
    assert.equal(strip(h.handshakeLog), "tls_fe/1: SSL handshake failure");
  });
});

/** The SNIs the certificate choice is compared on (undefined: none sent). */
const SNIS = ["a.test", "b.test", "B.TEST", "x.wild.test", "a.b.wild.test", "wild.test", "unknown.test", undefined];

/** Which certificate (subject CN) `engine` serves for each of {@link SNIS}, or the CLI's refusal. */
async function servedBy(engine: "haproxy" | "proxykit"): Promise<(string | undefined)[] | string> {
  const [port] = (await freePorts(net, 1)) as [number];
  const cfg = tempFile("sni.cfg", []);
  const dir = cfg.path.slice(0, cfg.path.lastIndexOf("/"));
  for (const [name, c] of [["a", certs.a], ["b", certs.b], ["wild", certs.wild]] as const) {
    writeFileSync(join(dir, `${name}.pem`), c.pem);
  }
  writeFileSync(
    cfg.path,
    [
      "defaults",
      "    mode tcp",
      "    timeout connect 1s",
      "    timeout client 5s",
      "    timeout server 5s",
      "frontend fe",
      `    bind 127.0.0.1:${port} ssl crt ${dir}/a.pem crt ${dir}/b.pem crt ${dir}/wild.pem`,
      "    default_backend be",
      "backend be",
      "    server s1 127.0.0.1:1",
      "",
    ].join("\n"),
  );
  const child: Child = engine === "haproxy"
    ? startProgram(HAPROXY!, ["-db", "-f", cfg.path])
    : startProxy(["--config", cfg.path]);
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.child.exitCode !== null) return child.stderr();
      const cn = await servedCn(openssl.path!, port, "a.test");
      if (cn !== undefined) break;
      if (Date.now() > deadline) throw new Error(`${engine} is not serving TLS (stderr: ${child.stderr()})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const out: (string | undefined)[] = [];
    for (const sni of SNIS) out.push(await servedCn(openssl.path!, port, sni));
    return out;
  } finally {
    child.child.kill("SIGTERM");
    await within(child.exited, 10_000, `${engine} exit`).catch(() => child.child.kill("SIGKILL"));
    cfg.remove();
  }
}

describe("TLS certificate choice by SNI: proxykit against HAProxy 2.6", { skip: skip || openssl.skip }, () => {
  it("exact names, case, one-label wildcards and the default agree (or proxykit refuses where the adapter cannot)", async () => {
    const h = await servedBy("haproxy");
    assert.deepEqual(h, ["a.test", "b.test", "b.test", "*.wild.test", "a.test", "a.test", "a.test", "a.test"]);
    const p = await servedBy("proxykit");
    if (net.capabilities.tlsSniMultiCert) assert.deepEqual(p, h);
    else assert.match(p as string, /needs 'tlsSniMultiCert'/);
  });
});
