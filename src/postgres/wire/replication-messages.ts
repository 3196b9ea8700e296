// CopyData payloads of PostgreSQL physical replication, big-endian. From the server: XLogData
// 'w' (u64 WAL start, u64 WAL end, i64 send time, then the WAL bytes) and primary keepalive 'k'
// (u64 WAL end, i64 send time, u8 reply requested). From the client: standby status update 'r'
// (u64 write, u64 flush, u64 apply, i64 send time, u8 reply requested) and hot-standby feedback
// 'h' as PostgreSQL 15 sends it (i64 send time, u32 xmin, u32 xmin epoch, u32 catalog xmin, u32
// catalog xmin epoch; decoded to 64-bit epoch<<32|xid values). Times are microseconds since
// 2000-01-01 00:00 UTC. Decoders are strict: wrong tag, size or flag is AppError('usage').
import { assert } from '../../common/assert.js';
import { isLsn, type Lsn } from '../lsn.js';
import { BinaryReader } from '../../common/binary-reader.js';
import { COPY_DATA_HEADER_BYTES } from './copy-messages.js';
import { writeMessageHeader } from './frame-writer.js';

export const REPLICATION_TAGS = {
  xLogData: 'w',
  primaryKeepalive: 'k',
  standbyStatusUpdate: 'r',
  hotStandbyFeedback: 'h',
} as const;

export interface XLogData {
  readonly walStartLsn: Lsn;
  readonly walEndLsn: Lsn;
  readonly sendTimeMicros: bigint;
  readonly bytes: Uint8Array;
}

export interface DecodedXLogData extends XLogData {
  /** A view of the decoded payload. */
  readonly bytes: Buffer;
}

export interface PrimaryKeepalive {
  readonly walEndLsn: Lsn;
  readonly sendTimeMicros: bigint;
  readonly replyRequested: boolean;
}

export interface StandbyStatusUpdate {
  readonly writeLsn: Lsn;
  readonly flushLsn: Lsn;
  readonly applyLsn: Lsn;
  readonly sendTimeMicros: bigint;
  readonly replyRequested: boolean;
}

/** Hot-standby feedback with full (epoch-qualified) transaction ids; 0 means none. */
export interface StandbyHotStandbyFeedback {
  readonly sendTimeMicros: bigint;
  readonly xmin: bigint;
  readonly catalogXmin: bigint;
}

const HOT_STANDBY_FEEDBACK_BYTES = 1 + 8 + 4 + 4 + 4 + 4;
const XLOG_DATA_HEADER_BYTES = 1 + 8 + 8 + 8;
const PRIMARY_KEEPALIVE_BYTES = 1 + 8 + 8 + 1;
const STANDBY_STATUS_UPDATE_BYTES = 1 + 8 + 8 + 8 + 8 + 1;
/** 2000-01-01 00:00:00 UTC in Unix milliseconds. */
export const POSTGRES_EPOCH_UNIX_MS = 946_684_800_000;

/** Microseconds since the PostgreSQL epoch (2000-01-01 UTC) at `unixMs`, by default now. */
export function postgresEpochMicrosNow(unixMs: number = Date.now()): bigint {
  return BigInt(Math.round((unixMs - POSTGRES_EPOCH_UNIX_MS) * 1000));
}

export function encodeXLogData(message: XLogData): Buffer {
  const payload = Buffer.allocUnsafe(XLOG_DATA_HEADER_BYTES + message.bytes.length);
  payload.set(message.bytes, writeXLogDataHeader(payload, message, 0));
  return payload;
}

/**
 * The CopyData frame header and XLogData header of `message`, whose WAL bytes are sent right
 * after them as they are (not copied into a frame).
 */
export function encodeXLogDataFrameHead(message: XLogData): Buffer {
  const head = Buffer.allocUnsafe(COPY_DATA_HEADER_BYTES + XLOG_DATA_HEADER_BYTES);
  writeMessageHeader(head, 'd', XLOG_DATA_HEADER_BYTES + message.bytes.length);
  writeXLogDataHeader(head, message, COPY_DATA_HEADER_BYTES);
  return head;
}

/** The tag, start, end and send time at `offset`; returns where the WAL bytes go. */
function writeXLogDataHeader(payload: Buffer, message: XLogData, offset: number): number {
  let at = payload.write(REPLICATION_TAGS.xLogData, offset, 'ascii') + offset;
  at = writeLsn(payload, message.walStartLsn, at);
  at = writeLsn(payload, message.walEndLsn, at);
  return payload.writeBigInt64BE(message.sendTimeMicros, at);
}

export function decodeXLogData(payload: Buffer): DecodedXLogData {
  const reader = replicationReader(payload, REPLICATION_TAGS.xLogData, 'XLogData');
  return {
    walStartLsn: reader.u64BE('WAL start'),
    walEndLsn: reader.u64BE('WAL end'),
    sendTimeMicros: reader.i64BE('send time'),
    bytes: reader.rest(),
  };
}

