// One timeline's WAL on disk. Writes are strictly sequential (a rewrite or a gap is refused),
// split at segment boundaries, into zero-filled `.partial` segments that are renamed to their
// final name when full. Every byte written is walked by the WAL decoder so that write_record_lsn
// is the end of the last complete record. A write only stages bytes in the open segment's
// buffer (segment-writer.ts); flush() writes them out with one synchronous direct write however
// many writes preceded it (group commit), and makes write_record_lsn flush_lsn. So write_lsn is
// "received and checked", not "in the OS". truncate() cuts the WAL at an LSN for a new term.
// Callers serialise calls (the timeline lock); nothing here is re-entrant.
import { open, rm } from 'node:fs/promises';
import { AppError, describeError } from '../../common/errors.js';
import { assert } from '../../common/assert.js';
import { fsyncPath } from '../../common/fsync-path.js';
import { OperationFuse } from '../../daemon-shell/operation-fuse.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  segmentNumberOf,
  segmentOffsetOf,
  type SegmentNumber,
} from '../../postgres/segment-name.js';
import { WalDecoder } from '../../postgres/wal/wal-decoder.js';
import {
  alignDown,
  alignUp,
  allocateAlignedBuffer,
  DIRECT_IO_ALIGNMENT_BYTES,
  probeDirectIo,
  readHeadBlock,
  segmentWriteFlags,
  writeAllAt,
  writeZeros,
  type WalIoMode,
} from './direct-io.js';
import {
  findSegment,
  listSegments,
  renameSegment,
  segmentPath,
  type SegmentLocation,
} from './segment-files.js';
import { SegmentPreallocator } from './segment-preallocator.js';
import { SegmentWriter } from './segment-writer.js';

/** Bytes staged before a write-out is forced: a flush of a larger batch writes out this much at a time. */
const STAGING_BYTES = 1024 * 1024;

export interface WalStorageObserver {
  observeWriteSeconds(seconds: number, bytes: number): void;
  observeFlushSeconds(seconds: number): void;
}

export interface WalStorageOptions {
  readonly dir: string;
  readonly segmentSizeBytes: number;
  readonly noSync: boolean;
  /** false: write through the page cache, as on a filesystem that refuses O_DIRECT (default: probe). */
  readonly directIo?: boolean;
  readonly observer?: WalStorageObserver;
  readonly onWarning?: (message: string) => void;
}

/** Where the WAL ends after recovery; all three LSNs start here. */
export interface WalPosition {
  readonly endLsn: Lsn;
}

interface OpenSegment {
  location: SegmentLocation;
  readonly writer: SegmentWriter;
  /** Whether the segment after this one was looked for (and a spare started if missing). */
  nextPrepared: boolean;
}

export class WalStorage {
  private writePosition: Lsn;
  private recordPosition: Lsn;
  private flushPosition: Lsn;
  private current: OpenSegment | undefined;
  private decoder: WalDecoder | undefined;
  /** Set when a write failed half-way: only truncate() (a new term) may continue. */
  private failure: string | undefined;
  private closed = false;
  /** Writes, flushes and truncations in flight: closing during one is an assertion failure. */
  private readonly fuse: OperationFuse;

  /**
   * The open segment's staging buffer (aligned), reused from segment to segment. Allocated at the
   * first write: each one reserves address space (a WebAssembly memory), and most loaded
   * timelines of a daemon may never be written.
   */
  private stagingBuffer: Buffer | undefined;

  private constructor(
    private readonly options: WalStorageOptions,
    private readonly mode: WalIoMode,
    private readonly preallocator: SegmentPreallocator,
    position: Lsn,
  ) {
    this.writePosition = position;
    this.recordPosition = position;
    this.flushPosition = position;
    if (position !== 0n) this.decoder = this.newDecoder(position);
    this.fuse = new OperationFuse(`WAL storage of ${options.dir}`);
  }

  /** Opens the storage with every LSN at `endLsn` (0: nothing written yet, recovery found no WAL). */
  static async open(options: WalStorageOptions, position: WalPosition): Promise<WalStorage> {
    const onWarning = options.onWarning ?? (() => undefined);
    const direct = options.directIo !== false && (await probeDirectIo(options.dir));
    if (!direct && options.directIo !== false)
      onWarning(
        `${options.dir}: the filesystem refuses O_DIRECT, WAL is written through the page cache`,
      );
    const mode: WalIoMode = { direct, sync: !options.noSync };
    const preallocator = await SegmentPreallocator.open(
      options.dir,
      options.segmentSizeBytes,
      mode,
      onWarning,
    );
    return new WalStorage(options, mode, preallocator, position.endLsn);
  }

  private get staging(): Buffer {
    this.stagingBuffer ??= allocateAlignedBuffer(
      Math.min(STAGING_BYTES, this.options.segmentSizeBytes),
    );
    return this.stagingBuffer;
  }

  /** Whether segments are written with O_DIRECT (else through the page cache). */
  get directIo(): boolean {
    return this.mode.direct;
  }

