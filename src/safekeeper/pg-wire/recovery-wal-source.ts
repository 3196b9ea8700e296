// The WAL a walproposer recovers (application_name `wal_proposer_recovery`, neon-reference
// §7.4): every byte from the start LSN up to the flush_lsn at the time of the command, as
// XLogData frames of at most 128 KiB that never cross a segment, then the stream is complete.
// Each chunk goes out as read, after its CopyData and XLogData headers. It must not wait for WAL.
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  encodeXLogDataFrameHead,
  postgresEpochMicrosNow,
} from '../../postgres/wire/replication-messages.js';
import type { Timeline } from '../timeline/timeline.js';
import { WalReader } from '../wal/wal-reader.js';
import type { WalStreamSource } from './replication-stream.js';

const MAX_XLOGDATA_BYTES = 128 * 1024;

export class RecoveryWalSource implements WalStreamSource {
  private readonly reader: WalReader;
  private nextLsn: Lsn;
  private readonly endLsn: Lsn;

  /** Checks that the timeline holds WAL from `startLsn` on; the end is its flush_lsn now. */
  constructor(timeline: Timeline, startLsn: Lsn) {
    const segmentSizeBytes = timeline.state.server.walSegSize;
    if (segmentSizeBytes === 0)
      throw new AppError('wrong-state', 'no WAL yet: no walproposer has greeted this timeline');
    const endLsn = timeline.flushLsn;
    const localStart = timeline.state.localStartLsn;
    if (startLsn > endLsn || startLsn < localStart)
      throw new AppError(
        'usage',
        `START_REPLICATION at ${formatLsn(startLsn)}: this safekeeper holds WAL from ${formatLsn(localStart)} to ${formatLsn(endLsn)}`,
      );
    this.reader = new WalReader(timeline.dir, segmentSizeBytes);
    this.nextLsn = startLsn;
    this.endLsn = endLsn;
  }

  async next(): Promise<readonly Uint8Array[] | undefined> {
    const lsn = this.nextLsn;
    if (lsn >= this.endLsn) return undefined;
    const bytes = await this.reader.read(
      lsn,
      Math.min(MAX_XLOGDATA_BYTES, Number(this.endLsn - lsn)),
    );
    assert(bytes.length > 0, () => `a WAL read at ${formatLsn(lsn)} returns bytes`);
    const head = encodeXLogDataFrameHead({
      walStartLsn: lsn,
      walEndLsn: this.endLsn,
      sendTimeMicros: postgresEpochMicrosNow(),
      bytes,
    });
    this.nextLsn = lsn + BigInt(bytes.length);
    return [head, bytes];
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
