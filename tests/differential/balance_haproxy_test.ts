/**
 * Differential test of HTTP-aware hash balancing: HAProxy 2.6 (`mode http`, `balance uri |
 * url_param | hdr(...)`, `hash-type map-based | consistent`) places a list of requests on its
 * servers, and proxykit's balancer (`createBalancer()`, fed the same request heads and the same
 * server ids and weights) must elect the same server for each. The proxy's HTTP mux is not
 * involved: this compares the election alone. Only settings where HAProxy 2.6 and current
 * HAProxy agree are used (server ids as consistent-hash keys, no `hash-balance-factor`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Listener, Network } from "../../src/net.ts";
import type { BalanceAlgorithm, HashTypeConfig } from "../../src/config/types.ts";
import { resolveHashType } from "../../src/config/_resolve_persist.ts";
import { createBalancer } from "../../src/balance/mod.ts";
import type { RequestHead } from "../../src/http/head.ts";
import { type Child, startProgram, tempFile } from "../_child.ts";
import { peer } from "../_peers.ts";
import { enc, freePorts, nativeNetwork, portOf, Recorder, runtime, tcp, within } from "../_helpers.ts";
import { fake } from "../balance/_fake.ts";

// A missing HAProxy fails this file unless PROXYKIT_ALLOW_MISSING_PEERS=1 (tests/_peers.ts).
const { path: HAPROXY, skip } = peer("haproxy");
const net: Network = await nativeNetwork();

interface Case {
  /** The `balance` line's arguments and the same algorithm typed. */
  balance: [string, BalanceAlgorithm];
  /** The `hash-type` line's arguments, and the same typed. */
  hashType?: [string, HashTypeConfig];
  /** Servers: `id`, `weight`, and `disabled` (MAINT: out of the map or ring). */
  servers: { id: number; weight?: number; disabled?: boolean }[];
  /** Requests: target and extra header fields. */
  requests: { target: string; headers?: [string, string][] }[];
}

const PATHS = Array.from({ length: 24 }, (_, i) => `/static/${i % 5}/item-${i * 7}.png?v=${i}`);
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];
const uriRequests = PATHS.map((target) => ({ target }));
const userRequests = USERS.map((u) => ({ target: `/api/items?page=2&user=${u}&sort=asc` }));
const hostRequests = USERS.map((u, i) => ({
  target: "/",
  headers: [["host", i % 3 === 0 ? `${u}.org` : `www.${u}.com`]] as [string, string][],
}));
const FOUR = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];

const cases: Record<string, Case> = {
  "balance uri, map-based sdbm (HAProxy's default)": {
    balance: ["uri", { kind: "uri" }],
    servers: FOUR,
    requests: uriRequests,
  },
  "balance uri whole depth 2 len 40, weights 3/1/2, map-based djb2 avalanche": {
    balance: ["uri whole depth 2 len 40", { kind: "uri", whole: true, depth: 2, len: 40 }],
    hashType: ["map-based djb2 avalanche", { method: "map-based", function: "djb2", avalanche: true }],
    servers: [{ id: 1, weight: 3 }, { id: 2, weight: 1 }, { id: 3, weight: 2 }],
    requests: uriRequests,
  },
  "balance uri, consistent (sdbm + avalanche)": {
    balance: ["uri", { kind: "uri" }],
    hashType: ["consistent", { method: "consistent" }],
    servers: [{ id: 1 }, { id: 2, weight: 2 }, { id: 7 }, { id: 12 }],
    requests: uriRequests,
  },
  "balance uri, consistent, a server in maintenance only moves its own keys": {
    balance: ["uri", { kind: "uri" }],
    hashType: ["consistent", { method: "consistent" }],
    servers: [{ id: 1 }, { id: 2, weight: 2 }, { id: 7, disabled: true }, { id: 12 }],
    requests: uriRequests,
  },
  "balance url_param user, consistent wt6": {
    balance: ["url_param user", { kind: "url_param", param: "user" }],
    hashType: ["consistent wt6", { method: "consistent", function: "wt6" }],
    servers: FOUR,
    requests: userRequests,
  },
  "balance url_param user, map-based crc32": {
    balance: ["url_param user", { kind: "url_param", param: "user" }],
    hashType: ["map-based crc32", { method: "map-based", function: "crc32" }],
    servers: [{ id: 1, weight: 2 }, { id: 2, weight: 4 }, { id: 3, weight: 6 }],
    requests: userRequests,
  },
  "balance url_param without the parameter: round-robin over the map": {
    balance: ["url_param user", { kind: "url_param", param: "user" }],
    servers: [{ id: 1, weight: 2 }, { id: 2 }, { id: 3 }],
    requests: userRequests.flatMap((r, i) => [r, { target: `/api/items?page=${i}` }]),
  },
  "balance url_param without the parameter: round-robin over the consistent ring": {
    balance: ["url_param user", { kind: "url_param", param: "user" }],
    hashType: ["consistent", { method: "consistent" }],
    servers: [{ id: 1 }, { id: 2 }, { id: 3 }],
    requests: userRequests.flatMap((r, i) => [r, { target: `/api/items?page=${i}` }]),
  },
  "balance hdr(host) use_domain_only, map-based": {
    balance: ["hdr(Host) use_domain_only", { kind: "hdr", header: "Host", useDomainOnly: true }],
    servers: FOUR,
    requests: hostRequests,
  },
  "balance hdr(x-user), consistent djb2 avalanche": {
    balance: ["hdr(X-User)", { kind: "hdr", header: "X-User" }],
    hashType: ["consistent djb2 avalanche", { method: "consistent", function: "djb2", avalanche: true }],
    servers: [{ id: 3 }, { id: 5 }, { id: 8, weight: 3 }],
    requests: USERS.map((u) => ({ target: "/", headers: [["x-user", `${u}, backup`]] as [string, string][] })),
  },
};

