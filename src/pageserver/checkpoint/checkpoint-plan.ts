// What one checkpoint uploads, as a pure function of the segment size, where the local WAL
// starts, what is uploaded already and the durable end to upload up to. Every segment wholly
// below the target is uploaded once, as "<segment name>" (its full size); the segment holding
// the target is uploaded as "<segment name>.partial" of length target - segment start, again
// at every checkpoint that moved the target. A .partial object made stale by its segment's
// complete upload is deleted after that upload. Nothing is uploaded when the target is not
// beyond what is uploaded (or not beyond the local start).
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import { assert } from '../../common/assert.js';
import {
  PARTIAL_SUFFIX,
  segmentFileName,
  segmentNumberOf,
  segmentStartLsn,
  type SegmentNumber,
} from '../../postgres/segment-name.js';

export interface CheckpointPlanInput {
  readonly segmentSizeBytes: number;
  readonly startLsn: Lsn;
  readonly uploadedLsn: Lsn;
  readonly targetLsn: Lsn;
}

export interface PlannedUpload {
  readonly segno: SegmentNumber;
  /** The object's name under the timeline's prefix. */
  readonly objectName: string;
  /** Bytes from the segment's start. */
  readonly lengthBytes: number;
  readonly isPartial: boolean;
}

export interface CheckpointPlan {
  readonly uploads: readonly PlannedUpload[];
  /** Names of objects to delete once every upload was confirmed. */
  readonly deletes: readonly string[];
  /** uploaded_lsn once the plan is carried out. */
  readonly uploadedLsn: Lsn;
}

export function planCheckpoint(input: CheckpointPlanInput): CheckpointPlan {
  const { segmentSizeBytes, startLsn, uploadedLsn, targetLsn } = input;
  assert(targetLsn >= startLsn, () => `checkpoint target ${formatLsn(targetLsn)} >= start`);
  if (targetLsn <= uploadedLsn || targetLsn <= startLsn)
    return { uploads: [], deletes: [], uploadedLsn };
  const size = BigInt(segmentSizeBytes);
  const fromLsn = uploadedLsn > startLsn ? uploadedLsn : startLsn;
  const uploads: PlannedUpload[] = [];
  for (
    let segno = segmentNumberOf(fromLsn, segmentSizeBytes);
    segmentStartLsn(segno, segmentSizeBytes) < targetLsn;
    segno++
  ) {
    const segmentStart = segmentStartLsn(segno, segmentSizeBytes);
    const endLsn = targetLsn < segmentStart + size ? targetLsn : segmentStart + size;
    const isPartial = endLsn < segmentStart + size;
    const name = segmentFileName(segno, segmentSizeBytes);
    uploads.push({
      segno,
      objectName: isPartial ? `${name}${PARTIAL_SUFFIX}` : name,
      lengthBytes: Number(endLsn - segmentStart),
      isPartial,
    });
  }
  const deletes: string[] = [];
  const uploadedSegno = segmentNumberOf(uploadedLsn, segmentSizeBytes);
  const hadPartial =
    uploadedLsn > startLsn && uploadedLsn > segmentStartLsn(uploadedSegno, segmentSizeBytes);
  if (hadPartial && uploads.some((upload) => upload.segno === uploadedSegno && !upload.isPartial))
    deletes.push(`${segmentFileName(uploadedSegno, segmentSizeBytes)}${PARTIAL_SUFFIX}`);
  return { uploads, deletes, uploadedLsn: targetLsn };
}