  get segmentSizeBytes(): number {
    return this.options.segmentSizeBytes;
  }
  /** End of the bytes written (not necessarily a record boundary, not necessarily durable). */
  get writeLsn(): Lsn {
    return this.writePosition;
  }
  /** End of the last complete record written. */
  get writeRecordLsn(): Lsn {
    return this.recordPosition;
  }
  /** End of the last complete record made durable. */
  get flushLsn(): Lsn {
    return this.flushPosition;
  }

  private newDecoder(startLsn: Lsn): WalDecoder {
    return new WalDecoder({ startLsn, segmentSizeBytes: this.segmentSizeBytes, verifyCrc: false });
  }

  private checkWritable(startLsn: Lsn): void {
    if (this.closed) throw new AppError('wrong-state', 'WAL storage is closed');
    if (this.failure !== undefined)
      throw new AppError('wrong-state', `WAL storage needs a truncation after: ${this.failure}`);
    if (this.writePosition === 0n) return;
    if (startLsn < this.writePosition)
      throw new AppError(
        'wrong-state',
        `write at ${formatLsn(startLsn)} rewrites WAL written before (write_lsn ${formatLsn(this.writePosition)})`,
      );
    if (startLsn > this.writePosition)
      throw new AppError(
        'wrong-state',
        `write at ${formatLsn(startLsn)} creates a gap after write_lsn ${formatLsn(this.writePosition)}`,
      );
  }

  /** Appends `bytes` at `startLsn`, which must equal write_lsn (or anything when empty). */
  async write(startLsn: Lsn, bytes: Uint8Array): Promise<void> {
    this.checkWritable(startLsn);
    if (bytes.length === 0) return;
    const startedAt = performance.now();
    // Decode first: WAL that is not valid PostgreSQL WAL is refused before it touches the disk.
    const decoder = (this.decoder ??= this.newDecoder(startLsn));
    let recordEnd = this.recordPosition;
    try {
      decoder.feed(bytes);
      for (let record = decoder.next(); record !== undefined; record = decoder.next())
        recordEnd = record.endLsn;
    } catch (error) {
      this.failure = `invalid WAL at ${formatLsn(startLsn)}: ${describeError(error)}`;
      throw new AppError('integrity', this.failure, { cause: error });
    }
    this.fuse.enter('write');
    try {
      await this.writeToSegments(startLsn, bytes);
    } catch (error) {
      this.failure = `write at ${formatLsn(startLsn)} failed: ${describeError(error)}`;
      throw error;
    } finally {
      this.fuse.leave('write');
    }
    this.recordPosition = recordEnd;
    assert(this.recordPosition <= this.writePosition, 'write_record_lsn <= write_lsn');
    this.options.observer?.observeWriteSeconds(
      (performance.now() - startedAt) / 1000,
      bytes.length,
    );
  }

  private async writeToSegments(startLsn: Lsn, bytes: Uint8Array): Promise<void> {
    const segmentSizeBytes = this.segmentSizeBytes;
    let lsn = startLsn;
    let done = 0;
    while (done < bytes.length) {
      const segno = segmentNumberOf(lsn, segmentSizeBytes);
      const offset = segmentOffsetOf(lsn, segmentSizeBytes);
      const length = Math.min(bytes.length - done, segmentSizeBytes - offset);
      const segment = await this.openSegment(segno, offset);
      await segment.writer.stage(bytes.subarray(done, done + length));
      // Past half of a segment, the next one is prepared in the background; earlier would cost
      // a spare segment per idle timeline.
      if (!segment.nextPrepared && offset + length > segmentSizeBytes / 2) {
        segment.nextPrepared = true;
        await this.prepareNextSegment(segno + 1n);
      }
      done += length;
      lsn += BigInt(length);
      this.writePosition = lsn;
      if (offset + length === segmentSizeBytes) await this.completeSegment(segment);
    }
  }

  /** The open segment `segno`, opening it for writing at `offset` if another one is open. */
  private async openSegment(segno: SegmentNumber, offset: number): Promise<OpenSegment> {
    if (this.current?.location.segno === segno) return this.current;
    await this.closeCurrent();
    let location = await findSegment(this.options.dir, segno, this.segmentSizeBytes);
    if (location === undefined) {
      const path = segmentPath(this.options.dir, segno, this.segmentSizeBytes, true);
      await this.preallocator.install(path);
      location = { segno, path, partial: true };
    }
    const writer = await SegmentWriter.open(
      location.path,
      offset,
      this.staging,
      this.mode,
      this.segmentSizeBytes,
    );
    this.current = { location, writer, nextPrepared: false };
    return this.current;
  }

  /** Starts preparing a spare unless segment `segno` already exists (e.g. after truncation). */
  private async prepareNextSegment(segno: SegmentNumber): Promise<void> {
    if ((await findSegment(this.options.dir, segno, this.segmentSizeBytes)) === undefined)
      this.preallocator.prepare();
  }

