// A segment file as a PUT body without a new buffer per read. fs.createReadStream allocates a
// fresh buffer for every chunk: 16 MiB of new external memory per segment, which at offload
// speed made V8 run a full mark-compact of the safekeeper's heap every few segments, pausing the
// event loop just when the next PUT and the size checks were due. Here each upload reads, chunk
// by chunk, into one segment-sized buffer taken from a small pool and pushes views of it, so the
// read of chunk k+1 overlaps the socket write of chunk k. A buffer goes back to the pool only
// after its PUT succeeded: a 2xx means the server received every byte, so no write still reads
// from it. After a failure the buffer is dropped (a write of the failed request may still hold
// it) and the pool allocates a new one when needed. The pool lends at most its capacity at once
// (the uploads of one timeline); uploads beyond it (several timelines offloading together) read
// through a plain file stream, so memory stays bounded by the capacity in segments.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { asError } from '../../common/errors.js';

/** Bytes per read and per pushed view (16 per 16 MiB segment). */
export const BODY_CHUNK_BYTES = 1024 * 1024;
/** A pool idle this long releases its buffers (a leader between bursts keeps them). */
const POOL_IDLE_RELEASE_MS = 30_000;

export class BodyBufferPool {
  private readonly free: Buffer[] = [];
  private lent = 0;
  private releaseTimer: NodeJS.Timeout | undefined;

  /** At most `capacity` buffers, lent and kept together. */
  constructor(private readonly capacity: number) {}

  /** A buffer of `sizeBytes`, or undefined while `capacity` buffers are lent out. */
  take(sizeBytes: number): Buffer | undefined {
    if (this.lent >= this.capacity) return undefined;
    this.lent++;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    const index = this.free.findIndex((buffer) => buffer.length === sizeBytes);
    const [pooled] = index >= 0 ? this.free.splice(index, 1) : [];
    return pooled ?? Buffer.allocUnsafeSlow(sizeBytes);
  }

  /** A lent buffer back, for reuse: only one no pending write can still read (its PUT succeeded). */
  give(buffer: Buffer): void {
    this.lent--;
    if (this.free.length + this.lent < this.capacity) this.free.push(buffer);
    clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => this.release(), POOL_IDLE_RELEASE_MS);
    this.releaseTimer.unref();
  }

  /** A lent buffer that must not be reused (its PUT failed): the pool forgets it. */
  drop(): void {
    this.lent--;
  }

  get freeCount(): number {
    return this.free.length;
  }

  get lentCount(): number {
    return this.lent;
  }

  release(): void {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    this.free.length = 0;
  }
}

/**
 * The first `buffer.length` bytes of the file at `path`, read into `buffer` in
 * BODY_CHUNK_BYTES chunks as the consumer asks, each pushed as a view. A file shorter than that
 * fails the stream (a segment must be complete).
 */
export function segmentBody(path: string, buffer: Buffer): Readable {
  const sizeBytes = buffer.length;
  let handle: FileHandle | undefined;
  let position = 0;
  const readChunk = async (body: Readable): Promise<void> => {
    try {
      if (handle === undefined) throw new Error(`${path} is not open`);
      const length = Math.min(BODY_CHUNK_BYTES, sizeBytes - position);
      const { bytesRead } = await handle.read(buffer, position, length, position);
      if (bytesRead === 0)
        throw new Error(`${path} ends at byte ${position}, before its size of ${sizeBytes}`);
      const view = buffer.subarray(position, position + bytesRead);
      position += bytesRead;
      body.push(view);
      if (position === sizeBytes) body.push(null);
    } catch (error) {
      body.destroy(asError(error));
    }
  };
  return new Readable({
    highWaterMark: BODY_CHUNK_BYTES,
    construct(callback) {
      open(path, 'r').then(
        (opened) => {
          handle = opened;
          callback();
        },
        (error: unknown) => callback(asError(error)),
      );
    },
    read() {
      void readChunk(this);
    },
    destroy(error, callback) {
      const opened = handle;
      handle = undefined;
      if (opened === undefined) callback(error);
      // A failed close still ends the stream (the descriptor is gone either way).
      else
        opened.close().then(
          () => callback(error),
          () => callback(error),
        );
    },
  });
}
