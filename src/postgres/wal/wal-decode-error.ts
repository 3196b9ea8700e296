// The error of the WAL decoder: what is wrong (reason), where (the LSN of the bad record or page
// header) and a PostgreSQL-like message. Always an integrity error: the WAL is corrupt or ends.
import { AppError } from '../../common/errors.js';
import type { Lsn } from '../lsn.js';

export type WalDecodeReason =
  | 'record-length'
  | 'record-too-long'
  | 'rmgr-id'
  | 'prev-link'
  | 'crc'
  | 'page-magic'
  | 'page-info'
  | 'page-address'
  | 'segment-header'
  | 'contrecord-missing'
  | 'contrecord-unexpected'
  | 'contrecord-length';

export class WalDecodeError extends AppError {
  readonly lsn: Lsn;
  readonly reason: WalDecodeReason;
  /** A zero record length where the next record would start: the usual end of WAL. */
  readonly endOfWal: boolean;

  constructor(reason: WalDecodeReason, lsn: Lsn, message: string, endOfWal = false) {
    super('integrity', message);
    this.name = 'WalDecodeError';
    this.lsn = lsn;
    this.reason = reason;
    this.endOfWal = endOfWal;
  }
}

/** True for the usual end of WAL: a zero record length where the next record would start. */
export function isEndOfWal(error: unknown): error is WalDecodeError {
  return error instanceof WalDecodeError && error.endOfWal;
}
