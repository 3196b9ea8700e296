// START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE n]: parses the command, picks what the
// stream sends by who asks, and hands the connection to a ReplicationStream. Served now: the
// walproposer's recovery (application_name `wal_proposer_recovery`); anyone else is refused
// before any CopyBothResponse. It must not send anything itself.
import { AppError } from '../../common/errors.js';
import { parseLsn, type Lsn } from '../../postgres/lsn.js';
import { PG_TIMELINE_ID } from '../../postgres/segment-name.js';
import { RECOVERY_APPLICATION_NAME } from '../../protocol/proposer-messages.js';
import type { CommandContext } from './mode-handler.js';
import { RecoveryWalSource } from './recovery-wal-source.js';
import { ReplicationStream } from './replication-stream.js';

const REPLICATION_COMMAND =
  /^START_REPLICATION(?:\s+SLOT\s+\S+)?(?:\s+PHYSICAL)?\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+TIMELINE\s+(\d+))?$/i;

/** The stream for this command, or an error thrown before anything is sent. */
export function startReplication(context: CommandContext): ReplicationStream {
  const startLsn = parseStartLsn(context.command);
  const { tenantId, timelineId, parameters } = context.session;
  const timeline = context.registry.require(tenantId, timelineId);
  if (parameters.get('application_name') !== RECOVERY_APPLICATION_NAME)
    throw new AppError(
      'usage',
      `START_REPLICATION serves walproposer recovery only (application_name=${RECOVERY_APPLICATION_NAME}); streaming to replicas is not available yet`,
    );
  const source = new RecoveryWalSource(timeline, startLsn);
  return new ReplicationStream(context.connection, source, context.log);
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
