// READ_REPLICATION_SLOT name (PostgreSQL 15): pg_receivewal --slot asks it where to start when its
// directory is empty. There are no slots here; every name answers a physical slot whose
// restart_lsn is where the WAL this safekeeper holds begins (local_start_lsn, or the start of the
// first segment still present when older ones were removed), so that an archive started late
// still gets every segment held. restart_lsn is NULL while the timeline has no WAL.
import { AppError } from '../../common/errors.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import { PG_TIMELINE_ID, segmentStartLsn } from '../../postgres/segment-name.js';
import {
  encodeCommandComplete,
  encodeDataRow,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../../postgres/wire/backend-messages.js';
import { TYPE_OIDS } from '../../postgres/wire/pg-types.js';
import type { Timeline } from '../timeline/timeline.js';
import { listSegments } from '../wal/segment-files.js';

const READ_SLOT_COMMAND = /^READ_REPLICATION_SLOT\s+(?:"[^"]+"|[A-Za-z0-9_]+)$/i;

export async function readReplicationSlot(command: string, timeline: Timeline): Promise<Buffer[]> {
  if (!READ_SLOT_COMMAND.test(command))
    throw new AppError(
      'usage',
      `malformed READ_REPLICATION_SLOT "${command.slice(0, 80)}": expected READ_REPLICATION_SLOT name`,
    );
  const restartLsn = await firstHeldLsn(timeline);
  return [
    encodeRowDescription([
      { name: 'slot_type', typeOid: TYPE_OIDS.text },
      { name: 'restart_lsn', typeOid: TYPE_OIDS.text },
      { name: 'restart_tli', typeOid: TYPE_OIDS.int8 },
    ]),
    encodeDataRow([
      'physical',
      restartLsn === undefined ? null : formatLsn(restartLsn),
      restartLsn === undefined ? null : String(PG_TIMELINE_ID),
    ]),
    encodeCommandComplete('READ_REPLICATION_SLOT'),
    encodeReadyForQuery('I'),
  ];
}

/** Where the WAL held here begins, or undefined when there is none. */
async function firstHeldLsn(timeline: Timeline): Promise<Lsn | undefined> {
  const segmentSizeBytes = timeline.state.server.walSegSize;
  const localStartLsn = timeline.state.localStartLsn;
  if (segmentSizeBytes === 0 || localStartLsn === 0n) return undefined;
  const [first] = await listSegments(timeline.dir, segmentSizeBytes);
  if (first === undefined) return undefined;
  const firstSegmentLsn = segmentStartLsn(first.segno, segmentSizeBytes);
  return firstSegmentLsn > localStartLsn ? firstSegmentLsn : localStartLsn;
}
