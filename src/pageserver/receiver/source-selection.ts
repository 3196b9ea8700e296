// Which safekeeper a timeline streams from: a pure function of what the last discovery round saw
// (each answering safekeeper's commit_lsn and where its WAL starts), the current source and
// the position the stream must resume at. The best source holds the WAL from that position and
// has the highest commit_lsn (ties: the current one, then the lowest id). The current source is
// kept unless it stopped answering, lost the WAL we need, or is more than `lagThresholdBytes`
// behind the best.
import type { NodeId } from '../../common/ids.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';

export interface SourceCandidate {
  readonly safekeeperId: NodeId;
  readonly commitLsn: Lsn;
  /** Where the timeline's WAL starts (0 before a walproposer was elected). */
  readonly timelineStartLsn: Lsn;
  /** Where this safekeeper's WAL starts. */
  readonly localStartLsn: Lsn;
  readonly segmentSizeBytes: number;
}

export interface SourceChoiceInput {
  /** The safekeepers that answered the last round about this timeline and may be tried now. */
  readonly candidates: readonly SourceCandidate[];
  readonly currentId: NodeId | undefined;
  /** Where the stream resumes; undefined for a timeline without local WAL yet. */
  readonly resumeLsn: Lsn | undefined;
  /** The timeline's segment size once known (a candidate with another one is ignored). */
  readonly segmentSizeBytes: number | undefined;
  readonly lagThresholdBytes: bigint;
}

export type SourceChoice =
  | { readonly kind: 'keep' }
  | {
      readonly kind: 'switch';
      readonly to: SourceCandidate;
      /** Where to start: resumeLsn, or the timeline's start for a new timeline. */
      readonly startLsn: Lsn;
      readonly reason: string;
    }
  | { readonly kind: 'none'; readonly reason: string };

function startFor(candidate: SourceCandidate, resumeLsn: Lsn | undefined): Lsn {
  return resumeLsn ?? candidate.timelineStartLsn;
}

/** Can serve WAL from the position we need. */
function isEligible(candidate: SourceCandidate, input: SourceChoiceInput): boolean {
  if (candidate.segmentSizeBytes === 0 || candidate.timelineStartLsn === 0n) return false;
  if (input.segmentSizeBytes !== undefined && candidate.segmentSizeBytes !== input.segmentSizeBytes)
    return false;
  const start = startFor(candidate, input.resumeLsn);
  // The current source's commit_lsn in the round may predate what it has streamed since.
  const isCurrent = candidate.safekeeperId === input.currentId;
  return candidate.localStartLsn <= start && (isCurrent || candidate.commitLsn >= start);
}

function isBetter(a: SourceCandidate, b: SourceCandidate, currentId: NodeId | undefined): boolean {
  if (a.commitLsn !== b.commitLsn) return a.commitLsn > b.commitLsn;
  if (a.safekeeperId === currentId || b.safekeeperId === currentId)
    return a.safekeeperId === currentId;
  return a.safekeeperId < b.safekeeperId;
}

export function chooseSource(input: SourceChoiceInput): SourceChoice {
  const eligible = input.candidates.filter((candidate) => isEligible(candidate, input));
  const best = eligible.reduce<SourceCandidate | undefined>(
    (found, candidate) =>
      found === undefined || isBetter(candidate, found, input.currentId) ? candidate : found,
    undefined,
  );
  if (best === undefined) {
    const reason =
      input.candidates.length === 0
        ? 'no safekeeper answered about this timeline'
        : input.resumeLsn === undefined
          ? 'no safekeeper holds WAL of this timeline yet'
          : `no answering safekeeper holds WAL from ${formatLsn(input.resumeLsn)}`;
    return { kind: 'none', reason };
  }
  const switchTo = (reason: string): SourceChoice => ({
    kind: 'switch',
    to: best,
    startLsn: startFor(best, input.resumeLsn),
    reason,
  });
  if (input.currentId === undefined) return switchTo('no source yet');
  const current = eligible.find((candidate) => candidate.safekeeperId === input.currentId);
  if (current === undefined)
    return switchTo(`safekeeper ${input.currentId} no longer answers or serves this timeline`);
  const lagBytes = best.commitLsn - current.commitLsn;
  if (lagBytes > input.lagThresholdBytes)
    return switchTo(
      `safekeeper ${input.currentId} is ${lagBytes} bytes behind safekeeper ${best.safekeeperId} (commit_lsn ${formatLsn(current.commitLsn)} < ${formatLsn(best.commitLsn)})`,
    );
  return { kind: 'keep' };
}
