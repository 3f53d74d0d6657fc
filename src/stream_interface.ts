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
  #conn: Connection | undefined;
  /** Every state entered, in order (starts with INI): observable for tests and traces. */
  readonly history: SiState[] = ["INI"];

  /** A stream interface in INI with no connection; `side` says which end of the stream it is. */
  constructor(side: "client" | "server") {
    this.side = side;
  }

  /** The current state. */
  get state(): SiState {
    return this.#state;
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
    if (!NEXT[this.#state].includes(next)) {
      throw new Error(`stream interface (${this.side}): illegal transition ${this.#state} -> ${next}`);
    }
    this.#state = next;
    this.history.push(next);
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
