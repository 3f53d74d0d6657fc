/**
 * Differential test of the Prometheus exporter and the stats CSV: one haproxy.cfg (an HTTP
 * frontend with `use-service prometheus-exporter` and `stats uri`, an HTTP backend with a
 * checked server and an unchecked one, a `mode tcp` listen section) run by HAProxy 2.6 and by
 * proxykit, each in front of its own origin, the same requests through both, then scraped
 * with curl. Every metric family proxykit emits must be one HAProxy emits for the same
 * configuration, with the same `# TYPE` and `# HELP`; the CSV has the same header and rows.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyConfig } from "../../src/config/haproxy_cfg.ts";
import { ProxyServer } from "../../src/proxy.ts";
import type { Network } from "../../src/net.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { freePorts, nativeNetwork, tcp } from "../_helpers.ts";
import { peer } from "../_peers.ts";
import { curl, runCurl } from "../_curl.ts";
import { Origin } from "../http/_origin.ts";

const { path: HAPROXY, skip } = peer("haproxy");

function cfg(fe: number, tcpFe: number, origin: number, closed: number): string[] {
  return [
    "global",
    "  nbthread 1",
    "defaults",
    "  mode http",
    "  timeout connect 1s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend fe",
    `  bind 127.0.0.1:${fe}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  stats enable",
    "  stats uri /stats",
    "  default_backend be",
    "backend be",
    `  server s1 127.0.0.1:${closed} check inter 200`,
    `  server s2 127.0.0.1:${origin}`,
    "listen tcpx",
    "  mode tcp",
    `  bind 127.0.0.1:${tcpFe}`,
    `  server t1 127.0.0.1:${origin}`,
  ];
}

/** A scrape's families: name to TYPE and HELP. */
function families(text: string): Map<string, { type?: string; help?: string }> {
  const out = new Map<string, { type?: string; help?: string }>();
  for (const l of text.split("\n")) {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(l);
    if (m === null) continue;
    const f = out.get(m[2]!) ?? {};
    if (m[1] === "TYPE") f.type = m[3]!;
    else f.help = m[3]!;
    out.set(m[2]!, f);
  }
  return out;
}

describe("Prometheus and CSV: proxykit against HAProxy 2.6", { skip: skip || curl.skip }, () => {
  let net: Network;
  let haproxy: Child;
  let proxy: ProxyServer;
  let cfgFile: { path: string; remove(): void };
  const origins: Origin[] = [];
  let ports: { hap: number; pk: number };

  before(async () => {
    net = await nativeNetwork();
    const p = await freePorts(net, 7);
    const [hfe, htcp, ho, pfe, ptcp, po, closed] = [0, 1, 2, 3, 4, 5, 6].map((i) => p[i]!);
    for (const port of [ho!, po!]) origins.push(await new Origin().listen(net, tcp("127.0.0.1", port)));
    ports = { hap: hfe!, pk: pfe! };
    cfgFile = tempFile("stats.cfg", cfg(hfe!, htcp!, ho!, closed!));
    haproxy = startProgram(HAPROXY!, ["-db", "-f", cfgFile.path]);
    proxy = new ProxyServer(parseHaproxyConfig(cfg(pfe!, ptcp!, po!, closed!).join("\n"), "stats.cfg"), {
      network: net,
    });
    await proxy.start();
    for (let i = 0;; i++) {
      try {
        await runCurl([`http://127.0.0.1:${hfe}/warm-up`]);
        break;
      } catch (e) {
        if (i > 100) throw new Error(`HAProxy did not start: ${haproxy.stderr()} (${e})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await runCurl([`http://127.0.0.1:${pfe}/warm-up`]);
    // Both have run s1's check (refused) by now: inter 200 ms.
    await new Promise((r) => setTimeout(r, 600));
  });

  after(async () => {
    haproxy?.child.kill("SIGKILL");
    await proxy?.stop();
    for (const o of origins) {
      for (const s of o.sockets) s.close();
      await o.listener?.close();
    }
    cfgFile?.remove();
  });

  it("every family proxykit emits is one HAProxy emits for the same config, with its TYPE and HELP", async () => {
    const theirs = families(await runCurl([`http://127.0.0.1:${ports.hap}/metrics`]));
    const ours = families(await runCurl([`http://127.0.0.1:${ports.pk}/metrics`]));
    assert.ok(theirs.size > 150, `HAProxy's scrape: ${theirs.size} families`);
    const missing = [...ours.keys()].filter((n) => !theirs.has(n));
    assert.deepEqual(missing, [], "families HAProxy does not emit");
    for (const [name, f] of ours) {
      assert.equal(f.type, theirs.get(name)!.type, `${name} TYPE`);
      assert.equal(f.help, theirs.get(name)!.help, `${name} HELP`);
    }
  });

  it("the stats CSV has HAProxy's header and the same rows in the same order", async () => {
    const theirs = await runCurl([`http://127.0.0.1:${ports.hap}/stats;csv`]);
    const ours = await runCurl([`http://127.0.0.1:${ports.pk}/stats;csv`]);
    const rows = (t: string) => t.split("\n").filter((l) => l !== "").map((l) => l.split(",").slice(0, 2).join("/"));
    assert.equal(ours.split("\n")[0], theirs.split("\n")[0]);
    assert.deepEqual(rows(ours), rows(theirs));
    const status = (t: string, sv: string) => t.split("\n").find((l) => l.startsWith(sv))!.split(",")[17];
    for (const sv of ["be,s1,", "be,s2,", "be,BACKEND,", "tcpx,FRONTEND,", "tcpx,t1,"]) {
      assert.equal(status(ours, sv), status(theirs, sv), sv);
    }
    // `cli_abrt`, `srv_abrt` (none after clean requests) and `lastsess` (filled on the same rows).
    const header = ours.split("\n")[0]!.slice(2).split(",");
    const field = (t: string, sv: string, f: string) =>
      t.split("\n").find((l) => l.startsWith(sv))!.split(",")[header.indexOf(f)];
    for (
      const sv of ["fe,FRONTEND,", "be,s1,", "be,s2,", "be,BACKEND,", "tcpx,FRONTEND,", "tcpx,t1,", "tcpx,BACKEND,"]
    ) {
      for (const f of ["cli_abrt", "srv_abrt"]) assert.equal(field(ours, sv, f), field(theirs, sv, f), `${sv} ${f}`);
      assert.equal(field(ours, sv, "lastsess") === "", field(theirs, sv, "lastsess") === "", `${sv} lastsess`);
    }
  });
});
