// The pure decisions of a walproposer's election: which acceptor's WAL becomes the base of the
// new term (the donor), the term history the proposer announces, where each acceptor starts
// receiving WAL (its divergence point from that history), the whole plan of a term, and the
// commit and truncate LSNs. Table-tested; no I/O and no state: the campaign, the settlement
// and the quorum commit feed them what the acceptors reported.
import type { Lsn } from '../postgres/lsn.js';
import type { Term, TermSwitch } from '../protocol/term-history.js';
import { epochAt, historyUpTo } from '../protocol/term-history.js';

/** What an acceptor said in its VoteResponse. */
export interface VoteState {
  readonly flushLsn: Lsn;
  readonly truncateLsn: Lsn;
  readonly termHistory: readonly TermSwitch[];
  readonly timelineStartLsn: Lsn;
}

/** Acceptors needed for a decision: a strict majority. */
export function quorumOf(acceptorCount: number): number {
  return Math.floor(acceptorCount / 2) + 1;
}

/** The most advanced acceptor by (last log term, flush_lsn): its WAL is the new term's base. */
export function pickDonor<T extends VoteState>(votes: readonly T[]): T {
  let donor: T | undefined;
  let donorEpoch = -1n;
  for (const vote of votes) {
    const epoch = epochAt(vote.termHistory, vote.flushLsn);
    if (
      donor === undefined ||
      epoch > donorEpoch ||
      (epoch === donorEpoch && vote.flushLsn > donor.flushLsn)
    ) {
      donor = vote;
      donorEpoch = epoch;
    }
  }
  if (donor === undefined) throw new RangeError('pickDonor needs at least one vote');
  return donor;
}

/** The new term's history: the donor's, then the new term starting where the donor's WAL ends. */
export function proposerHistory(donor: VoteState, term: Term, epochStartLsn: Lsn): TermSwitch[] {
  return [...historyUpTo(donor.termHistory, epochStartLsn), { term, lsn: epochStartLsn }];
}

/**
 * Where an acceptor starts receiving WAL: the end of the last term its history shares with the
 * proposer's (the earlier of the two ends), its flush_lsn if that term is the proposer's own,
 * and the start of the proposer's history when they share nothing.
 */
export function startStreamingAt(
  history: readonly TermSwitch[],
  term: Term,
  acceptor: Pick<VoteState, 'termHistory' | 'flushLsn'>,
): Lsn {
  const theirs = acceptor.termHistory;
  let common = -1;
  while (common + 1 < Math.min(history.length, theirs.length)) {
    const ours = history[common + 1] as TermSwitch;
    const their = theirs[common + 1] as TermSwitch;
    if (ours.term !== their.term || ours.lsn !== their.lsn) break;
    common++;
  }
  const first = history[0] as TermSwitch;
  if (common < 0) return first.lsn;
  const shared = history[common] as TermSwitch;
  if (shared.term === term) return acceptor.flushLsn;
  const ourEnd = (history[common + 1] as TermSwitch).lsn;
  const theirEnd = theirs[common + 1]?.lsn ?? acceptor.flushLsn;
  const end = ourEnd < theirEnd ? ourEnd : theirEnd;
  return end < acceptor.flushLsn ? end : acceptor.flushLsn;
}

/**
 * The highest LSN flushed by a quorum. As in Raft, WAL of earlier terms is not committed by
 * counting copies: an acceptor's flush counts only once it reached the new epoch's start.
 */
export function quorumFlushLsn(flushLsns: readonly Lsn[], quorum: number, epochStartLsn: Lsn): Lsn {
  // The highest flush that `quorum` acceptors reached, found without sorting a copy: this runs
  // on every flush that rises, and there are a handful of acceptors.
  let best = 0n;
  for (const candidate of flushLsns) {
    if (candidate < epochStartLsn || candidate <= best) continue;
    let holders = 0;
    for (const lsn of flushLsns) if (lsn >= candidate) holders++;
    if (holders >= quorum) best = candidate;
  }
  return best;
}

/** The lowest LSN flushed by every acceptor (0 while one has not reported). */
export function minFlushLsn(flushLsns: readonly Lsn[]): Lsn {
  let min: Lsn | undefined;
  for (const lsn of flushLsns) if (min === undefined || lsn < min) min = lsn;
  return min ?? 0n;
}

/**
 * A record boundary at or below the donor's end from which to read the donor's WAL, so that the
 * last record's start (the next record's xl_prev) is learned: the highest of the known
 * boundaries (truncate_lsn, term starts, timeline start) strictly below the end.
 */
export function recoveryBoundary(donor: VoteState, truncateLsn: Lsn): Lsn | undefined {
  const candidates = [truncateLsn, donor.timelineStartLsn, ...donor.termHistory.map((e) => e.lsn)];
  let best: Lsn | undefined;
  for (const lsn of candidates)
    if (lsn !== 0n && lsn < donor.flushLsn && (best === undefined || lsn > best)) best = lsn;
  return best;
}

/** What a proposer elected by a quorum's votes proposes, and the WAL it must hold for it. */
export interface TermPlan<T extends VoteState> {
  /** The most advanced voter: its WAL is the base of the term. */
  readonly donor: T;
  /** The highest truncate_lsn reported: WAL that every acceptor flushed in an earlier term. */
  readonly truncateLsn: Lsn;
  readonly timelineStartLsn: Lsn;
  /** Where the term's own WAL starts: the end of the donor's WAL. */
  readonly epochStartLsn: Lsn;
  readonly history: readonly TermSwitch[];
  /**
   * The lowest LSN the proposer must hold: the lowest streaming start of a voter, or the
   * record boundary from which the donor's last record is found, whichever is lower.
   */
  readonly holdFromLsn: Lsn;
  /** The lowest streaming start of a voter (the epoch start when none is behind). */
  readonly neededFromLsn: Lsn;
}

/**
 * Plans the term `term` from the votes of a quorum; `defaultStartLsn` is where a timeline that
 * no acceptor has started yet starts.
 */
export function planTerm<T extends VoteState>(
  votes: readonly T[],
  term: Term,
  defaultStartLsn: Lsn,
): TermPlan<T> {
  const donor = pickDonor(votes);
  let truncateLsn = 0n;
  for (const vote of votes) if (vote.truncateLsn > truncateLsn) truncateLsn = vote.truncateLsn;
  const knownStart = votes.find((vote) => vote.timelineStartLsn !== 0n)?.timelineStartLsn;
  const timelineStartLsn = knownStart ?? defaultStartLsn;
  const epochStartLsn = donor.flushLsn === 0n ? timelineStartLsn : donor.flushLsn;
  const history = proposerHistory(donor, term, epochStartLsn);
  let neededFromLsn = epochStartLsn;
  for (const vote of votes) {
    const start = startStreamingAt(history, term, vote);
    if (start < neededFromLsn) neededFromLsn = start;
  }
  const boundary = recoveryBoundary(donor, truncateLsn) ?? epochStartLsn;
  const holdFromLsn = boundary < neededFromLsn ? boundary : neededFromLsn;
  return {
    donor,
    truncateLsn,
    timelineStartLsn,
    epochStartLsn,
    history,
    holdFromLsn,
    neededFromLsn,
  };
}
