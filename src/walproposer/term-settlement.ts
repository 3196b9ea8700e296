// Settles a won campaign into a term: plans it from the quorum's votes (election.ts), reads the
// part of the donor's WAL the proposer must hold back from the donor (recovery-fetch.ts) and
// finds the start of its last record (the next record's xl_prev). Asserts the history it will
// propose is ordered and starts no lower than WAL every acceptor flushed. Sends nothing to the
// acceptors and admits none of them (catch-up.ts does).
import { assert } from '../common/assert.js';
import { AppError } from '../common/errors.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { WalDecoder } from '../postgres/wal/wal-decoder.js';
import type { VoteResponse } from '../protocol/proposer-messages.js';
import type { Term, TermSwitch } from '../protocol/term-history.js';
import type { AcceptorEndpoint } from './acceptor-link.js';
import { findHistoryDisorder } from '../protocol/term-history.js';
import { planTerm, type TermPlan } from './election.js';
import { fetchWal, RECOVERY_TIMEOUT_MS } from './recovery-fetch.js';
import { WalBuffer } from './wal-buffer.js';

/** What the election settled: where this term's WAL starts and the record before it. */
export interface Election {
  readonly term: bigint;
  readonly epochStartLsn: Lsn;
  readonly prevRecordLsn: Lsn;
  readonly timelineStartLsn: Lsn;
}

/** A settled term: the election, what it proposes and the WAL held for it. */
export interface SettledTerm {
  readonly election: Election;
  readonly history: readonly TermSwitch[];
  /** The highest truncate_lsn the voters reported. */
  readonly truncateLsn: Lsn;
  /** The WAL the proposer holds, from the lowest LSN a voter or the recovery needs. */
  readonly buffer: WalBuffer;
}

/** A voter as the settlement sees it. */
export interface Voter {
  readonly name: string;
  readonly endpoint: AcceptorEndpoint;
  readonly vote: VoteResponse;
}

export interface SettlementContext {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly systemId: bigint;
  readonly segmentSizeBytes: number;
  readonly onEvent?: ((message: string) => void) | undefined;
}

export async function settleTerm(
  voters: readonly Voter[],
  term: Term,
  context: SettlementContext,
): Promise<SettledTerm> {
  const plan = planTerm(
    voters.map((voter) => voter.vote),
    term,
    BigInt(context.segmentSizeBytes),
  );
  assertProposable(plan, term);
  const { epochStartLsn, holdFromLsn } = plan;
  const buffer = new WalBuffer(holdFromLsn);
  let prevRecordLsn = 0n;
  if (holdFromLsn < epochStartLsn) {
    const donor = voters.find((voter) => voter.vote === plan.donor) as Voter;
    // The read tells where the last record starts; the acceptors that are behind are told
    // about by the catch-up, which streams to them from this buffer.
    const bytes = await fetchWal(
      donor.endpoint,
      context,
      holdFromLsn,
      epochStartLsn,
      RECOVERY_TIMEOUT_MS,
    );
    prevRecordLsn = lastRecordStart(holdFromLsn, bytes, context);
    buffer.append(bytes);
  }
  return {
    election: { term, epochStartLsn, prevRecordLsn, timelineStartLsn: plan.timelineStartLsn },
    history: plan.history,
    truncateLsn: plan.truncateLsn,
    buffer,
  };
}

/** The consensus invariants of the history a term proposes. */
function assertProposable(plan: TermPlan<VoteResponse>, term: Term): void {
  const { history, epochStartLsn, truncateLsn, holdFromLsn } = plan;
  const disorder = findHistoryDisorder(history);
  assert(
    disorder === undefined,
    () =>
      `the proposed term history is ordered by term and LSN (entry ${disorder ?? 0} of ${history.map((e) => `${e.term}@${formatLsn(e.lsn)}`).join(', ')})`,
  );
  const last = history[history.length - 1];
  assert(
    last?.term === term && last.lsn === epochStartLsn,
    () => `the proposed term history ends with term ${term} at ${formatLsn(epochStartLsn)}`,
  );
  assert(
    epochStartLsn >= truncateLsn,
    () =>
      `the term's WAL starts at ${formatLsn(epochStartLsn)}, not below truncate_lsn ${formatLsn(truncateLsn)} (WAL every acceptor flushed)`,
  );
  assert(holdFromLsn <= epochStartLsn, 'the WAL held starts at or before the term');
}

/** The start of the last record in `bytes` (WAL from the record boundary `fromLsn`). */
function lastRecordStart(fromLsn: Lsn, bytes: Uint8Array, context: SettlementContext): Lsn {
  const decoder = new WalDecoder({
    startLsn: fromLsn,
    segmentSizeBytes: context.segmentSizeBytes,
    systemId: context.systemId,
  });
  decoder.feed(bytes);
  let last: Lsn | undefined;
  for (let record = decoder.next(); record !== undefined; record = decoder.next())
    last = record.startLsn;
  if (last === undefined || decoder.decodedLsn !== fromLsn + BigInt(bytes.length))
    throw new AppError(
      'integrity',
      `the donor's WAL ${formatLsn(fromLsn)}..${formatLsn(fromLsn + BigInt(bytes.length))} does not end on a record boundary`,
    );
  return last;
}
