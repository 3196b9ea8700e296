// pg_waldump as an independent judge of a safekeeper's WAL: segments are copied under the names
// PostgreSQL uses (no `.partial`) into a scratch pg_wal, then read from `startLsn`, either up to
// a given end or on until pg_waldump finds no further valid record. The end of WAL it implies is
// computed here from its listing and PostgreSQL's page layout, not with this project's decoder.
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { handOverDir, runPgTool, type ToolResult } from './postgres.js';

/** PostgreSQL's XLOG_BLCKSZ, SizeOfXLogShortPHD and SizeOfXLogLongPHD (MAXALIGNed), MAXALIGN. */
const WAL_PAGE_BYTES = 8192n;
const SHORT_PAGE_HEADER_BYTES = 24n;
const LONG_PAGE_HEADER_BYTES = 40n;
const MAXALIGN_BYTES = 8n;
/** Readable by pg_waldump's user. */
const COPY_MODE = 0o644;

/** One line of pg_waldump's listing: `rmgr: ... len (rec/tot): R/ T, tx: X, lsn: A/B, prev ...`. */
const RECORD_LINE =
  /^rmgr: .* len \(rec\/tot\): *\d+\/ *(\d+), tx: *\d+, lsn: ([0-9A-F]+\/[0-9A-F]+), prev /;

export interface WaldumpRecord {
  readonly lsn: Lsn;
  /** xl_tot_len: the record's bytes, header included, page headers in between not included. */
  readonly totalLengthBytes: number;
}

async function runPgWaldump(
  timelineDir: string,
  range: readonly string[],
  scratch: string,
): Promise<ToolResult> {
  const copyDir = join(scratch, 'pg_wal');
  await mkdir(copyDir, { recursive: true });
  for (const name of await readdir(timelineDir)) {
    if (!/^[0-9A-F]{24}(\.partial)?$/.test(name)) continue;
    const copy = join(copyDir, name.replace('.partial', ''));
    await copyFile(join(timelineDir, name), copy);
    // The safekeeper keeps its WAL owner-only (0600); the copy is for pg_waldump, which runs as
    // the postgres user when the tests run as root.
    await chmod(copy, COPY_MODE);
  }
  await handOverDir(scratch);
  return runPgTool('pg_waldump', ['--path', copyDir, ...range], scratch);
}

/** Runs pg_waldump over [startLsn, endLsn) and asserts a clean exit; returns its listing. */
export async function pgWaldumpRange(
  timelineDir: string,
  startLsn: Lsn,
  endLsn: Lsn,
  scratch: string,
): Promise<string> {
  const range = ['--start', formatLsn(startLsn), '--end', formatLsn(endLsn)];
  const result = await runPgWaldump(timelineDir, range, scratch);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /error/i);
  return result.stdout;
}

export interface WaldumpToEnd {
  readonly records: readonly WaldumpRecord[];
  /** Where pg_waldump's last valid record ends: the next record would start here. */
  readonly endLsn: Lsn;
  /** pg_waldump's own words on why it stopped (it always stops with an error without --end). */
  readonly stopMessage: string;
}

/**
 * Runs pg_waldump from `startLsn` (a record start) with no end: it lists records until the first
 * one it cannot read (torn, zeros, bad CRC, missing segment), then stops with an error.
 */
export async function pgWaldumpToEnd(
  timelineDir: string,
  startLsn: Lsn,
  segmentSizeBytes: number,
  scratch: string,
): Promise<WaldumpToEnd> {
  const result = await runPgWaldump(timelineDir, ['--start', formatLsn(startLsn)], scratch);
  assert.notEqual(result.exitCode, 0, 'pg_waldump without --end stops only at an error');
  assert.match(result.stderr, /error/, result.stderr);
  const records = parseWaldumpRecords(result.stdout);
  const last = records.at(-1);
  const endLsn =
    last === undefined
      ? startLsn
      : endOfRecord(last.lsn, last.totalLengthBytes, BigInt(segmentSizeBytes));
  return { records, endLsn, stopMessage: result.stderr.trim() };
}

function parseWaldumpRecords(listing: string): WaldumpRecord[] {
  const records: WaldumpRecord[] = [];
  for (const line of listing.split('\n')) {
    if (!line.startsWith('rmgr: ')) continue;
    const match = RECORD_LINE.exec(line);
    assert.ok(
      match?.[1] !== undefined && match[2] !== undefined,
      `unparsed: ${line.slice(0, 200)}`,
    );
    records.push({ lsn: parseLsn(match[2]), totalLengthBytes: Number(match[1]) });
  }
  return records;
}

/**
 * Where the next record starts after a record of `totalLengthBytes` at `lsn`: its bytes run on
 * across page boundaries, each following page starting with a page header (the long one at a
 * segment start), and the end is MAXALIGNed, as PostgreSQL's xlogreader computes NextRecPtr.
 */
function endOfRecord(lsn: Lsn, totalLengthBytes: number, segmentSizeBytes: bigint): Lsn {
  let position = lsn;
  let remaining = BigInt(totalLengthBytes);
  let roomOnPage = WAL_PAGE_BYTES - (position % WAL_PAGE_BYTES);
  // Each pass moves to the next page with fewer bytes left: at most one pass per page.
  while (remaining > roomOnPage) {
    remaining -= roomOnPage;
    const pageStart = position + roomOnPage;
    const header =
      pageStart % segmentSizeBytes === 0n ? LONG_PAGE_HEADER_BYTES : SHORT_PAGE_HEADER_BYTES;
    position = pageStart + header;
    roomOnPage = WAL_PAGE_BYTES - header;
  }
  position += remaining;
  return ((position + MAXALIGN_BYTES - 1n) / MAXALIGN_BYTES) * MAXALIGN_BYTES;
}
