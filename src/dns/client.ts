/**
 * The DNS client of one `resolvers` section (configuration.txt 5.3.2): each query goes to
 * every nameserver at once over UDP, the first usable answer wins; without one, the query is
 * sent again every `timeout retry`, `resolve_retries` times in all, as HAProxy's
 * `resolv_send_query()` / `process_resolvers()`. Platform-free: UDP comes from the network
 * adapter's `openDatagram`, time from the {@link Clock}.
 *
 * @module
 */
import type { Clock, Timer } from "../clock.ts";
import type { DatagramSocket, Network, TcpAddress } from "../net.ts";
import { decodeMessage, type DnsMessage, type DnsRecordType, DnsWireError, encodeMessage, RCODE } from "./wire.ts";

/**
 * How a query ended, HAProxy's `RSLV_STATUS_*`: `valid` (an answer, possibly empty), `nx`
 * (NXDOMAIN), `refused`, `timeout` (no answer after every try), `other` (SERVFAIL, a
 * malformed or truncated answer...).
 */
export type DnsStatus = "valid" | "nx" | "refused" | "timeout" | "other";

/** The result of {@link DnsClient.query}. */
export interface DnsOutcome {
  /** How the query ended. */
  readonly status: DnsStatus;
  /** The response, when a nameserver gave a usable one (`valid`). */
  readonly message?: DnsMessage;
  /** The nameserver whose answer counted (`valid`, `nx`, `refused`, `other`). */
  readonly nameserver?: string;
}

/** Counters of one nameserver, named as HAProxy's `show resolvers` prints them. */
export interface NameserverCounters {
  /** Queries sent. */
  sent: number;
  /** Send errors. */
  snd_error: number;
  /** Valid answers. */
  valid: number;
  /** NXDOMAIN answers. */
  nx: number;
  /** Queries that got no answer from this nameserver before the resolution gave up. */
  timeout: number;
  /** REFUSED answers. */
  refused: number;
  /** Other error answers (SERVFAIL, NOTIMP, ...). */
  other: number;
  /** Answers that did not decode, or did not match the question. */
  invalid: number;
  /** Truncated answers (TC set). */
  truncated: number;
  /** Answers to a query already answered, or no longer waited for. */
  outdated: number;
}

/** A `nameserver <name> <ip:port>` line. */
export interface Nameserver {
  /** Its name in the section (logs: `by dns/ns1`). */
  readonly name: string;
  /** IP literal and port (UDP). */
  readonly address: TcpAddress;
}

/** Settings of a {@link DnsClient}. */
export interface DnsClientSettings {
  /** The nameservers, asked all at once. */
  readonly nameservers: readonly Nameserver[];
  /** `resolve_retries`: sends before giving up (at least 1). */
  readonly retries: number;
  /** `timeout retry`: wait for an answer before sending again, ms. */
  readonly retryMs: number;
  /** `accepted_payload_size`: advertised in an EDNS0 OPT record when above 512. */
  readonly payloadSize: number;
}

interface Pending {
  readonly name: string;
  readonly type: DnsRecordType;
  readonly packet: Uint8Array;
  triesLeft: number;
  /** Error answers so far, by nameserver: the query fails with one once all have answered. */
  readonly errors: Map<string, DnsStatus>;
  timer: Timer | undefined;
  readonly done: (o: DnsOutcome) => void;
}

const RCODE_STATUS: Readonly<Record<number, DnsStatus>> = { [RCODE.NXDOMAIN]: "nx", [RCODE.REFUSED]: "refused" };

/** One `resolvers` section's DNS client: queries, ids, tries and counters. */
export class DnsClient {
  /** Per-nameserver counters, by nameserver name. */
  readonly counters: ReadonlyMap<string, NameserverCounters>;
  readonly #settings: DnsClientSettings;
  readonly #net: Network;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #pending = new Map<number, Pending>();
  readonly #sockets = new Map<4 | 6, Promise<DatagramSocket>>();
  #closed = false;

  /** A client; sockets are opened on the first query. `random` draws query ids. */
  constructor(settings: DnsClientSettings, net: Network, clock: Clock, random: () => number = Math.random) {
    this.#settings = settings;
    this.#net = net;
    this.#clock = clock;
    this.#random = random;
    this.counters = new Map(settings.nameservers.map((n) => [n.name, newCounters()]));
  }