  /** The write reached the end of the segment: write it out and give it its final name. */
  private async completeSegment(segment: OpenSegment): Promise<void> {
    assert(this.current === segment, 'the completed segment is the open one');
    await this.closeCurrent();
    if (segment.location.partial)
      await renameSegment(segment.location, this.options.dir, this.segmentSizeBytes, false);
  }

  /** Writes out what the open segment has staged (durable unless --no-sync) and closes it. */
  private async closeCurrent(): Promise<void> {
    const segment = this.current;
    this.current = undefined;
    if (segment === undefined) return;
    try {
      await segment.writer.writeOut();
    } finally {
      await segment.writer.close();
    }
  }

  /**
   * Makes everything up to write_record_lsn durable: one write-out of the staged blocks, durable
   * when it returns (O_DSYNC) unless --no-sync.
   */
  async flush(): Promise<void> {
    if (this.flushPosition === this.recordPosition) return;
    const target = this.recordPosition;
    const startedAt = performance.now();
    this.fuse.enter('flush');
    try {
      await this.current?.writer.writeOut();
    } finally {
      this.fuse.leave('flush');
    }
    assert(target >= this.flushPosition, 'flush_lsn is monotonic between truncations');
    this.flushPosition = target;
    this.options.observer?.observeFlushSeconds((performance.now() - startedAt) / 1000);
  }

  /**
   * Cuts the WAL at `endLsn` (a new term starts streaming there): the segment holding it is
   * zeroed from that point and becomes `.partial` again, later segments are deleted, and all
   * LSNs become `endLsn`. After a failed write only flush_lsn is known to be on disk (the staged
   * bytes after it may be lost), so the cut must not be above it; a truncation that fails half-way
   * leaves the storage needing another one.
   */
  async truncate(endLsn: Lsn): Promise<void> {
    if (this.closed) throw new AppError('wrong-state', 'WAL storage is closed');
    if (this.writePosition !== 0n && endLsn > this.writePosition)
      throw new AppError(
        'wrong-state',
        `cannot truncate WAL at ${formatLsn(endLsn)}: beyond write_lsn ${formatLsn(this.writePosition)}`,
      );
    if (this.failure !== undefined && endLsn > this.flushPosition)
      throw new AppError(
        'wrong-state',
        `cannot truncate WAL at ${formatLsn(endLsn)} after "${this.failure}": only WAL up to flush_lsn ${formatLsn(this.flushPosition)} is known to be on disk`,
      );
    this.failure = `the truncation at ${formatLsn(endLsn)} did not complete`;
    await this.fuse.run('truncate', () => this.cutAt(endLsn));
    this.failure = undefined;
  }

  /** truncate's disk work: zero the tail of the segment holding endLsn, drop later ones. */
  private async cutAt(endLsn: Lsn): Promise<void> {
    await this.closeCurrent();
    const { dir } = this.options;
    const segmentSizeBytes = this.segmentSizeBytes;
    const segno = segmentNumberOf(endLsn, segmentSizeBytes);
    const location = await findSegment(dir, segno, segmentSizeBytes);
    if (location !== undefined) {
      await this.zeroSegmentFrom(location.path, segmentOffsetOf(endLsn, segmentSizeBytes));
      if (!location.partial) await renameSegment(location, dir, segmentSizeBytes, true);
    }
    for (const later of await listSegments(dir, segmentSizeBytes)) {
      if (later.segno > segno) await rm(later.path, { force: true });
    }
    if (this.mode.sync) await fsyncPath(dir);
    this.writePosition = endLsn;
    this.recordPosition = endLsn;
    this.flushPosition = endLsn;
    this.decoder = endLsn === 0n ? undefined : this.newDecoder(endLsn);
  }

  /**
   * Zeroes a segment file from `offset` to its end, durably unless --no-sync (one fdatasync at
   * the end): the block holding `offset` is read and written back with zeros after it. No
   * segment is open, so the staging buffer is free.
   */
  private async zeroSegmentFrom(path: string, offset: number): Promise<void> {
    const handle = await open(path, segmentWriteFlags({ direct: this.mode.direct, sync: false }));
    try {
      const blockOffset = alignDown(offset);
      if (blockOffset < offset) {
        const block = this.staging.subarray(0, DIRECT_IO_ALIGNMENT_BYTES);
        await readHeadBlock(handle.fd, block, offset);
        await writeAllAt(handle.fd, block, 0, block.length, blockOffset);
      }
      await writeZeros(handle.fd, alignUp(offset), this.segmentSizeBytes);
      if (this.mode.sync) await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Flushes nothing: closes files and drops the spare segment. Staged bytes are dropped. Closing
   * while a write, flush or truncation is in flight is a bug (the fuse fails an assertion).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.fuse.assertIdle('close');
    this.closed = true;
    const segment = this.current;
    this.current = undefined;
    this.stagingBuffer = undefined;
    await segment?.writer.close();
    await this.preallocator.close();
  }
}
