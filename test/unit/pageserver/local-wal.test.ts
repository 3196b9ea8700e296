// The pageserver's local WAL against real temp dirs: appended WAL lands in segment files at its
// LSN offsets (complete segments renamed, the tail .partial), durableLsn and receivedLsn are
// record ends, a reopen recovers to the last complete record and drops an unfinished one, and
// bytes that do not decode are an integrity error (when streamed and when found on disk).
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../../../src/common/errors.js';
import { formatLsn } from '../../../src/postgres/lsn.js';
import { LocalWal } from '../../../src/pageserver/wal/local-wal.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, walSlice } from '../../helpers/wal.js';

const START = BigInt(MIB);

function isIntegrity(error: unknown): boolean {
  return isAppError(error) && error.code === 'integrity';
}

/** Appends `bytes` from `lsn` in chunks of `chunkBytes` that never cross a segment. */
function appendInChunks(wal: LocalWal, lsn: bigint, bytes: Buffer, chunkBytes: number): void {
  let at = 0;
  while (at < bytes.length) {
    const position = lsn + BigInt(at);
    const segmentRest = MIB - Number(position % BigInt(MIB));
    const length = Math.min(chunkBytes, bytes.length - at, segmentRest);
    wal.append(position, bytes.subarray(at, at + length));
    at += length;
  }
}

test('appended WAL is stored at its offsets, durable at record ends, and recovered on reopen', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(
    START,
    Array.from({ length: 25 }, () => 60_000),
  );
  const options = { dir, segmentSizeBytes: MIB, startLsn: START, noSync: false };
  const wal = await LocalWal.open(options);
  assert.equal(wal.receivedLsn, START);
  appendInChunks(wal, START, testWal.bytes, 128 * 1024);
  assert.equal(formatLsn(wal.receivedLsn), formatLsn(testWal.endLsn));
  await wal.flushed();
  assert.equal(formatLsn(wal.durableLsn), formatLsn(testWal.endLsn));
  await wal.close();

  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, ['000000010000000000000001', '000000010000000000000002.partial']);
  const first = await readFile(join(dir, names[0]!));
  assert.equal(first.length, MIB);
  assert.ok(first.equals(walSlice(testWal, START, START + BigInt(MIB))));
  const tail = await readFile(join(dir, names[1]!));
  assert.equal(tail.length, Number(testWal.endLsn - START) - MIB);

  const reopened = await LocalWal.open(options);
  assert.equal(formatLsn(reopened.receivedLsn), formatLsn(testWal.endLsn));
  assert.equal(formatLsn(reopened.durableLsn), formatLsn(testWal.endLsn));
  const read = await reopened.readSegment(2n, tail.length);
  assert.ok(read.equals(tail));
  await reopened.close();
});

test('append() copies: the caller reuses its buffer at once, rewound bytes are rewritten', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(
    START,
    Array.from({ length: 40 }, (_, index) => 9_000 + index * 997),
  );
  const wal = await LocalWal.open({ dir, segmentSizeBytes: MIB, startLsn: START, noSync: false });
  // As the stream hands them over: views of one read buffer that the next read overwrites.
  const readBuffer = Buffer.alloc(96 * 1024);
  const appendThrough = (from: bigint, to: bigint): void => {
    for (let at = from; at < to;) {
      const segmentRest = BigInt(MIB) - (at % BigInt(MIB));
      const length = Number(
        [BigInt(readBuffer.length), to - at, segmentRest].reduce((a, b) => (a < b ? a : b)),
      );
      readBuffer.set(walSlice(testWal, at, at + BigInt(length)));
      wal.append(at, readBuffer.subarray(0, length));
      readBuffer.fill(0xee);
      at += BigInt(length);
    }
  };
  const firstEnd = testWal.records[20]!.endLsn;
  appendThrough(START, firstEnd + 3_000n);
  // A new source resumes at the last record end: its bytes go over the unfinished ones.
  assert.equal(wal.rewind(), firstEnd);
  appendThrough(firstEnd, testWal.endLsn);
  await wal.flushed();
  assert.equal(formatLsn(wal.durableLsn), formatLsn(testWal.endLsn));
  await wal.close();
  const names = (await readdir(dir)).sort();
  const stored = Buffer.concat(await Promise.all(names.map((name) => readFile(join(dir, name)))));
  assert.ok(stored.equals(testWal.bytes), 'the files hold the WAL, not the reused buffer');
});

test('an unfinished record is dropped on reopen and the stream resumes at the record end', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(START, [10_000, 20_000, 30_000]);
  const options = { dir, segmentSizeBytes: MIB, startLsn: START, noSync: true };
  const wal = await LocalWal.open(options);
  const secondEnd = testWal.records[1]!.endLsn;
  const cut = Number(secondEnd - START) + 5000;
  wal.append(START, testWal.bytes.subarray(0, cut));
  assert.equal(formatLsn(wal.receivedLsn), formatLsn(secondEnd));
  await wal.close();

  const reopened = await LocalWal.open(options);
  assert.equal(formatLsn(reopened.receivedLsn), formatLsn(secondEnd));
  assert.equal(formatLsn(reopened.writeLsn), formatLsn(secondEnd));
  const partial = join(dir, '000000010000000000000001.partial');
  assert.equal((await readFile(partial)).length, Number(secondEnd - START));
  // The stream resumes at the record end; the rest arrives and decodes.
  reopened.append(secondEnd, walSlice(testWal, secondEnd, testWal.endLsn));
  assert.equal(formatLsn(reopened.receivedLsn), formatLsn(testWal.endLsn));
  await reopened.flushed();
  await reopened.close();
});

test('rewind() forgets an unfinished record so that a new source starts at a record end', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(START, [10_000, 20_000]);
  const wal = await LocalWal.open({ dir, segmentSizeBytes: MIB, startLsn: START, noSync: true });
  const firstEnd = testWal.records[0]!.endLsn;
  wal.append(START, testWal.bytes.subarray(0, Number(firstEnd - START) + 100));
  assert.equal(wal.rewind(), firstEnd);
  assert.throws(() => wal.append(testWal.endLsn, Buffer.alloc(8)), /expected/);
  wal.append(firstEnd, walSlice(testWal, firstEnd, testWal.endLsn));
  assert.equal(formatLsn(wal.receivedLsn), formatLsn(testWal.endLsn));
  await wal.close();
});

test('streamed WAL that does not decode is an integrity error and is not taken', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(START, [10_000, 20_000]);
  const wal = await LocalWal.open({ dir, segmentSizeBytes: MIB, startLsn: START, noSync: true });
  const corrupt = Buffer.from(testWal.bytes);
  corrupt[Number(testWal.records[1]!.startLsn - START) + 30]! ^= 0xff;
  assert.throws(() => wal.append(START, corrupt), isIntegrity);
  assert.equal(wal.receivedLsn, START);
  await wal.close();
});

test('a corrupt segment file on disk makes the open fail with an integrity error', async (t) => {
  const dir = await makeTempDir(t);
  const testWal = makeTestWal(START, [10_000, 20_000, 5000]);
  const options = { dir, segmentSizeBytes: MIB, startLsn: START, noSync: true };
  const wal = await LocalWal.open(options);
  wal.append(START, testWal.bytes);
  await wal.close();
  const path = join(dir, '000000010000000000000001.partial');
  const bytes = await readFile(path);
  bytes[Number(testWal.records[1]!.startLsn - START) + 100]! ^= 0x01;
  await writeFile(path, bytes);
  await assert.rejects(LocalWal.open(options), isIntegrity);
});
