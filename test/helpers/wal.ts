// Test WAL: genuine PostgreSQL 15 records from the encoder as one contiguous stream with the
// record boundaries (for the WAL storage and format tests), chunked decoding, and a seeded
// random generator so that failures reproduce.
import type { Lsn } from '../../src/postgres/lsn.js';
import { WalDecoder, type DecodedRecord } from '../../src/postgres/wal/wal-decoder.js';
import { WalEncoder, type EncodedRecord } from '../../src/postgres/wal/wal-encoder.js';

export const TEST_SYSTEM_ID = 7_300_000_000_000_000_001n;
export const MIB = 1024 * 1024;

/** A record size, or 'switch' for an XLOG_SWITCH record. */
export type RecordSpec = number | 'switch';

export interface EncodedStream {
  readonly records: EncodedRecord[];
  readonly stream: Buffer;
  readonly endLsn: Lsn;
}

export function encodeStream(
  startLsn: Lsn,
  specs: readonly RecordSpec[],
  segmentSizeBytes = MIB,
  prevRecordLsn = 0n,
): EncodedStream {
  const encoder = new WalEncoder({
    startLsn,
    prevRecordLsn,
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes,
  });
  const records = specs.map((spec) =>
    spec === 'switch' ? encoder.appendXlogSwitch() : encoder.appendLogicalMessageOfSize(spec),
  );
  return {
    records,
    stream: Buffer.concat(records.map((record) => record.bytes)),
    endLsn: encoder.currentLsn,
  };
}

export interface TestWal {
  readonly startLsn: Lsn;
  readonly bytes: Buffer;
  /** Start and aligned end of every record, in order. */
  readonly records: readonly { startLsn: Lsn; endLsn: Lsn }[];
  readonly endLsn: Lsn;
}

/** Logical-message records of the given sizes, as written from `startLsn`. */
export function makeTestWal(
  startLsn: Lsn,
  recordSizesBytes: readonly number[],
  segmentSizeBytes = MIB,
  prevRecordLsn = 0n,
): TestWal {
  const { records, stream, endLsn } = encodeStream(
    startLsn,
    recordSizesBytes,
    segmentSizeBytes,
    prevRecordLsn,
  );
  return { startLsn, bytes: stream, records, endLsn };
}

/** The bytes of `wal` from `fromLsn` (inclusive) to `toLsn` (exclusive). */
export function walSlice(wal: TestWal, fromLsn: Lsn, toLsn: Lsn): Buffer {
  return wal.bytes.subarray(Number(fromLsn - wal.startLsn), Number(toLsn - wal.startLsn));
}

/** Mulberry32: a small deterministic generator, so that failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ChunkPlan = number | 'random';

/** Feeds `stream` in chunks, draining records after each; returns them all (errors propagate). */
export function decodeInChunks(
  decoder: WalDecoder,
  stream: Uint8Array,
  plan: ChunkPlan,
  seed = 1,
): DecodedRecord[] {
  const random = seededRandom(seed);
  const records: DecodedRecord[] = [];
  for (let at = 0; at < stream.length;) {
    const chunkBytes = plan === 'random' ? 1 + Math.floor(random() * 20_000) : plan;
    decoder.feed(stream.subarray(at, at + chunkBytes));
    at += chunkBytes;
    for (let record = decoder.next(); record !== undefined; record = decoder.next()) {
      records.push(record);
    }
  }
  return records;
}
