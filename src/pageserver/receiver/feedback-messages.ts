// What the pageserver sends back on a replication stream (CopyData payloads): neon's 'z'
// feedback (protocol/neon-feedback-message.ts) with ps_writelsn = received, ps_flushlsn =
// durable locally, ps_applylsn = uploaded, and a standard 'r' standby status update with the
// same positions (write, flush, apply).
import type { Lsn } from '../../postgres/lsn.js';
import {
  encodeStandbyStatusUpdate,
  postgresEpochMicrosNow,
} from '../../postgres/wire/replication-messages.js';
import { encodeNeonFeedbackMessage } from '../../protocol/neon-feedback-message.js';

export interface FeedbackPositions {
  readonly receivedLsn: Lsn;
  readonly durableLsn: Lsn;
  readonly uploadedLsn: Lsn;
  /** Reported as current_timeline_size: bytes of WAL held locally. */
  readonly localWalBytes: bigint;
}

export function encodeNeonFeedback(positions: FeedbackPositions, unixMs = Date.now()): Buffer {
  return encodeNeonFeedbackMessage({
    currentTimelineSizeBytes: positions.localWalBytes,
    psWriteLsn: positions.receivedLsn,
    psFlushLsn: positions.durableLsn,
    psApplyLsn: positions.uploadedLsn,
    psReplyTimeMicros: postgresEpochMicrosNow(unixMs),
  });
}

export function encodeStandbyStatus(positions: FeedbackPositions, unixMs = Date.now()): Buffer {
  return encodeStandbyStatusUpdate({
    writeLsn: positions.receivedLsn,
    flushLsn: positions.durableLsn,
    applyLsn: positions.uploadedLsn,
    sendTimeMicros: postgresEpochMicrosNow(unixMs),
    replyRequested: false,
  });
}
