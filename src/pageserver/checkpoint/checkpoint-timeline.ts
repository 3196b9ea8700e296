// One checkpoint of one timeline: plan from the durable end, upload and confirm every object,
// then persist the new uploaded_lsn in the state file. The state returned is the new one only
// once it is on disk; on any failure nothing changes and the error is thrown.
import type { Logger } from '../../common/log.js';
import type { TimelineState } from '../timeline/timeline-state-file.js';
import { writeTimelineState } from '../timeline/timeline-state-file.js';
import type { LocalWal } from '../wal/local-wal.js';
import { planCheckpoint } from './checkpoint-plan.js';
import { BUCKET_PREFIX, type ObjectStore } from './object-store.js';
import { uploadPlan, type UploadTotals } from './upload-plan.js';

export interface CheckpointInput {
  readonly wal: LocalWal;
  readonly state: TimelineState;
  readonly store: ObjectStore;
  /** The timeline's directory (its state file). */
  readonly dir: string;
  readonly noSync: boolean;
  readonly log: Logger;
}

export async function checkpointTimeline(
  input: CheckpointInput,
): Promise<{ state: TimelineState; totals: UploadTotals }> {
  const { wal, state } = input;
  const plan = planCheckpoint({
    segmentSizeBytes: wal.segmentSizeBytes,
    startLsn: wal.startLsn,
    uploadedLsn: state.uploadedLsn,
    targetLsn: wal.durableLsn,
  });
  const totals = await uploadPlan(
    plan,
    (segno, lengthBytes) => wal.readSegment(segno, lengthBytes),
    input.store,
    `${BUCKET_PREFIX}/${state.tenantId}/${state.timelineId}/`,
    (objectName, bytes) => input.log.info({ object: objectName, bytes }, 'segment uploaded'),
  );
  if (plan.uploadedLsn <= state.uploadedLsn) return { state, totals };
  const uploaded: TimelineState = { ...state, uploadedLsn: plan.uploadedLsn };
  await writeTimelineState(input.dir, uploaded, input.noSync);
  return { state: uploaded, totals };
}
