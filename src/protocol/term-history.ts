// The term history of a timeline (neon's TermHistory): the switches (term, start LSN) in
// ascending order of both, and the queries the acceptor and the proposer share. Pure data and
// functions; the control file stores it, the protocol messages carry it.
import type { Lsn } from '../postgres/lsn.js';

export type Term = bigint;

export interface TermSwitch {
  readonly term: Term;
  /** Where WAL of this term starts. */
  readonly lsn: Lsn;
}

/** The epoch: term of the last history entry starting at or below flushLsn (0 if none). */
export function epochAt(termHistory: readonly TermSwitch[], flushLsn: Lsn): Term {
  let epoch = 0n;
  for (const entry of termHistory) {
    if (entry.lsn > flushLsn) break;
    epoch = entry.term;
  }
  return epoch;
}

/** The entries that start at or before `lsn` (neon's `up_to`): what the WAL up to lsn holds. */
export function historyUpTo(termHistory: readonly TermSwitch[], lsn: Lsn): TermSwitch[] {
  return termHistory.filter((entry) => entry.lsn <= lsn);
}

/**
 * The index of the first entry of `history` that is out of order (its term not above the one
 * before it, or its LSN below), or undefined when the history is ordered.
 */
export function findHistoryDisorder(history: readonly TermSwitch[]): number | undefined {
  for (let index = 1; index < history.length; index++) {
    const previous = history[index - 1] as TermSwitch;
    const entry = history[index] as TermSwitch;
    if (entry.term <= previous.term || entry.lsn < previous.lsn) return index;
  }
  return undefined;
}
