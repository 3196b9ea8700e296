// The WAL decoder on bad and incomplete input: flipped bytes in records and page headers, the
// zeros after the last record (the usual end of WAL), torn records, wrong starts and system ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLsn, type Lsn } from '../../../src/postgres/lsn.js';
import {
  isEndOfWal,
  WalDecodeError,
  type WalDecodeReason,
} from '../../../src/postgres/wal/wal-decode-error.js';
import { WalDecoder } from '../../../src/postgres/wal/wal-decoder.js';
import { XLOG_BLCKSZ } from '../../../src/postgres/wal/wal-page-header.js';
import {
  decodeInChunks,
  encodeStream,
  MIB,
  TEST_SYSTEM_ID,
  type ChunkPlan,
} from '../../helpers/wal.js';

const SEGMENT = BigInt(MIB);
const START_LSN = SEGMENT + 2n * BigInt(XLOG_BLCKSZ) + 4096n;
const SIZES = [100, 9000, 61, 30_000, 500, 300];

function decoderAt(startLsn: Lsn, verifyCrc = true): WalDecoder {
  return new WalDecoder({ startLsn, segmentSizeBytes: MIB, verifyCrc, systemId: TEST_SYSTEM_ID });
}

function expectDecodeError(
  stream: Uint8Array,
  startLsn: Lsn,
  reason: WalDecodeReason,
  lsn: Lsn,
  plans: readonly ChunkPlan[] = [8192, 7, 'random'],
): WalDecodeError {
  let caught: WalDecodeError | undefined;
  for (const plan of plans) {
    const decoder = decoderAt(startLsn);
    assert.throws(
      () => decodeInChunks(decoder, stream, plan),
      (error: unknown) => {
        assert.ok(error instanceof WalDecodeError, `a WalDecodeError, not ${String(error)}`);
        assert.equal(error.reason, reason, error.message);
        assert.equal(formatLsn(error.lsn), formatLsn(lsn), error.message);
        assert.equal(error.code, 'integrity');
        caught = error;
        return true;
      },
    );
    assert.throws(() => decoder.next(), WalDecodeError, 'the error is sticky');
  }
  assert.ok(caught !== undefined);
  return caught;
}

/** Offset in the stream of an LSN of the stream. */
function offsetOf(lsn: Lsn): number {
  return Number(lsn - START_LSN);
}

