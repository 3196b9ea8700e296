// The XLogRecord header of PostgreSQL 15 (xlogrecord.h) and the record checksum; no page layout.
// Header (24 bytes, little-endian): xl_tot_len u32 | xl_xid u32 | xl_prev u64 | xl_info u8 |
// xl_rmid u8 | 2 bytes padding | xl_crc u32. xl_tot_len counts the header and all that follows.
// xl_crc is CRC-32C over the bytes after the header, continued over the first 20 header bytes.
// Records start at MAXALIGN (8-byte) positions; the padding after a record is not part of it.
import { crc32cFinish, crc32cUpdate, CRC32C_INIT } from '../crc32c.js';
import type { Lsn } from '../lsn.js';

export const XLOG_RECORD_HEADER_BYTES = 24;
/** Header bytes covered by the CRC: everything before xl_crc. */
export const XLOG_RECORD_CRC_OFFSET = 20;
export const MAXALIGN_BYTES = 8;
/** PostgreSQL refuses larger records (XLogRecordMaxSize). */
export const XLOG_RECORD_MAX_BYTES = 1020 * 1024 * 1024;

export const RM_XLOG_ID = 0;
export const RM_LOGICALMSG_ID = 21;
/** The highest built-in resource manager id of PostgreSQL 15. */
const RM_MAX_BUILTIN_ID = 21;
/** Custom resource managers (PG 15 extensions) use ids 128..255. */
const RM_MIN_CUSTOM_ID = 128;
export const XLOG_SWITCH = 0x40;
/** The low info bits are generic flags; resource managers use the high four. */
const XLR_RMGR_INFO_MASK = 0xf0;

interface XLogRecordHeader {
  readonly totalLength: number;
  readonly xid: number;
  readonly prevLsn: Lsn;
  readonly info: number;
  readonly rmgrId: number;
  readonly crc: number;
}

export function isKnownRmgrId(rmgrId: number): boolean {
  return rmgrId <= RM_MAX_BUILTIN_ID || rmgrId >= RM_MIN_CUSTOM_ID;
}

export function isXlogSwitch(rmgrId: number, info: number): boolean {
  return rmgrId === RM_XLOG_ID && (info & XLR_RMGR_INFO_MASK) === XLOG_SWITCH;
}

export function maxAlign(bytes: number): number {
  return (bytes + MAXALIGN_BYTES - 1) & ~(MAXALIGN_BYTES - 1);
}

/** Fills in the header of a complete record image (whose length is xl_tot_len), CRC included. */
export function writeRecordHeader(
  record: Buffer,
  fields: Omit<XLogRecordHeader, 'totalLength' | 'crc'>,
): void {
  record.writeUInt32LE(record.length, 0);
  record.writeUInt32LE(fields.xid, 4);
  record.writeBigUInt64LE(fields.prevLsn, 8);
  record.writeUInt8(fields.info, 16);
  record.writeUInt8(fields.rmgrId, 17);
  record.writeUInt16LE(0, 18);
  const bodyCrc = crc32cUpdate(CRC32C_INIT, record.subarray(XLOG_RECORD_HEADER_BYTES));
  const crc = crc32cFinish(crc32cUpdate(bodyCrc, record.subarray(0, XLOG_RECORD_CRC_OFFSET)));
  record.writeUInt32LE(crc, XLOG_RECORD_CRC_OFFSET);
}
