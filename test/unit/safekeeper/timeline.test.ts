import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { initialSafekeeperState } from '../../../src/safekeeper/control-file/safekeeper-state.js';
import {
  horizonsNeedPersist,
  inmemAhead,
  periodicPersistDue,
  type InmemLsns,
} from '../../../src/safekeeper/timeline/persist-rules.js';
import { writeControlFileAtomically } from '../../../src/safekeeper/control-file/control-file-store.js';
import { Timeline } from '../../../src/safekeeper/timeline/timeline.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID } from '../../helpers/wal.js';
import { sleepMs } from '../../../src/common/deadline.js';

const ZERO: InmemLsns = {
  commitLsn: 0n,
  backupLsn: 0n,
  peerHorizonLsn: 0n,
  remoteConsistentLsn: 0n,
};
const SEGMENT = BigInt(MIB);

test('horizon LSNs are persisted once they run more than a segment ahead', () => {
  const table: [Partial<InmemLsns>, boolean][] = [
    [{}, false],
    [{ commitLsn: 10n * SEGMENT }, false],
    [{ backupLsn: SEGMENT }, false],
    [{ backupLsn: SEGMENT + 1n }, true],
    [{ remoteConsistentLsn: SEGMENT + 1n }, true],
    [{ peerHorizonLsn: SEGMENT }, false],
    [{ peerHorizonLsn: SEGMENT + 8n }, true],
  ];
  for (const [inmem, expected] of table)
    assert.equal(
      horizonsNeedPersist(ZERO, { ...ZERO, ...inmem }, MIB),
      expected,
      JSON.stringify(inmem, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
});

test('the periodic persist needs both the interval and an advanced LSN', () => {
  const advanced = { ...ZERO, remoteConsistentLsn: 1n };
  assert.equal(periodicPersistDue(ZERO, advanced, 299_999, 300_000), false);
  assert.equal(periodicPersistDue(ZERO, advanced, 300_000, 300_000), true);
  assert.equal(periodicPersistDue(ZERO, ZERO, 1_000_000, 300_000), false);
  assert.equal(periodicPersistDue(advanced, ZERO, 1_000_000, 300_000), false, 'never backwards');
  for (const field of ['commitLsn', 'backupLsn', 'peerHorizonLsn', 'remoteConsistentLsn'] as const)
    assert.equal(periodicPersistDue(ZERO, { ...ZERO, [field]: 5n }, 300_000, 300_000), true, field);
});

test('timeline: first commit persisted at once, later ones periodically with a refreshed clock', async (t) => {
  const dir = await makeTempDir(t);
  const saveIntervalMs = 1000;
  const options = {
    noSync: false,
    controlFileSaveIntervalMs: saveIntervalMs,
    walBackupConfigured: false,
    log: pino({ level: 'silent' }),
  };
  const state = initialSafekeeperState(
    parseTenantId('0'.repeat(31) + '1'),
    parseTimelineId('0'.repeat(31) + '2'),
    { pgVersion: 150000, systemId: TEST_SYSTEM_ID, walSegSize: MIB },
  );
  await writeControlFileAtomically(dir, state, { noSync: false });
  const timeline = await Timeline.load(dir, options);
  const wal = makeTestWal(
    SEGMENT,
    Array.from({ length: 40 }, () => 8192),
  );
  await timeline.truncateWal(wal.startLsn);
  const half = wal.records[19]?.endLsn ?? 0n;
  const flushed = await timeline.appendWal([
    { startLsn: wal.startLsn, bytes: wal.bytes.subarray(0, Number(half - wal.startLsn)) },
  ]);
  assert.equal(flushed, half);
  await timeline.advanceInmem({ commitLsn: flushed + 1000n });
  assert.equal(timeline.inmemLsns.commitLsn, half, 'commit_lsn is capped at flush_lsn');
  assert.equal(timeline.state.commitLsn, half, 'the first commit_lsn is persisted at once');

  await timeline.appendWal([
    { startLsn: half, bytes: wal.bytes.subarray(Number(half - wal.startLsn)) },
  ]);
  await timeline.advanceInmem({ commitLsn: wal.endLsn });
  assert.equal(timeline.state.commitLsn, half, 'later commits wait');
  assert.equal(await timeline.maybePersistPeriodically(), false, 'interval not yet passed');
  await sleepMs(saveIntervalMs + 20);
  assert.equal(await timeline.maybePersistPeriodically(), true);
  assert.equal(timeline.state.commitLsn, wal.endLsn);
  // The persist refreshed the clock: a new advance right away waits for the next interval
  // (neon never refreshed it, so it persisted on every tick after the first interval).
  await timeline.advanceInmem({ remoteConsistentLsn: 5n });
  assert.equal(await timeline.maybePersistPeriodically(), false);

  await timeline.advanceInmem({ peerHorizonLsn: 2n * SEGMENT + 8n });
  assert.equal(timeline.state.peerHorizonLsn, 2n * SEGMENT + 8n, 'more than a segment ahead');
  assert.equal(timeline.state.remoteConsistentLsn, 5n, 'a persist takes every in-memory LSN');
  await timeline.close();

  const reloaded = await Timeline.load(dir, options);
  assert.equal(reloaded.flushLsn, wal.endLsn, 'recovery scans from the persisted commit_lsn');
  assert.deepEqual(reloaded.inmemLsns, timeline.inmemLsns);

  // A clean stop persists what advanced in memory only (a plain close keeps the old state).
  await reloaded.advanceInmem({ remoteConsistentLsn: 7n, backupLsn: 3n });
  assert.equal(reloaded.state.remoteConsistentLsn, 5n, 'less than a segment: not yet persisted');
  await reloaded.close({ persistInmem: true });
  const afterCleanStop = await Timeline.load(dir, options);
  assert.equal(afterCleanStop.state.remoteConsistentLsn, 7n);
  assert.equal(afterCleanStop.state.backupLsn, 3n);
  await afterCleanStop.advanceInmem({ remoteConsistentLsn: 9n });
  await afterCleanStop.close();
  const afterPlainClose = await Timeline.load(dir, options);
  assert.equal(afterPlainClose.state.remoteConsistentLsn, 7n, 'a plain close writes nothing');
  await afterPlainClose.close();
});

test('a clean stop persists when any in-memory LSN is ahead', () => {
  assert.equal(inmemAhead(ZERO, ZERO), false);
  for (const field of [
    'commitLsn',
    'backupLsn',
    'peerHorizonLsn',
    'remoteConsistentLsn',
  ] as const) {
    assert.equal(inmemAhead(ZERO, { ...ZERO, [field]: 1n }), true, field);
    assert.equal(inmemAhead({ ...ZERO, [field]: 1n }, ZERO), false, `${field} behind`);
  }
});
