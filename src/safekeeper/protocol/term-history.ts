// Pure functions over a term history: the list of (term, start LSN) switches an acceptor or a
// proposer holds. Terms increase strictly along the list; LSNs never decrease.
import type { Lsn } from '../../postgres/lsn.js';
import type { TermSwitch } from '../control-file/safekeeper-state.js';

/** The entries that start at or before `lsn` (neon's `up_to`): what the WAL up to lsn holds. */
export function historyUpTo(history: readonly TermSwitch[], lsn: Lsn): TermSwitch[] {
  const kept: TermSwitch[] = [];
  for (const entry of history) {
    if (entry.lsn > lsn) break;
    kept.push(entry);
  }
  return kept;
}
