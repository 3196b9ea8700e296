// The pure decisions of WAL offload, table-tested: which segments a timeline still has to
// upload (complete ones only, never the segment holding commit_lsn), whether this safekeeper may
// campaign for the upload (it holds the WAL from backup_lsn on), where a segment goes in the
// bucket, and how long to wait after a failed upload. No I/O here.
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  segmentNumberOf,
  segmentStartLsn,
  type SegmentNumber,
} from '../../postgres/segment-name.js';

/** First wait after a failed upload; doubled per failure (neon: 10 ms << attempt). */
export const UPLOAD_BACKOFF_INITIAL_MS = 10;
/** The longest wait between upload attempts. */
export const UPLOAD_BACKOFF_MAX_MS = 5000;

/** The segments [fromSegno, toSegno) that are complete below commit_lsn and not backed up. */
export interface PendingSegments {
  readonly fromSegno: SegmentNumber;
  readonly toSegno: SegmentNumber;
}

export interface OffloadLsns {
  readonly commitLsn: Lsn;
  readonly backupLsn: Lsn;
  /** 0: no greeting yet, nothing can be planned. */
  readonly segmentSizeBytes: number;
}

/**
 * Complete segments not yet in the bucket: from backup_lsn's segment up to (not including) the
 * one holding commit_lsn. undefined when there is none (neon's is_wal_backup_required without
 * the connected-compute part: docs/safekeeper.md says why).
 */
export function pendingSegments(lsns: OffloadLsns): PendingSegments | undefined {
  if (lsns.segmentSizeBytes === 0) return undefined;
  const fromSegno = segmentNumberOf(lsns.backupLsn, lsns.segmentSizeBytes);
  const toSegno = segmentNumberOf(lsns.commitLsn, lsns.segmentSizeBytes);
  return toSegno > fromSegno ? { fromSegno, toSegno } : undefined;
}

/** The LSN just past segment `segno`: what backup_lsn becomes once it is uploaded. */
export function segmentEndLsn(segno: SegmentNumber, segmentSizeBytes: number): Lsn {
  return segmentStartLsn(segno + 1n, segmentSizeBytes);
}

export type Eligibility =
  { readonly eligible: true } | { readonly eligible: false; readonly reason: string };

export interface EligibilityInputs {
  readonly segmentSizeBytes: number;
  readonly localStartLsn: Lsn;
  readonly backupLsn: Lsn;
  /** The first pending segment's file is here (complete, or the tail written past its end). */
  readonly firstSegmentPresent: boolean;
}

/**
 * Only a safekeeper that holds the WAL from backup_lsn on may campaign (neon's a51b2dac9a):
 * one that joined later, or whose files are gone, would win and then fail forever.
 */
export function checkEligibility(inputs: EligibilityInputs): Eligibility {
  if (inputs.segmentSizeBytes === 0)
    return { eligible: false, reason: 'no WAL yet (segment size unknown)' };
  if (inputs.localStartLsn === 0n)
    return { eligible: false, reason: 'no WAL yet (no proposer elected)' };
  if (inputs.localStartLsn > inputs.backupLsn)
    return {
      eligible: false,
      reason: `local WAL starts at ${formatLsn(inputs.localStartLsn)}, after backup_lsn ${formatLsn(inputs.backupLsn)}`,
    };
  if (!inputs.firstSegmentPresent)
    return {
      eligible: false,
      reason: `the segment holding backup_lsn ${formatLsn(inputs.backupLsn)} is not on this safekeeper`,
    };
  return { eligible: true };
}

/**
 * `<prefix_in_bucket>/<tenant>/<timeline>/<segment name>`, the prefix trimmed of slashes; with
 * no prefix the key starts with the tenant (neon's began with "/" then: reference §11.6).
 */
export function segmentObjectKey(
  prefixInBucket: string | undefined,
  tenantId: string,
  timelineId: string,
  segmentName: string,
): string {
  const prefix = (prefixInBucket ?? '').replace(/^\/+|\/+$/g, '');
  const parts = [tenantId, timelineId, segmentName];
  return (prefix === '' ? parts : [prefix, ...parts]).join('/');
}

/** The wait after `failures` consecutive failed uploads (1 = the first): 10, 20, 40 ... 5000 ms. */
export function uploadBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  // Past 2^10 the cap is reached anyway; a bounded shift keeps the number exact.
  const doublings = Math.min(failures - 1, 10);
  return Math.min(UPLOAD_BACKOFF_MAX_MS, UPLOAD_BACKOFF_INITIAL_MS * 2 ** doublings);
}

/** The candidate value in the election (neon's `id_<node id>`), and back; undefined if foreign. */
export function candidateValue(nodeId: number): string {
  return `id_${nodeId}`;
}

export function nodeIdOfCandidate(value: string): number | undefined {
  const match = /^id_(\d{1,19})$/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** etcd leases are granted in whole seconds: a TTL is rounded up, at least 1 s. */
export function leaseTtlSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/** The election's name: `<prefix>/<tenant>/<timeline>/safekeeper/wal_backup`. */
export function electionName(etcdPrefix: string, tenantId: string, timelineId: string): string {
  return `${etcdPrefix}/${tenantId}/${timelineId}/safekeeper/wal_backup`;
}

/**
 * Whether to look in the bucket before uploading a segment, during one leadership: a previous
 * leader (whose backup_lsn may not have reached us) uploaded in order with at most `jobs` in
 * flight, so once `jobs` segments were missing there, none after them can be present.
 */
export class BucketProbe {
  private missing = 0;

  constructor(private readonly jobs: number) {}

  wanted(): boolean {
    return this.missing < this.jobs;
  }

  missed(): void {
    this.missing++;
  }
}
