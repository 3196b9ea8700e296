// Checks a WAL page header read by the decoder, as PostgreSQL's XLogReaderValidatePageHeader
// does, plus the contrecord rules: a page continuing a record must say so and say how many of
// its bytes remain; a page where a record starts must not. Throws WalDecodeError; pure.
import { formatLsn, type Lsn } from '../lsn.js';
import { WalDecodeError } from './wal-decode-error.js';
import {
  readPageHeader,
  XLOG_BLCKSZ,
  XLOG_PAGE_MAGIC,
  XLP_ALL_FLAGS,
  XLP_FIRST_IS_CONTRECORD,
  XLP_LONG_HEADER,
} from './wal-page-header.js';

interface PageExpectations {
  readonly pageLsn: Lsn;
  readonly isSegmentStart: boolean;
  readonly segmentSizeBytes: number;
  readonly systemId: bigint | undefined;
  /** Bytes of the record in progress still to come; 0 when the page must start a record. */
  readonly continuedRecordBytes: number;
}

function hex4(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}

type PageFailure = ConstructorParameters<typeof WalDecodeError>[0];

/** The error for the page at `expected.pageLsn`; `message` gets " at <page LSN>" appended. */
function pageError(expected: PageExpectations, reason: PageFailure, message: string) {
  return new WalDecodeError(reason, expected.pageLsn, `${message} ${formatLsn(expected.pageLsn)}`);
}

// Every page passes through here: nothing is allocated unless a check fails (a closure made per
// page cost more than the checks themselves in the pageserver's profile).
export function validatePageHeader(bytes: Uint8Array, expected: PageExpectations): void {
  const header = readPageHeader(bytes);
  if (header.magic !== XLOG_PAGE_MAGIC) {
    throw pageError(
      expected,
      'page-magic',
      `invalid magic number ${hex4(header.magic)} in WAL page at`,
    );
  }
  const isLong = (header.info & XLP_LONG_HEADER) !== 0;
  if ((header.info & ~XLP_ALL_FLAGS) !== 0 || isLong !== expected.isSegmentStart) {
    throw pageError(expected, 'page-info', `invalid info bits ${hex4(header.info)} in WAL page at`);
  }
  if (isLong) validateLongHeader(header, expected);
  if (header.pageAddressLsn !== expected.pageLsn) {
    throw pageError(
      expected,
      'page-address',
      `unexpected pageaddr ${formatLsn(header.pageAddressLsn)} in WAL page at`,
    );
  }
  const isContinuation = (header.info & XLP_FIRST_IS_CONTRECORD) !== 0;
  if (expected.continuedRecordBytes === 0) {
    if (isContinuation) {
      throw new WalDecodeError(
        'contrecord-unexpected',
        expected.pageLsn,
        `contrecord is requested by ${formatLsn(expected.pageLsn)}: no record continues`,
      );
    }
    return;
  }
  if (!isContinuation)
    throw pageError(expected, 'contrecord-missing', 'there is no contrecord flag at');
  if (header.remainingRecordBytes !== expected.continuedRecordBytes) {
    throw pageError(
      expected,
      'contrecord-length',
      `invalid contrecord length ${header.remainingRecordBytes} (expected ${expected.continuedRecordBytes}) at`,
    );
  }
}

function validateLongHeader(
  header: ReturnType<typeof readPageHeader>,
  expected: PageExpectations,
): void {
  const at = formatLsn(expected.pageLsn);
  const fail = (message: string) => new WalDecodeError('segment-header', expected.pageLsn, message);
  if (expected.systemId !== undefined && header.systemId !== expected.systemId) {
    throw fail(
      `WAL segment at ${at} is from a different database system: system id ${String(header.systemId)}, expected ${String(expected.systemId)}`,
    );
  }
  if (header.segmentSizeBytes !== expected.segmentSizeBytes) {
    throw fail(
      `WAL segment at ${at} has segment size ${String(header.segmentSizeBytes)}, expected ${expected.segmentSizeBytes}`,
    );
  }
  if (header.blockSizeBytes !== XLOG_BLCKSZ) {
    throw fail(
      `WAL segment at ${at} has page size ${String(header.blockSizeBytes)}, expected ${XLOG_BLCKSZ}`,
    );
  }
}