test('a flipped byte in a record body is a checksum error at the record start', () => {
  const { records, stream } = encodeStream(START_LSN, SIZES);
  for (const index of [0, 1, 3, 5]) {
    const record = records[index]!;
    const damaged = Buffer.from(stream);
    const flipAt = offsetOf(record.startLsn) + 40;
    damaged[flipAt]! ^= 0x10;
    const error = expectDecodeError(damaged, START_LSN, 'crc', record.startLsn);
    assert.match(error.message, /incorrect resource manager data checksum in record at 0\//);
    const unchecked = decoderAt(START_LSN, false);
    assert.equal(decodeInChunks(unchecked, damaged, 8192).length, SIZES.length, 'no CRC check');
  }
});

test('a flipped last byte of a multi-page record is a checksum error', () => {
  const { records, stream } = encodeStream(START_LSN, SIZES);
  const record = records[3]!; // 30000 bytes: a multiple of 8, so it ends without padding
  const damaged = Buffer.from(stream);
  damaged[offsetOf(record.endLsn) - 1]! ^= 0x01;
  expectDecodeError(damaged, START_LSN, 'crc', record.startLsn);
});

test('damaged record headers: length, resource manager, prev-link', () => {
  const { records, stream } = encodeStream(START_LSN, SIZES);
  const record = records[2]!;
  const at = offsetOf(record.startLsn);
  const cases: [number, number, WalDecodeReason, RegExp][] = [
    [at, 0, 'record-length', /^invalid record length at 0\/[0-9A-F]+: wanted 24, got 0$/],
    [at + 17, 30, 'rmgr-id', /invalid resource manager ID 30 at/],
    [at + 8, 0x77, 'prev-link', /record with incorrect prev-link/],
  ];
  for (const [offset, value, reason, message] of cases) {
    const damaged = Buffer.from(stream);
    damaged.fill(value, offset, offset + (reason === 'record-length' ? 4 : 1));
    const error = expectDecodeError(damaged, START_LSN, reason, record.startLsn);
    assert.match(error.message, message);
  }
});

test('damaged page headers: magic, address, contrecord flag and length', () => {
  const { stream } = encodeStream(START_LSN, SIZES);
  const pageLsn = SEGMENT + 4n * BigInt(XLOG_BLCKSZ); // inside the 30000-byte record
  const at = offsetOf(pageLsn);
  const cases: [number, number, WalDecodeReason][] = [
    [at, 0x00, 'page-magic'],
    [at + 2, 0x00, 'contrecord-missing'],
    [at + 2, 0x11, 'page-info'],
    [at + 10, 0x7f, 'page-address'],
    [at + 16, 0x01, 'contrecord-length'],
  ];
  for (const [offset, value, reason] of cases) {
    const damaged = Buffer.from(stream);
    damaged[offset] = value;
    expectDecodeError(damaged, START_LSN, reason, pageLsn);
  }
});

test('the long header must name the expected system and segment size', () => {
  const { stream } = encodeStream(SEGMENT - 1024n, [4000, 100]);
  const segmentAt = 1024;
  for (const [offset, reason] of [
    [segmentAt + 24, 'segment-header'],
    [segmentAt + 34, 'segment-header'],
    [segmentAt + 2, 'page-info'],
  ] as const) {
    const damaged = Buffer.from(stream);
    damaged[offset]! ^= 0x02;
    expectDecodeError(damaged, SEGMENT - 1024n, reason, SEGMENT);
  }
});

test('zeros after the last record are the end of WAL, at the end of the last record', () => {
  const { stream, endLsn } = encodeStream(START_LSN, SIZES);
  const withZeros = Buffer.concat([stream, Buffer.alloc(64)]);
  const error = expectDecodeError(withZeros, START_LSN, 'record-length', endLsn);
  assert.equal(error.message, `invalid record length at ${formatLsn(endLsn)}: wanted 24, got 0`);
  assert.ok(isEndOfWal(error));
});

test('a torn record returns undefined, and decoding resumes when the rest arrives', () => {
  const { records, stream } = encodeStream(START_LSN, SIZES);
  for (const cut of [1, 3, 4, 20, 24, 100, 5000, 9000, 12_000, 29_999]) {
    const torn = offsetOf(records[3]!.startLsn) + cut;
    const decoder = decoderAt(START_LSN);
    const before = decodeInChunks(decoder, stream.subarray(0, torn), 'random');
    assert.equal(before.length, 3, `cut ${cut}`);
    assert.equal(decoder.next(), undefined);
    const after = decodeInChunks(decoder, stream.subarray(torn), 'random');
    assert.deepEqual(
      after.map((record) => record.startLsn),
      records.slice(3).map((record) => record.startLsn),
    );
  }
});

test('a start on a page that continues a record is an error', () => {
  const { records, stream } = encodeStream(START_LSN, SIZES);
  const pageLsn = SEGMENT + 4n * BigInt(XLOG_BLCKSZ);
  assert.ok(records[3]!.startLsn < pageLsn && records[3]!.endLsn > pageLsn);
  const error = expectDecodeError(
    stream.subarray(offsetOf(pageLsn)),
    pageLsn,
    'contrecord-unexpected',
    pageLsn,
  );
  assert.match(error.message, /contrecord is requested by/);
});

test('the decoder rejects starts that are not record boundaries', () => {
  for (const bad of [SEGMENT + 4n, SEGMENT + 16n, SEGMENT + BigInt(XLOG_BLCKSZ) + 8n]) {
    assert.throws(() => decoderAt(bad), /not a record boundary/, formatLsn(bad));
  }
});
