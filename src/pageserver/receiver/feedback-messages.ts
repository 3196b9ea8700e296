// What the pageserver sends back on a replication stream (CopyData payloads): neon's 'z'
// feedback, 'z' + 8 bytes + the pageserver feedback block (protocol/pageserver-feedback-codec.ts;
// the 8 bytes, which the safekeeper skips, carry the block's length as a big-endian u64), and a
// standard 'r' standby status update with the same positions (write = received,
// flush = durable locally, apply = uploaded).
import { BinaryWriter } from '../../common/binary-writer.js';
import type { Lsn } from '../../postgres/lsn.js';
import {
  encodeStandbyStatusUpdate,
  postgresEpochMicrosNow,
} from '../../postgres/wire/replication-messages.js';
import { writePageserverFeedback } from '../../protocol/pageserver-feedback-codec.js';

export const NEON_FEEDBACK_TAG = 'z';

export interface FeedbackPositions {
  readonly receivedLsn: Lsn;
  readonly durableLsn: Lsn;
  readonly uploadedLsn: Lsn;
  /** Reported as current_timeline_size: bytes of WAL held locally. */
  readonly localWalBytes: bigint;
}

export function encodeNeonFeedback(positions: FeedbackPositions, unixMs = Date.now()): Buffer {
  const block = new BinaryWriter(160);
  writePageserverFeedback(block, {
    currentTimelineSizeBytes: positions.localWalBytes,
    psWriteLsn: positions.receivedLsn,
    psFlushLsn: positions.durableLsn,
    psApplyLsn: positions.uploadedLsn,
    psReplyTimeMicros: postgresEpochMicrosNow(unixMs),
  });
  const body = block.toBuffer();
  const message = Buffer.allocUnsafe(1 + 8 + body.length);
  message.write(NEON_FEEDBACK_TAG, 0, 'ascii');
  message.writeBigUInt64BE(BigInt(body.length), 1);
  message.set(body, 9);
  return message;
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
