// WAL segment arithmetic and file names. A segment number is lsn / segment size; a file name is
// 24 upper-case hex digits: timeline (%08X), then segno / segmentsPerXLogId (%08X), then
// segno % segmentsPerXLogId (%08X), where segmentsPerXLogId = 2^32 / segment size (256 for
// 16 MiB). The safekeeper writes the segment in progress as "<name>.partial".
import { AppError } from '../common/errors.js';
import type { Lsn } from './lsn.js';

export type SegmentNumber = bigint;

const SEGMENT_SIZE_MIN_BYTES = 1024 * 1024;
const SEGMENT_SIZE_MAX_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE_BYTES = 16 * 1024 * 1024;
/** PostgreSQL timeline id used by Neon: always 1. */
export const PG_TIMELINE_ID = 1;
export const PARTIAL_SUFFIX = '.partial';
const SEGMENT_FILE_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\.partial)?$/;

export function isValidSegmentSize(bytes: number): boolean {
  return (
    Number.isInteger(bytes) &&
    bytes >= SEGMENT_SIZE_MIN_BYTES &&
    bytes <= SEGMENT_SIZE_MAX_BYTES &&
    (bytes & (bytes - 1)) === 0
  );
}

/** The segment size as a bigint; AppError('usage') unless a power of two, 1 MiB to 1 GiB. */
export function checkSegmentSize(bytes: number): bigint {
  if (!isValidSegmentSize(bytes)) {
    throw new AppError(
      'usage',
      `invalid WAL segment size ${bytes}: expected a power of two from 1 MiB to 1 GiB`,
    );
  }
  return BigInt(bytes);
}

export function segmentNumberOf(lsn: Lsn, segmentSizeBytes: number): SegmentNumber {
  return lsn / checkSegmentSize(segmentSizeBytes);
}

export function segmentOffsetOf(lsn: Lsn, segmentSizeBytes: number): number {
  return Number(lsn % checkSegmentSize(segmentSizeBytes));
}

export function segmentStartLsn(segno: SegmentNumber, segmentSizeBytes: number): Lsn {
  return segno * checkSegmentSize(segmentSizeBytes);
}

function hex8(value: bigint | number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

export function segmentFileName(
  segno: SegmentNumber,
  segmentSizeBytes: number,
  timelineId = PG_TIMELINE_ID,
): string {
  const perXLogId = 0x1_0000_0000n / checkSegmentSize(segmentSizeBytes);
  return `${hex8(timelineId)}${hex8(segno / perXLogId)}${hex8(segno % perXLogId)}`;
}

interface ParsedSegmentFileName {
  readonly timelineId: number;
  readonly segno: SegmentNumber;
  readonly partial: boolean;
}

/** undefined for names that are not WAL segment files of this segment size. */
export function parseSegmentFileName(
  name: string,
  segmentSizeBytes: number,
): ParsedSegmentFileName | undefined {
  const match = SEGMENT_FILE_NAME.exec(name);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined)
    return undefined;
  const perXLogId = 0x1_0000_0000n / checkSegmentSize(segmentSizeBytes);
  const low = BigInt(`0x${match[3]}`);
  if (low >= perXLogId) return undefined;
  return {
    timelineId: Number.parseInt(match[1], 16),
    segno: BigInt(`0x${match[2]}`) * perXLogId + low,
    partial: match[4] !== undefined,
  };
}
