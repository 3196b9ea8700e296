// START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE n]: physical replication from this
// safekeeper. What is served now is the walproposer's recovery (application_name
// `wal_proposer_recovery`, neon-reference §7.4): every byte from the start LSN up to flush_lsn
// as XLogData frames of at most 128 KiB that never cross a segment, then CopyDone.
import { AppError } from '../../common/errors.js';
import { formatLsn, parseLsn, type Lsn } from '../../postgres/lsn.js';
import { encodeCopyBothResponse, encodeCopyDone } from '../../postgres/wire/backend-messages.js';
import {
  encodeXLogDataFrameHead,
  postgresEpochMicrosNow,
} from '../../postgres/wire/replication-messages.js';
import { RECOVERY_APPLICATION_NAME } from '../../protocol/proposer-messages.js';
import type { Timeline } from '../timeline/timeline.js';
import { WalReader } from '../wal/wal-reader.js';
import { PG_TIMELINE_ID } from '../../postgres/segment-name.js';

const MAX_XLOGDATA_BYTES = 128 * 1024;

export interface ReplicationRequest {
  readonly startLsn: Lsn;
}

const REPLICATION_COMMAND =
  /^START_REPLICATION(?:\s+SLOT\s+\S+)?(?:\s+PHYSICAL)?\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+TIMELINE\s+(\d+))?$/i;

export function parseReplicationCommand(command: string): ReplicationRequest {
  const match = REPLICATION_COMMAND.exec(command);
  if (match?.[1] === undefined)
    throw new AppError(
      'usage',
      `malformed START_REPLICATION "${command.slice(0, 80)}": expected START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE 1]`,
    );
  if (match[2] !== undefined && match[2] !== String(PG_TIMELINE_ID))
    throw new AppError('usage', `START_REPLICATION: unknown PostgreSQL timeline ${match[2]}`);
  return { startLsn: parseLsn(match[1], 'START_REPLICATION start') };
}

export async function streamWalForRecovery(
  timeline: Timeline,
  request: ReplicationRequest,
  parameters: ReadonlyMap<string, string>,
  write: (frames: readonly Uint8Array[]) => Promise<void>,
): Promise<void> {
  if (parameters.get('application_name') !== RECOVERY_APPLICATION_NAME)
    throw new AppError(
      'usage',
      `START_REPLICATION serves walproposer recovery only (application_name=${RECOVERY_APPLICATION_NAME}); streaming to replicas is not available yet`,
    );
  const segmentSizeBytes = timeline.state.server.walSegSize;
  if (segmentSizeBytes === 0)
    throw new AppError('wrong-state', 'no WAL yet: no walproposer has greeted this timeline');
  const endLsn = timeline.flushLsn;
  const { startLsn } = request;
  const localStart = timeline.state.localStartLsn;
  if (startLsn > endLsn || startLsn < localStart)
    throw new AppError(
      'usage',
      `START_REPLICATION at ${formatLsn(startLsn)}: this safekeeper holds WAL from ${formatLsn(localStart)} to ${formatLsn(endLsn)}`,
    );
  await write([encodeCopyBothResponse()]);
  const reader = new WalReader(timeline.dir, segmentSizeBytes);
  try {
    for (let lsn = startLsn; lsn < endLsn;) {
      const bytes = await reader.read(lsn, Math.min(MAX_XLOGDATA_BYTES, Number(endLsn - lsn)));
      // The WAL read goes out as it is, after its frame and XLogData headers.
      const head = encodeXLogDataFrameHead({
        walStartLsn: lsn,
        walEndLsn: endLsn,
        sendTimeMicros: postgresEpochMicrosNow(),
        bytes,
      });
      await write([head, bytes]);
      lsn += BigInt(bytes.length);
    }
  } finally {
    await reader.close();
  }
  await write([encodeCopyDone()]);
}
