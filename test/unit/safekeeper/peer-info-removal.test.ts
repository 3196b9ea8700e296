import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { parseLsn } from '../../../src/postgres/lsn.js';
import { initialSafekeeperState } from '../../../src/safekeeper/control-file/safekeeper-state.js';
import { writeControlFileAtomically } from '../../../src/safekeeper/control-file/control-file-store.js';
import { Timeline } from '../../../src/safekeeper/timeline/timeline.js';
import { describeTimeline } from '../../../src/safekeeper/timeline/timeline-status.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID } from '../../helpers/wal.js';

const SEGMENT = BigInt(MIB);
const TERM = 3n;

/** A timeline in term 3 holding WAL from segment 1 into segment 5 (1 MiB segments). */
async function timelineWithWal(t: TestContext, walBackupConfigured: boolean) {
  const dir = await makeTempDir(t);
  const options = {
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    walBackupConfigured,
    log: pino({ level: 'silent' }),
  };
  const initial = initialSafekeeperState(
    parseTenantId('0'.repeat(31) + '1'),
    parseTimelineId('0'.repeat(31) + '2'),
    { pgVersion: 150000, systemId: TEST_SYSTEM_ID, walSegSize: MIB },
  );
  const state = {
    ...initial,
    acceptorState: { term: TERM, termHistory: [{ term: TERM, lsn: SEGMENT }] },
    timelineStartLsn: SEGMENT,
    localStartLsn: SEGMENT,
  };
  await writeControlFileAtomically(dir, state, { noSync: true });
  const timeline = await Timeline.load(dir, options);
  t.after(() => timeline.close());
  const wal = makeTestWal(
    SEGMENT,
    Array.from({ length: 4 * 128 + 20 }, () => 8192),
  );
  await timeline.truncateWal(wal.startLsn);
  await timeline.appendWal([{ startLsn: wal.startLsn, bytes: wal.bytes }]);
  return { dir, timeline, wal };
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /^[0-9A-F]{24}(\.partial)?$/.test(name)).sort();
}

test("a peer's commit_lsn counts only from the same epoch; the horizons are maxima", async (t) => {
  const { timeline, wal } = await timelineWithWal(t, true);
  assert.equal(timeline.epoch, TERM);
  await timeline.recordSafekeeperInfo({ lastLogTerm: TERM - 1n, commitLsn: wal.endLsn });
  assert.equal(timeline.inmemLsns.commitLsn, 0n, 'another epoch: ignored');
  await timeline.recordSafekeeperInfo({ commitLsn: wal.endLsn });
  assert.equal(timeline.inmemLsns.commitLsn, 0n, 'no last_log_term: ignored');
  await timeline.recordSafekeeperInfo({ lastLogTerm: TERM, commitLsn: wal.endLsn + 1000n });
  assert.equal(timeline.inmemLsns.commitLsn, wal.endLsn, 'same epoch: capped at flush_lsn');

  await timeline.recordSafekeeperInfo({
    backupLsn: 2n * SEGMENT,
    remoteConsistentLsn: 3n * SEGMENT,
    peerHorizonLsn: 4n * SEGMENT,
  });
  await timeline.recordSafekeeperInfo({
    backupLsn: SEGMENT,
    remoteConsistentLsn: SEGMENT,
    peerHorizonLsn: SEGMENT,
  });
  assert.deepEqual(
    { ...timeline.inmemLsns, commitLsn: 0n },
    {
      commitLsn: 0n,
      backupLsn: 2n * SEGMENT,
      remoteConsistentLsn: 3n * SEGMENT,
      peerHorizonLsn: 4n * SEGMENT,
    },
    'never lowered',
  );
  assert.equal(timeline.state.peerHorizonLsn, 4n * SEGMENT, 'more than a segment ahead: persisted');
});

test('removal takes whole segments below the horizon, from the persisted LSNs only', async (t) => {
  const { dir, timeline, wal } = await timelineWithWal(t, true);
  await timeline.recordSafekeeperInfo({ lastLogTerm: TERM, commitLsn: wal.endLsn });
  const before = await segmentFiles(dir);
  assert.deepEqual(before, [
    '000000010000000000000001',
    '000000010000000000000002',
    '000000010000000000000003',
    '000000010000000000000004',
    '000000010000000000000005.partial',
  ]);

  // The pageserver and the peers are done, S3 is not: nothing goes.
  await timeline.recordSafekeeperInfo({
    remoteConsistentLsn: wal.endLsn,
    peerHorizonLsn: wal.endLsn,
  });
  let result = await timeline.removeWalBelowHorizon();
  assert.equal(result.removed, undefined);
  assert.equal(result.horizon.limitedBy, 'backup_lsn');
  assert.deepEqual(await segmentFiles(dir), before);
  let status = await describeTimeline(timeline);
  assert.equal(status.horizon.limited_by, 'backup_lsn');
  assert.equal(status.horizon.pinned_bytes, 3 * MIB, 'segments 1-3 are kept only for S3');

  // S3 has segments 1 and 2 (backup_lsn at the start of 3), more than a segment ahead: persisted.
  await timeline.recordSafekeeperInfo({ backupLsn: 3n * SEGMENT + 100n });
  assert.equal(timeline.state.backupLsn, 3n * SEGMENT + 100n);
  result = await timeline.removeWalBelowHorizon();
  assert.deepEqual(result.removed, {
    first: '000000010000000000000001',
    last: '000000010000000000000002',
    count: 2,
    bytes: 2 * MIB,
  });
  assert.deepEqual(await segmentFiles(dir), before.slice(2));
  assert.equal((await timeline.removeWalBelowHorizon()).removed, undefined, 'done once');
  status = await describeTimeline(timeline);
  assert.equal(status.local_segments.first, '000000010000000000000003');
  assert.equal(status.horizon.removable_before, '000000010000000000000003');
  assert.equal(status.horizon.pinned_bytes, MIB);

  // Less than a segment ahead in memory is not persisted yet, so it does not count.
  await timeline.recordSafekeeperInfo({ backupLsn: 4n * SEGMENT });
  assert.equal(timeline.state.backupLsn, 3n * SEGMENT + 100n);
  assert.equal((await timeline.removeWalBelowHorizon()).removed, undefined);

  // Everything consumed far past the end: the segment holding commit_lsn stays, and the one
  // before it (where the last record may start).
  await timeline.recordSafekeeperInfo({ backupLsn: parseLsn('FFFFFFFF/FEFFFFFF') });
  result = await timeline.removeWalBelowHorizon();
  assert.equal(result.removed?.last, '000000010000000000000003');
  assert.deepEqual(await segmentFiles(dir), [
    '000000010000000000000004',
    '000000010000000000000005.partial',
  ]);
});

test('without remote storage backup_lsn does not hold removal back', async (t) => {
  const { dir, timeline, wal } = await timelineWithWal(t, false);
  await timeline.recordSafekeeperInfo({ lastLogTerm: TERM, commitLsn: wal.endLsn });
  await timeline.recordSafekeeperInfo({
    remoteConsistentLsn: 2n * SEGMENT + 5n,
    peerHorizonLsn: wal.endLsn,
  });
  const { removed, horizon } = await timeline.removeWalBelowHorizon();
  assert.equal(horizon.limitedBy, 'remote_consistent_lsn');
  assert.equal(removed?.count, 1);
  assert.equal((await segmentFiles(dir))[0], '000000010000000000000002');
  const status = await describeTimeline(timeline);
  assert.equal(status.horizon.inputs.backup_lsn, null);
});
