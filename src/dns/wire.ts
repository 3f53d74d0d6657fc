/**
 * The DNS wire format (RFC 1035 4.1, RFC 2782 for SRV, RFC 3596 for AAAA, RFC 6891 for the
 * EDNS0 OPT record): one symmetric encoder and decoder of messages, platform-free. The
 * resolver encodes its queries and decodes the answers with it; tests encode answers with
 * the same functions. Names are written without compression and read with it (pointers).
 *
 * @module
 */

/** The record types proxykit reads (configuration.txt 5.3: A, AAAA, SRV, and CNAME chains). */
export type DnsRecordType = "A" | "AAAA" | "CNAME" | "SRV";

/** Numeric codes of {@link DnsRecordType} (RFC 1035 3.2.2, RFC 3596, RFC 2782). */
export const RECORD_TYPE_CODES: Readonly<Record<DnsRecordType, number>> = { A: 1, CNAME: 5, AAAA: 28, SRV: 33 };
/** The EDNS0 pseudo-record carrying the accepted UDP payload size (RFC 6891 6.1.2). */
const TYPE_OPT = 41;
/** Class IN. */
const CLASS_IN = 1;

/** Response codes the resolver tells apart (RFC 1035 4.1.1 RCODE). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** An A or AAAA record: one address of `name`. */
export interface DnsAddressRecord {
  /** Owner name, lower case, without the trailing dot. */
  readonly name: string;
  /** `A` (IPv4) or `AAAA` (IPv6). */
  readonly type: "A" | "AAAA";
  /** Time to live, seconds. */
  readonly ttl: number;
  /** IPv4 dotted quad or IPv6 text (compressed, lower case). */
  readonly address: string;
}

/** A CNAME record: `name` is an alias of `target`. */
export interface DnsCnameRecord {
  /** Owner name. */
  readonly name: string;
  /** `CNAME`. */
  readonly type: "CNAME";
  /** Time to live, seconds. */
  readonly ttl: number;
  /** The canonical name. */
  readonly target: string;
}

/** An SRV record (RFC 2782): a service instance at `target:port`. */
export interface DnsSrvRecord {
  /** Owner name (`_http._tcp.service.example`). */
  readonly name: string;
  /** `SRV`. */
  readonly type: "SRV";
  /** Time to live, seconds. */
  readonly ttl: number;
  /** Lower is preferred. */
  readonly priority: number;
  /** Relative weight among records of one priority, 0..65535. */
  readonly weight: number;
  /** The service's port. */
  readonly port: number;
  /** Host name of the instance. */
  readonly target: string;
}

/** A record of a type proxykit does not read, kept as bytes. */
export interface DnsOtherRecord {
  /** Owner name. */
  readonly name: string;
  /** `OTHER`. */
  readonly type: "OTHER";
  /** Time to live, seconds. */
  readonly ttl: number;
  /** The numeric type. */
  readonly code: number;
  /** RDATA as received. */
  readonly data: Uint8Array;
}

/** Any resource record of an answer. */
export type DnsRecord = DnsAddressRecord | DnsCnameRecord | DnsSrvRecord | DnsOtherRecord;

/** One question: a name and a type, class IN. */
export interface DnsQuestion {
  /** The name asked about. */
  readonly name: string;
  /** The record type asked for. */
  readonly type: DnsRecordType;
}

/** A DNS message, query or response. */
export interface DnsMessage {
  /** Transaction id, matched between a query and its response. */
  readonly id: number;
  /** QR: a response. */
  readonly response: boolean;
  /** RCODE (see {@link RCODE}). @default 0 */
  readonly rcode?: number;
  /** TC: the response was truncated to fit the payload size. @default false */
  readonly truncated?: boolean;
  /** AA: authoritative answer. @default false */
  readonly authoritative?: boolean;
  /** RD: recursion desired (set on queries, as HAProxy). @default true */
  readonly recursionDesired?: boolean;
  /** Questions (one in practice). */
  readonly questions: readonly DnsQuestion[];
  /** Answer section. @default [] */
  readonly answers?: readonly DnsRecord[];
  /** Additional section, without the OPT pseudo-record. @default [] */
  readonly additionals?: readonly DnsRecord[];
  /** EDNS0 UDP payload size (an OPT record); absent: no OPT record (512 bytes). */
  readonly payloadSize?: number;
}

