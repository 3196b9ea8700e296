// The AppendResponse of a batch of appends, as neon's acceptor fills it: the persisted
// commit_lsn (durable: a sync-safekeepers walproposer relies on it), the hot-standby feedback
// combined over the timeline's replicas (ts 0 and u64::MAX xmins when none sent any), and the
// latest pageserver feedback of the replica with the most advanced ps_writelsn (zeros and "now"
// when there is none). Pure: it reads the registry, changes nothing.
import type { Lsn } from '../../postgres/lsn.js';
import { postgresEpochMicrosNow } from '../../postgres/wire/replication-messages.js';
import type { AppendResponse } from '../../protocol/proposer-messages.js';
import {
  noPageserverFeedback,
  NO_HOT_STANDBY_FEEDBACK,
  type ReplicaRegistry,
} from '../timeline/replica-registry.js';

/**
 * The reply to appends: the persisted commit_lsn, and what the replicas report (the combined
 * hot-standby feedback; the pageserver feedback with the most advanced ps_writelsn, zeros when
 * no pageserver sent any).
 */
export function appendResponse(
  term: bigint,
  flushLsn: Lsn,
  persistedCommitLsn: Lsn,
  replicas: ReplicaRegistry,
): AppendResponse {
  return {
    tag: 'append',
    term,
    flushLsn,
    commitLsn: persistedCommitLsn,
    hotStandbyFeedback: replicas.hotStandbyFeedback(),
    pageserverFeedback:
      replicas.pageserverFeedback() ?? noPageserverFeedback(postgresEpochMicrosNow()),
  };
}

/** The reply to an old proposer: our term and nothing else (neon's term_only). */
export function termOnlyResponse(term: bigint): AppendResponse {
  return {
    tag: 'append',
    term,
    flushLsn: 0n,
    commitLsn: 0n,
    hotStandbyFeedback: NO_HOT_STANDBY_FEEDBACK,
    pageserverFeedback: noPageserverFeedback(postgresEpochMicrosNow()),
  };
}
