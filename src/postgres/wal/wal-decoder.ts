// Streams PostgreSQL 15 WAL into record headers: fed contiguous chunks from a record boundary,
// it checks page headers, record headers, prev-links and (optionally) CRCs, and returns one
// record at a time. It keeps only references to unconsumed chunks plus the 24-byte record header
// and a page header; record bodies are checksummed in place and never copied or kept.
// Layout: see wal-page-header.ts and xlog-record.ts. XLOG_SWITCH ends its segment.
import { AppError } from '../../common/errors.js';
import { crc32cFinish, crc32cUpdate, CRC32C_INIT } from '../crc32c.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { checkSegmentSize } from '../segment-name.js';
import { validatePageHeader } from './validate-page-header.js';
import { validateRecordHeader, validateRecordLength } from './validate-record-header.js';
import { WalDecodeError } from './wal-decode-error.js';
import { pageHeaderBytesAt, LONG_PAGE_HEADER_BYTES, XLOG_BLCKSZ } from './wal-page-header.js';
import {
  isXlogSwitch,
  MAXALIGN_BYTES,
  XLOG_RECORD_CRC_OFFSET,
  XLOG_RECORD_HEADER_BYTES,
} from './xlog-record.js';

export interface WalDecoderOptions {
  /** A record boundary: the LSN of the first byte fed. */
  readonly startLsn: Lsn;
  readonly segmentSizeBytes: number;
  readonly verifyCrc?: boolean;
  /** When given, long page headers must carry this system id. */
  readonly systemId?: bigint;
}

export interface DecodedRecord {
  readonly startLsn: Lsn;
  /** Where the next record may start: the aligned end (next segment start after XLOG_SWITCH). */
  readonly endLsn: Lsn;
  readonly totalLength: number;
  readonly rmgrId: number;
  readonly info: number;
  readonly xid: number;
  readonly prevLsn: Lsn;
}

const LENGTH_FIELD_BYTES = 4;

export class WalDecoder {
  readonly #segmentSizeBytes: number;
  readonly #verifyCrc: boolean;
  readonly #systemId: bigint | undefined;
  readonly #chunks: Uint8Array[] = [];
  #chunkPosition = 0;
  #fedLsn: Lsn;
  #decodedLsn: Lsn;
  /** The position of the next unconsumed byte: segment start + offset (kept as a number). */
  #segmentLsn: Lsn;
  #segmentOffset: number;
  #skipBytes = 0;
  #pageHeaderPending: boolean;
  readonly #pageHeader = new Uint8Array(LONG_PAGE_HEADER_BYTES);
  #pageHeaderGot = 0;
  #inRecord = false;
  #recordLsn: Lsn = 0n;
  #recordTotal = 0;
  #recordGot = 0;
  #crc = CRC32C_INIT;
  readonly #header = new Uint8Array(XLOG_RECORD_HEADER_BYTES);
  readonly #headerView = new DataView(this.#header.buffer);
  #lastRecordLsn: Lsn | undefined;
  #failure: WalDecodeError | undefined;

