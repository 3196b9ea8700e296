import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { PREALLOCATED_FILE_NAME } from '../../../src/safekeeper/wal/segment-preallocator.js';
import { findEndOfWal } from '../../../src/safekeeper/wal/wal-recovery.js';
import { WalStorage } from '../../../src/safekeeper/wal/wal-storage.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, walSlice } from '../../helpers/wal.js';

const SEGMENT_1 = '000000010000000000000001';
const SEGMENT_2 = '000000010000000000000002';
const SEGMENT_3 = '000000010000000000000003';

/** Files of the timeline dir except the spare preallocated segment. */
async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== PREALLOCATED_FILE_NAME).sort();
}

async function openStorage(dir: string, endLsn = 0n): Promise<WalStorage> {
  return WalStorage.open({ dir, segmentSizeBytes: MIB, noSync: false }, { endLsn });
}

for (const directIo of [true, false]) {
  const how = directIo ? 'with O_DIRECT' : 'through the page cache';
  test(`odd-sized writes, flushes at odd points, a full staging buffer and a reopen mid-block leave exactly the WAL (${how})`, async (t) => {
    const dir = await makeTempDir(t);
    const segmentSizeBytes = 4 * MIB;
    const sizes = Array.from({ length: 700 }, (_, index) => 3000 + ((index * 7919) % 9000));
    const wal = makeTestWal(BigInt(segmentSizeBytes), sizes, segmentSizeBytes);
    assert.ok(wal.endLsn > BigInt(2 * segmentSizeBytes), 'the WAL crosses into a second segment');
    const open = (endLsn: bigint): Promise<WalStorage> =>
      WalStorage.open({ dir, segmentSizeBytes, noSync: false, directIo }, { endLsn });
    let storage = await open(0n);
    assert.equal(storage.directIo, directIo);
    const pieceBytes = 77_777;
    let at = wal.startLsn;
    let reopened = false;
    for (let index = 0; at < wal.endLsn; index++) {
      const end = at + BigInt(pieceBytes) < wal.endLsn ? at + BigInt(pieceBytes) : wal.endLsn;
      await storage.write(at, walSlice(wal, at, end));
      at = end;
      // Flushes after the first pieces, then none for more than a staging buffer (1 MiB).
      if (index < 3 || index % 20 === 19) await storage.flush();
      if (!reopened && index === 25) {
        // Reopen where the last flush ended: mid-block, with a torn record's bytes after it.
        const flushLsn = storage.flushLsn;
        assert.notEqual(flushLsn % 4096n, 0n, 'the reopen point is inside a block');
        await storage.close();
        storage = await open(flushLsn);
        at = flushLsn;
        reopened = true;
      }
    }
    await storage.flush();
    assert.equal(storage.flushLsn, wal.endLsn);
    await storage.close();
    const first = await readFile(join(dir, '000000010000000000000001'));
    const second = await readFile(join(dir, '000000010000000000000002.partial'));
    assert.ok(first.equals(walSlice(wal, wal.startLsn, BigInt(2 * segmentSizeBytes))));
    const written = Number(wal.endLsn) - 2 * segmentSizeBytes;
    assert.equal(second.length, segmentSizeBytes);
    assert.ok(
      second.subarray(0, written).equals(walSlice(wal, BigInt(2 * segmentSizeBytes), wal.endLsn)),
    );
    assert.ok(
      second.subarray(written).every((byte) => byte === 0),
      'the tail stays zero',
    );
    assert.equal((await findEndOfWal(dir, segmentSizeBytes, wal.startLsn)).endLsn, wal.endLsn);
  });
}

