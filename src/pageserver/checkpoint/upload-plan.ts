// Carries out a checkpoint plan against the bucket: each planned object is read from the local
// WAL, uploaded, and confirmed by reading its size back (HEAD); only after every upload is
// confirmed are stale objects deleted. Any failure throws, and then nothing may be reported as
// uploaded: the caller persists the new uploaded_lsn only when this returns.
import { AppError } from '../../common/errors.js';
import type { SegmentNumber } from '../../postgres/segment-name.js';
import type { CheckpointPlan } from './checkpoint-plan.js';
import type { ObjectStore } from './object-store.js';

export interface UploadTotals {
  readonly objects: number;
  readonly bytes: number;
}

export type SegmentReader = (segno: SegmentNumber, lengthBytes: number) => Promise<Buffer>;

export async function uploadPlan(
  plan: CheckpointPlan,
  readSegment: SegmentReader,
  store: ObjectStore,
  keyPrefix: string,
  onUploaded?: (objectName: string, bytes: number) => void,
): Promise<UploadTotals> {
  let bytes = 0;
  for (const upload of plan.uploads) {
    const key = `${keyPrefix}${upload.objectName}`;
    const body = await readSegment(upload.segno, upload.lengthBytes);
    await store.put(key, body);
    const storedBytes = await store.sizeOf(key);
    if (storedBytes !== upload.lengthBytes)
      throw new AppError(
        'unavailable',
        `uploaded ${key} but the bucket holds ${storedBytes === undefined ? 'no such object' : `${storedBytes} bytes`}, expected ${upload.lengthBytes}`,
      );
    bytes += upload.lengthBytes;
    onUploaded?.(upload.objectName, upload.lengthBytes);
  }
  for (const name of plan.deletes) await store.delete(`${keyPrefix}${name}`);
  return { objects: plan.uploads.length, bytes };
}
