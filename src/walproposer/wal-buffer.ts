// The WAL a walproposer holds in memory: a contiguous byte range [startLsn, endLsn) kept as the
// chunks it was appended in. Acceptors are streamed slices of it; the part every acceptor has
// flushed (below truncate_lsn) is dropped. Nothing here copies WAL: a slice is the views of the
// chunks it covers, which go to the socket as they are.
import { AppError } from '../common/errors.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';

interface Chunk {
  readonly startLsn: Lsn;
  readonly bytes: Uint8Array;
}

export class WalBuffer {
  private readonly chunks: Chunk[] = [];
  private start: Lsn;
  private end: Lsn;

  constructor(startLsn: Lsn) {
    this.start = startLsn;
    this.end = startLsn;
  }

  get startLsn(): Lsn {
    return this.start;
  }
  get endLsn(): Lsn {
    return this.end;
  }
  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push({ startLsn: this.end, bytes });
    this.end += BigInt(bytes.length);
  }

  /** Puts WAL that precedes the buffer in front of it (fetched later from a peer). */
  prepend(startLsn: Lsn, bytes: Uint8Array): void {
    if (startLsn + BigInt(bytes.length) !== this.start)
      throw new AppError(
        'internal',
        `WAL prepended at ${formatLsn(startLsn)} (+${bytes.length}) does not end at the buffer start ${formatLsn(this.start)}`,
      );
    if (bytes.length === 0) return;
    this.chunks.unshift({ startLsn, bytes });
    this.start = startLsn;
  }

  /**
   * Up to `maxBytes` from `fromLsn` (which must be inside the buffer), as views of the chunks it
   * covers, in order.
   */
  slice(fromLsn: Lsn, maxBytes: number): Uint8Array[] {
    if (fromLsn < this.start || fromLsn > this.end)
      throw new AppError(
        'internal',
        `WAL at ${formatLsn(fromLsn)} is not held (buffer ${formatLsn(this.start)}..${formatLsn(this.end)})`,
      );
    const length = Math.min(maxBytes, Number(this.end - fromLsn));
    const parts: Uint8Array[] = [];
    let got = 0;
    for (let index = this.chunkIndexOf(fromLsn); got < length; index++) {
      const chunk = this.chunks[index] as Chunk;
      const offset = got === 0 ? Number(fromLsn - chunk.startLsn) : 0;
      const take = Math.min(length - got, chunk.bytes.length - offset);
      parts.push(chunk.bytes.subarray(offset, offset + take));
      got += take;
    }
    return parts;
  }

  /** Drops whole chunks that end at or before `lsn`. */
  dropBefore(lsn: Lsn): void {
    while (this.chunks.length > 0) {
      const first = this.chunks[0] as Chunk;
      const chunkEnd = first.startLsn + BigInt(first.bytes.length);
      if (chunkEnd > lsn) break;
      this.chunks.shift();
      this.start = chunkEnd;
    }
  }

  private chunkIndexOf(lsn: Lsn): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.chunks[middle] as Chunk).startLsn <= lsn) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