test('writes across a segment boundary leave one complete segment and one .partial', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(
    BigInt(MIB),
    Array.from({ length: 150 }, () => 8192),
  );
  assert.ok(wal.endLsn > BigInt(2 * MIB) && wal.endLsn < BigInt(3 * MIB));
  const storage = await openStorage(dir);
  for (let at = 0; at < wal.bytes.length; at += 100_000) {
    const end = Math.min(at + 100_000, wal.bytes.length);
    await storage.write(wal.startLsn + BigInt(at), wal.bytes.subarray(at, end));
  }
  assert.equal(storage.writeLsn, wal.endLsn);
  assert.equal(storage.writeRecordLsn, wal.endLsn);
  assert.equal(storage.flushLsn, 0n, 'nothing is flushed before flush()');
  await storage.flush();
  assert.equal(storage.flushLsn, wal.endLsn);
  await storage.close();
  assert.deepEqual((await readdir(dir)).sort(), [SEGMENT_1, `${SEGMENT_2}.partial`]);
  const first = await readFile(join(dir, SEGMENT_1));
  const second = await readFile(join(dir, `${SEGMENT_2}.partial`));
  assert.equal(first.length, MIB);
  assert.equal(second.length, MIB, 'the partial segment is preallocated to its full size');
  assert.ok(first.equals(walSlice(wal, BigInt(MIB), BigInt(2 * MIB))));
  const written = Number(wal.endLsn) - 2 * MIB;
  assert.ok(second.subarray(0, written).equals(walSlice(wal, BigInt(2 * MIB), wal.endLsn)));
  assert.ok(
    second.subarray(written).every((byte) => byte === 0),
    'the tail stays zero',
  );
});

test('a write that ends mid-record advances write_lsn but not the record or flush LSN', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [5000, 20_000, 300]);
  const storage = await openStorage(dir);
  const firstEnd = wal.records[0]?.endLsn ?? 0n;
  const cut = firstEnd + 1000n;
  await storage.write(wal.startLsn, walSlice(wal, wal.startLsn, cut));
  await storage.flush();
  assert.equal(storage.writeLsn, cut);
  assert.equal(storage.flushLsn, firstEnd);
  await storage.write(cut, walSlice(wal, cut, wal.endLsn));
  await storage.flush();
  assert.equal(storage.flushLsn, wal.endLsn);
  await storage.close();
});

test('rewrites and gaps are refused and leave the storage usable', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [4096, 4096, 4096]);
  const storage = await openStorage(dir);
  const middle = wal.records[1]?.startLsn ?? 0n;
  await storage.write(wal.startLsn, walSlice(wal, wal.startLsn, middle));
  await assert.rejects(
    storage.write(wal.startLsn, walSlice(wal, wal.startLsn, middle)),
    (error: unknown) =>
      error instanceof AppError && /rewrites WAL written before/.test(error.message),
  );
  await assert.rejects(
    storage.write(middle + 8n, walSlice(wal, middle, wal.endLsn)),
    (error: unknown) => error instanceof AppError && /creates a gap/.test(error.message),
  );
  await storage.write(middle, walSlice(wal, middle, wal.endLsn));
  await storage.flush();
  assert.equal(storage.flushLsn, wal.endLsn);
  await storage.close();
});

test('after a failed write a truncation may not go above flush_lsn', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [8192, 8192, 8192]);
  const storage = await openStorage(dir);
  const second = wal.records[1]?.startLsn ?? 0n;
  await storage.write(wal.startLsn, walSlice(wal, wal.startLsn, second));
  await storage.flush();
  // Staged, never flushed, then a failure: only flush_lsn is known to be on disk.
  await storage.write(second, walSlice(wal, second, wal.endLsn));
  await assert.rejects(storage.write(wal.endLsn, Buffer.alloc(100, 0xff)), AppError);
  assert.equal(storage.flushLsn, second);
  await assert.rejects(
    storage.truncate(wal.endLsn),
    (error: unknown) =>
      error instanceof AppError &&
      /only WAL up to flush_lsn .* is known to be on disk/.test(error.message),
  );
  await storage.truncate(second);
  await storage.write(second, walSlice(wal, second, wal.endLsn));
  await storage.flush();
  assert.equal(storage.flushLsn, wal.endLsn);
  await storage.close();
  assert.equal((await findEndOfWal(dir, MIB, wal.startLsn)).endLsn, wal.endLsn);
});

