/**
 * `show sess [<id>|all]` (management.txt 9.3): one line per stream in progress in HAProxy 2.6's
 * format (`cli_io_handler_dump_sess()`), the fields proxykit has filled (`proto`, `src`, `fe`,
 * `be`, `srv`, `age`, `exp`), the scheduler and buffer internals it has no equivalent of
 * (`epoch`, `calls`, `rate`, `cpu`, `lat`, the channel and stream-connector flags, `rc`,
 * `c_exp`) printed empty, as HAProxy prints a timer that is not set. A stream is a TCP stream
 * or an HTTP transaction in progress: as in HAProxy 2.6, an idle keep-alive connection between
 * two requests has no stream.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "./proxy.ts";
import type { Address } from "./net.ts";
import { formatLogDate } from "./log.ts";

/**
 * What `show sess` prints of one stream: plain data (addresses, names, clock times in ms), so
 * that one process can print the streams of others (the command line's workers).
 */
export interface SessRow {
  /** The stream's number (HAProxy prints the stream's pointer), unique within the listing. */
  readonly id: number;
  /** The worker running it (`--workers`), printed as `tmask` in the dump; absent in one process. */
  readonly worker?: number;
  readonly src: Address | undefined;
  readonly dst: Address | undefined;
  readonly fe: string;
  readonly mode: "tcp" | "http";
  readonly be: string | undefined;
  readonly srv: string | undefined;
  readonly srvAddr: Address | undefined;
  /** When it started, the proxy's clock (ms). */
  readonly startedAt: number;
  /** When its current timeout fires, the proxy's clock (ms); undefined: no timeout. */
  readonly expiresAt: number | undefined;
}

/**
 * How far apart the stream numbers of two workers are: worker `w`'s streams are numbered from
 * `w * 2^32` (printed `0x1xxxxxxxx`, `0x2xxxxxxxx`), so they never collide and the number
 * tells the worker.
 */
export const WORKER_ID_SPAN = 2 ** 32;

const IDS = new WeakMap<object, number>();
let nextId = 1;
/** A stream's number for `show sess` (HAProxy prints the stream's pointer): stable while it lives. */
function idOf(o: object): number {
  let id = IDS.get(o);
  if (id === undefined) IDS.set(o, id = nextId++);
  return id;
}

/**
 * The streams of `proxy` in progress, TCP streams first, then HTTP transactions. `worker`
 * (the command line's worker number) offsets their numbers by `worker * WORKER_ID_SPAN` and
 * marks the rows with it.
 */
export function sessRows(proxy: ProxyServer, worker?: number): SessRow[] {
  const i = internalsOf(proxy);
  const base = worker === undefined ? 0 : worker * WORKER_ID_SPAN;
  const w = worker === undefined ? {} : { worker };
  const out: SessRow[] = [];
  for (const s of i.streams) {
    out.push({
      id: base + idOf(s),
      ...w,
      src: s.clientConn.src,
      dst: s.clientConn.dst,
      fe: s.frontend.name,
      mode: "tcp",
      be: s.backend.name,
      srv: s.server?.name,
      srvAddr: s.server?.address,
      startedAt: s.acceptedAt,
      expiresAt: s.expiresAt,
    });
  }
  for (const s of i.sessions) {
    const t = s.txn;
    if (t === undefined) continue;
    const srv = t.lease?.server;
    out.push({
      id: base + idOf(t),
      ...w,
      src: s.conn.src,
      dst: s.conn.dst,
      fe: s.frontend.name,
      mode: "http",
      be: t.backendName,
      srv: srv?.name,
      srvAddr: srv?.address,
      startedAt: t.startAt,
      expiresAt: s.expiresAt,
    });
  }
  return out;
}

/**
 * HAProxy's `human_time()`: at most two units among d, h, m, s, without padding (`0s`, `59s`,
 * `1m05s` is printed `1m5s`, `2h3m`, `1d4h`); `?` for a negative time.
 */
export function humanTime(seconds: number): string {
  const t = Math.floor(seconds);
  if (t < 0 || !Number.isFinite(t)) return "?";
  if (t === 0) return "0s";
  let out = "";
  let cnt = 2;
  if (t >= 86400) (out += `${Math.floor(t / 86400)}d`, cnt--);
  if (cnt > 0 && Math.floor((t % 86400) / 3600) > 0) (out += `${Math.floor((t % 86400) / 3600)}h`, cnt--);
  if (cnt > 0 && Math.floor((t % 3600) / 60) > 0) (out += `${Math.floor((t % 3600) / 60)}m`, cnt--);
  if (cnt > 0 && t % 60 > 0) out += `${t % 60}s`;
  return out;
}

