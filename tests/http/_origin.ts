/**
 * A scripted HTTP/1.1 origin for HTTP-mode tests, on any network (the in-memory one with a
 * fake clock in unit tests): it splits what each connection receives into requests by hand
 * (Content-Length or chunked, no trailers), records each raw request with the number of the
 * connection it came on, and answers what `respond` returns for it.
 */
import type { Listener, Network, Socket, SocketHandlers, TcpAddress } from "../../src/net.ts";
import { concat, dec, enc } from "../_helpers.ts";
import { parseProxyHeader, type ProxyHeader } from "../../src/proxy_protocol.ts";

/** A request as the origin received it. */
export interface OriginRequest {
  /** Connection number, from 0 in accept order. */
  readonly conn: number;
  /** Request line. */
  readonly line: string;
  /** The head, raw (request line, fields, blank line). */
  readonly head: string;
  /** The body, raw as received (chunked framing kept). */
  readonly body: string;
  /** Lowercase field names to values (the last one wins). */
  readonly headers: ReadonlyMap<string, string>;
  /** The path of the request line. */
  readonly path: string;
}

/**
 * What to do with a request: bytes to write (a whole response, or anything), `"hang"` (say
 * nothing), `"close"` (close the connection without a byte), `"reset"`.
 */
export type OriginAction = string | "hang" | "close" | "reset";

/** The default answer: 200 with a body naming the path and the connection. */
export function ok(req: OriginRequest, extra = ""): string {
  const body = `${req.path} on ${req.conn}`;
  return `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`;
}

class OriginConn implements SocketHandlers {
  #buf = "";
  #tunnel = false;
  readonly origin: Origin;
  readonly socket: Socket;
  readonly n: number;
  constructor(origin: Origin, socket: Socket, n: number) {
    this.origin = origin;
    this.socket = socket;
    this.n = n;
  }
  /** Bytes of a PROXY header still being read (`Origin.acceptProxy`). */
  #pp: Uint8Array | undefined = new Uint8Array(0);
  onData(chunk: Uint8Array): void {
    if (this.origin.acceptProxy && this.#pp !== undefined) {
      const all = concat([this.#pp, chunk]);
      const h = parseProxyHeader(all);
      if (h.state === "incomplete") return void (this.#pp = all);
      if (h.state === "error") throw new Error(`origin: bad PROXY header: ${h.detail}`);
      this.#pp = undefined;
      this.origin.proxyHeaders[this.n] = h;
      if (h.length === all.length) return;
      chunk = all.subarray(h.length);
    }
    if (this.#tunnel) {
      this.origin.tunnelled.push(dec([chunk]));
      this.socket.write(enc(`echo:${dec([chunk])}`));
      return;
    }
    this.#buf += dec([chunk]);
    for (;;) {
      const end = this.#buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.#buf.slice(0, end + 4);
      const lines = head.split("\r\n");
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
      }
      let bodyLen = 0;
      if (headers.get("transfer-encoding") === "chunked") {
        const z = this.#buf.indexOf("0\r\n\r\n", end + 4);
        if (z < 0) return;
        bodyLen = z + 5 - (end + 4);
      } else bodyLen = Number(headers.get("content-length") ?? 0);
      if (this.#buf.length < end + 4 + bodyLen) return;
      const body = this.#buf.slice(end + 4, end + 4 + bodyLen);
      this.#buf = this.#buf.slice(end + 4 + bodyLen);
      const line = lines[0]!;
      const req: OriginRequest = { conn: this.n, line, head, body, headers, path: line.split(" ")[1] ?? "" };
      this.origin.requests.push(req);
      const action = this.origin.respond(req);
      if (action === "hang") continue;
      if (action === "close") return this.socket.close();
      if (action === "reset") return this.socket.abort();
      this.socket.write(enc(action));
      if (action.startsWith("HTTP/1.1 101")) this.#tunnel = true;
    }
  }
  onEnd(): void {
    this.origin.eofs++;
    this.socket.shutdownWrite();
  }
  onDrain(): void {}
  onClose(): void {
    this.origin.closed++;
  }
}

/** The origin server. */
export class Origin {
  readonly requests: OriginRequest[] = [];
  readonly sockets: Socket[] = [];
  /** Bytes received after a 101, per chunk. */
  readonly tunnelled: string[] = [];
  /** Connections that sent their EOF / that are closed. */
  eofs = 0;
  closed = 0;
  listener: Listener | undefined;
  /** Each connection starts with a PROXY header (`send-proxy*` servers), read off and kept. */
  acceptProxy = false;
  /** The PROXY header of each connection, by connection number (with `acceptProxy`). */
  readonly proxyHeaders: ProxyHeader[] = [];
  /** The answer to each request (default: {@link ok}). */
  respond: (req: OriginRequest) => OriginAction = (r) => ok(r);

  /** Listens on `address`. */
  async listen(net: Network, address: TcpAddress): Promise<this> {
    this.listener = await net.listen({
      address,
      onAccept: (s) => {
        const c = new OriginConn(this, s, this.sockets.length);
        this.sockets.push(s);
        s.setHandlers(c);
      },
    });
    return this;
  }
}