test('bytes that are not PostgreSQL WAL are refused before they reach the disk', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [4096, 4096]);
  const storage = await openStorage(dir);
  const garbage = Buffer.from(walSlice(wal, wal.startLsn, wal.endLsn));
  garbage.fill(0xab, 40, 64);
  await assert.rejects(
    storage.write(wal.startLsn, garbage),
    (error: unknown) => error instanceof AppError && error.code === 'integrity',
  );
  assert.equal(storage.writeLsn, 0n);
  await storage.close();
  assert.deepEqual(await readdir(dir), [], 'no segment was created');
});

test('truncation zeroes the rest, removes later segments and reopens the completed one as .partial', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(
    BigInt(MIB),
    Array.from({ length: 300 }, () => 8192),
  );
  const storage = await openStorage(dir);
  await storage.write(wal.startLsn, wal.bytes);
  await storage.flush();
  assert.deepEqual(await segmentFiles(dir), [SEGMENT_1, SEGMENT_2, `${SEGMENT_3}.partial`]);
  const cutRecord = wal.records.find((record) => record.startLsn > BigInt(MIB + 500_000));
  assert.ok(cutRecord);
  await storage.truncate(cutRecord.startLsn);
  assert.equal(storage.writeLsn, cutRecord.startLsn);
  assert.equal(storage.flushLsn, cutRecord.startLsn);
  assert.deepEqual(await segmentFiles(dir), [`${SEGMENT_1}.partial`]);
  const segment = await readFile(join(dir, `${SEGMENT_1}.partial`));
  const kept = Number(cutRecord.startLsn) - MIB;
  assert.ok(segment.subarray(0, kept).equals(walSlice(wal, wal.startLsn, cutRecord.startLsn)));
  assert.ok(segment.subarray(kept).every((byte) => byte === 0));
  // A new term continues from the cut with different WAL.
  const before = wal.records[wal.records.indexOf(cutRecord) - 1];
  const next = makeTestWal(cutRecord.startLsn, [3000, 3000], MIB, before?.startLsn);
  await storage.write(cutRecord.startLsn, next.bytes);
  await storage.flush();
  assert.equal(storage.flushLsn, next.endLsn);
  await storage.close();
  const end = await findEndOfWal(dir, MIB, wal.startLsn);
  assert.equal(end.endLsn, next.endLsn, 'recovery sees the old WAL up to the cut, then the new');
});

test('recovery finds the end of the last complete record and ignores a torn one', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [8192, 8192, 30_000, 8192]);
  const storage = await openStorage(dir);
  const lastStart = wal.records[3]?.startLsn ?? 0n;
  const torn = lastStart + 5000n;
  await storage.write(wal.startLsn, walSlice(wal, wal.startLsn, torn));
  // The flush writes out every staged byte, the torn record's head included.
  await storage.flush();
  assert.equal(storage.flushLsn, lastStart);
  await storage.close();
  const end = await findEndOfWal(dir, MIB, wal.records[1]?.startLsn ?? 0n);
  assert.equal(end.endLsn, lastStart);
  assert.equal(end.startSegmentFound, true);
  const reopened = await openStorage(dir, end.endLsn);
  await reopened.write(lastStart, walSlice(wal, lastStart, wal.endLsn));
  await reopened.flush();
  await reopened.close();
  assert.equal((await findEndOfWal(dir, MIB, wal.startLsn)).endLsn, wal.endLsn);
  const missing = await findEndOfWal(dir, MIB, BigInt(5 * MIB));
  assert.equal(missing.startSegmentFound, false);
});

test('a corrupt byte inside a record ends recovery before that record', async (t) => {
  const dir = await makeTempDir(t);
  const wal = makeTestWal(BigInt(MIB), [8192, 8192, 8192]);
  const storage = await openStorage(dir);
  await storage.write(wal.startLsn, wal.bytes);
  await storage.flush();
  await storage.close();
  const path = join(dir, `${SEGMENT_1}.partial`);
  const bytes = await readFile(path);
  const secondStart = Number((wal.records[1]?.startLsn ?? 0n) - BigInt(MIB));
  bytes[secondStart + 100] = (bytes[secondStart + 100] ?? 0) ^ 0xff;
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, bytes);
  const end = await findEndOfWal(dir, MIB, wal.startLsn);
  assert.equal(end.endLsn, wal.records[1]?.startLsn);
  assert.match(end.stoppedBecause, /crc|checksum/i);
});
