// Test WAL: genuine PostgreSQL 15 logical-message records from the encoder, as one contiguous
// stream with the record boundaries, for writing through the WAL storage.
import { WalEncoder } from '../../src/postgres/wal/wal-encoder.js';
import type { Lsn } from '../../src/postgres/lsn.js';

export const TEST_SYSTEM_ID = 7_300_000_000_000_000_001n;
export const MIB = 1024 * 1024;

export interface TestWal {
  readonly startLsn: Lsn;
  readonly bytes: Buffer;
  /** Start and aligned end of every record, in order. */
  readonly records: readonly { startLsn: Lsn; endLsn: Lsn }[];
  readonly endLsn: Lsn;
}

export function makeTestWal(
  startLsn: Lsn,
  recordSizesBytes: readonly number[],
  segmentSizeBytes = MIB,
  prevRecordLsn = 0n,
): TestWal {
  const encoder = new WalEncoder({
    startLsn,
    prevRecordLsn,
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes,
  });
  const parts: Buffer[] = [];
  const records = recordSizesBytes.map((size) => {
    const record = encoder.appendLogicalMessageOfSize(size);
    parts.push(record.bytes);
    return { startLsn: record.startLsn, endLsn: record.endLsn };
  });
  return { startLsn, bytes: Buffer.concat(parts), records, endLsn: encoder.currentLsn };
}

/** The bytes of `wal` from `fromLsn` (inclusive) to `toLsn` (exclusive). */
export function walSlice(wal: TestWal, fromLsn: Lsn, toLsn: Lsn): Buffer {
  return wal.bytes.subarray(Number(fromLsn - wal.startLsn), Number(toLsn - wal.startLsn));
}