  /**
   * Asks every nameserver for `type` records of `name`; resolves (never rejects) with the
   * first valid answer, with an error status once every nameserver answered with an error,
   * or with `timeout` after `retries` sends without an answer.
   */
  query(name: string, type: DnsRecordType): Promise<DnsOutcome> {
    if (this.#closed) return Promise.resolve({ status: "timeout" });
    let id = Math.floor(this.#random() * 0x10000) & 0xffff;
    while (this.#pending.has(id)) id = (id + 1) & 0xffff;
    const { payloadSize } = this.#settings;
    const packet = encodeMessage({
      id,
      response: false,
      questions: [{ name, type }],
      ...(payloadSize > 512 ? { payloadSize } : {}),
    });
    return new Promise((done) => {
      const p: Pending = {
        name,
        type,
        packet,
        triesLeft: this.#settings.retries,
        errors: new Map(),
        timer: undefined,
        done,
      };
      this.#pending.set(id, p);
      void this.#send(id, p);
    });
  }

  /** Closes the sockets; queries in progress end with `timeout`. */
  close(): void {
    this.#closed = true;
    for (const [id, p] of this.#pending) this.#finish(id, p, { status: "timeout" });
    for (const s of this.#sockets.values()) void s.then((sock) => sock.close(), () => {});
    this.#sockets.clear();
  }

  async #send(id: number, p: Pending): Promise<void> {
    p.triesLeft--;
    p.timer = this.#clock.setTimer(() => this.#expired(id, p), this.#settings.retryMs);
    for (const ns of this.#settings.nameservers) {
      const c = this.counters.get(ns.name)!;
      try {
        const sock = await this.#socket(ns.address.hostname.includes(":") ? 6 : 4);
        if (this.#pending.get(id) !== p) return;
        sock.send(p.packet, ns.address);
        c.sent++;
      } catch {
        c.snd_error++;
      }
    }
  }

  #expired(id: number, p: Pending): void {
    p.timer = undefined;
    if (this.#pending.get(id) !== p) return;
    if (p.triesLeft > 0) return void this.#send(id, p);
    for (const ns of this.#settings.nameservers) if (!p.errors.has(ns.name)) this.counters.get(ns.name)!.timeout++;
    const error = [...p.errors.values()][0];
    this.#finish(id, p, error === undefined ? { status: "timeout" } : { status: error });
  }

  #finish(id: number, p: Pending, outcome: DnsOutcome): void {
    this.#pending.delete(id);
    this.#clock.clearTimer(p.timer);
    p.done(outcome);
  }

  #socket(family: 4 | 6): Promise<DatagramSocket> {
    let s = this.#sockets.get(family);
    if (s !== undefined) return s;
    const open = this.#net.openDatagram;
    if (open === undefined) return Promise.reject(new Error(`the ${this.#net.name} adapter has no UDP`));
    s = open.call(this.#net, {
      bind: { transport: "tcp", hostname: family === 6 ? "::" : "0.0.0.0", port: 0 },
      onMessage: (data, from) => this.#received(data, from),
    });
    s.catch(() => this.#sockets.delete(family));
    this.#sockets.set(family, s);
    return s;
  }

  /** One datagram: matched to its query by id, nameserver address and question. */
  #received(data: Uint8Array, from: TcpAddress): void {
    const ns = this.#settings.nameservers.find((n) =>
      n.address.port === from.port && sameIp(n.address.hostname, from.hostname)
    );
    if (ns === undefined) return;
    const c = this.counters.get(ns.name)!;
    let m: DnsMessage;
    try {
      m = decodeMessage(data);
    } catch (e) {
      if (!(e instanceof DnsWireError)) throw e;
      c.invalid++;
      return;
    }
    const p = this.#pending.get(m.id);
    if (p === undefined) return void c.outdated++;
    const q = m.questions[0];
    if (!m.response || q === undefined || q.type !== p.type || q.name !== p.name.toLowerCase()) {
      return void c.invalid++;
    }
    const rcode = m.rcode ?? 0;
    let status: DnsStatus = rcode === RCODE.NOERROR ? "valid" : RCODE_STATUS[rcode] ?? "other";
    if (status === "valid" && m.truncated === true) {
      c.truncated++;
      status = "other";
    }
    if (status === "valid") {
      c.valid++;
      return this.#finish(m.id, p, { status, message: m, nameserver: ns.name });
    }
    c[status]++;
    p.errors.set(ns.name, status);
    if (p.errors.size === this.#settings.nameservers.length) {
      this.#finish(m.id, p, { status, nameserver: ns.name });
    }
  }
}

function newCounters(): NameserverCounters {
  return {
    sent: 0,
    snd_error: 0,
    valid: 0,
    nx: 0,
    timeout: 0,
    refused: 0,
    other: 0,
    invalid: 0,
    truncated: 0,
    outdated: 0,
  };
}

/** The same IP, an IPv4 sender seen through a dual-stack socket (`::ffff:a.b.c.d`) included. */
function sameIp(a: string, b: string): boolean {
  return a === b || `::ffff:${a}` === b;
}
