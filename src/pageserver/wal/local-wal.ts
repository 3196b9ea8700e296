// One timeline's WAL on the pageserver's disk (layout: segment-files.ts). Received bytes are
// checked with the shared WAL decoder as they arrive, copied into write slabs (write-slabs.ts:
// the caller's buffer is free again at once) and written in order by one writer loop
// (segment-writer.ts: one writev per segment a batch touches). A sync loop beside it makes
// them durable: one fdatasync at a time, covering every batch written before it began (group
// commit, never holding up the writer; skipped with --no-sync), and only then raises durableLsn.
// receivedLsn and durableLsn are always record ends; a stream resumes at receivedLsn (rewind()),
// so a restart or a new source never starts inside a record.
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import { fsyncPath } from '../../common/fsync-path.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  segmentNumberOf,
  segmentStartLsn,
  type SegmentNumber,
} from '../../postgres/segment-name.js';
import { WalDecoder } from '../../postgres/wal/wal-decoder.js';
import { SYNC_INTERVAL_MS } from '../limits.js';
import { scanLocalWal } from './local-wal-scan.js';
import { existingSegmentFile, segmentPaths } from './segment-files.js';
import { splitIntoSegmentRuns } from './segment-runs.js';
import { SegmentWriter } from './segment-writer.js';
import { WriteSlab } from './write-slabs.js';

export interface LocalWalOptions {
  readonly dir: string;
  readonly segmentSizeBytes: number;
  /** Where this timeline's local WAL begins: a record boundary. */
  readonly startLsn: Lsn;
  readonly noSync: boolean;
}

export class LocalWal {
  readonly #options: LocalWalOptions;
  #decoder: WalDecoder;
  #writeLsn: Lsn;
  #receivedLsn: Lsn;
  #durableLsn: Lsn;
  /** The slabs with bytes not yet written (or being written), in the order they were filled. */
  readonly #slabs: WriteSlab[] = [];
  #queuedBytes = 0;
  /** End of the last record whose bytes are all written (not necessarily synced). */
  #writtenLsn: Lsn;
  #writer: Promise<void> | undefined;
  #syncer: Promise<void> | undefined;
  #lastSyncAtMs = Number.NEGATIVE_INFINITY;
  readonly #segments: SegmentWriter;
  #failure: Error | undefined;
  readonly #listeners: (() => void)[] = [];

  private constructor(options: LocalWalOptions, endLsn: Lsn) {
    this.#options = options;
    this.#writeLsn = endLsn;
    this.#receivedLsn = endLsn;
    this.#durableLsn = endLsn;
    this.#writtenLsn = endLsn;
    this.#decoder = this.#decoderAt(endLsn);
    this.#segments = new SegmentWriter(options);
  }

  /** Opens (and recovers) the local WAL: everything found up to the last complete record. */
  static async open(options: LocalWalOptions): Promise<LocalWal> {
    const endLsn = await scanLocalWal(options);
    if (!options.noSync) {
      const file = await existingSegmentFile(
        segmentPaths(
          options.dir,
          segmentNumberOf(endLsn, options.segmentSizeBytes),
          options.segmentSizeBytes,
        ),
      );
      if (file !== undefined) await fsyncPath(file.path);
    }
    return new LocalWal(options, endLsn);
  }

  get startLsn(): Lsn {
    return this.#options.startLsn;
  }

  get segmentSizeBytes(): number {
    return this.#options.segmentSizeBytes;
  }

  /** The next byte the stream must deliver. */
  get writeLsn(): Lsn {
    return this.#writeLsn;
  }

  /** End of the last complete, decoded record received. */
  get receivedLsn(): Lsn {
    return this.#receivedLsn;
  }

