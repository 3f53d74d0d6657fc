/**
 * Stats across processes (src/stats/peers.ts): a proxy given the snapshots of its peers (the
 * command line's other workers) shows the sums of their counters and the largest maxima in
 * `show stat` and the exporter, its own states and limits, and its own figures for rows the
 * peers lack.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ProxyServer } from "../../src/proxy.ts";
import { showStat } from "../../src/stats/csv.ts";
import { prometheusMetrics } from "../../src/stats/prometheus.ts";
import { StatsPeers, statsSnapshot } from "../../src/stats/peers.ts";
import { monitorWorker, statRow } from "./_workers.ts";

/** A worker that answered `requests` monitor requests, one connection each. */
async function worker(requests: number, peers?: StatsPeers): Promise<ProxyServer> {
  return (await monitorWorker(requests, peers ? { peers } : {})).proxy;
}

const row = statRow;

describe("StatsPeers", () => {
  it("sums the peers' counters into show stat and the exporter; states and weights stay this process's", async () => {
    const peers = new StatsPeers();
    const one = await worker(1, peers);
    const two = await worker(3);
    const three = await worker(2);
    assert.equal(row(showStat(one), "FRONTEND").stot, "1", "no snapshot yet: its own counters");
    peers.set(2, statsSnapshot(two));
    peers.set(3, statsSnapshot(three));
    const fe = row(showStat(one), "FRONTEND");
    assert.equal(fe.stot, "6");
    assert.equal(fe.req_tot, "6");
    assert.equal(fe.hrsp_2xx, "6");
    assert.equal(fe.smax, "1", "the largest maximum, not a sum");
    assert.equal(fe.status, "OPEN");
    assert.equal(row(showStat(one), "s1").weight, "7");
    assert.match(prometheusMetrics(one), /^haproxy_frontend_sessions_total\{proxy="fe"\} 6$/m);
    // A new snapshot replaces the former one; a peer that stopped is forgotten.
    peers.set(3, statsSnapshot(await worker(5)));
    assert.equal(row(showStat(one), "FRONTEND").stot, "9");
    peers.delete(2);
    peers.delete(3);
    assert.equal(row(showStat(one), "FRONTEND").stot, "1");
    for (const p of [one, two, three]) await p.stop();
  });

  it("a snapshot survives JSON (what the workers send each other)", async () => {
    const two = await worker(2);
    const snap = JSON.parse(JSON.stringify(statsSnapshot(two)));
    const peers = new StatsPeers();
    peers.set(2, snap);
    const one = await worker(0, peers);
    assert.equal(row(showStat(one), "FRONTEND").stot, "2");
    await one.stop();
    await two.stop();
  });
});
