// PostgreSQL 15 as the judge of our WAL format: pg_waldump must read what the encoder writes,
// and the decoder must find the same records and the same end of WAL as pg_waldump in the WAL of
// a real (throwaway) cluster, XLOG_SWITCH and multi-page records included.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import {
  DEFAULT_SEGMENT_SIZE_BYTES,
  parseSegmentFileName,
  segmentFileName,
  segmentStartLsn,
} from '../../src/postgres/segment-name.js';
import { isEndOfWal, WalDecodeError } from '../../src/postgres/wal/wal-decode-error.js';
import { WalDecoder, type DecodedRecord } from '../../src/postgres/wal/wal-decoder.js';
import { WalEncoder, type EncodedRecord } from '../../src/postgres/wal/wal-encoder.js';
import { pageHeaderBytesAt, XLOG_BLCKSZ } from '../../src/postgres/wal/wal-page-header.js';
import { isXlogSwitch, RM_LOGICALMSG_ID } from '../../src/postgres/wal/xlog-record.js';
import {
  handOverDir,
  requirePgTools,
  runPgTool,
  startThrowawayCluster,
} from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const MIB = 1024 * 1024;
/** initdb's default: with 1 MiB segments initdb's own WAL fills (and removes) segments 1-5. */
const PG_SEGMENT_SIZE_BYTES = DEFAULT_SEGMENT_SIZE_BYTES;
const SYSTEM_ID = 7_300_000_000_000_000_042n;
const WALDUMP_LINE =
  /^rmgr: (\S+)\s+len \(rec\/tot\):\s*(\d+)\/\s*(\d+), tx:\s*\d+, lsn: ([0-9A-F]+\/[0-9A-F]+), prev ([0-9A-F]+\/[0-9A-F]+)/;
const END_OF_WAL = /invalid record length at ([0-9A-F]+\/[0-9A-F]+): wanted 24, got 0/;

interface WaldumpRecord {
  readonly rmgr: string;
  readonly totalLength: number;
  readonly lsn: Lsn;
  readonly prevLsn: Lsn;
}

function parseWaldump(stdout: string): WaldumpRecord[] {
  const records: WaldumpRecord[] = [];
  for (const line of stdout.split('\n')) {
    const match = WALDUMP_LINE.exec(line);
    if (match === null) continue;
    records.push({
      rmgr: match[1]!,
      totalLength: Number(match[3]),
      lsn: parseLsn(match[4]!),
      prevLsn: parseLsn(match[5]!),
    });
  }
  return records;
}

/** Writes the stream (from a segment start) as full, zero-padded segment files. */
async function writeSegments(dir: string, startLsn: Lsn, stream: Buffer): Promise<void> {
  const firstSegno = startLsn / BigInt(MIB);
  for (let offset = 0; offset < stream.length; offset += MIB) {
    const segment = Buffer.alloc(MIB);
    stream.copy(segment, 0, offset, Math.min(stream.length, offset + MIB));
    const name = segmentFileName(firstSegno + BigInt(offset / MIB), MIB);
    await writeFile(join(dir, name), segment);
  }
}

test('pg_waldump reads the records the encoder writes', { timeout: 30_000 }, async (t) => {
  await requirePgTools();
  const dir = await makeTempDir(t, 'neon-local-waldump-');
  await handOverDir(dir);
  const startLsn = segmentStartLsn(1n, MIB);
  const encoder = new WalEncoder({
    startLsn,
    prevRecordLsn: 0n,
    systemId: SYSTEM_ID,
    segmentSizeBytes: MIB,
  });
  const sizes = [61, 100, 281, 282, 285, 8000, 8168, 8192, 20_000, 200_000, 5000];
  sizes.push(MIB + 300_000, 64, 9000, 700_000, 77, 4096, 123_456, 300);
  const records: EncodedRecord[] = sizes.map((size) => encoder.appendLogicalMessageOfSize(size));
  records.push(encoder.appendLogicalMessage('neon-local', Buffer.from('the end')));
  sizes.push(24 + 2 + 24 + 'neon-local'.length + 1 + 'the end'.length);
  await writeSegments(dir, startLsn, Buffer.concat(records.map((record) => record.bytes)));
  const endLsn = records.at(-1)!.endLsn;
  const result = await runPgTool(
    'pg_waldump',
    [`--path=${dir}`, `--start=${formatLsn(startLsn)}`, `--end=${formatLsn(endLsn)}`],
    dir,
  );
  assert.equal(result.exitCode, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /error/i);
  const listed = parseWaldump(result.stdout);
  assert.deepEqual(
    listed.map((record) => formatLsn(record.lsn)),
    records.map((record) => formatLsn(record.startLsn)),
  );
  assert.deepEqual(
    listed.map((record) => record.totalLength),
    sizes,
  );
  assert.ok(listed.every((record) => record.rmgr === 'LogicalMessage'));
  assert.ok(endLsn - startLsn > 2n * BigInt(MIB), 'the stream spans more than two segments');
});

