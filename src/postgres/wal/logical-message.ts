// Records of non-transactional logical messages (RM_LOGICALMSG_ID, message.h). After the header:
//   XLogRecordDataHeaderShort (0xFF, u8 length) when the main data is < 256 bytes, else
//   XLogRecordDataHeaderLong (0xFE, u32 length, unaligned); then the main data, xl_logical_message:
//   dbId u32 | transactional u8 | 3 bytes padding | prefix_size u64 (with the NUL) |
//   message_size u64 | prefix bytes + NUL | payload bytes.
import { AppError } from '../../common/errors.js';
import type { Lsn } from '../lsn.js';
import {
  RM_LOGICALMSG_ID,
  writeRecordHeader,
  XLOG_RECORD_HEADER_BYTES,
  XLOG_RECORD_MAX_BYTES,
} from './xlog-record.js';

const XLOG_LOGICAL_MESSAGE = 0x00;
const XLR_BLOCK_ID_DATA_SHORT = 0xff;
const XLR_BLOCK_ID_DATA_LONG = 0xfe;
const DATA_HEADER_SHORT_BYTES = 2;
const DATA_HEADER_LONG_BYTES = 5;
const SHORT_DATA_MAX_BYTES = 255;
/** offsetof(xl_logical_message, message). */
const LOGICAL_MESSAGE_HEADER_BYTES = 24;
/** The database the messages claim to come from; 0 = none (redo ignores it). */
const MESSAGE_DATABASE_OID = 0;

interface LogicalMessageRecordOptions {
  readonly prefix: Uint8Array;
  readonly payload: Uint8Array;
  readonly prevLsn: Lsn;
  /** Use the 5-byte data header even for short main data (PostgreSQL reads both forms). */
  readonly longDataHeader?: boolean;
}

function logicalMessageMainDataBytes(prefixBytes: number, payloadBytes: number): number {
  return LOGICAL_MESSAGE_HEADER_BYTES + prefixBytes + 1 + payloadBytes;
}

/** xl_tot_len of a message whose main data has this length. */
function logicalMessageRecordBytes(mainDataBytes: number, longDataHeader = false): number {
  const long = longDataHeader || mainDataBytes > SHORT_DATA_MAX_BYTES;
  return (
    XLOG_RECORD_HEADER_BYTES +
    (long ? DATA_HEADER_LONG_BYTES : DATA_HEADER_SHORT_BYTES) +
    mainDataBytes
  );
}

/** The complete record (header with CRC included), xl_tot_len bytes long. */
export function buildLogicalMessageRecord(options: LogicalMessageRecordOptions): Buffer {
  const { prefix, payload } = options;
  if (prefix.includes(0)) {
    throw new AppError('usage', 'invalid logical message prefix: it must not contain a NUL byte');
  }
  const mainBytes = logicalMessageMainDataBytes(prefix.length, payload.length);
  const long = options.longDataHeader === true || mainBytes > SHORT_DATA_MAX_BYTES;
  const totalBytes = logicalMessageRecordBytes(mainBytes, long);
  if (totalBytes > XLOG_RECORD_MAX_BYTES) {
    throw new AppError(
      'usage',
      `logical message of ${payload.length} bytes is too large: a WAL record holds at most ${XLOG_RECORD_MAX_BYTES} bytes`,
    );
  }
  const record = Buffer.allocUnsafe(totalBytes);
  let at = XLOG_RECORD_HEADER_BYTES;
  if (long) {
    record.writeUInt8(XLR_BLOCK_ID_DATA_LONG, at);
    record.writeUInt32LE(mainBytes, at + 1);
    at += DATA_HEADER_LONG_BYTES;
  } else {
    record.writeUInt8(XLR_BLOCK_ID_DATA_SHORT, at);
    record.writeUInt8(mainBytes, at + 1);
    at += DATA_HEADER_SHORT_BYTES;
  }
  record.writeUInt32LE(MESSAGE_DATABASE_OID, at);
  record.writeUInt32LE(0, at + 4); // transactional = false, then padding
  record.writeBigUInt64LE(BigInt(prefix.length + 1), at + 8);
  record.writeBigUInt64LE(BigInt(payload.length), at + 16);
  at += LOGICAL_MESSAGE_HEADER_BYTES;
  record.set(prefix, at);
  record[at + prefix.length] = 0;
  record.set(payload, at + prefix.length + 1);
  writeRecordHeader(record, {
    xid: 0,
    prevLsn: options.prevLsn,
    info: XLOG_LOGICAL_MESSAGE,
    rmgrId: RM_LOGICALMSG_ID,
  });
  return record;
}

/** The payload length that makes a message record exactly `recordBytes` long, and its data header. */
export function payloadBytesForRecordSize(
  recordBytes: number,
  prefixBytes: number,
): { readonly payloadBytes: number; readonly longDataHeader: boolean } {
  const fixedBytes = logicalMessageMainDataBytes(prefixBytes, 0);
  const shortMainBytes = recordBytes - XLOG_RECORD_HEADER_BYTES - DATA_HEADER_SHORT_BYTES;
  const minRecordBytes = logicalMessageRecordBytes(fixedBytes);
  if (!Number.isInteger(recordBytes) || recordBytes < minRecordBytes) {
    throw new AppError(
      'usage',
      `invalid logical message record size ${recordBytes}: the smallest is ${minRecordBytes} bytes`,
    );
  }
  if (recordBytes > XLOG_RECORD_MAX_BYTES) {
    throw new AppError(
      'usage',
      `invalid logical message record size ${recordBytes}: the largest is ${XLOG_RECORD_MAX_BYTES} bytes`,
    );
  }
  if (shortMainBytes <= SHORT_DATA_MAX_BYTES) {
    return { payloadBytes: shortMainBytes - fixedBytes, longDataHeader: false };
  }
  // 282..284-byte records need the long data header around a main data shorter than 256 bytes.
  const longMainBytes = recordBytes - XLOG_RECORD_HEADER_BYTES - DATA_HEADER_LONG_BYTES;
  return { payloadBytes: longMainBytes - fixedBytes, longDataHeader: true };
}
