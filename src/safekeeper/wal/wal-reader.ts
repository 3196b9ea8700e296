// Reads a timeline's WAL back from its segment files (for START_REPLICATION): a read never
// crosses a segment boundary, a segment is looked up as `<name>.partial` or `<name>` (it may be
// renamed between two reads), and the open file is kept for the next read of the same segment.
import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../../common/errors.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  segmentFileName,
  segmentNumberOf,
  segmentOffsetOf,
  type SegmentNumber,
} from '../../postgres/segment-name.js';
import { readAtMost } from './direct-io.js';
import { findSegment } from './segment-files.js';

export class WalReader {
  private current: { segno: SegmentNumber; handle: FileHandle } | undefined;

  constructor(
    private readonly dir: string,
    private readonly segmentSizeBytes: number,
  ) {}

  /** Up to `maxBytes` of WAL from `lsn`, stopping at the end of its segment. */
  async read(lsn: Lsn, maxBytes: number): Promise<Buffer> {
    const segno = segmentNumberOf(lsn, this.segmentSizeBytes);
    const offset = segmentOffsetOf(lsn, this.segmentSizeBytes);
    const length = Math.min(maxBytes, this.segmentSizeBytes - offset);
    const handle = await this.openSegment(segno, lsn);
    const bytes = Buffer.allocUnsafe(length);
    if ((await readAtMost(handle.fd, bytes, length, offset)) < length)
      throw new AppError(
        'integrity',
        `WAL segment ${segmentFileName(segno, this.segmentSizeBytes)} is shorter than a segment`,
      );
    return bytes;
  }

  private async openSegment(segno: SegmentNumber, lsn: Lsn): Promise<FileHandle> {
    if (this.current?.segno === segno) return this.current.handle;
    await this.close();
    // A rename from .partial to the final name may happen between the lookup and the open.
    for (let attempt = 0; attempt < 2; attempt++) {
      const location = await findSegment(this.dir, segno, this.segmentSizeBytes);
      if (location === undefined) break;
      try {
        const handle = await open(location.path, 'r');
        this.current = { segno, handle };
        return handle;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new AppError(
      'not-found',
      `WAL at ${formatLsn(lsn)} is not on this safekeeper: segment ${segmentFileName(segno, this.segmentSizeBytes)} is missing`,
    );
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.handle.close();
  }
}
