// Removing a timeline's WAL segment files below a segment number, oldest first, each unlink run
// through the caller's `underLock` (the timeline lock, so that removal is ordered with the
// timeline's other disk work and a close never meets an unlink in flight). Names and files only:
// which segment number is safe is the horizon's business (horizon.ts).
import { rm } from 'node:fs/promises';
import { segmentFileName, type SegmentNumber } from '../../postgres/segment-name.js';
import { listSegments } from '../wal/segment-files.js';

export interface RemovedSegments {
  /** Segment file names, oldest and newest removed. */
  readonly first: string;
  readonly last: string;
  readonly count: number;
  readonly bytes: number;
}

/**
 * `underLock` runs one unlink and resolves true, or resolves false without running it (the
 * timeline closed): removal stops there. Returns what was removed, undefined when nothing.
 */
export async function removeSegmentsBelow(
  dir: string,
  segmentSizeBytes: number,
  belowSegno: SegmentNumber,
  underLock: (unlinkOne: () => Promise<void>) => Promise<boolean>,
): Promise<RemovedSegments | undefined> {
  const doomed = (await listSegments(dir, segmentSizeBytes)).filter(
    (segment) => segment.segno < belowSegno,
  );
  let removed = 0;
  for (const segment of doomed) {
    if (!(await underLock(() => rm(segment.path, { force: true })))) break;
    removed++;
  }
  const first = doomed[0];
  const last = doomed[removed - 1];
  if (first === undefined || last === undefined) return undefined;
  return {
    first: segmentFileName(first.segno, segmentSizeBytes),
    last: segmentFileName(last.segno, segmentSizeBytes),
    count: removed,
    bytes: removed * segmentSizeBytes,
  };
}
