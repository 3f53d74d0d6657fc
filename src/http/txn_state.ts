/**
 * The progress flags of an HTTP transaction, shared by the transaction and the parts it
 * delegates to (its timer reads them to pick the timeouts that apply). Internal: not exported
 * from the package.
 *
 * @module
 */

/** Where the two messages of a transaction are, and which side's writes are backed up. */
export class TxnFlags {
  /** The request was read to its end (and forwarded, once connected). */
  reqDone = false;
  /** The final response head was sent to the client (or the proxy's reply was). */
  resHeadSent = false;
  /** The response was sent to its end. */
  resDone = false;
  /** After a 101 or a 2xx to CONNECT: bytes both ways until either side ends. */
  tunnel = false;
  /** The transaction ended (log line out, lease released): later events are ignored. */
  ended = false;
  /** The server's write buffer is full: the client's reads are paused. */
  srvBlocked = false;
  /** The client's write buffer is full: the server's reads are paused. */
  cliBlocked = false;
}
