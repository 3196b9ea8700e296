// The pageserver's timeline state file: written atomically and read back exactly; a damaged
// file is an integrity error naming the file, never a silent reset of uploaded_lsn.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../../../src/common/errors.js';
import type { TenantId, TimelineId } from '../../../src/common/hex-id.js';
import {
  readTimelineState,
  STATE_FILE,
  writeTimelineState,
  type TimelineState,
} from '../../../src/pageserver/timeline/timeline-state-file.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const STATE: TimelineState = {
  tenantId: 'c0ffee00c0ffee00c0ffee00c0ffee00' as TenantId,
  timelineId: '7e57ab1e7e57ab1e7e57ab1e7e57ab1e' as TimelineId,
  segmentSizeBytes: 16 * 1024 * 1024,
  startLsn: 0x1000000n,
  uploadedLsn: 0x2345678n,
};

test('the state file round-trips', async (t) => {
  const dir = await makeTempDir(t);
  await writeTimelineState(dir, STATE, false);
  assert.deepEqual(await readTimelineState(dir), STATE);
  const text = await readFile(join(dir, STATE_FILE), 'utf8');
  assert.match(text, /"uploaded_lsn":"0\/2345678"/);
});

test('a damaged state file is an integrity error', async (t) => {
  const dir = await makeTempDir(t);
  await writeTimelineState(dir, STATE, true);
  const good = await readFile(join(dir, STATE_FILE), 'utf8');
  const damaged = [
    good.slice(0, 20),
    good.replace('0/2345678', '0/ZZ'),
    good.replace('"version":1', '"version":9'),
    good.replace('"uploaded_lsn":"0/2345678"', '"uploaded_lsn":"0/10"'),
    good.replace('16777216', '1000'),
  ];
  for (const text of damaged) {
    await writeFile(join(dir, STATE_FILE), text);
    await assert.rejects(
      readTimelineState(dir),
      (error: unknown) =>
        isAppError(error) && error.code === 'integrity' && error.message.includes(STATE_FILE),
      text,
    );
  }
});
