// Genuine PostgreSQL 15 WAL for a walproposer to push: logical-message records of a chosen size
// (the encoder of src/postgres/wal), produced in batches, at most at a chosen rate. Every batch
// ends on a record boundary, so whatever has been produced is valid WAL up to its end.
import type { Lsn } from '../postgres/lsn.js';
import { AppError } from '../common/errors.js';
import { payloadBytesForRecordSize } from '../postgres/wal/logical-message.js';
import { SIZED_MESSAGE_PREFIX, WalEncoder } from '../postgres/wal/wal-encoder.js';

interface WalGeneratorOptions {
  readonly startLsn: Lsn;
  readonly prevRecordLsn: Lsn;
  readonly systemId: bigint;
  readonly segmentSizeBytes: number;
  readonly recordSizeBytes: number;
  /** Stop once at least this many bytes of WAL were produced. */
  readonly totalBytes: number;
  /** undefined: as fast as asked. */
  readonly rateBytesPerSecond?: number;
}

/** The most WAL one batch holds: enough to fill an AppendRequest, small enough to pace. */
const BATCH_BYTES = 256 * 1024;
/** Larger records would not fit the proposer's in-flight window comfortably. */
const MAX_RECORD_BYTES = 1024 * 1024;

/** Rejects sizes the generator cannot produce, before anything is sent anywhere. */
export function checkGeneratorOptions(options: {
  readonly recordSizeBytes: number;
  readonly totalBytes: number;
  readonly rateBytesPerSecond?: number;
}): void {
  payloadBytesForRecordSize(options.recordSizeBytes, SIZED_MESSAGE_PREFIX.length);
  if (options.recordSizeBytes > MAX_RECORD_BYTES)
    throw new AppError(
      'usage',
      `record size ${options.recordSizeBytes} is above the limit of ${MAX_RECORD_BYTES} bytes`,
    );
  if (!Number.isSafeInteger(options.totalBytes) || options.totalBytes < 1)
    throw new AppError('usage', `invalid WAL size ${options.totalBytes}: at least 1 byte`);
  const rate = options.rateBytesPerSecond;
  if (rate !== undefined && !(rate >= 1))
    throw new AppError('usage', `invalid rate ${rate}: at least 1 byte per second`);
}

export class WalGenerator {
  private readonly encoder: WalEncoder;
  private readonly startedAtMs = performance.now();

  constructor(private readonly options: WalGeneratorOptions) {
    this.encoder = new WalEncoder({
      startLsn: options.startLsn,
      prevRecordLsn: options.prevRecordLsn,
      systemId: options.systemId,
      segmentSizeBytes: options.segmentSizeBytes,
    });
  }

  get producedBytes(): number {
    return Number(this.encoder.currentLsn - this.options.startLsn);
  }
  get currentLsn(): Lsn {
    return this.encoder.currentLsn;
  }
  get isDone(): boolean {
    return this.producedBytes >= this.options.totalBytes;
  }

  /** How long to wait before the rate allows the next record (0: now). */
  delayMs(): number {
    const rate = this.options.rateBytesPerSecond;
    if (rate === undefined) return 0;
    const dueAtMs =
      this.startedAtMs + ((this.producedBytes + this.options.recordSizeBytes) / rate) * 1000;
    return Math.max(0, dueAtMs - performance.now());
  }

  /** The next records the rate allows now (at least one unless done), as one WAL byte run. */
  nextBatch(): Buffer {
    const parts: Buffer[] = [];
    let bytes = 0;
    while (!this.isDone && bytes < BATCH_BYTES && (parts.length === 0 || this.delayMs() === 0)) {
      const record = this.encoder.appendLogicalMessageOfSize(this.options.recordSizeBytes);
      parts.push(record.bytes);
      bytes += record.bytes.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}
