// Checks of an XLogRecord header read by the decoder, as PostgreSQL's ValidXLogRecordHeader:
// the length (first, as soon as its 4 bytes are in), then the resource manager and the link to
// the previous record. Throws WalDecodeError at the record's LSN; pure, allocation-free if valid.
import { formatLsn, type Lsn } from '../lsn.js';
import { WalDecodeError } from './wal-decode-error.js';
import { isKnownRmgrId, XLOG_RECORD_HEADER_BYTES, XLOG_RECORD_MAX_BYTES } from './xlog-record.js';

export function validateRecordLength(totalBytes: number, recordLsn: Lsn): void {
  if (totalBytes < XLOG_RECORD_HEADER_BYTES) {
    throw new WalDecodeError(
      'record-length',
      recordLsn,
      `invalid record length at ${formatLsn(recordLsn)}: wanted ${XLOG_RECORD_HEADER_BYTES}, got ${totalBytes}`,
      totalBytes === 0,
    );
  }
  if (totalBytes > XLOG_RECORD_MAX_BYTES) {
    throw new WalDecodeError(
      'record-too-long',
      recordLsn,
      `record length ${totalBytes} at ${formatLsn(recordLsn)} too long`,
    );
  }
}

/** `expectedPrevLsn` undefined: the first record decoded, whose link cannot be checked. */
export function validateRecordHeader(
  header: DataView,
  recordLsn: Lsn,
  expectedPrevLsn: Lsn | undefined,
): void {
  const rmgrId = header.getUint8(17);
  if (!isKnownRmgrId(rmgrId)) {
    throw new WalDecodeError(
      'rmgr-id',
      recordLsn,
      `invalid resource manager ID ${rmgrId} at ${formatLsn(recordLsn)}`,
    );
  }
  const prevLsn = header.getBigUint64(8, true);
  if (expectedPrevLsn !== undefined && prevLsn !== expectedPrevLsn) {
    throw new WalDecodeError(
      'prev-link',
      recordLsn,
      `record with incorrect prev-link ${formatLsn(prevLsn)} at ${formatLsn(recordLsn)}`,
    );
  }
}
