// Writes into one open WAL segment file through an aligned staging buffer (direct-io.ts): stage()
// copies bytes into the buffer, writeOut() writes the blocks staged since the last write-out,
// from the aligned block holding the first new byte to the block holding the last. The block a
// write-out ends in is written again by the next one (PostgreSQL's way with direct I/O). The
// buffer always starts at an aligned segment offset and holds zeros past the staged bytes, which
// is what the zero-filled segment holds there. A full buffer is written out and starts over.
import { open, type FileHandle } from 'node:fs/promises';
import { assert } from '../../common/assert.js';
import {
  alignDown,
  alignUp,
  readHeadBlock,
  segmentWriteFlags,
  writeAllAt,
  writeAllAtBlocking,
  type WalIoMode,
} from './direct-io.js';

/**
 * Write-outs up to this size (a commit's worth of WAL) are made on the event loop, larger ones on
 * the thread pool. A small durable write is one device round trip (about 0.1 ms here); handing it
 * to the pool adds two thread wake-ups (the pool thread, then the loop), which on this 2-vCPU VM
 * cost about 35 µs of CPU per commit in each safekeeper and about 10% of the quorum-commit
 * latency. The price: while the device answers, this daemon serves nothing else.
 */
const INLINE_WRITE_MAX_BYTES = 64 * 1024;

export class SegmentWriter {
  /** staging[0, stagedBytes) are the segment's bytes from baseOffset on. */
  private stagedBytes: number;
  /** staging[0, writtenBytes) are in the file. */
  private writtenBytes: number;

  private constructor(
    private readonly handle: FileHandle,
    private readonly staging: Buffer,
    private readonly segmentSizeBytes: number,
    /** The segment offset of staging[0]: aligned. */
    private baseOffset: number,
    stagedBytes: number,
  ) {
    this.stagedBytes = stagedBytes;
    this.writtenBytes = stagedBytes;
  }

  /**
   * Opens the segment file at `path` for writing at `offset`. `staging` (aligned, a multiple of
   * the alignment) becomes this writer's until it is closed. The bytes before `offset` in its
   * block are read from the file, so that write-outs carry them again.
   */
  static async open(
    path: string,
    offset: number,
    staging: Buffer,
    mode: WalIoMode,
    segmentSizeBytes: number,
  ): Promise<SegmentWriter> {
    const handle = await open(path, segmentWriteFlags(mode));
    try {
      staging.fill(0);
      const baseOffset = alignDown(offset);
      const headBytes = offset - baseOffset;
      if (headBytes > 0) await readHeadBlock(handle.fd, staging, offset);
      return new SegmentWriter(handle, staging, segmentSizeBytes, baseOffset, headBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The segment offset after the last staged byte. */
  get endOffset(): number {
    return this.baseOffset + this.stagedBytes;
  }

  /** How many bytes the buffer can hold from baseOffset: to its size or the segment's end. */
  private get limitBytes(): number {
    return Math.min(this.staging.length, this.segmentSizeBytes - this.baseOffset);
  }

  /** Stages `bytes` at endOffset (they must fit in the segment); a full buffer is written out. */
  async stage(bytes: Uint8Array): Promise<void> {
    assert(
      this.endOffset + bytes.length <= this.segmentSizeBytes,
      () => `${bytes.length} bytes at offset ${this.endOffset} fit in the segment`,
    );
    let done = 0;
    while (done < bytes.length) {
      const take = Math.min(bytes.length - done, this.limitBytes - this.stagedBytes);
      this.staging.set(bytes.subarray(done, done + take), this.stagedBytes);
      this.stagedBytes += take;
      done += take;
      // At the segment's end the buffer stays: the storage completes the segment.
      if (this.stagedBytes === this.limitBytes && this.endOffset < this.segmentSizeBytes)
        await this.writeOutAndStartOver();
    }
  }

  /** Writes the blocks staged since the last write-out (durable on return with O_DSYNC). */
  async writeOut(): Promise<void> {
    if (this.writtenBytes === this.stagedBytes) return;
    const from = alignDown(this.writtenBytes);
    const to = alignUp(this.stagedBytes);
    const offset = this.baseOffset + from;
    if (to - from <= INLINE_WRITE_MAX_BYTES)
      writeAllAtBlocking(this.handle.fd, this.staging, from, to, offset);
    else await writeAllAt(this.handle.fd, this.staging, from, to, offset);
    this.writtenBytes = this.stagedBytes;
  }

  private async writeOutAndStartOver(): Promise<void> {
    await this.writeOut();
    // limitBytes is a multiple of the alignment, so the next block starts afresh.
    this.staging.fill(0, 0, this.stagedBytes);
    this.baseOffset += this.stagedBytes;
    this.stagedBytes = 0;
    this.writtenBytes = 0;
  }

  /** Closes the file; bytes staged since the last write-out are dropped. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
