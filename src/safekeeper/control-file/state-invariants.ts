// Invariants of a persisted safekeeper state, checked before every write (a violation there is
// a bug: assert) and after every read (a violation there is corruption: integrity error).
import { isHexId } from '../../common/hex-id.js';
import { isValidSegmentSize } from '../../postgres/segment-name.js';
import type { SafekeeperState } from './safekeeper-state.js';

/** undefined when the state is consistent, else what is wrong. */
export function describeStateViolation(state: SafekeeperState): string | undefined {
  if (!isHexId(state.tenantId) || !isHexId(state.timelineId))
    return 'malformed tenant or timeline id';
  const { walSegSize } = state.server;
  if (walSegSize !== 0 && !isValidSegmentSize(walSegSize))
    return `invalid wal_seg_size ${walSegSize}`;
  let previous: { term: bigint; lsn: bigint } | undefined;
  for (const entry of state.acceptorState.termHistory) {
    if (previous !== undefined && (entry.term <= previous.term || entry.lsn < previous.lsn))
      return `term history is not ascending at term ${entry.term}`;
    if (entry.term > state.acceptorState.term)
      return `term history holds term ${entry.term} above the acceptor term ${state.acceptorState.term}`;
    previous = entry;
  }
  if (state.localStartLsn !== 0n && state.localStartLsn < state.timelineStartLsn)
    return 'local_start_lsn is below timeline_start_lsn';
  return undefined;
}
