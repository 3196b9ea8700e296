// The open segment file of one timeline's local WAL (layout: segment-files.ts): writes runs with
// writev, closes a segment once its last byte is written (fdatasync, close, rename .partial to
// its complete name, fsync the directory), and makes the open segment durable on request. A
// sync may run while further runs are written; it covers every write finished before it began.
// It never closes a file while a sync of it is in flight.
import { rename, type FileHandle } from 'node:fs/promises';
import { fsyncPath } from '../../common/fsync-path.js';
import type { SegmentNumber } from '../../postgres/segment-name.js';
import { openSegmentForWrite, segmentPaths } from './segment-files.js';
import type { SegmentRun } from './segment-runs.js';

interface OpenSegment {
  readonly segno: SegmentNumber;
  readonly handle: FileHandle;
  readonly isPartial: boolean;
  /** Its last byte was written. */
  isFilled: boolean;
  /** Runs written, and how many of them the last finished fdatasync covers. */
  writeCount: number;
  syncedWriteCount: number;
  /** The fdatasync in flight, if any (close waits for it). */
  sync: Promise<void> | undefined;
}

export interface SegmentWriterOptions {
  readonly dir: string;
  readonly segmentSizeBytes: number;
  readonly noSync: boolean;
}

export class SegmentWriter {
  readonly #options: SegmentWriterOptions;
  #segment: OpenSegment | undefined;
  /** A close in progress (its fdatasync included): a sync waits for it. */
  #closing: Promise<void> | undefined;

  constructor(options: SegmentWriterOptions) {
    this.#options = options;
  }

  /** Writes one run (again from where a short write stopped); closes the segment it fills. */
  async write(run: SegmentRun): Promise<void> {
    const segment = await this.#segmentFor(run.segno);
    let pieces = run.pieces;
    let writtenBytes = 0;
    while (writtenBytes < run.lengthBytes) {
      const { bytesWritten } = await segment.handle.writev(pieces, run.offsetBytes + writtenBytes);
      writtenBytes += bytesWritten;
      if (writtenBytes < run.lengthBytes) pieces = dropLeadingBytes(pieces, bytesWritten);
    }
    segment.writeCount++;
    if (run.fillsSegment) {
      segment.isFilled = true;
      await this.close();
    }
  }

  /**
   * Makes every run written before this call durable: closed segments already are, the open one
   * is fdatasynced if it has unsynced writes. One call at a time (the caller's sync loop).
   */
  async sync(): Promise<void> {
    // A segment being closed is not the open one any more, but its bytes are durable only then.
    await this.#closing;
    const segment = this.#segment;
    if (segment === undefined || this.#options.noSync) return;
    const writeCount = segment.writeCount;
    if (writeCount === segment.syncedWriteCount) return;
    segment.sync = segment.handle.datasync();
    try {
      await segment.sync;
    } finally {
      segment.sync = undefined;
    }
    segment.syncedWriteCount = Math.max(segment.syncedWriteCount, writeCount);
  }

  async #segmentFor(segno: SegmentNumber): Promise<OpenSegment> {
    if (this.#segment?.segno === segno) return this.#segment;
    await this.close();
    const paths = segmentPaths(this.#options.dir, segno, this.#options.segmentSizeBytes);
    const { handle, kind } = await openSegmentForWrite(paths);
    this.#segment = {
      segno,
      handle,
      isPartial: kind === 'partial',
      isFilled: false,
      writeCount: 0,
      syncedWriteCount: 0,
      sync: undefined,
    };
    return this.#segment;
  }

  /** Syncs and closes the open segment; a filled one is renamed to its complete name. */
  async close(): Promise<void> {
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    this.#closing = this.#closeSegment(segment);
    try {
      await this.#closing;
    } finally {
      this.#closing = undefined;
    }
  }

  async #closeSegment(segment: OpenSegment): Promise<void> {
    const { dir, segmentSizeBytes, noSync } = this.#options;
    try {
      // A failed sync in flight is reported by whoever started it; this one syncs again.
      await segment.sync?.catch(() => undefined);
      if (segment.writeCount > segment.syncedWriteCount && !noSync) await segment.handle.datasync();
    } finally {
      await segment.handle.close();
    }
    if (segment.isFilled && segment.isPartial) {
      const paths = segmentPaths(dir, segment.segno, segmentSizeBytes);
      await rename(paths.partial, paths.complete);
      if (!noSync) await fsyncPath(dir);
    }
  }
}

/** `pieces` without their first `count` bytes (views, no copy). */
function dropLeadingBytes(pieces: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skipBytes = count;
  for (const piece of pieces) {
    if (skipBytes >= piece.length) skipBytes -= piece.length;
    else {
      rest.push(skipBytes === 0 ? piece : piece.subarray(skipBytes));
      skipBytes = 0;
    }
  }
  return rest;
}
