// Writes PostgreSQL 15 WAL as a byte stream: places record images at 8-byte aligned positions,
// splits them across pages and segments with page headers (contrecord flag and xlp_rem_len on
// continuation pages, the long header on each segment's first page). It does not write files.
// A record's bytes run from the previous end to its aligned end; a page header at that end
// belongs to the next record, as with PostgreSQL's insert positions.
import { AppError } from '../../common/errors.js';
import type { Lsn } from '../lsn.js';
import { checkSegmentSize, PG_TIMELINE_ID } from '../segment-name.js';
import { buildLogicalMessageRecord, payloadBytesForRecordSize } from './logical-message.js';
import { pageHeaderBytesAt, writePageHeader, XLOG_BLCKSZ } from './wal-page-header.js';
import {
  maxAlign,
  MAXALIGN_BYTES,
  RM_XLOG_ID,
  writeRecordHeader,
  XLOG_RECORD_HEADER_BYTES,
  XLOG_SWITCH,
} from './xlog-record.js';

export interface WalEncoderOptions {
  /** A record boundary (8-byte aligned), possibly a page or segment start. */
  readonly startLsn: Lsn;
  /** Start of the record before startLsn: the first record's xl_prev. */
  readonly prevRecordLsn: Lsn;
  readonly systemId: bigint;
  readonly segmentSizeBytes: number;
  readonly timelineId?: number;
}

export interface EncodedRecord {
  /** Where the record's header starts (after any page header). */
  readonly startLsn: Lsn;
  /** The record's end rounded up to 8 bytes (for XLOG_SWITCH: the next segment's start). */
  readonly endLsn: Lsn;
  /** The WAL stream from the encoder's previous position up to endLsn. */
  readonly bytes: Buffer;
}

/** Prefix of the messages made by appendLogicalMessageOfSize. */
export const SIZED_MESSAGE_PREFIX = 'neon-local';
const SIZED_MESSAGE_PREFIX_BYTES = Buffer.from(SIZED_MESSAGE_PREFIX, 'utf8');

export class WalEncoder {
  readonly #systemId: bigint;
  readonly #segmentSizeBytes: number;
  readonly #timelineId: number;
  #position: Lsn;
  #prevRecordLsn: Lsn;

  constructor(options: WalEncoderOptions) {
    checkSegmentSize(options.segmentSizeBytes);
    if (options.startLsn % BigInt(MAXALIGN_BYTES) !== 0n) {
      throw new AppError('usage', `invalid WAL start ${options.startLsn}: not 8-byte aligned`);
    }
    this.#systemId = options.systemId;
    this.#segmentSizeBytes = options.segmentSizeBytes;
    this.#timelineId = options.timelineId ?? PG_TIMELINE_ID;
    this.#position = options.startLsn;
    this.#prevRecordLsn = options.prevRecordLsn;
  }

  /** Where the next record's bytes (perhaps a page header first) start. */
  get currentLsn(): Lsn {
    return this.#position;
  }

  /** Start of the last record written: the next record's xl_prev. */
  get prevRecordLsn(): Lsn {
    return this.#prevRecordLsn;
  }

  appendLogicalMessage(prefix: string, payload: Uint8Array): EncodedRecord {
    const record = buildLogicalMessageRecord({
      prefix: Buffer.from(prefix, 'utf8'),
      payload,
      prevLsn: this.#prevRecordLsn,
    });
    return this.#append(record, false);
  }

  /** A message record whose xl_tot_len is exactly `recordSizeBytes` (payload of 'x' bytes). */
  appendLogicalMessageOfSize(recordSizeBytes: number): EncodedRecord {
    const prefix = SIZED_MESSAGE_PREFIX_BYTES;
    const { payloadBytes, longDataHeader } = payloadBytesForRecordSize(
      recordSizeBytes,
      prefix.length,
    );
    const record = buildLogicalMessageRecord({
      prefix,
      payload: Buffer.alloc(payloadBytes, 'x'),
      prevLsn: this.#prevRecordLsn,
      longDataHeader,
    });
    return this.#append(record, false);
  }

  /** An XLOG_SWITCH record: the rest of its segment is zeros (PostgreSQL 15 zeroes those pages). */
  appendXlogSwitch(): EncodedRecord {
    const record = Buffer.alloc(XLOG_RECORD_HEADER_BYTES);
    writeRecordHeader(record, {
      xid: 0,
      prevLsn: this.#prevRecordLsn,
      info: XLOG_SWITCH,
      rmgrId: RM_XLOG_ID,
    });
    return this.#append(record, true);
  }

  #append(record: Buffer, isSwitch: boolean): EncodedRecord {
    const startSegmentOffset = Number(this.#position % BigInt(this.#segmentSizeBytes));
    const layout = this.#layOut(startSegmentOffset, record, undefined);
    let streamBytes = maxAlign(layout.recordEndBytes);
    if (isSwitch) {
      const segmentEndOffset = startSegmentOffset + layout.recordEndBytes;
      const tailBytes =
        (this.#segmentSizeBytes - (segmentEndOffset % this.#segmentSizeBytes)) %
        this.#segmentSizeBytes;
      streamBytes = layout.recordEndBytes + tailBytes;
    }
    const bytes = Buffer.alloc(streamBytes);
    this.#layOut(startSegmentOffset, record, bytes);
    const startLsn = this.#position + BigInt(layout.recordStartBytes);
    const endLsn = this.#position + BigInt(streamBytes);
    this.#position = endLsn;
    this.#prevRecordLsn = startLsn;
    return { startLsn, endLsn, bytes };
  }

  /**
   * Walks the record across pages from the current position, writing into `target` when given.
   * Offsets in the result are relative to the current position.
   */
  #layOut(
    startSegmentOffset: number,
    record: Buffer,
    target: Buffer | undefined,
  ): { recordStartBytes: number; recordEndBytes: number } {
    let at = 0;
    let copied = 0;
    let recordStartBytes = -1;
    for (;;) {
      const segmentOffset = (startSegmentOffset + at) % this.#segmentSizeBytes;
      if (segmentOffset % XLOG_BLCKSZ === 0) {
        const continuedBytes = copied === 0 ? 0 : record.length - copied;
        at += this.#putPageHeader(target, at, segmentOffset, continuedBytes);
      }
      if (recordStartBytes < 0) recordStartBytes = at;
      const roomBytes = XLOG_BLCKSZ - ((startSegmentOffset + at) % XLOG_BLCKSZ);
      const chunkBytes = Math.min(roomBytes, record.length - copied);
      target?.set(record.subarray(copied, copied + chunkBytes), at);
      copied += chunkBytes;
      at += chunkBytes;
      if (copied === record.length) return { recordStartBytes, recordEndBytes: at };
    }
  }

  #putPageHeader(
    target: Buffer | undefined,
    at: number,
    segmentOffset: number,
    remainingRecordBytes: number,
  ): number {
    const headerBytes = pageHeaderBytesAt(segmentOffset);
    if (target === undefined) return headerBytes;
    return writePageHeader(target, at, {
      pageAddressLsn: this.#position + BigInt(at),
      timelineId: this.#timelineId,
      remainingRecordBytes,
      ...(segmentOffset === 0
        ? { long: { systemId: this.#systemId, segmentSizeBytes: this.#segmentSizeBytes } }
        : {}),
    });
  }
}
