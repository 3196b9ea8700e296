// When the in-memory LSNs of a timeline must reach its control file (neon-reference §1.4-§1.5),
// as pure functions. commit_lsn may lag on disk (flush_lsn is rescanned at start and the
// proposer resends commit info); the horizon LSNs are persisted once they run more than one
// segment ahead, opportunistically after the save interval whenever anything advanced, and on a
// clean stop whenever anything advanced.
import type { Lsn } from '../../postgres/lsn.js';

/** The LSNs kept in memory ahead of the control file. */
export interface InmemLsns {
  readonly commitLsn: Lsn;
  readonly backupLsn: Lsn;
  readonly peerHorizonLsn: Lsn;
  readonly remoteConsistentLsn: Lsn;
}

/** Rules 6 and 7: backup, remote_consistent or peer_horizon is more than a segment ahead. */
export function horizonsNeedPersist(
  persisted: InmemLsns,
  inmem: InmemLsns,
  segmentSizeBytes: number,
): boolean {
  const segment = BigInt(segmentSizeBytes);
  return (
    inmem.backupLsn > persisted.backupLsn + segment ||
    inmem.remoteConsistentLsn > persisted.remoteConsistentLsn + segment ||
    inmem.peerHorizonLsn > persisted.peerHorizonLsn + segment
  );
}

/**
 * The periodic persist (§1.5): due when the interval has passed since the last persist (the
 * time is refreshed on every persist, unlike neon's) and any of the four LSNs advanced.
 */
export function periodicPersistDue(
  persisted: InmemLsns,
  inmem: InmemLsns,
  msSinceLastPersist: number,
  intervalMs: number,
): boolean {
  if (msSinceLastPersist < intervalMs) return false;
  return inmemAhead(persisted, inmem);
}

/** Any of the four in-memory LSNs is ahead of the control file (a clean stop persists then). */
export function inmemAhead(persisted: InmemLsns, inmem: InmemLsns): boolean {
  return (
    inmem.commitLsn > persisted.commitLsn ||
    inmem.backupLsn > persisted.backupLsn ||
    inmem.peerHorizonLsn > persisted.peerHorizonLsn ||
    inmem.remoteConsistentLsn > persisted.remoteConsistentLsn
  );
}