/** One request through HAProxy: the name of the server that answered. */
async function ask(port: number, req: Case["requests"][number]): Promise<string> {
  const c = await net.connect({ address: tcp("127.0.0.1", port) });
  const r = new Recorder();
  c.setHandlers(r);
  const fields = (req.headers ?? []).map(([n, v]) => `${n}: ${v}\r\n`).join("");
  const host = req.headers?.some(([n]) => n === "host") ? "" : "host: test\r\n";
  c.write(enc(`GET ${req.target} HTTP/1.1\r\n${host}${fields}connection: close\r\n\r\n`));
  await within(r.ended.promise, 20_000, `response to ${req.target}`);
  c.close();
  const text = r.text();
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  if (!text.startsWith("HTTP/1.1 200")) throw new Error(`unexpected response: ${text}`);
  return body;
}

/** Where HAProxy sends each request of `sc`. */
async function haproxyPlacement(sc: Case): Promise<string[]> {
  const listeners: Listener[] = [];
  const lines: string[] = [];
  for (const s of sc.servers) {
    const name = `s${s.id}`;
    const l = await net.listen({
      address: tcp("127.0.0.1", 0),
      onAccept: (sock) => {
        let seen = "";
        sock.setHandlers({
          onData(chunk) {
            seen += new TextDecoder().decode(chunk);
            if (!seen.includes("\r\n\r\n")) return;
            sock.write(enc(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`));
            sock.close();
          },
          onEnd() {},
          onDrain() {},
          onClose() {},
        });
      },
    });
    listeners.push(l);
    const opts = [`id ${s.id}`, s.weight !== undefined ? `weight ${s.weight}` : "", s.disabled ? "disabled" : ""];
    lines.push(`    server ${name} 127.0.0.1:${portOf(l.address)} ${opts.filter(Boolean).join(" ")}`);
  }
  const [fePort] = (await freePorts(net, 1)) as [number];
  const cfg = tempFile("haproxy.cfg", [
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 5s",
    "    timeout server 5s",
    "listen web",
    `    bind 127.0.0.1:${fePort}`,
    `    balance ${sc.balance[0]}`,
    ...(sc.hashType !== undefined ? [`    hash-type ${sc.hashType[0]}`] : []),
    ...lines,
  ]);
  const child: Child = startProgram(HAPROXY!, ["-db", "-f", cfg.path]);
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const probe = await net.connect({ address: tcp("127.0.0.1", fePort) });
        probe.setHandlers(new Recorder());
        probe.close();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`haproxy is not listening (stderr: ${child.stderr()})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const out: string[] = [];
    for (const req of sc.requests) out.push(await ask(fePort, req));
    return out;
  } finally {
    child.child.kill("SIGTERM");
    await within(child.exited, 10_000, "haproxy exit").catch(() => child.child.kill("SIGKILL"));
    for (const l of listeners) await l.close();
    cfg.remove();
  }
}

/** Where proxykit's balancer elects each request of `sc`. */
function proxykitPlacement(sc: Case): string[] {
  const servers = sc.servers.map((s) => fake(`s${s.id}`, { id: s.id, weight: s.weight ?? 1, usable: !s.disabled }));
  const lb = createBalancer(sc.balance[1], servers, { hashType: resolveHashType(sc.hashType?.[1], "hashType") });
  return sc.requests.map((r) => {
    const extra = r.headers ?? [];
    const request: RequestHead = {
      kind: "request",
      method: "GET",
      target: r.target,
      version: "HTTP/1.1",
      headers: extra.some(([n]) => n === "host") ? [...extra] : [["host", "test"], ...extra],
    };
    return lb.pick({ request })?.name ?? "-";
  });
}

describe(`differential: HAProxy 2.6 vs proxykit's hash balancing on ${runtime}`, { skip }, () => {
  for (const [name, sc] of Object.entries(cases)) {
    it(name, async () => {
      const ref = await haproxyPlacement(sc);
      const got = proxykitPlacement(sc);
      assert.deepEqual(got, ref, "server of each request");
      assert.ok(new Set(ref).size > 1, "the keys spread over several servers");
    });
  }
});
