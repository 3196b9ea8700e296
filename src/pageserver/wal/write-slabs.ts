// The buffers the local WAL copies received WAL into until it is written: slabs of
// WRITE_SLAB_BYTES, each covering one aligned window of the WAL (LSN / WRITE_SLAB_BYTES), so a
// slab never spans a segment (segment sizes are multiples of it) and its bytes go to disk in
// one contiguous write. Written slabs return to a pool shared by every timeline of the process,
// which keeps at most SLAB_POOL_MAX_FREE of them: the stream allocates nothing per frame.
import { assert } from '../../common/assert.js';
import type { Lsn } from '../../postgres/lsn.js';

export const WRITE_SLAB_BYTES = 1024 * 1024;
/** Free slabs kept for reuse (the rest are left to the garbage collector). */
export const SLAB_POOL_MAX_FREE = 16;

const free: Buffer[] = [];

export class WriteSlab {
  readonly bytes: Buffer;
  /** The LSN of bytes[0]: a multiple of the slab size. */
  readonly windowLsn: Lsn;
  /** bytes[beginBytes, filledBytes) hold WAL; bytes before writtenBytes are on disk. */
  readonly beginBytes: number;
  filledBytes: number;
  writtenBytes: number;

  constructor(lsn: Lsn, segmentSizeBytes: number) {
    const sizeBytes = slabSizeBytes(segmentSizeBytes);
    const offsetBytes = Number(lsn % BigInt(sizeBytes));
    this.bytes = (free.pop() ?? Buffer.allocUnsafeSlow(WRITE_SLAB_BYTES)).subarray(0, sizeBytes);
    this.windowLsn = lsn - BigInt(offsetBytes);
    this.beginBytes = offsetBytes;
    this.filledBytes = offsetBytes;
    this.writtenBytes = offsetBytes;
  }

  /** The LSN just past the last byte copied in. */
  get endLsn(): Lsn {
    return this.windowLsn + BigInt(this.filledBytes);
  }

  get roomBytes(): number {
    return this.bytes.length - this.filledBytes;
  }

  /** Copies as much of `source` as fits; returns how many bytes it took. */
  fill(source: Uint8Array): number {
    const takeBytes = Math.min(this.roomBytes, source.length);
    this.bytes.set(source.subarray(0, takeBytes), this.filledBytes);
    this.filledBytes += takeBytes;
    return takeBytes;
  }

  /** Gives the buffer back to the pool: nothing may use this slab afterwards. */
  release(): void {
    assert(this.writtenBytes === this.filledBytes, 'a slab is released once written');
    const buffer = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, WRITE_SLAB_BYTES);
    if (free.length < SLAB_POOL_MAX_FREE) free.push(buffer);
  }
}

/** The slab size for a segment size: WRITE_SLAB_BYTES, or the segment when that is smaller. */
export function slabSizeBytes(segmentSizeBytes: number): number {
  return Math.min(WRITE_SLAB_BYTES, segmentSizeBytes);
}