export function encodePrimaryKeepalive(message: PrimaryKeepalive): Buffer {
  const payload = Buffer.allocUnsafe(PRIMARY_KEEPALIVE_BYTES);
  let offset = payload.write(REPLICATION_TAGS.primaryKeepalive, 0, 'ascii');
  offset = writeLsn(payload, message.walEndLsn, offset);
  offset = payload.writeBigInt64BE(message.sendTimeMicros, offset);
  payload.writeUInt8(message.replyRequested ? 1 : 0, offset);
  return payload;
}

export function decodePrimaryKeepalive(payload: Buffer): PrimaryKeepalive {
  const reader = replicationReader(payload, REPLICATION_TAGS.primaryKeepalive, 'keepalive');
  const message = {
    walEndLsn: reader.u64BE('WAL end'),
    sendTimeMicros: reader.i64BE('send time'),
    replyRequested: readFlag(reader),
  };
  reader.expectEnd('the reply flag');
  return message;
}

export function encodeStandbyStatusUpdate(message: StandbyStatusUpdate): Buffer {
  const payload = Buffer.allocUnsafe(STANDBY_STATUS_UPDATE_BYTES);
  let offset = payload.write(REPLICATION_TAGS.standbyStatusUpdate, 0, 'ascii');
  offset = writeLsn(payload, message.writeLsn, offset);
  offset = writeLsn(payload, message.flushLsn, offset);
  offset = writeLsn(payload, message.applyLsn, offset);
  offset = payload.writeBigInt64BE(message.sendTimeMicros, offset);
  payload.writeUInt8(message.replyRequested ? 1 : 0, offset);
  return payload;
}

export function decodeStandbyStatusUpdate(payload: Buffer): StandbyStatusUpdate {
  const reader = replicationReader(
    payload,
    REPLICATION_TAGS.standbyStatusUpdate,
    'standby status update',
  );
  const message = {
    writeLsn: reader.u64BE('write LSN'),
    flushLsn: reader.u64BE('flush LSN'),
    applyLsn: reader.u64BE('apply LSN'),
    sendTimeMicros: reader.i64BE('send time'),
    replyRequested: readFlag(reader),
  };
  reader.expectEnd('the reply flag');
  return message;
}

export function encodeHotStandbyFeedback(message: StandbyHotStandbyFeedback): Buffer {
  const payload = Buffer.allocUnsafe(HOT_STANDBY_FEEDBACK_BYTES);
  let offset = payload.write(REPLICATION_TAGS.hotStandbyFeedback, 0, 'ascii');
  offset = payload.writeBigInt64BE(message.sendTimeMicros, offset);
  for (const fullXid of [message.xmin, message.catalogXmin]) {
    assert(fullXid >= 0n && fullXid < 2n ** 64n, 'a full transaction id is a u64');
    offset = payload.writeUInt32BE(Number(fullXid & 0xffff_ffffn), offset);
    offset = payload.writeUInt32BE(Number(fullXid >> 32n), offset);
  }
  return payload;
}

export function decodeHotStandbyFeedback(payload: Buffer): StandbyHotStandbyFeedback {
  const reader = replicationReader(
    payload,
    REPLICATION_TAGS.hotStandbyFeedback,
    'hot-standby feedback',
  );
  const sendTimeMicros = reader.i64BE('send time');
  const fullXid = (what: string): bigint => {
    const xid = reader.i32BE(what) >>> 0;
    const epoch = reader.i32BE(`${what} epoch`) >>> 0;
    return (BigInt(epoch) << 32n) | BigInt(xid);
  };
  const xmin = fullXid('xmin');
  const catalogXmin = fullXid('catalog xmin');
  reader.expectEnd('the catalog xmin epoch');
  return { sendTimeMicros, xmin, catalogXmin };
}

function writeLsn(payload: Buffer, lsn: Lsn, offset: number): number {
  assert(isLsn(lsn), () => `${String(lsn)} is an LSN`);
  return payload.writeBigUInt64BE(lsn, offset);
}

/** A reader past the tag byte, after checking that the tag is `tag`. */
function replicationReader(payload: Buffer, tag: string, what: string): BinaryReader {
  const reader = new BinaryReader(payload, () => `malformed ${what}`, 'usage');
  const found = reader.u8('tag');
  if (found !== tag.charCodeAt(0)) {
    throw reader.error(`tag is 0x${found.toString(16).padStart(2, '0')}, expected '${tag}'`);
  }
  return reader;
}

function readFlag(reader: BinaryReader): boolean {
  const flag = reader.u8('reply flag');
  if (flag > 1) throw reader.error(`reply flag is ${flag}, expected 0 or 1`);
  return flag === 1;
}