  constructor(options: WalDecoderOptions) {
    checkSegmentSize(options.segmentSizeBytes);
    const segmentSize = BigInt(options.segmentSizeBytes);
    this.#segmentSizeBytes = options.segmentSizeBytes;
    this.#verifyCrc = options.verifyCrc ?? true;
    this.#systemId = options.systemId;
    this.#segmentOffset = Number(options.startLsn % segmentSize);
    this.#segmentLsn = options.startLsn - BigInt(this.#segmentOffset);
    const pageOffset = this.#segmentOffset % XLOG_BLCKSZ;
    if (
      options.startLsn % BigInt(MAXALIGN_BYTES) !== 0n ||
      (pageOffset !== 0 && pageOffset < pageHeaderBytesAt(this.#segmentOffset - pageOffset))
    ) {
      throw new AppError(
        'usage',
        `invalid WAL decode start ${formatLsn(options.startLsn)}: not a record boundary`,
      );
    }
    this.#pageHeaderPending = pageOffset === 0;
    this.#fedLsn = options.startLsn;
    this.#decodedLsn = options.startLsn;
  }

  /** The LSN just past the last byte fed. */
  get fedLsn(): Lsn {
    return this.#fedLsn;
  }

  /** Where decoding resumes: the end of the last record returned (or the start). */
  get decodedLsn(): Lsn {
    return this.#decodedLsn;
  }

  /** Whether bytes fed are still referenced (none are once next() returned undefined). */
  get hasUnconsumedBytes(): boolean {
    return this.#chunks.length > 0;
  }

  /** Appends the next bytes of the stream; the decoder keeps a reference until it consumes them. */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#fedLsn += BigInt(bytes.length);
  }

  /** The next complete record, or undefined until more bytes are fed. Errors are sticky. */
  next(): DecodedRecord | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#decode();
    } catch (error) {
      if (error instanceof WalDecodeError) this.#failure = error;
      throw error;
    }
  }

  #decode(): DecodedRecord | undefined {
    for (;;) {
      if (this.#skipBytes > 0) {
        if (!this.#skip()) return undefined;
        continue;
      }
      if (this.#pageHeaderPending) {
        if (!this.#readPageHeader()) return undefined;
        continue;
      }
      const chunk = this.#chunks[0];
      if (chunk === undefined) return undefined;
      if (!this.#inRecord) this.#beginRecord();
      const pageRoomBytes = XLOG_BLCKSZ - (this.#segmentOffset % XLOG_BLCKSZ);
      const availableBytes = Math.min(chunk.length - this.#chunkPosition, pageRoomBytes);
      if (this.#recordGot < XLOG_RECORD_HEADER_BYTES) {
        this.#takeHeaderBytes(chunk, availableBytes);
      } else {
        const takeBytes = Math.min(availableBytes, this.#recordTotal - this.#recordGot);
        if (this.#verifyCrc) {
          const start = this.#chunkPosition;
          this.#crc = crc32cUpdate(this.#crc, chunk.subarray(start, start + takeBytes));
        }
        this.#recordGot += takeBytes;
        this.#advance(takeBytes);
      }
      if (this.#recordGot === this.#recordTotal) return this.#finishRecord();
    }
  }

  #beginRecord(): void {
    this.#inRecord = true;
    this.#recordLsn = this.#segmentLsn + BigInt(this.#segmentOffset);
    this.#recordTotal = 0;
    this.#recordGot = 0;
    this.#crc = CRC32C_INIT;
  }

  #takeHeaderBytes(chunk: Uint8Array, availableBytes: number): void {
    const takeBytes = Math.min(availableBytes, XLOG_RECORD_HEADER_BYTES - this.#recordGot);
    const header = this.#header;
    for (let i = 0; i < takeBytes; i++) {
      header[this.#recordGot + i] = chunk[this.#chunkPosition + i] as number;
    }
    this.#recordGot += takeBytes;
    this.#advance(takeBytes);
    if (this.#recordTotal === 0 && this.#recordGot >= LENGTH_FIELD_BYTES) {
      const totalBytes = this.#headerView.getUint32(0, true);
      validateRecordLength(totalBytes, this.#recordLsn);
      this.#recordTotal = totalBytes;
    }
    if (this.#recordGot === XLOG_RECORD_HEADER_BYTES) {
      validateRecordHeader(this.#headerView, this.#recordLsn, this.#lastRecordLsn);
    }
  }

  #finishRecord(): DecodedRecord {
    const view = this.#headerView;
    if (this.#verifyCrc) {
      const header = this.#header.subarray(0, XLOG_RECORD_CRC_OFFSET);
      const crc = crc32cFinish(crc32cUpdate(this.#crc, header));
      if (crc !== view.getUint32(XLOG_RECORD_CRC_OFFSET, true)) {
        throw new WalDecodeError(
          'crc',
          this.#recordLsn,
          `incorrect resource manager data checksum in record at ${formatLsn(this.#recordLsn)}`,
        );
      }
    }
    const rmgrId = view.getUint8(17);
    const info = view.getUint8(16);
    if (isXlogSwitch(rmgrId, info)) {
      // The rest of the segment is padding (zeroed pages, headers included).
      const segmentRest = this.#segmentSizeBytes - this.#segmentOffset;
      this.#skipBytes = this.#segmentOffset === 0 ? 0 : segmentRest;
    } else {
      this.#skipBytes = (MAXALIGN_BYTES - (this.#segmentOffset % MAXALIGN_BYTES)) % MAXALIGN_BYTES;
    }
    const endLsn = this.#segmentLsn + BigInt(this.#segmentOffset + this.#skipBytes);
    this.#inRecord = false;
    this.#lastRecordLsn = this.#recordLsn;
    this.#decodedLsn = endLsn;
    return {
      startLsn: this.#recordLsn,
      endLsn,
      totalLength: this.#recordTotal,
      rmgrId,
      info,
      xid: view.getUint32(4, true),
      prevLsn: view.getBigUint64(8, true),
    };
  }

  #readPageHeader(): boolean {
    const headerBytes = pageHeaderBytesAt(this.#segmentOffset);
    while (this.#pageHeaderGot < headerBytes) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) return false;
      const takeBytes = Math.min(
        chunk.length - this.#chunkPosition,
        headerBytes - this.#pageHeaderGot,
      );
      this.#pageHeader.set(
        chunk.subarray(this.#chunkPosition, this.#chunkPosition + takeBytes),
        this.#pageHeaderGot,
      );
      this.#pageHeaderGot += takeBytes;
      this.#consumeChunkBytes(takeBytes);
    }
    validatePageHeader(this.#pageHeader.subarray(0, headerBytes), {
      pageLsn: this.#segmentLsn + BigInt(this.#segmentOffset),
      isSegmentStart: this.#segmentOffset === 0,
      segmentSizeBytes: this.#segmentSizeBytes,
      systemId: this.#systemId,
      continuedRecordBytes: this.#inRecord ? this.#recordTotal - this.#recordGot : 0,
    });
    this.#pageHeaderGot = 0;
    this.#pageHeaderPending = false;
    this.#segmentOffset += headerBytes;
    return true;
  }

  #skip(): boolean {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return false;
    const takeBytes = Math.min(chunk.length - this.#chunkPosition, this.#skipBytes);
    this.#skipBytes -= takeBytes;
    this.#advance(takeBytes);
    return true;
  }

  /** Consumes bytes of the head chunk that lie within one page (or skipped padding). */
  #advance(bytes: number): void {
    this.#consumeChunkBytes(bytes);
    this.#segmentOffset += bytes;
    if (this.#segmentOffset === this.#segmentSizeBytes) {
      this.#segmentLsn += BigInt(this.#segmentSizeBytes);
      this.#segmentOffset = 0;
    }
    if (this.#segmentOffset % XLOG_BLCKSZ === 0) this.#pageHeaderPending = true;
  }

  #consumeChunkBytes(bytes: number): void {
    this.#chunkPosition += bytes;
    const chunk = this.#chunks[0];
    if (chunk !== undefined && this.#chunkPosition === chunk.length) {
      this.#chunks.shift();
      this.#chunkPosition = 0;
    }
  }
}
