// Invariants of a persisted safekeeper state, checked before every write (a violation there is
// a bug: assert) and after every read (a violation there is corruption: integrity error).
import { isHexId } from '../../common/hex-id.js';
import { isValidSegmentSize } from '../../postgres/segment-name.js';
import { findHistoryDisorder } from '../../protocol/term-history.js';
import type { SafekeeperState } from './safekeeper-state.js';

/** undefined when the state is consistent, else what is wrong. */
export function describeStateViolation(state: SafekeeperState): string | undefined {
  if (!isHexId(state.tenantId) || !isHexId(state.timelineId))
    return 'malformed tenant or timeline id';
  const { walSegSize } = state.server;
  if (walSegSize !== 0 && !isValidSegmentSize(walSegSize))
    return `invalid wal_seg_size ${walSegSize}`;
  const history = state.acceptorState.termHistory;
  const disorder = findHistoryDisorder(history);
  if (disorder !== undefined)
    return `term history is not ascending at term ${history[disorder]?.term ?? '?'}`;
  for (const entry of history) {
    if (entry.term > state.acceptorState.term)
      return `term history holds term ${entry.term} above the acceptor term ${state.acceptorState.term}`;
  }
  if (state.localStartLsn !== 0n && state.localStartLsn < state.timelineStartLsn)
    return 'local_start_lsn is below timeline_start_lsn';
  return undefined;
}
