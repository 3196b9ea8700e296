// One timeline's WAL on the pageserver's disk (layout: segment-files.ts). Received bytes are
// checked with the shared WAL decoder as they arrive, queued, and written in order by one
// writer loop that fdatasyncs each batch (group commit; skipped with --no-sync) before raising
// durableLsn. receivedLsn and durableLsn are always record ends; a stream resumes at
// receivedLsn (rewind()), so a restart or a new source never starts inside a record.
import { open, rename, type FileHandle } from 'node:fs/promises';
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import { fsyncPath } from '../../common/fsync-path.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  segmentNumberOf,
  segmentOffsetOf,
  segmentStartLsn,
  type SegmentNumber,
} from '../../postgres/segment-name.js';
import { WalDecoder } from '../../postgres/wal/wal-decoder.js';
import { scanLocalWal } from './local-wal-scan.js';
import { existingSegmentFile, openSegmentForWrite, segmentPaths } from './segment-files.js';

export interface LocalWalOptions {
  readonly dir: string;
  readonly segmentSizeBytes: number;
  /** Where this timeline's local WAL begins: a record boundary. */
  readonly startLsn: Lsn;
  readonly noSync: boolean;
}

interface QueuedWrite {
  readonly lsn: Lsn;
  readonly bytes: Uint8Array;
  /** receivedLsn once these bytes were decoded: durable after they are synced. */
  readonly recordEndLsn: Lsn;
}

interface OpenSegment {
  readonly segno: SegmentNumber;
  readonly handle: FileHandle;
  readonly isPartial: boolean;
  isDirty: boolean;
  isFilled: boolean;
}

export class LocalWal {
  readonly #options: LocalWalOptions;
  #decoder: WalDecoder;
  #writeLsn: Lsn;
  #receivedLsn: Lsn;
  #durableLsn: Lsn;
  readonly #queue: QueuedWrite[] = [];
  #queuedBytes = 0;
  #writer: Promise<void> | undefined;
  #segment: OpenSegment | undefined;
  #failure: Error | undefined;
  readonly #listeners: (() => void)[] = [];

  private constructor(options: LocalWalOptions, endLsn: Lsn) {
    this.#options = options;
    this.#writeLsn = endLsn;
    this.#receivedLsn = endLsn;
    this.#durableLsn = endLsn;
    this.#decoder = this.#decoderAt(endLsn);
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
   * (a WalDecodeError is an integrity error: nothing of it is written) and queues the write.
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
    this.#writeLsn += BigInt(bytes.length);
    this.#receivedLsn = this.#decoder.decodedLsn;
    this.#queue.push({ lsn, bytes, recordEndLsn: this.#receivedLsn });
    this.#queuedBytes += bytes.length;
    this.#writer ??= this.#drain().finally(() => (this.#writer = undefined));
  }

  /** Resolves once everything queued so far is written (and synced); rejects on a disk error. */
  async flushed(): Promise<void> {
    while (this.#writer !== undefined) await this.#writer;
    if (this.#failure !== undefined) throw this.#failure;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        for (const item of batch) await this.#write(item.lsn, item.bytes);
        await this.#finishBatch();
        const last = batch[batch.length - 1];
        if (last !== undefined && last.recordEndLsn > this.#durableLsn)
          this.#durableLsn = last.recordEndLsn;
        this.#queuedBytes -= batch.reduce((sum, item) => sum + item.bytes.length, 0);
        assert(
          this.#durableLsn <= this.#receivedLsn,
          () =>
            `durable ${formatLsn(this.#durableLsn)} <= received ${formatLsn(this.#receivedLsn)}`,
        );
        for (const listener of this.#listeners) listener();
      }
    } catch (error) {
      this.#failure = new AppError(
        'internal',
        `could not write local WAL in ${this.#options.dir}`,
        {
          cause: error,
        },
      );
      this.#queue.length = 0;
      this.#queuedBytes = 0;
      for (const listener of this.#listeners) listener();
    }
  }

  /** Writes `bytes` at `lsn`, split where it crosses a segment end. */
  async #write(lsn: Lsn, bytes: Uint8Array): Promise<void> {
    const { segmentSizeBytes } = this.#options;
    let at = lsn;
    let rest = bytes;
    while (rest.length > 0) {
      const offset = segmentOffsetOf(at, segmentSizeBytes);
      const piece = rest.subarray(0, Math.min(rest.length, segmentSizeBytes - offset));
      const segment = await this.#segmentFor(segmentNumberOf(at, segmentSizeBytes));
      let written = 0;
      while (written < piece.length) {
        const { bytesWritten } = await segment.handle.write(
          piece,
          written,
          piece.length - written,
          offset + written,
        );
        written += bytesWritten;
      }
      segment.isDirty = true;
      if (offset + piece.length === segmentSizeBytes) segment.isFilled = true;
      at += BigInt(piece.length);
      rest = rest.subarray(piece.length);
    }
  }

  async #segmentFor(segno: SegmentNumber): Promise<OpenSegment> {
    if (this.#segment?.segno === segno) return this.#segment;
    await this.#closeSegment();
    const paths = segmentPaths(this.#options.dir, segno, this.#options.segmentSizeBytes);
    const { handle, kind } = await openSegmentForWrite(paths);
    this.#segment = {
      segno,
      handle,
      isPartial: kind === 'partial',
      isDirty: false,
      isFilled: false,
    };
    return this.#segment;
  }

  /** Syncs the open segment; a filled one is closed and renamed to its complete name. */
  async #finishBatch(): Promise<void> {
    const segment = this.#segment;
    if (segment === undefined) return;
    if (segment.isFilled) await this.#closeSegment();
    else if (segment.isDirty && !this.#options.noSync) {
      await segment.handle.datasync();
      segment.isDirty = false;
    }
  }

  async #closeSegment(): Promise<void> {
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    try {
      if (segment.isDirty && !this.#options.noSync) await segment.handle.datasync();
    } finally {
      await segment.handle.close();
    }
    if (segment.isFilled && segment.isPartial) {
      const paths = segmentPaths(this.#options.dir, segment.segno, this.#options.segmentSizeBytes);
      await rename(paths.partial, paths.complete);
      if (!this.#options.noSync) await fsyncPath(this.#options.dir);
    }
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
    await this.#closeSegment();
  }
}
