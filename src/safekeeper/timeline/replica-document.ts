// A replica of the registry as the timeline status shows it (protocol/timeline-status.ts has
// the type): LSNs as X/X, times as ISO strings (PostgreSQL-epoch microseconds converted),
// transaction ids as decimal strings (a u64 does not fit a JSON number).
import { formatLsn } from '../../postgres/lsn.js';
import { POSTGRES_EPOCH_UNIX_MS } from '../../postgres/wire/replication-messages.js';
import type { ReplicaDocument } from '../../protocol/timeline-status.js';
import type { ReplicaSnapshot } from './replica-registry.js';

/** A PostgreSQL-epoch time in µs as ISO text; out-of-range values as the raw number. */
function isoOfPostgresMicros(micros: bigint): string {
  const unixMs = Number(micros / 1000n) + POSTGRES_EPOCH_UNIX_MS;
  const date = new Date(unixMs);
  return Number.isNaN(date.getTime()) ? micros.toString() : date.toISOString();
}

export function describeReplica(replica: ReplicaSnapshot): ReplicaDocument {
  const { standbyStatus, hotStandbyFeedback, pageserverFeedback } = replica;
  return {
    application_name: replica.applicationName,
    client_address: replica.clientAddress,
    start_lsn: formatLsn(replica.startLsn),
    sent_lsn: formatLsn(replica.sentLsn),
    standby_status:
      standbyStatus === null
        ? null
        : {
            write_lsn: formatLsn(standbyStatus.writeLsn),
            flush_lsn: formatLsn(standbyStatus.flushLsn),
            apply_lsn: formatLsn(standbyStatus.applyLsn),
            reported_at: new Date(standbyStatus.reportedAtMs).toISOString(),
          },
    hot_standby_feedback:
      hotStandbyFeedback === null
        ? null
        : {
            ts: hotStandbyFeedback.timestampMicros.toString(),
            xmin: hotStandbyFeedback.xmin.toString(),
            catalog_xmin: hotStandbyFeedback.catalogXmin.toString(),
          },
    pageserver_feedback:
      pageserverFeedback === null
        ? null
        : {
            current_timeline_size: Number(pageserverFeedback.currentTimelineSizeBytes),
            ps_writelsn: formatLsn(pageserverFeedback.psWriteLsn),
            ps_flushlsn: formatLsn(pageserverFeedback.psFlushLsn),
            ps_applylsn: formatLsn(pageserverFeedback.psApplyLsn),
            ps_replytime: isoOfPostgresMicros(pageserverFeedback.psReplyTimeMicros),
          },
    last_feedback_at:
      replica.lastFeedbackAtMs === null ? null : new Date(replica.lastFeedbackAtMs).toISOString(),
  };
}