  /** End of the last complete record written and synced. */
  get durableLsn(): Lsn {
    return this.#durableLsn;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Called after every batch written (durableLsn may have moved, the queue shrank). */
  onWritten(listener: () => void): void {
    this.#listeners.push(listener);
  }

  #decoderAt(lsn: Lsn): WalDecoder {
    return new WalDecoder({ startLsn: lsn, segmentSizeBytes: this.#options.segmentSizeBytes });
  }

  /** Forgets the bytes of an unfinished record: the next stream starts at receivedLsn. */
  rewind(): Lsn {
    this.#writeLsn = this.#receivedLsn;
    this.#decoder = this.#decoderAt(this.#receivedLsn);
    return this.#receivedLsn;
  }

  /**
   * Takes the next bytes of the stream: checks their position, decodes the records they end
   * (a WalDecodeError is an integrity error: nothing of it is written) and copies them into the
   * write slabs. Nothing keeps `bytes` after the call.
   */
  append(lsn: Lsn, bytes: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (lsn !== this.#writeLsn)
      throw new AppError(
        'internal',
        `protocol violation: WAL arrived at ${formatLsn(lsn)}, expected ${formatLsn(this.#writeLsn)}`,
      );
    if (bytes.length === 0) return;
    this.#decoder.feed(bytes);
    while (this.#decoder.next() !== undefined);
    assert(!this.#decoder.hasUnconsumedBytes, 'the decoder keeps nothing of appended bytes');
    this.#writeLsn += BigInt(bytes.length);
    this.#receivedLsn = this.#decoder.decodedLsn;
    this.#copyIntoSlabs(lsn, bytes);
    this.#queuedBytes += bytes.length;
    this.#writer ??= this.#drain().finally(() => (this.#writer = undefined));
  }

  /** Appends to the last slab when the bytes continue it, else starts a new one. */
  #copyIntoSlabs(lsn: Lsn, bytes: Uint8Array): void {
    let copiedBytes = 0;
    while (copiedBytes < bytes.length) {
      const at = lsn + BigInt(copiedBytes);
      let slab = this.#slabs[this.#slabs.length - 1];
      if (slab === undefined || slab.roomBytes === 0 || slab.endLsn !== at) {
        slab = new WriteSlab(at, this.#options.segmentSizeBytes);
        this.#slabs.push(slab);
      }
      copiedBytes += slab.fill(bytes.subarray(copiedBytes));
    }
  }

  /** Resolves once everything queued so far is written (and synced); rejects on a disk error. */
  async flushed(): Promise<void> {
    // The writer starts the syncer before it ends, so this ends once both are idle.
    while (this.#writer !== undefined || this.#syncer !== undefined)
      await (this.#writer ?? this.#syncer);
    if (this.#failure !== undefined) throw this.#failure;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * Writes what the slabs hold until nothing is left: each round writes every byte copied in
   * before it began (appends go on meanwhile, past those bytes) and then counts receivedLsn of
   * that moment as written; slabs written to their fill go back to the pool.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#slabs.length > 0 && this.#failure === undefined) {
        const recordEndLsn = this.#receivedLsn;
        const batch = this.#slabs.map((slab) => ({ slab, toBytes: slab.filledBytes }));
        const pieces = batch.map(({ slab, toBytes }) => ({
          lsn: slab.windowLsn + BigInt(slab.writtenBytes),
          bytes: slab.bytes.subarray(slab.writtenBytes, toBytes),
        }));
        for (const run of splitIntoSegmentRuns(pieces, this.#options.segmentSizeBytes))
          await this.#segments.write(run);
        for (const { slab, toBytes } of batch) {
          this.#queuedBytes -= toBytes - slab.writtenBytes;
          slab.writtenBytes = toBytes;
        }
        this.#releaseWrittenSlabs();
        if (recordEndLsn > this.#writtenLsn) this.#writtenLsn = recordEndLsn;
        this.#syncer ??= this.#syncWritten().finally(() => (this.#syncer = undefined));
        for (const listener of this.#listeners) listener();
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Slabs are written in order: the written ones are a prefix of the list. */
  #releaseWrittenSlabs(): void {
    let count = 0;
    for (const slab of this.#slabs) {
      if (slab.writtenBytes !== slab.filledBytes) break;
      slab.release();
      count++;
    }
    this.#slabs.splice(0, count);
  }

  /**
   * Raises durableLsn to what is written until it has caught up: one fdatasync at a time, and
   * while WAL streams in at most one per SYNC_INTERVAL_MS (each covers all written meanwhile).
   */
  async #syncWritten(): Promise<void> {
    try {
      while (this.#durableLsn < this.#writtenLsn && this.#failure === undefined) {
        const sinceLastMs = performance.now() - this.#lastSyncAtMs;
        if (sinceLastMs < SYNC_INTERVAL_MS) await delay(SYNC_INTERVAL_MS - sinceLastMs);
        const writtenLsn = this.#writtenLsn;
        this.#lastSyncAtMs = performance.now();
        await this.#segments.sync();
        this.#durableLsn = writtenLsn;
        assert(
          this.#durableLsn <= this.#receivedLsn,
          () =>
            `durable ${formatLsn(this.#durableLsn)} <= received ${formatLsn(this.#receivedLsn)}`,
        );
        for (const listener of this.#listeners) listener();
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= new AppError(
      'internal',
      `could not write local WAL in ${this.#options.dir}`,
      {
        cause: error,
      },
    );
    // Dropped, not pooled: a failed write may have left them anywhere.
    this.#slabs.length = 0;
    this.#queuedBytes = 0;
    for (const listener of this.#listeners) listener();
  }

  /** The first `lengthBytes` of segment `segno` as stored (for an upload: a durable range). */
  async readSegment(segno: SegmentNumber, lengthBytes: number): Promise<Buffer> {
    const { dir, segmentSizeBytes } = this.#options;
    const end = segmentStartLsn(segno, segmentSizeBytes) + BigInt(lengthBytes);
    assert(end <= this.#durableLsn, () => `read of ${formatLsn(end)} within durable WAL`);
    const handle = await this.#openForRead(segno);
    try {
      const buffer = Buffer.alloc(lengthBytes);
      let bytesRead = 0;
      for (;;) {
        const { bytesRead: got } = await handle.read(
          buffer,
          bytesRead,
          lengthBytes - bytesRead,
          bytesRead,
        );
        bytesRead += got;
        if (got === 0 || bytesRead === lengthBytes) break;
      }
      if (bytesRead !== lengthBytes)
        throw new AppError(
          'integrity',
          `local WAL of ${dir}: segment ${String(segno)} holds ${bytesRead} bytes, expected at least ${lengthBytes}`,
        );
      return buffer;
    } finally {
      await handle.close();
    }
  }

  /** The segment's file; the writer may rename .partial to complete meanwhile: look again. */
  async #openForRead(segno: SegmentNumber): Promise<FileHandle> {
    const { dir, segmentSizeBytes } = this.#options;
    const paths = segmentPaths(dir, segno, segmentSizeBytes);
    for (let attempt = 0; ; attempt++) {
      const file = await existingSegmentFile(paths);
      if (file === undefined)
        throw new AppError('integrity', `local WAL of ${dir}: segment ${String(segno)} is missing`);
      try {
        return await open(file.path, 'r');
      } catch (error) {
        const isRenamed = (error as NodeJS.ErrnoException).code === 'ENOENT';
        if (!isRenamed || attempt >= 1) throw error;
      }
    }
  }

  /** Writes what is queued and closes the files. */
  async close(): Promise<void> {
    await this.flushed().catch(() => undefined);
    await this.#segments.close();
  }
}
