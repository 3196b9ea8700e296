// WAL encoder -> decoder round trips: record sizes from the smallest message to more than a
// segment, starts mid-page, at a page end, at a page start and at a segment start, fed in chunks
// of 1, 7, 8192 and random bytes; plus the encoder's page headers and size rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { formatLsn, type Lsn } from '../../../src/postgres/lsn.js';
import { WalDecoder } from '../../../src/postgres/wal/wal-decoder.js';
import { WalEncoder } from '../../../src/postgres/wal/wal-encoder.js';
import { readPageHeader, XLOG_BLCKSZ } from '../../../src/postgres/wal/wal-page-header.js';
import { RM_LOGICALMSG_ID, RM_XLOG_ID } from '../../../src/postgres/wal/xlog-record.js';
import {
  decodeInChunks,
  encodeStream,
  MIB,
  seededRandom,
  TEST_SYSTEM_ID,
  type ChunkPlan,
  type RecordSpec,
} from '../../helpers/wal.js';

const PAGE = BigInt(XLOG_BLCKSZ);
const SEGMENT = BigInt(MIB);

const START_LSNS: readonly [string, Lsn][] = [
  ['mid-page', SEGMENT + 3n * PAGE + 1000n],
  ['8 bytes before a page end (split record header)', SEGMENT + 5n * PAGE - 8n],
  ['16 bytes before a page end (split record header)', SEGMENT + 5n * PAGE - 16n],
  ['a page start', SEGMENT + 7n * PAGE],
  ['a segment start', 2n * SEGMENT],
];

function variedSizes(): RecordSpec[] {
  const random = seededRandom(42);
  const fixed: RecordSpec[] = [61, 62, 100, 255, 281, 282, 283, 284, 285, 1000, 8000, 8168];
  fixed.push(8192, 8200, 16_384, 20_000, 'switch', 64, MIB + 200_000, 77, 8144, 8152, 8160);
  for (let i = 0; i < 40; i++) fixed.push(61 + Math.floor(random() * 30_000));
  return fixed;
}

function checkRoundTrip(startLsn: Lsn, specs: readonly RecordSpec[], plan: ChunkPlan): void {
  const encoded = encodeStream(startLsn, specs);
  const decoder = new WalDecoder({ startLsn, segmentSizeBytes: MIB, systemId: TEST_SYSTEM_ID });
  const decoded = decodeInChunks(decoder, encoded.stream, plan, 7);
  assert.equal(decoded.length, encoded.records.length, `records decoded with chunks of ${plan}`);
  let prevLsn = 0n;
  for (const [index, record] of decoded.entries()) {
    const expected = encoded.records[index]!;
    const spec = specs[index]!;
    assert.equal(record.startLsn, expected.startLsn, `record ${index} start`);
    assert.equal(record.endLsn, expected.endLsn, `record ${index} end`);
    assert.equal(record.totalLength, spec === 'switch' ? 24 : spec, `record ${index} length`);
    assert.equal(record.rmgrId, spec === 'switch' ? RM_XLOG_ID : RM_LOGICALMSG_ID);
    assert.equal(record.prevLsn, prevLsn, `record ${index} xl_prev`);
    assert.equal(record.xid, 0);
    prevLsn = record.startLsn;
  }
  assert.equal(decoder.decodedLsn, encoded.endLsn);
  assert.equal(decoder.fedLsn, encoded.endLsn);
  assert.equal(decoder.next(), undefined, 'nothing more without more input');
}

for (const [where, startLsn] of START_LSNS) {
  for (const plan of [8192, 7, 'random', 1] as const) {
    test(`round trip from ${where} (${formatLsn(startLsn)}), chunks of ${plan}`, () => {
      checkRoundTrip(startLsn, variedSizes(), plan);
    });
  }
}

test('encoded records are contiguous and end on 8-byte boundaries', () => {
  const startLsn = SEGMENT + 100n * 8n;
  const { records, stream, endLsn } = encodeStream(startLsn, variedSizes());
  let position = startLsn;
  for (const record of records) {
    assert.equal(record.endLsn - position, BigInt(record.bytes.length));
    assert.equal(record.endLsn % 8n, 0n);
    assert.ok(record.startLsn >= position && record.startLsn < record.endLsn);
    position = record.endLsn;
  }
  assert.equal(position, endLsn);
  assert.equal(BigInt(stream.length), endLsn - startLsn);
});

