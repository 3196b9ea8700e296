// The pageserver's small per-timeline state file, DATADIR/<tenant>/<timeline>/timeline.json:
//
//   {"format":"neon-local-pageserver-timeline","version":1,"tenant_id":hex,"timeline_id":hex,
//    "wal_seg_size":N,"start_lsn":"X/X","uploaded_lsn":"X/X"}
//
// start_lsn is where the local WAL begins (0/0 and wal_seg_size 0 until the first stream);
// uploaded_lsn is the end of WAL confirmed in the bucket, the only value ever reported as
// ps_applylsn. Written atomically: temp file, fsync, rename, fsync of the directory (the fsyncs
// skipped with --no-sync). Invariants are checked before writing and after reading.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../../common/assert.js';
import { AppError, describeError } from '../../common/errors.js';
import { fsyncPath } from '../../common/fsync-path.js';
import { isHexId, type TenantId, type TimelineId } from '../../common/hex-id.js';
import { formatLsn, parseLsn, type Lsn } from '../../postgres/lsn.js';
import { isValidSegmentSize } from '../../postgres/segment-name.js';

export const STATE_FILE = 'timeline.json';
const STATE_TEMP_FILE = 'timeline.json.partial';
const FORMAT = 'neon-local-pageserver-timeline';
const VERSION = 1;
const STATE_FILE_MAX_BYTES = 64 * 1024;

export interface TimelineState {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  /** 0 until the first stream told us the timeline's segment size. */
  readonly segmentSizeBytes: number;
  readonly startLsn: Lsn;
  readonly uploadedLsn: Lsn;
}

export function checkTimelineState(state: TimelineState): void {
  const what = `timeline state of ${state.tenantId}/${state.timelineId}`;
  assert(isHexId(state.tenantId) && isHexId(state.timelineId), () => `${what}: ids are hex`);
  if (state.startLsn === 0n) {
    assert(state.segmentSizeBytes === 0, () => `${what}: no segment size before WAL`);
    assert(state.uploadedLsn === 0n, () => `${what}: nothing uploaded before WAL`);
  } else {
    assert(isValidSegmentSize(state.segmentSizeBytes), () => `${what}: valid segment size`);
    assert(
      state.uploadedLsn === 0n || state.uploadedLsn >= state.startLsn,
      () => `${what}: uploaded_lsn ${formatLsn(state.uploadedLsn)} >= start`,
    );
  }
}

export function encodeTimelineState(state: TimelineState): string {
  checkTimelineState(state);
  return `${JSON.stringify({
    format: FORMAT,
    version: VERSION,
    tenant_id: state.tenantId,
    timeline_id: state.timelineId,
    wal_seg_size: state.segmentSizeBytes,
    start_lsn: formatLsn(state.startLsn),
    uploaded_lsn: formatLsn(state.uploadedLsn),
  })}\n`;
}

/** The state in `text`; AppError('integrity') naming the file when anything is off. */
export function decodeTimelineState(text: string, path: string): TimelineState {
  const corrupt = (reason: string): AppError =>
    new AppError('integrity', `pageserver timeline state ${path} is corrupt: ${reason}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(`not JSON: ${describeError(error)}`);
  }
  if (typeof value !== 'object' || value === null) throw corrupt('not a JSON object');
  const fields = value as Record<string, unknown>;
  if (fields.format !== FORMAT || fields.version !== VERSION)
    throw corrupt(
      `unknown format ${JSON.stringify(fields.format)} version ${String(fields.version)}`,
    );
  const lsnOf = (key: string): Lsn => {
    const field = fields[key];
    if (typeof field !== 'string') throw corrupt(`${key} is not an X/X string`);
    try {
      return parseLsn(field, key);
    } catch (error) {
      throw corrupt(describeError(error));
    }
  };
  const segmentSizeBytes = fields.wal_seg_size;
  if (!isHexId(fields.tenant_id) || !isHexId(fields.timeline_id)) throw corrupt('bad ids');
  if (typeof segmentSizeBytes !== 'number') throw corrupt('wal_seg_size is not a number');
  const state: TimelineState = {
    tenantId: fields.tenant_id as TenantId,
    timelineId: fields.timeline_id as TimelineId,
    segmentSizeBytes,
    startLsn: lsnOf('start_lsn'),
    uploadedLsn: lsnOf('uploaded_lsn'),
  };
  try {
    checkTimelineState(state);
  } catch (error) {
    throw corrupt(describeError(error));
  }
  return state;
}

export async function readTimelineState(dir: string): Promise<TimelineState> {
  const path = join(dir, STATE_FILE);
  const bytes = await readFile(path);
  if (bytes.length > STATE_FILE_MAX_BYTES)
    throw new AppError('integrity', `pageserver timeline state ${path} is ${bytes.length} bytes`);
  return decodeTimelineState(bytes.toString('utf8'), path);
}

export async function writeTimelineState(
  dir: string,
  state: TimelineState,
  noSync: boolean,
): Promise<void> {
  const text = encodeTimelineState(state);
  const tempPath = join(dir, STATE_TEMP_FILE);
  const handle = await open(tempPath, 'w');
  try {
    await handle.writeFile(text);
    if (!noSync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, join(dir, STATE_FILE));
  if (!noSync) await fsyncPath(dir);
}
