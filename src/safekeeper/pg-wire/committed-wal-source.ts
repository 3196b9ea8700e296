// The WAL a replica streams (pg_receivewal, the pageserver; neon-reference §7.4): committed WAL
// only, from the start LSN on, as XLogData frames of at most 128 KiB that never cross a segment
// and never pass the commit_lsn of the moment they are read; when nothing is committed beyond
// the position it waits on the timeline's change events and, idle for KEEPALIVE_INTERVAL_MS,
// sends a keepalive asking for a reply. It never completes: the client or the connection ends it.
import { assert } from '../../common/assert.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import { encodeCopyData } from '../../postgres/wire/copy-messages.js';
import {
  encodePrimaryKeepalive,
  encodeXLogDataFrameHead,
  postgresEpochMicrosNow,
} from '../../postgres/wire/replication-messages.js';
import type { ReplicaSlot } from '../timeline/replica-registry.js';
import type { Timeline } from '../timeline/timeline.js';
import { WalReader } from '../wal/wal-reader.js';
import type { WalStreamSource } from './replication-stream.js';

export const MAX_XLOGDATA_BYTES = 128 * 1024;
/** Idle this long, the stream sends a keepalive that asks for a reply (PostgreSQL: half of wal_sender_timeout). */
export const KEEPALIVE_INTERVAL_MS = 1_000;

export class CommittedWalSource implements WalStreamSource {
  private readonly reader: WalReader;
  private nextLsn: Lsn;

  constructor(
    private readonly timeline: Timeline,
    startLsn: Lsn,
    private readonly replica: ReplicaSlot,
    private readonly keepaliveIntervalMs = KEEPALIVE_INTERVAL_MS,
  ) {
    this.reader = new WalReader(timeline.dir, timeline.state.server.walSegSize);
    this.nextLsn = startLsn;
  }

  async next(signal: AbortSignal): Promise<readonly Uint8Array[]> {
    if (this.commitLsn() > this.nextLsn) return this.readChunk();
    const committed = await this.waitForCommitBeyond(this.nextLsn, signal);
    if (!committed)
      return [
        encodeCopyData(
          encodePrimaryKeepalive({
            walEndLsn: this.commitLsn(),
            sendTimeMicros: postgresEpochMicrosNow(),
            replyRequested: true,
          }),
        ),
      ];
    return this.readChunk();
  }

  /** The replica is gone from the timeline's registry once this is called. */
  close(): Promise<void> {
    this.replica.remove();
    return this.reader.close();
  }

  private commitLsn(): Lsn {
    return this.timeline.inmemLsns.commitLsn;
  }

  /** The next frame: WAL from nextLsn, bounded by commit_lsn now, 128 KiB and the segment. */
  private async readChunk(): Promise<readonly Uint8Array[]> {
    const lsn = this.nextLsn;
    const endLsn = this.commitLsn();
    assert(endLsn > lsn, () => `WAL committed beyond ${formatLsn(lsn)}`);
    const bytes = await this.reader.read(lsn, Math.min(MAX_XLOGDATA_BYTES, Number(endLsn - lsn)));
    assert(bytes.length > 0, () => `a WAL read at ${formatLsn(lsn)} returns bytes`);
    const head = encodeXLogDataFrameHead({
      walStartLsn: lsn,
      walEndLsn: endLsn,
      sendTimeMicros: postgresEpochMicrosNow(),
      bytes,
    });
    this.nextLsn = lsn + BigInt(bytes.length);
    this.replica.recordSent(this.nextLsn);
    return [head, bytes];
  }

  /**
   * True once commit_lsn passes `lsn`, false after the keepalive interval without; rejects when
   * `signal` aborts (the stream stops) or the timeline closes.
   */
  private async waitForCommitBeyond(lsn: Lsn, signal: AbortSignal): Promise<boolean> {
    const idle = new AbortController();
    const timer = setTimeout(() => idle.abort(), this.keepaliveIntervalMs);
    const stop = (): void => idle.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await this.timeline.events.waitFor('commitLsn', lsn + 1n, idle.signal);
      return true;
    } catch (error) {
      if (signal.aborted || !idle.signal.aborted) throw error;
      return false;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}
