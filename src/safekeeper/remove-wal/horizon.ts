// The WAL removal horizon of one timeline (neon-reference §2.6), a pure function of its persisted
// LSNs: WAL below it has been consumed by the pageserver (remote_consistent_lsn), by every peer
// safekeeper (peer_horizon_lsn) and, when remote storage is configured, by S3 (backup_lsn).
// Whole segments strictly below the horizon's segment may go; the segment holding commit_lsn or
// flush_lsn never does, whatever the inputs say, nor the one before it: a new proposer learns
// where the last record starts (the next record's xl_prev) by reading back from the end, and a
// record that crosses into the last segment starts in the one before. Persisted values, not in-memory ones: what has
// been removed must stay explainable from what is on disk after a crash.
import type { Lsn } from '../../postgres/lsn.js';
import { segmentNumberOf, type SegmentNumber } from '../../postgres/segment-name.js';

/** The consumers whose LSNs bound the horizon, in the order a tie is reported. */
export const HORIZON_INPUTS = ['remote_consistent_lsn', 'peer_horizon_lsn', 'backup_lsn'] as const;
export type HorizonInput = (typeof HORIZON_INPUTS)[number];

export interface HorizonState {
  readonly remoteConsistentLsn: Lsn;
  readonly peerHorizonLsn: Lsn;
  readonly backupLsn: Lsn;
  readonly commitLsn: Lsn;
  readonly flushLsn: Lsn;
  readonly segmentSizeBytes: number;
  /** backup_lsn counts only when the safekeeper offloads to remote storage. */
  readonly backupConfigured: boolean;
}

export interface Horizon {
  /** min of the inputs that count; 0 while any of them is 0. */
  readonly horizonLsn: Lsn;
  /** The input holding the horizon back (the smallest; on a tie the first of HORIZON_INPUTS). */
  readonly limitedBy: HorizonInput;
  /**
   * Segments with a number below this may be removed: the horizon's segment, lowered to
   * ceilingSegno. 0 when the segment size is unknown.
   */
  readonly removableBeforeSegno: SegmentNumber;
  /**
   * What removal could reach at most: the segment before the one holding min(commit_lsn,
   * flush_lsn) (segments below it may go once every consumer is there).
   */
  readonly ceilingSegno: SegmentNumber;
}

export function computeHorizon(state: HorizonState): Horizon {
  const inputs: [HorizonInput, Lsn][] = [
    ['remote_consistent_lsn', state.remoteConsistentLsn],
    ['peer_horizon_lsn', state.peerHorizonLsn],
  ];
  if (state.backupConfigured) inputs.push(['backup_lsn', state.backupLsn]);
  let [limitedBy, horizonLsn] = inputs[0] as [HorizonInput, Lsn];
  for (const [name, lsn] of inputs.slice(1)) {
    if (lsn < horizonLsn) [limitedBy, horizonLsn] = [name, lsn];
  }
  if (state.segmentSizeBytes === 0)
    return { horizonLsn, limitedBy, removableBeforeSegno: 0n, ceilingSegno: 0n };
  const ceilingLsn = state.commitLsn < state.flushLsn ? state.commitLsn : state.flushLsn;
  const lastSegno = segmentNumberOf(ceilingLsn, state.segmentSizeBytes);
  const ceilingSegno = lastSegno > 0n ? lastSegno - 1n : 0n;
  const horizonSegno = segmentNumberOf(horizonLsn, state.segmentSizeBytes);
  return {
    horizonLsn,
    limitedBy,
    removableBeforeSegno: horizonSegno < ceilingSegno ? horizonSegno : ceilingSegno,
    ceilingSegno,
  };
}
