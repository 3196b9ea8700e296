import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, crc32cFinish, crc32cUpdate, CRC32C_INIT } from '../../../src/postgres/crc32c.js';
import { formatLsn, LSN_MAX, parseLsn } from '../../../src/postgres/lsn.js';
import {
  isValidSegmentSize,
  parseSegmentFileName,
  segmentFileName,
  segmentNumberOf,
  segmentOffsetOf,
  segmentStartLsn,
} from '../../../src/postgres/segment-name.js';
import { AppError } from '../../../src/common/errors.js';

test('LSN text form round-trips', () => {
  const table: [string, bigint, string][] = [
    ['0/0', 0n, '0/0'],
    ['0/16B9188', 0x16b9188n, '0/16B9188'],
    ['0/16b9188', 0x16b9188n, '0/16B9188'],
    ['1/0', 1n << 32n, '1/0'],
    ['00000001/00000002', (1n << 32n) | 2n, '1/2'],
    ['FFFFFFFF/FEFFFFFF', 0xffff_ffff_feff_ffffn, 'FFFFFFFF/FEFFFFFF'],
    ['FFFFFFFF/FFFFFFFF', LSN_MAX, 'FFFFFFFF/FFFFFFFF'],
  ];
  for (const [text, value, canonical] of table) {
    assert.equal(parseLsn(text), value, text);
    assert.equal(formatLsn(value), canonical, text);
  }
});

test('LSN parsing is strict', () => {
  for (const bad of [
    '',
    '0',
    '/0',
    '0/',
    '0/0/0',
    '1/G',
    '100000000/0',
    '0/100000000',
    ' 0/0',
    '0/0 ',
    '-1/0',
    '0x1/0',
    '0/1.5',
    '1234',
  ]) {
    assert.throws(
      () => parseLsn(bad),
      (error: unknown) => error instanceof AppError && error.exitCode === 2,
      JSON.stringify(bad),
    );
  }
  assert.throws(() => formatLsn(-1n), RangeError);
  assert.throws(() => formatLsn(LSN_MAX + 1n), RangeError);
});

test('segment names for several segment sizes', () => {
  const MiB = 1024 * 1024;
  const table: [number, bigint, string][] = [
    [16 * MiB, 1n, '000000010000000000000001'],
    [16 * MiB, 255n, '0000000100000000000000FF'],
    [16 * MiB, 256n, '000000010000000100000000'],
    [1 * MiB, 4096n, '000000010000000100000000'],
    [1 * MiB, 4095n, '000000010000000000000FFF'],
    [64 * MiB, 64n, '000000010000000100000000'],
    [1024 * MiB, 5n, '000000010000000100000001'],
  ];
  for (const [size, segno, name] of table) {
    assert.equal(segmentFileName(segno, size), name, `${size} ${segno}`);
    assert.deepEqual(parseSegmentFileName(name, size), { timelineId: 1, segno, partial: false });
    assert.deepEqual(parseSegmentFileName(`${name}.partial`, size), {
      timelineId: 1,
      segno,
      partial: true,
    });
  }
  assert.equal(
    parseSegmentFileName('000000010000000000000100', 16 * MiB),
    undefined,
    'low part beyond segments per xlogid',
  );
  for (const bad of [
    'safekeeper.control',
    '00000001000000000000001',
    '000000010000000000000001.tmp',
    '00000001000000000000000a',
  ]) {
    assert.equal(parseSegmentFileName(bad, 16 * MiB), undefined, bad);
  }
});

test('segment arithmetic and size validation', () => {
  const size = 16 * 1024 * 1024;
  assert.equal(segmentNumberOf(0x2000000n, size), 2n);
  assert.equal(segmentNumberOf(0x1ffffffn, size), 1n);
  assert.equal(segmentOffsetOf(0x2000010n, size), 16);
  assert.equal(segmentStartLsn(3n, size), 0x3000000n);
  for (const good of [1024 * 1024, 2 ** 24, 2 ** 30]) assert.equal(isValidSegmentSize(good), true);
  for (const bad of [0, 512 * 1024, 3 * 1024 * 1024, 2 ** 31, 16.5])
    assert.equal(isValidSegmentSize(bad), false);
  assert.throws(() => segmentNumberOf(0n, 1000), /invalid WAL segment size 1000/);
});

test('CRC-32C matches the standard check values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  const data = Buffer.from('the quick brown fox jumps over the lazy dog');
  assert.equal(
    crc32cFinish(crc32cUpdate(crc32cUpdate(CRC32C_INIT, data.subarray(0, 7)), data.subarray(7))),
    crc32c(data),
  );
});

/** Bit at a time, straight from the definition: the judge for the sliced implementation. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('CRC-32C agrees with the bitwise definition for every length and split point', () => {
  const data = new Uint8Array(67);
  for (let i = 0; i < data.length; i++) data[i] = (i * 151 + 7) & 0xff;
  for (let length = 0; length <= data.length; length++) {
    const slice = data.subarray(0, length);
    const expected = crc32cBitwise(slice);
    assert.equal(crc32c(slice), expected, `length ${length}`);
    const split = length >> 1;
    const state = crc32cUpdate(
      crc32cUpdate(CRC32C_INIT, slice.subarray(0, split)),
      slice.subarray(split),
    );
    assert.equal(crc32cFinish(state), expected, `length ${length} split at ${split}`);
  }
});
