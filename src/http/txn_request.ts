/**
 * The request side of an HTTP transaction once its head went to the server: the body (and
 * trailers) from the session's parser to the server, re-framed when chunked, events held by
 * `option http-buffer-request` first; a client that cuts the body short or sends an invalid
 * one ends the transaction. In a tunnel it carries the client's bytes the same way.
 *
 * @module
 */
import { htxTrailersSize } from "./head.ts";
import { isH1Error } from "./error.ts";
import { ChunkedEncoder } from "./serialize.ts";
import { errorReply } from "./error_pages.ts";
import type { HeldRequest } from "./txn_buffer.ts";
import type { TxnCore } from "./txn_state.ts";
import { writeBatch } from "./txn_write.ts";

/** The request body of one transaction, forwarded as it is read. */
export class RequestSide {
  readonly #c: TxnCore;
  /** `option http-buffer-request`: the events read before connecting, forwarded first. */
  held: HeldRequest | undefined;
  #reqEnc: ChunkedEncoder | undefined;
  #reqTrailers: [string, string][] | undefined;
  /** Body views read in the current pull, not written yet. */
  readonly #batch: Uint8Array[] = [];

  /** The request side of the transaction `core` gives access to. */
  constructor(core: TxnCore) {
    this.#c = core;
  }

  /** The body is chunked: it is re-chunked toward the server. */
  chunked(): void {
    this.#reqEnc = new ChunkedEncoder();
  }

  /** The request side carries a tunnel's bytes from now on: no chunked coding any more. */
  tunnel(): void {
    this.#reqEnc = undefined;
  }

  /** Forwards what the parser has of the request, until it waits for bytes or the server is full. */
  pull(): void {
    const c = this.#c, f = c.flags, t = c.txn;
    const parser = t.session.parser;
    while (!f.reqDone && !f.srvBlocked && !f.ended) {
      let ev;
      try {
        // Events held by `option http-buffer-request` go first.
        ev = this.held?.next() ?? parser.read();
      } catch (e) {
        this.#batch.length = 0;
        if (!isH1Error(e)) throw e;
        // Cut short by the client (CD--), or invalid after the head was forwarded (400 PH--).
        if (e.termination === "CD--" || e.termination === "CR--") {
          c.setTerm("C", "D");
          return c.abortBoth();
        }
        c.setTerm("P", "H");
        c.closeServer(true);
        return c.reply(errorReply(400, c.bePolicy()?.errors, t.session.ctx.policy.errors), 400, true);
      }
      if (ev !== null && ev.type === "body") {
        this.#batch.push(ev.data);
        continue;
      }
      if (this.#batch.length > 0) {
        t.bytesIn += writeBatch(this.#batch, this.#reqEnc, c, true);
        if (f.ended) return;
      }
      if (ev === null) return;
      if (ev.type === "trailers") {
        this.#reqTrailers = ev.trailers;
        t.bytesIn += htxTrailersSize(ev.trailers);
      } else if (ev.type === "end") {
        if (this.#reqEnc !== undefined) c.toServer(this.#reqEnc.end(this.#reqTrailers));
        f.reqDone = true;
        if (f.tunnel) {
          c.flushOut();
          c.shutServer();
        }
        c.armTimer();
        c.maybeDone();
      }
    }
  }

  /**
   * Reads the request to its end when it is all buffered already (no body, or a small one),
   * before a reply of the proxy's own: true when it was. The parser resumes after an upgrade
   * request or a CONNECT (no tunnel follows a reply).
   */
  skip(): boolean {
    const t = this.#c.txn;
    const parser = t.session.parser;
    for (;;) {
      let ev;
      try {
        ev = parser.read();
      } catch {
        return false;
      }
      if (ev === null) return false;
      if (ev.type === "body") t.bytesIn += ev.data.length;
      if (ev.type === "end") {
        this.#c.flags.reqDone = true;
        if (t.request!.upgrade || t.request!.head.method === "CONNECT") parser.resume();
        return true;
      }
    }
  }
}
