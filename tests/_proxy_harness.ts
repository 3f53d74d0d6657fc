/**
 * A deterministic harness for proxy behaviour: an in-memory network on a fake clock, echo
 * servers that record which connection each got, a proxy with its log lines captured, and
 * clients driven step by step.
 */
import { FakeClock } from "../src/clock.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { internalsOf, type ProxyHooks, ProxyServer } from "../src/proxy.ts";
import type { Backend } from "../src/backend.ts";
import type { Frontend } from "../src/frontend.ts";
import type { HealthChecker } from "../src/health.ts";
import type { Stream } from "../src/stream.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import type { Listener, Socket, TcpAddress } from "../src/net.ts";
import { echoRecorder, enc, Recorder, tcp } from "./_helpers.ts";

/** Frontend address every harness proxy listens on. */
export const FRONT: TcpAddress = tcp("10.0.0.1", 80);

/** A server address of the harness: 10.1.0.N:8000. */
export const srvAddr = (n: number): TcpAddress => tcp(`10.1.0.${n}`, 8000);

/** What an echo server saw. */
export interface EchoServer {
  readonly name: string;
  listener: Listener;
  /** Sockets accepted, in order. */
  readonly accepted: Socket[];
  readonly recorders: Recorder[];
}

export class Harness {
  readonly clock = new FakeClock();
  readonly net = new MemoryNetwork({ clock: this.clock });
  readonly lines: string[] = [];
  /** Server names in the order they accepted connections. */
  readonly sequence: string[] = [];
  readonly servers = new Map<string, EchoServer>();
  proxy!: ProxyServer;
  /** Hooks given to the next {@link start}. */
  hooks: ProxyHooks | undefined;

  /**
   * Starts an echo server `name` at `addr`: it echoes what it receives and half-closes after
   * the client's EOF (unless `echo` is false: then it only records).
   */
  async server(name: string, addr: TcpAddress, echo = true): Promise<EchoServer> {
    const srv: EchoServer = { name, listener: undefined as unknown as Listener, accepted: [], recorders: [] };
    srv.listener = await this.net.listen({
      address: addr,
      onAccept: (s) => {
        this.sequence.push(name);
        const r = echo ? echoRecorder(s) : new Recorder();
        srv.accepted.push(s);
        srv.recorders.push(r);
        s.setHandlers(r);
      },
    });
    this.servers.set(name, srv);
    return srv;
  }

  /** Builds and starts the proxy with log lines captured. */
  async start(config: ProxyConfig, random?: () => number): Promise<ProxyServer> {
    this.proxy = new ProxyServer(config, {
      network: this.net,
      clock: this.clock,
      log: (l) => this.lines.push(l),
      ...(random !== undefined ? { random } : {}),
      ...(this.hooks !== undefined ? { hooks: this.hooks } : {}),
    });
    await this.proxy.start();
    return this.proxy;
  }

  /** The proxy's backends, as run-time objects (queues, setState). */
  get backends(): readonly Backend[] {
    return internalsOf(this.proxy).backends;
  }

  /** The proxy's frontends, as run-time objects. */
  get frontends(): readonly Frontend[] {
    return internalsOf(this.proxy).frontends;
  }

  /** The proxy's health checkers, in backend then server order. */
  get checkers(): readonly HealthChecker[] {
    return internalsOf(this.proxy).checkers;
  }

  /** The stream of the last client opened with {@link client}. */
  lastStream: Stream | undefined;

  /** Opens a client connection to the frontend (and records its stream as `lastStream`). */
  async client(): Promise<{ socket: Socket; rec: Recorder }> {
    const socket = await this.net.connect({ address: FRONT });
    const rec = new Recorder();
    socket.setHandlers(rec);
    await this.clock.advance(0);
    this.lastStream = [...internalsOf(this.proxy).streams].pop();
    return { socket, rec };
  }

  /** One full exchange: send `text`, half-close, wait for the echo and the close. */
  async exchange(text = "ping"): Promise<Recorder> {
    const c = await this.client();
    c.socket.write(enc(text));
    c.socket.shutdownWrite();
    await this.until(() => c.rec.closeCount === 1);
    return c.rec;
  }

  /**
   * Advances the fake clock in steps until `cond` holds; fails after `maxMs` of clock time.
   */
  async until(cond: () => boolean, maxMs = 600_000, stepMs?: number): Promise<void> {
    const end = this.clock.now() + maxMs;
    await this.clock.advance(0);
    while (!cond()) {
      if (this.clock.now() >= end) throw new Error(`condition not met after ${maxMs} ms of clock time`);
      const next = this.clock.nextAt;
      const step = stepMs ?? (next === undefined ? maxMs : Math.max(0, Math.min(next, end) - this.clock.now()));
      await this.clock.advance(step);
    }
  }

  /** The log line fields of HAProxy's TCP format, split for assertions. */
  static fields(
    line: string,
  ): { server: string; timers: string; bytes: string; term: string; conns: string; queues: string } {
    const m = /^\S+ \[[^\]]+\] \S+ \S+\/(\S+) (\S+) (\S+) (\S\S) (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a TCP log line: ${line}`);
    return { server: m[1]!, timers: m[2]!, bytes: m[3]!, term: m[4]!, conns: m[5]!, queues: m[6]! };
  }
}

/** A one-frontend, one-backend config on the harness addresses. */
export function config(
  backend: Partial<ProxyConfig["backends"][number]> & { servers: ProxyConfig["backends"][number]["servers"] },
  frontend: Partial<ProxyConfig["frontends"][number]> = {},
): ProxyConfig {
  return {
    frontends: [
      {
        name: "fe",
        binds: [FRONT],
        defaultBackend: "be",
        log: { target: "stdout", format: "tcplog" },
        ...frontend,
      } as ProxyConfig["frontends"][number],
    ],
    backends: [{ name: "be", ...backend }],
  };
}

/** `n` servers named s1..sn at srvAddr(1..n). */
export function servers(n: number, extra: Record<string, unknown> = {}): ProxyConfig["backends"][number]["servers"] {
  return Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}`, address: srvAddr(i + 1), ...extra }));
}