test('continuation pages carry the contrecord flag, remaining length and page address', () => {
  const startLsn = SEGMENT - 2n * PAGE + 8000n; // 192 bytes before a page end, 2 pages to go
  const encoder = new WalEncoder({
    startLsn,
    prevRecordLsn: 0n,
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes: MIB,
  });
  const { bytes } = encoder.appendLogicalMessageOfSize(20_000);
  const firstPage = readPageHeader(bytes.subarray(192, 192 + 24));
  assert.deepEqual(firstPage, {
    magic: 0xd110,
    info: 0x1,
    timelineId: 1,
    pageAddressLsn: SEGMENT - PAGE,
    remainingRecordBytes: 20_000 - 192,
  });
  const segmentStart = 192 + XLOG_BLCKSZ;
  const longHeader = readPageHeader(bytes.subarray(segmentStart, segmentStart + 40));
  assert.deepEqual(longHeader, {
    magic: 0xd110,
    info: 0x3,
    timelineId: 1,
    pageAddressLsn: SEGMENT,
    remainingRecordBytes: 20_000 - 192 - (XLOG_BLCKSZ - 24),
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes: MIB,
    blockSizeBytes: XLOG_BLCKSZ,
  });
});

test('a start at a page boundary begins with that page header, no contrecord', () => {
  for (const [startLsn, headerBytes, info] of [
    [SEGMENT, 40, 0x2],
    [SEGMENT + PAGE, 24, 0x0],
  ] as const) {
    const encoder = new WalEncoder({
      startLsn,
      prevRecordLsn: 0x1234n,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: MIB,
    });
    const record = encoder.appendLogicalMessage('p', Buffer.from('hello'));
    assert.equal(record.startLsn, startLsn + BigInt(headerBytes));
    const header = readPageHeader(record.bytes);
    assert.equal(header.info, info);
    assert.equal(header.remainingRecordBytes, 0);
    assert.equal(header.pageAddressLsn, startLsn);
    assert.equal(record.bytes.readBigUInt64LE(headerBytes + 8), 0x1234n, 'xl_prev');
    assert.equal(encoder.prevRecordLsn, record.startLsn);
  }
});

test('a record ending on a page end leaves the next page header to the next record', () => {
  const startLsn = SEGMENT + PAGE - 64n;
  const encoder = new WalEncoder({
    startLsn,
    prevRecordLsn: 0n,
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes: MIB,
  });
  const first = encoder.appendLogicalMessageOfSize(61); // 64 bytes aligned
  assert.equal(first.endLsn, SEGMENT + PAGE);
  assert.equal(first.bytes.length, 64);
  const second = encoder.appendLogicalMessageOfSize(61);
  assert.equal(second.startLsn, SEGMENT + PAGE + 24n);
  assert.equal(readPageHeader(second.bytes).info, 0);
});

test('logical messages of an exact size reject sizes below the minimum', () => {
  const encoder = new WalEncoder({
    startLsn: SEGMENT,
    prevRecordLsn: 0n,
    systemId: TEST_SYSTEM_ID,
    segmentSizeBytes: MIB,
  });
  for (const bad of [0, 24, 60, 100.5]) {
    assert.throws(
      () => encoder.appendLogicalMessageOfSize(bad),
      (error: unknown) =>
        error instanceof AppError && /invalid logical message record size/.test(error.message),
      String(bad),
    );
  }
  assert.equal(encoder.currentLsn, SEGMENT, 'a rejected record writes nothing');
  assert.throws(() => encoder.appendLogicalMessage('a\0b', new Uint8Array(1)), /NUL/);
});

test('the encoder rejects unaligned starts and bad segment sizes', () => {
  const base = { prevRecordLsn: 0n, systemId: 1n, segmentSizeBytes: MIB };
  assert.throws(() => new WalEncoder({ ...base, startLsn: SEGMENT + 4n }), /not 8-byte aligned/);
  assert.throws(
    () => new WalEncoder({ ...base, startLsn: 0n, segmentSizeBytes: 1000 }),
    /invalid WAL segment size 1000/,
  );
});
