/**
 * A stream interface: one end of a stream (the client side or the server side), owning at
 * most one {@link Connection} and walking HAProxy's states.
 *
 * The accepted (client) side is attached to its connection directly in EST. The connecting
 * (server) side walks INI → REQ → [QUE →] ASS → CON → EST, and on a failed connect goes to
 * CER, then back to ASS (retry on the same server, keeping the connection and its
 * destination, possibly through TAR, the turn-around delay) or to REQ (redispatch: the
 * connection is cleared, not freed). DIS and CLO end it.
 *
 * @module
 */
import { Connection } from "./connection.ts";

/**
 * Stream interface states (HAProxy's SI_ST_* / SC_ST_*):
 * - `INI`: created, nothing asked yet;
 * - `REQ`: a connection was requested, no server assigned yet (load balancing runs);
 * - `QUE`: waiting in a server's or the backend's queue for a free slot;
 * - `TAR`: turn-around: waiting before retrying a connect that failed with an error;
 * - `ASS`: a server (destination) is assigned, connect not started;
 * - `CON`: connect in progress;
 * - `CER`: the connect failed; a retry or redispatch is being decided;
 * - `EST`: established, data flows;
 * - `DIS`: disconnection in progress;
 * - `CLO`: closed, final.
 */
export type SiState = "INI" | "REQ" | "QUE" | "TAR" | "ASS" | "CON" | "CER" | "EST" | "DIS" | "CLO";

/** Every state, in HAProxy's order. */
export const SI_STATES: readonly SiState[] = ["INI", "REQ", "QUE", "TAR", "ASS", "CON", "CER", "EST", "DIS", "CLO"];

/** Allowed transitions: anything else is a core bug and throws. */
const NEXT: Readonly<Record<SiState, readonly SiState[]>> = {
  INI: ["REQ", "EST", "CLO"],
  REQ: ["QUE", "ASS", "CLO"],
  QUE: ["ASS", "REQ", "CLO"],
  TAR: ["ASS", "CLO"],
  ASS: ["CON", "CLO"],
  CON: ["EST", "CER", "CLO"],
  CER: ["ASS", "TAR", "REQ", "CLO"],
  EST: ["DIS", "CLO"],
  DIS: ["CLO"],
  CLO: [],
};

/** Each state's index in {@link SI_STATES}. */
const CODE: ReadonlyMap<SiState, number> = new Map(SI_STATES.map((st, i) => [st, i]));
/** Allowed transitions as bit masks over the indexes: `NEXT_BITS[from] & (1 << to)`. */
const NEXT_BITS: readonly number[] = SI_STATES.map((st) => NEXT[st].reduce((m, n) => m | (1 << CODE.get(n)!), 0));
/** States kept in the packed trail: 4 bits each in a double, exact up to 2^53. */
const TRAIL_MAX = 13;

/**
 * One end of a stream.
 *
 * @example
 * ```ts
 * const back = new StreamInterface("server");
 * back.setState("REQ");
 * const conn = back.ensureConn(); // attached on first need, kept across retries
 * ```
 */
export class StreamInterface {
  /** `"client"` for the accepted side, `"server"` for the connecting side. */
  readonly side: "client" | "server";
  #state: SiState = "INI";
  #code = 0;
  #conn: Connection | undefined;
  /**
   * The states entered after INI, 4 bits each (oldest first), up to TRAIL_MAX; a longer walk
   * (many retries) goes on in `#more`. Two arrays per stream used to weigh more than the rest
   * of its stream interfaces.
   */
  #trail = 0;
  #trailLen = 0;
  #more: SiState[] | undefined;
  /** Bit `1 << index` of every state entered. */
  #seen = 1;

  /** A stream interface in INI with no connection; `side` says which end of the stream it is. */
  constructor(side: "client" | "server") {
    this.side = side;
  }

  /** The current state. */
  get state(): SiState {
    return this.#state;
  }

  /** Every state entered, in order (starts with INI): observable for tests and traces. */
  get history(): SiState[] {
    const out: SiState[] = ["INI"];
    for (let i = this.#trailLen - 1; i >= 0; i--) out.push(SI_STATES[Math.floor(this.#trail / 16 ** i) % 16]!);
    if (this.#more !== undefined) out.push(...this.#more);
    return out;
  }

  /** Whether the interface was ever in state `st`. */
  hasBeen(st: SiState): boolean {
    return (this.#seen & (1 << CODE.get(st)!)) !== 0;
  }

  /** The attached connection, if any. */
  get conn(): Connection | undefined {
    return this.#conn;
  }

  /**
   * Moves to `next`. Re-entering the current state is a no-op.
   * @throws {Error} on a transition HAProxy's state machine does not allow (a core bug).
   */
  setState(next: SiState): void {
    if (next === this.#state) return;
    const code = CODE.get(next)!;
    if ((NEXT_BITS[this.#code]! & (1 << code)) === 0) {
      throw new Error(`stream interface (${this.side}): illegal transition ${this.#state} -> ${next}`);
    }
    this.#state = next;
    this.#code = code;
    this.#seen |= 1 << code;
    if (this.#trailLen < TRAIL_MAX) {
      this.#trail = this.#trail * 16 + code;
      this.#trailLen++;
    } else {
      (this.#more ??= []).push(next);
    }
  }

  /** Attaches a connection; the interface now owns it. @throws if one is attached already. */
  attach(conn: Connection): void {
    if (this.#conn !== undefined && this.#conn !== conn) {
      throw new Error(`stream interface (${this.side}): a connection is already attached`);
    }
    this.#conn = conn;
  }

  /** Detaches and returns the connection (for a pool, later); the caller owns it then. */
  detach(): Connection | undefined {
    const c = this.#conn;
    this.#conn = undefined;
    return c;
  }

  /** The attached connection, creating and attaching a clean one on first need. */
  ensureConn(): Connection {
    if (this.#conn === undefined) this.#conn = new Connection();
    return this.#conn;
  }

  /**
   * Attaches an accepted connection and enters EST: the accept side of HAProxy's 2013 design
   * note (doc/design-thoughts/connection-reuse.txt), where the connection is allocated without
   * a stream interface and attached to one initialised in established state.
   */
  attachEstablished(conn: Connection): void {
    this.attach(conn);
    this.setState("EST");
  }
}
