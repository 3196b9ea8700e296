// Keeps one spare zero-filled, fsynced segment-sized file (`wal-segment.prealloc`) in a timeline
// directory, prepared in the background while the current segment fills up, so that starting
// a new segment is a rename instead of a 16 MiB zero-fill in the write path. A spare left by an
// earlier process is deleted at open: nothing proves it was completed.
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../common/errors.js';
import { fsyncPath } from '../../common/fsync-path.js';
import type { WalIoMode } from './direct-io.js';
import { createZeroFilledFile } from './segment-files.js';

export const PREALLOCATED_FILE_NAME = 'wal-segment.prealloc';

export class SegmentPreallocator {
  private readonly sparePath: string;
  /** Resolves true when a spare is ready, false when preparing it failed. */
  private spare: Promise<boolean> | undefined;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly segmentSizeBytes: number,
    private readonly mode: WalIoMode,
    private readonly onWarning: (message: string) => void,
  ) {
    this.sparePath = join(dir, PREALLOCATED_FILE_NAME);
  }

  static async open(
    dir: string,
    segmentSizeBytes: number,
    mode: WalIoMode,
    onWarning: (message: string) => void,
  ): Promise<SegmentPreallocator> {
    await rm(join(dir, PREALLOCATED_FILE_NAME), { force: true });
    return new SegmentPreallocator(dir, segmentSizeBytes, mode, onWarning);
  }

  /** Starts preparing a spare unless one is ready or being prepared. */
  prepare(): void {
    if (this.closed || this.spare !== undefined) return;
    this.spare = createZeroFilledFile(this.sparePath, this.segmentSizeBytes, this.mode).then(
      () => true,
      (error: unknown) => {
        this.onWarning(`could not preallocate a WAL segment: ${describeError(error)}`);
        return false;
      },
    );
  }

  /** Puts a zero-filled segment file at `path`: the spare if there is one, else a new file. */
  async install(path: string): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    if (spare !== undefined && (await spare)) await rename(this.sparePath, path);
    else await createZeroFilledFile(path, this.segmentSizeBytes, this.mode);
    if (this.mode.sync) await fsyncPath(this.dir);
  }

  /** Waits for a spare in preparation and removes it. */
  async close(): Promise<void> {
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    if (spare !== undefined) await spare;
    await rm(this.sparePath, { force: true });
  }
}