/** `proto=`: HAProxy's protocol name of the client's address. */
function proto(a: Address | undefined): string {
  if (a === undefined) return "";
  if (a.transport === "unix") return "unix_stream";
  return a.hostname.includes(":") ? "tcpv6" : "tcpv4";
}

/** An address as `show sess` prints it: `ip:port` (IPv6 unbracketed), `unix:` for a Unix socket. */
function addr(a: Address | undefined): string {
  if (a === undefined) return "";
  // HAProxy prints the listener's id after `unix:`; proxykit has no listener ids.
  return a.transport === "unix" ? "unix:" : `${a.hostname}:${a.port}`;
}

/** One stream's line (HAProxy's field order; what proxykit cannot know, empty). */
function line(r: SessRow, now: number): string {
  const exp = r.expiresAt === undefined ? "" : humanTime((r.expiresAt - now) / 1000);
  const channel = "[f=,i=,an=,rx=,wx=,ax=]";
  return `0x${r.id.toString(16)}: proto=${proto(r.src)} src=${addr(r.src)} fe=${r.fe} ` +
    `be=${r.be ?? "<NONE>"} srv=${r.srv ?? "<none>"} ts= epoch= age=${humanTime((now - r.startedAt) / 1000)} ` +
    `calls= rate= cpu= lat= rq${channel} rp${channel} scf=[,,fd=] scb=[,,fd=] exp=${exp} rc= c_exp=\n`;
}

/** HAProxy's full dump of one stream, the lines proxykit can fill. */
function detail(r: SessRow, now: number): string {
  const d = new Date(r.startedAt);
  const us = String(d.getMilliseconds() * 1000).padStart(6, "0");
  const date = `${formatLogDate(r.startedAt).slice(0, -4)}.${us}`;
  return `0x${r.id.toString(16)}: [${date}] id=${r.id} proto=${proto(r.src)} source=${addr(r.src)}\n` +
    `  frontend=${r.fe} (id= mode=${r.mode}), listener=? (id=) addr=${addr(r.dst)}\n` +
    `  backend=${r.be ?? "<NONE>"} (id= mode=${r.mode})\n` +
    `  server=${r.srv ?? "<none>"} (id=) addr=${addr(r.srvAddr)}\n` +
    `  task=(nil) (state= nice= calls= rate= exp=${
      r.expiresAt === undefined ? "<NEVER>" : humanTime((r.expiresAt - now) / 1000)
    } tmask=${r.worker === undefined ? "" : `0x${(2 ** (r.worker - 1)).toString(16)}`} age=${
      humanTime((now - r.startedAt) / 1000)
    })\n`;
}

/**
 * `show sess` (every stream, one line each), `show sess all` (every stream's dump), `show sess
 * <id>` (that stream's dump, `Session not found.` if it ended); an id that is not a number
 * lists them all, as HAProxy's `strtoul()` reads it as 0.
 */
export function showSess(proxy: ProxyServer, arg: string | undefined): string {
  return formatSess(sessRows(proxy), arg, internalsOf(proxy).clock.now());
}

/** {@link showSess}'s answer for `rows` (of one process or several) at `now` (the clock's ms). */
export function formatSess(rows: readonly SessRow[], arg: string | undefined, now: number): string {
  if (arg === "all") return rows.map((r) => detail(r, now)).join("");
  const id = arg === undefined ? 0 : parseC(arg);
  if (id === 0) return rows.map((r) => line(r, now)).join("");
  const r = rows.find((x) => x.id === id);
  return r === undefined ? "Session not found.\n" : detail(r, now);
}

/** C's `strtoul(s, NULL, 0)`: `0x` hex, `0` octal, else decimal, up to the first bad digit (0 if none). */
function parseC(s: string): number {
  const m = /^\s*(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9]\d*))/.exec(s);
  if (m === null) return 0;
  if (m[1] !== undefined) return parseInt(m[1], 16);
  if (m[2] !== undefined) return parseInt(m[2], 8);
  return Number(m[3]);
}
