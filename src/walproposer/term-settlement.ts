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
import {
  pageHeaderBytesAt,
  readPageHeader,
  XLOG_BLCKSZ,
  XLOG_PAGE_MAGIC,
  XLP_FIRST_IS_CONTRECORD,
} from '../postgres/wal/wal-page-header.js';
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
  const { epochStartLsn } = plan;
  let holdFromLsn = plan.holdFromLsn;
  let bytes: Buffer | undefined;
  if (holdFromLsn < epochStartLsn) {
    const donor = voters.find((voter) => voter.vote === plan.donor) as Voter;
    // A voter that is behind needs the WAL from its streaming start (a record boundary) on, so
    // the read starts there. Otherwise only the last record's start is wanted: found near the
    // end from page headers, not by reading from the last known boundary, which may be far
    // back (a long term, truncate_lsn at the end) and whose segments may have been removed.
    const tail =
      plan.neededFromLsn < epochStartLsn
        ? { fromLsn: plan.neededFromLsn, bytes: undefined }
        : await readTail(donor, context, holdFromLsn, epochStartLsn);
    if (tail !== undefined && tail.fromLsn > holdFromLsn) holdFromLsn = tail.fromLsn;
    bytes =
      tail?.bytes ??
      (await fetchWal(donor.endpoint, context, holdFromLsn, epochStartLsn, RECOVERY_TIMEOUT_MS));
  }
  const buffer = new WalBuffer(holdFromLsn);
  let prevRecordLsn = 0n;
  if (bytes !== undefined) {
    // The read tells where the last record starts; the acceptors that are behind are told
    // about by the catch-up, which streams to them from this buffer.
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

/** Pages read back from the end, at most, looking for one on which a record starts. */
const TAIL_PAGES_MAX = 64;

/**
 * The first record boundary of the page at `pageStartLsn` (its header, then what a record from
 * the page before continues with, aligned), or undefined when that record fills the page.
 */
export function firstRecordOnPage(
  pageStartLsn: Lsn,
  page: Uint8Array,
  segmentSizeBytes: number,
): Lsn | undefined {
  const header = readPageHeader(page);
  if (header.magic !== XLOG_PAGE_MAGIC || header.pageAddressLsn !== pageStartLsn) return undefined;
  const continued = (header.info & XLP_FIRST_IS_CONTRECORD) === 0 ? 0 : header.remainingRecordBytes;
  const offset = pageHeaderBytesAt(Number(pageStartLsn % BigInt(segmentSizeBytes))) + continued;
  const aligned = Math.ceil(offset / 8) * 8;
  return aligned < XLOG_BLCKSZ ? pageStartLsn + BigInt(aligned) : undefined;
}

/**
 * WAL from a record boundary close below `endLsn` to `endLsn`, read back from the donor page by
 * page; undefined when none is found above `floorLsn` within TAIL_PAGES_MAX pages (the caller
 * reads from `floorLsn` then).
 */
async function readTail(
  donor: Voter,
  context: SettlementContext,
  floorLsn: Lsn,
  endLsn: Lsn,
): Promise<{ fromLsn: Lsn; bytes: Buffer } | undefined> {
  const pageBytes = BigInt(XLOG_BLCKSZ);
  let pageStart = ((endLsn - 1n) / pageBytes) * pageBytes;
  for (let pages = 0; pages < TAIL_PAGES_MAX && pageStart > floorLsn; pages++) {
    const bytes = await fetchWal(donor.endpoint, context, pageStart, endLsn, RECOVERY_TIMEOUT_MS);
    const first = firstRecordOnPage(pageStart, bytes, context.segmentSizeBytes);
    if (first !== undefined && first < endLsn)
      return { fromLsn: first, bytes: bytes.subarray(Number(first - pageStart)) };
    pageStart -= pageBytes;
  }
  return undefined;
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
