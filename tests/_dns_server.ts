/**
 * A small authoritative DNS server for tests, on any network adapter's UDP: it answers A,
 * AAAA and SRV questions from a zone the test changes while it runs (SRV answers carry their
 * targets' addresses in the Additional section, as dnsmasq's do), NXDOMAIN for names it does
 * not know, and nothing at all while `silent` (a dead server).
 */
import type { DatagramSocket, Network } from "../src/net.ts";
import { decodeMessage, type DnsRecord, encodeMessage, RCODE } from "../src/dns/wire.ts";

/** The test zone: records by lowercase owner name. */
export class TestDnsServer {
  /** Records by owner name. */
  readonly zone = new Map<string, DnsRecord[]>();
  /** While true, queries get no answer. */
  silent = false;
  /** Questions received, `type name`. */
  readonly queries: string[] = [];
  #sock: DatagramSocket | undefined;

  /** Binds on `hostname:port` (0: a free port). */
  async start(net: Network, hostname = "127.0.0.1", port = 0): Promise<number> {
    this.#sock = await net.openDatagram!({
      bind: { transport: "tcp", hostname, port },
      onMessage: (data, from) => {
        const q = decodeMessage(data);
        const question = q.questions[0]!;
        this.queries.push(`${question.type} ${question.name}`);
        if (this.silent) return;
        const owned = this.zone.get(question.name);
        const answers = (owned ?? []).filter((r) => r.type === question.type);
        const additionals = answers.flatMap((r) =>
          r.type === "SRV" ? (this.zone.get(r.target) ?? []).filter((a) => a.type === "A" || a.type === "AAAA") : []
        );
        const rcode = owned === undefined ? RCODE.NXDOMAIN : RCODE.NOERROR;
        this.#sock?.send(
          encodeMessage({ id: q.id, response: true, rcode, questions: q.questions, answers, additionals }),
          from,
        );
      },
    });
    return this.#sock.localAddress.port;
  }

  /** Sets the A records of `name`. */
  a(name: string, ...ips: string[]): void {
    this.zone.set(name, ips.map((address) => ({ name, type: "A", ttl: 1, address })));
  }

  /** Sets the SRV records of `name`: `[target, port, weight]`, each target with one A record. */
  srv(name: string, ...targets: [string, number, number, string][]): void {
    this.zone.set(
      name,
      targets.map(([target, port, weight]) => ({ name, type: "SRV", ttl: 1, priority: 0, weight, port, target })),
    );
    for (const [target, , , ip] of targets) this.a(target, ip);
  }

  /** Unbinds. */
  close(): void {
    this.#sock?.close();
  }
}