/** Decodes the segments in order until the decoder throws; returns its records and the error. */
async function decodeWalDir(
  walDir: string,
  segmentSizeBytes: number,
): Promise<{
  records: DecodedRecord[];
  error: WalDecodeError;
  firstName: string;
  lastName: string;
}> {
  const names = (await readdir(walDir))
    .filter((name) => parseSegmentFileName(name, segmentSizeBytes)?.partial === false)
    .sort();
  assert.ok(names.length > 0, `WAL segments in ${walDir}`);
  const firstSegno = parseSegmentFileName(names[0]!, segmentSizeBytes)!.segno;
  const decoder = new WalDecoder({
    startLsn: segmentStartLsn(firstSegno, segmentSizeBytes),
    segmentSizeBytes: segmentSizeBytes,
  });
  const records: DecodedRecord[] = [];
  for (const [index, name] of names.entries()) {
    assert.equal(
      parseSegmentFileName(name, segmentSizeBytes)!.segno,
      firstSegno + BigInt(index),
      'contiguous',
    );
    decoder.feed(await readFile(join(walDir, name)));
    try {
      for (let record = decoder.next(); record !== undefined; record = decoder.next()) {
        records.push(record);
      }
    } catch (error) {
      assert.ok(error instanceof WalDecodeError, String(error));
      return { records, error, firstName: names[0]!, lastName: names.at(-1)! };
    }
  }
  assert.fail(`no end of WAL found in ${names.length} segments`);
}

/** The first record position at or after `lsn`, skipping a page header at a page start. */
function nextRecordPosition(lsn: Lsn, segmentSizeBytes: number): Lsn {
  const segmentOffset = Number(lsn % BigInt(segmentSizeBytes));
  if (segmentOffset % XLOG_BLCKSZ !== 0) return lsn;
  return lsn + BigInt(pageHeaderBytesAt(segmentOffset));
}

test(
  'the decoder finds the records and the end of WAL that pg_waldump finds',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await startThrowawayCluster(
      t,
      [],
      [
        'wal_keep_size=256MB', // keep every segment from initdb on, so decoding starts at segment 1
        'fsync=off',
      ],
    );
    await cluster.psql('CREATE TABLE items (id int PRIMARY KEY, label text)');
    await cluster.psql(
      "INSERT INTO items SELECT g, repeat('v', 60) FROM generate_series(1, 4000) g",
    );
    await cluster.psql("UPDATE items SET label = label || 'u' WHERE id % 3 = 0");
    const switchAt = parseLsn((await cluster.psql('SELECT pg_switch_wal()')).trim());
    await cluster.psql("INSERT INTO items SELECT g, 'after' FROM generate_series(4001, 6000) g");
    await cluster.psql("SELECT pg_logical_emit_message(false, 'p', repeat('x', 20000))");
    await cluster.psql('CHECKPOINT');
    await cluster.stop();

    const walDir = join(cluster.dataDir, 'pg_wal');
    const { records, error, firstName, lastName } = await decodeWalDir(
      walDir,
      PG_SEGMENT_SIZE_BYTES,
    );
    assert.ok(isEndOfWal(error), `the decoder stopped at the end of WAL, not at: ${error.message}`);
    assert.equal(
      firstName,
      segmentFileName(1n, PG_SEGMENT_SIZE_BYTES),
      'the initdb WAL starts at segment 1',
    );

    const dump = await runPgTool(
      'pg_waldump',
      [`--path=${walDir}`, firstName, lastName],
      cluster.dir,
    );
    const dumpEnd = END_OF_WAL.exec(dump.stderr);
    assert.ok(dumpEnd !== null, `pg_waldump stopped at the end of WAL: ${dump.stderr}`);
    assert.equal(formatLsn(error.lsn), formatLsn(parseLsn(dumpEnd[1]!)), 'same end of WAL');
    const listed = parseWaldump(dump.stdout);
    assert.ok(listed.length > 1000, `${listed.length} records listed`);
    assert.deepEqual(
      records.map((record) => formatLsn(record.startLsn)),
      listed.map((record) => formatLsn(record.lsn)),
    );
    assert.deepEqual(
      records.map((record) => record.totalLength),
      listed.map((record) => record.totalLength),
    );
    for (const [index, record] of records.entries()) {
      const next = records[index + 1];
      if (next !== undefined)
        assert.equal(nextRecordPosition(record.endLsn, PG_SEGMENT_SIZE_BYTES), next.startLsn);
    }
    // pg_switch_wal() returns the end of the switch record itself; the next record starts in
    // the next segment.
    const switchRecord = records.find(
      (record) =>
        isXlogSwitch(record.rmgrId, record.info) &&
        record.startLsn + BigInt(record.totalLength) === switchAt,
    );
    assert.ok(switchRecord !== undefined, `an XLOG_SWITCH ending at ${formatLsn(switchAt)}`);
    assert.equal(switchRecord.endLsn % BigInt(PG_SEGMENT_SIZE_BYTES), 0n, 'it ends its segment');
    assert.ok(
      records.some((record) => record.rmgrId === RM_LOGICALMSG_ID && record.totalLength > 20_000),
      'the multi-page logical message',
    );
  },
);
