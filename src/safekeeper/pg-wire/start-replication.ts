// START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE n]: parses the command, picks what the
// stream sends by who asks, and hands the connection to a ReplicationStream. The walproposer's
// recovery (application_name `wal_proposer_recovery`) reads up to flush_lsn and stops; anyone
// else is a replica that streams committed WAL until it stops, registered with the timeline
// while it does. A slot name is accepted and ignored (there are no slots: every replica starts
// where it asks). A start LSN may be anywhere in the WAL held, inside a record too (as in
// PostgreSQL and neon), from the start of the segment of local_start_lsn up to flush_lsn; any
// other is refused before any CopyBothResponse. It must not send anything itself.
import { AppError } from '../../common/errors.js';
import { formatLsn, parseLsn, type Lsn } from '../../postgres/lsn.js';
import {
  PG_TIMELINE_ID,
  segmentFileName,
  segmentNumberOf,
  segmentStartLsn,
} from '../../postgres/segment-name.js';
import { RECOVERY_APPLICATION_NAME } from '../../protocol/proposer-messages.js';
import type { Timeline } from '../timeline/timeline.js';
import { findSegment } from '../wal/segment-files.js';
import { CommittedWalSource } from './committed-wal-source.js';
import type { CommandContext } from './mode-handler.js';
import { RecoveryWalSource } from './recovery-wal-source.js';
import { ReplicaFeedbackRecorder } from './replica-feedback-recorder.js';
import { ReplicationStream } from './replication-stream.js';

const REPLICATION_COMMAND =
  /^START_REPLICATION(?:\s+SLOT\s+(?:"[^"]*"|\S+))?(?:\s+PHYSICAL)?\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+TIMELINE\s+(\d+))?$/i;

/** The stream for this command, or an error thrown before anything is sent. */
export async function startReplication(context: CommandContext): Promise<ReplicationStream> {
  const startLsn = parseStartLsn(context.command);
  const { tenantId, timelineId, parameters } = context.session;
  const timeline = context.registry.require(tenantId, timelineId);
  const applicationName = parameters.get('application_name') ?? null;
  const log = context.log.child({ tenant: tenantId, timeline: timelineId });
  if (applicationName === RECOVERY_APPLICATION_NAME) {
    const source = new RecoveryWalSource(timeline, startLsn);
    return new ReplicationStream(context.connection, source, log);
  }
  await checkReplicaStart(timeline, startLsn);
  const replica = timeline.replicas.add({
    applicationName,
    clientAddress: context.connection.remoteAddress,
    startLsn,
  });
  if (replica === undefined)
    throw new AppError(
      'unavailable',
      `too many replicas stream timeline ${tenantId}/${timelineId} already (${timeline.replicas.size})`,
    );
  log.info({ application: applicationName, startLsn: formatLsn(startLsn) }, 'replica streaming');
  const source = new CommittedWalSource(timeline, startLsn, replica);
  const feedback = new ReplicaFeedbackRecorder(timeline, replica);
  return new ReplicationStream(context.connection, source, log, feedback);
}

/** A replica may start anywhere in the WAL this safekeeper holds (segment files present). */
async function checkReplicaStart(timeline: Timeline, startLsn: Lsn): Promise<void> {
  const segmentSizeBytes = timeline.state.server.walSegSize;
  const localStartLsn = timeline.state.localStartLsn;
  const flushLsn = timeline.flushLsn;
  if (segmentSizeBytes === 0 || localStartLsn === 0n)
    throw new AppError('wrong-state', 'no WAL yet: no walproposer has streamed to this timeline');
  if (startLsn > flushLsn)
    throw new AppError(
      'usage',
      `requested starting point ${formatLsn(startLsn)} is ahead of the WAL flush position of this safekeeper ${formatLsn(flushLsn)}`,
    );
  const segno = segmentNumberOf(startLsn, segmentSizeBytes);
  const firstLsn = segmentStartLsn(
    segmentNumberOf(localStartLsn, segmentSizeBytes),
    segmentSizeBytes,
  );
  if (
    startLsn < firstLsn ||
    (await findSegment(timeline.dir, segno, segmentSizeBytes)) === undefined
  )
    throw new AppError(
      'not-found',
      `requested WAL segment ${segmentFileName(segno, segmentSizeBytes)} (at ${formatLsn(startLsn)}) is not on this safekeeper: it holds WAL from ${formatLsn(localStartLsn)} to ${formatLsn(flushLsn)}`,
    );
}

function parseStartLsn(command: string): Lsn {
  const match = REPLICATION_COMMAND.exec(command);
  if (match?.[1] === undefined)
    throw new AppError(
      'usage',
      `malformed START_REPLICATION "${command.slice(0, 80)}": expected START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE 1]`,
    );
  if (match[2] !== undefined && match[2] !== String(PG_TIMELINE_ID))
    throw new AppError('usage', `START_REPLICATION: unknown PostgreSQL timeline ${match[2]}`);
  return parseLsn(match[1], 'START_REPLICATION start');
}
