// pg_waldump as an independent judge of a safekeeper's WAL: segments are copied under the names
// PostgreSQL uses (no `.partial`) into a scratch pg_wal, then read from `startLsn` to `endLsn`.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLsn, type Lsn } from '../../src/postgres/lsn.js';
import { handOverDir, runPgTool } from './postgres.js';

/** Runs pg_waldump over [startLsn, endLsn) and asserts a clean exit; returns its listing. */
export async function pgWaldumpRange(
  timelineDir: string,
  startLsn: Lsn,
  endLsn: Lsn,
  scratch: string,
): Promise<string> {
  const copyDir = join(scratch, 'pg_wal');
  await mkdir(copyDir, { recursive: true });
  for (const name of await readdir(timelineDir)) {
    if (/^[0-9A-F]{24}(\.partial)?$/.test(name))
      await copyFile(join(timelineDir, name), join(copyDir, name.replace('.partial', '')));
  }
  await handOverDir(scratch);
  const result = await runPgTool(
    'pg_waldump',
    ['--path', copyDir, '--start', formatLsn(startLsn), '--end', formatLsn(endLsn)],
    scratch,
  );
  assert.equal(result.exitCode, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /error/i);
  return result.stdout;
}
