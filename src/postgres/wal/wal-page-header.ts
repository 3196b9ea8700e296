// WAL page headers of PostgreSQL 15 (xlog_internal.h); every 8192-byte page starts with one (LE):
//   short (24 bytes): xlp_magic u16 (0xD110) | xlp_info u16 | xlp_tli u32 | xlp_pageaddr u64 |
//                     xlp_rem_len u32 | 4 bytes padding
//   long  (40 bytes, on the first page of each segment): the short header, then
//         xlp_sysid u64 | xlp_seg_size u32 | xlp_xlog_blcksz u32
import type { Lsn } from '../lsn.js';

export const XLOG_BLCKSZ = 8192;
export const XLOG_PAGE_MAGIC = 0xd110;
const SHORT_PAGE_HEADER_BYTES = 24;
export const LONG_PAGE_HEADER_BYTES = 40;
/** The page begins with the rest of a record started on an earlier page. */
export const XLP_FIRST_IS_CONTRECORD = 0x0001;
/** The header is the long form (first page of a segment). */
export const XLP_LONG_HEADER = 0x0002;
/** Set by PostgreSQL when no online backup needs full-page images; no meaning for readers. */
const XLP_BKP_REMOVABLE = 0x0004;
/** Set on the page after a record that was abandoned at crash recovery (PG 15). */
const XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x0008;
export const XLP_ALL_FLAGS =
  XLP_FIRST_IS_CONTRECORD | XLP_LONG_HEADER | XLP_BKP_REMOVABLE | XLP_FIRST_IS_OVERWRITE_CONTRECORD;

interface WalPageHeader {
  readonly magic: number;
  readonly info: number;
  readonly timelineId: number;
  readonly pageAddressLsn: Lsn;
  readonly remainingRecordBytes: number;
  /** Only in long headers. */
  readonly systemId?: bigint;
  readonly segmentSizeBytes?: number;
  readonly blockSizeBytes?: number;
}

interface PageHeaderFields {
  readonly pageAddressLsn: Lsn;
  readonly timelineId: number;
  /** Bytes of the record continued from the previous page; 0 when the page starts a record. */
  readonly remainingRecordBytes: number;
  /** Present on a segment's first page: the long header is written. */
  readonly long?: { readonly systemId: bigint; readonly segmentSizeBytes: number };
}

export function pageHeaderBytesAt(segmentOffsetBytes: number): number {
  return segmentOffsetBytes === 0 ? LONG_PAGE_HEADER_BYTES : SHORT_PAGE_HEADER_BYTES;
}

/** Writes a page header at `offset` of `target`; returns its length. Padding is zeroed. */
export function writePageHeader(target: Buffer, offset: number, fields: PageHeaderFields): number {
  const headerBytes = fields.long === undefined ? SHORT_PAGE_HEADER_BYTES : LONG_PAGE_HEADER_BYTES;
  let info = fields.remainingRecordBytes > 0 ? XLP_FIRST_IS_CONTRECORD : 0;
  if (fields.long !== undefined) info |= XLP_LONG_HEADER;
  target.writeUInt16LE(XLOG_PAGE_MAGIC, offset);
  target.writeUInt16LE(info, offset + 2);
  target.writeUInt32LE(fields.timelineId, offset + 4);
  target.writeBigUInt64LE(fields.pageAddressLsn, offset + 8);
  target.writeUInt32LE(fields.remainingRecordBytes, offset + 16);
  target.writeUInt32LE(0, offset + 20);
  if (fields.long !== undefined) {
    target.writeBigUInt64LE(fields.long.systemId, offset + 24);
    target.writeUInt32LE(fields.long.segmentSizeBytes, offset + 32);
    target.writeUInt32LE(XLOG_BLCKSZ, offset + 36);
  }
  return headerBytes;
}

/** Reads a header from `bytes` (24 bytes, or 40 when the long flag is set and present). */
export function readPageHeader(bytes: Uint8Array): WalPageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = view.getUint16(2, true);
  const short = {
    magic: view.getUint16(0, true),
    info,
    timelineId: view.getUint32(4, true),
    pageAddressLsn: view.getBigUint64(8, true),
    remainingRecordBytes: view.getUint32(16, true),
  };
  if ((info & XLP_LONG_HEADER) === 0 || bytes.byteLength < LONG_PAGE_HEADER_BYTES) return short;
  return {
    ...short,
    systemId: view.getBigUint64(24, true),
    segmentSizeBytes: view.getUint32(32, true),
    blockSizeBytes: view.getUint32(36, true),
  };
}
