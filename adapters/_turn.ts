/**
 * The end of an event-loop turn, for the write coalescing of the Node and Bun adapters
 * (`NetworkOptions.coalesceWrites`): a socket written to during a turn registers once, and when
 * the turn's I/O callbacks have run (`setImmediate` runs right after the poll phase) its
 * `endTurn()` writes what it kept.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** A socket holding writes until the turn ends. */
export interface TurnMember {
  /** The turn ended: what the socket kept goes out now. */
  endTurn(): void;
}

/** Sockets registered in this turn, in order. */
const MEMBERS: TurnMember[] = [];

/** Registers `m` (once per turn: the caller keeps its own flag) for the end of this turn. */
export function atTurnEnd(m: TurnMember): void {
  if (MEMBERS.push(m) === 1) setImmediate(endTurn);
}

function endTurn(): void {
  // A socket registered while these write (from a drain handler) waits for the next turn.
  const n = MEMBERS.length;
  for (let i = 0; i < n; i++) MEMBERS[i]!.endTurn();
  MEMBERS.splice(0, n);
  if (MEMBERS.length > 0) setImmediate(endTurn);
}