/** Thrown by {@link decodeMessage} for bytes that are not a DNS message. */
export class DnsWireError extends RangeError {
  /** The reason, e.g. `DNS message truncated at byte 12`. */
  constructor(message: string) {
    super(message);
    this.name = "DnsWireError";
  }
}

const TYPE_NAMES = new Map<number, DnsRecordType>(
  Object.entries(RECORD_TYPE_CODES).map(([k, v]) => [v, k as DnsRecordType]),
);

/** A growable byte buffer for the encoder. */
class Writer {
  #buf = new Uint8Array(512);
  #len = 0;
  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
  get length(): number {
    return this.#len;
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v >> 8);
    this.u8(v);
  }
  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000));
    this.u16(v);
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  setU16(at: number, v: number): void {
    this.#buf[at] = (v >> 8) & 0xff;
    this.#buf[at + 1] = v & 0xff;
  }
  name(name: string): void {
    const n = name.endsWith(".") ? name.slice(0, -1) : name;
    for (const label of n === "" ? [] : n.split(".")) {
      const b = new TextEncoder().encode(label);
      if (b.length === 0 || b.length > 63) {
        throw new DnsWireError(`DNS label '${label}' of '${name}' must be 1..63 bytes`);
      }
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }
  done(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Bytes of an IPv4 or IPv6 literal. */
function addressBytes(type: "A" | "AAAA", text: string): Uint8Array {
  if (type === "A") return Uint8Array.from(text.split(".").map(Number));
  const [head = "", tail] = text.split("::");
  const groups = (
    s: string | undefined,
  ): number[] => (s === undefined || s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** IPv6 text of 16 bytes, the longest run of zero groups compressed (RFC 5952). */
function ipv6Text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function writeRecord(w: Writer, r: DnsRecord): void {
  w.name(r.name);
  w.u16(r.type === "OTHER" ? r.code : RECORD_TYPE_CODES[r.type]);
  w.u16(CLASS_IN);
  w.u32(r.ttl);
  const at = w.length;
  w.u16(0);
  if (r.type === "A" || r.type === "AAAA") w.bytes(addressBytes(r.type, r.address));
  else if (r.type === "CNAME") w.name(r.target);
  else if (r.type === "SRV") {
    w.u16(r.priority);
    w.u16(r.weight);
    w.u16(r.port);
    w.name(r.target);
  } else if (r.type === "OTHER") w.bytes(r.data);
  w.setU16(at, w.length - at - 2);
}

/**
 * Encodes a message: header, questions, answers, additionals and, with `payloadSize`, an
 * EDNS0 OPT record.
 * @throws {DnsWireError} for a label longer than 63 bytes.
 */
export function encodeMessage(m: DnsMessage): Uint8Array {
  const w = new Writer();
  const answers = m.answers ?? [];
  const additionals = m.additionals ?? [];
  w.u16(m.id);
  const flags = (m.response ? 0x8000 : 0) | (m.authoritative === true ? 0x0400 : 0) |
    (m.truncated === true ? 0x0200 : 0) | (m.recursionDesired === false ? 0 : 0x0100) | ((m.rcode ?? 0) & 0xf);
  w.u16(flags);
  w.u16(m.questions.length);
  w.u16(answers.length);
  w.u16(0);
  w.u16(additionals.length + (m.payloadSize !== undefined ? 1 : 0));
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(RECORD_TYPE_CODES[q.type]);
    w.u16(CLASS_IN);
  }
  for (const r of answers) writeRecord(w, r);
  for (const r of additionals) writeRecord(w, r);
  if (m.payloadSize !== undefined) {
    w.u8(0); // root name
    w.u16(TYPE_OPT);
    w.u16(m.payloadSize);
    w.u32(0);
    w.u16(0);
  }
  return w.done();
}

/** Reads a message field by field, checking every length against the bytes there are. */
class Reader {
  pos = 0;
  readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new DnsWireError(`DNS message truncated at byte ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  /** A name at the current position, following compression pointers (loops refused). */
  name(): string {
    const labels: string[] = [];
    let at = this.pos;
    let jumped = false;
    let hops = 0;
    for (;;) {
      if (at >= this.b.length) throw new DnsWireError(`DNS name runs past the message at byte ${at}`);
      const len = this.b[at]!;
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.b.length) throw new DnsWireError(`DNS name pointer truncated at byte ${at}`);
        if (++hops > 64) throw new DnsWireError("DNS name compression loop");
        if (!jumped) this.pos = at + 2;
        jumped = true;
        at = ((len & 0x3f) << 8) | this.b[at + 1]!;
        continue;
      }
      if ((len & 0xc0) !== 0) {
        throw new DnsWireError(`DNS label type 0x${len.toString(16)} at byte ${at} is not supported`);
      }
      if (len === 0) {
        if (!jumped) this.pos = at + 1;
        return labels.join(".").toLowerCase();
      }
      if (at + 1 + len > this.b.length) throw new DnsWireError(`DNS label runs past the message at byte ${at}`);
      labels.push(new TextDecoder().decode(this.b.subarray(at + 1, at + 1 + len)));
      at += 1 + len;
    }
  }
}

function readRecord(r: Reader): DnsRecord | { opt: number } {
  const name = r.name();
  const code = r.u16();
  const klass = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  r.need(len);
  const end = r.pos + len;
  const type = TYPE_NAMES.get(code);
  let rec: DnsRecord | { opt: number };
  if (code === TYPE_OPT) rec = { opt: klass };
  else if ((type === "A" && len === 4) || (type === "AAAA" && len === 16)) {
    const b = r.b.subarray(r.pos, end);
    rec = { name, type, ttl, address: type === "A" ? Array.from(b).join(".") : ipv6Text(b) };
  } else if (type === "CNAME") rec = { name, type, ttl, target: r.name() };
  else if (type === "SRV" && len >= 7) {
    rec = { name, type, ttl, priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
  } else if (type !== undefined) throw new DnsWireError(`DNS ${type} record of '${name}' has a bad length ${len}`);
  else rec = { name, type: "OTHER", ttl, code, data: r.b.slice(r.pos, end) };
  if (r.pos > end) throw new DnsWireError(`DNS record of '${name}' runs past its length`);
  r.pos = end;
  return rec;
}

/**
 * Decodes a message (authority records are skipped; an OPT record becomes `payloadSize`).
 * @throws {DnsWireError} for bytes that are not a well-formed DNS message.
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  const r = new Reader(bytes);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = r.name();
    const code = r.u16();
    r.u16();
    const type = TYPE_NAMES.get(code);
    if (type === undefined) throw new DnsWireError(`DNS question of '${name}' has an unsupported type ${code}`);
    questions.push({ name, type });
  }
  const answers: DnsRecord[] = [];
  const additionals: DnsRecord[] = [];
  let payloadSize: number | undefined;
  for (const [section, n] of [[answers, counts[1]], [undefined, counts[2]], [additionals, counts[3]]] as const) {
    for (let i = 0; i < n; i++) {
      const rec = readRecord(r);
      if ("opt" in rec) payloadSize = rec.opt;
      else section?.push(rec);
    }
  }
  const m: DnsMessage = {
    id,
    response: (flags & 0x8000) !== 0,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    questions,
    answers,
    additionals,
  };
  return payloadSize === undefined ? m : { ...m, payloadSize };
}
