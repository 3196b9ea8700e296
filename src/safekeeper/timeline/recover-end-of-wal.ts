// Where a timeline's WAL ends on disk at load: scanned from the persisted commit_lsn (0 when
// never committed), with the potential data losses a person must hear about logged as warnings.
// Reads only; the timeline opens its WAL storage at the LSN returned.
import type { Logger } from '../../common/log.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import type { SafekeeperState } from '../control-file/safekeeper-state.js';
import { findEndOfWal } from '../wal/wal-recovery.js';

export async function recoverEndOfWal(
  dir: string,
  state: SafekeeperState,
  log: Logger,
): Promise<Lsn> {
  const { commitLsn, peerHorizonLsn, server } = state;
  if (commitLsn === 0n) return 0n;
  const end = await findEndOfWal(dir, server.walSegSize, commitLsn);
  if (!end.startSegmentFound) {
    log.warn(
      { commitLsn: formatLsn(commitLsn) },
      'potential data loss: the WAL segment holding commit_lsn is missing; starting with no local WAL',
    );
    return 0n;
  }
  if (end.endLsn < peerHorizonLsn)
    log.warn(
      { endLsn: formatLsn(end.endLsn), peerHorizonLsn: formatLsn(peerHorizonLsn) },
      'potential data loss: WAL ends below peer_horizon_lsn',
    );
  log.info(
    {
      commitLsn: formatLsn(commitLsn),
      flushLsn: formatLsn(end.endLsn),
      stop: end.stoppedBecause,
    },
    'WAL recovered',
  );
  return end.endLsn;
}
